"""HXL-tagged CSV of the released pledges (the Humanitarian Exchange Language, hxlstandard.org).

One row per public, disclosed pledge (:mod:`aidbridge.interop.opendata`), under a row of plain headers and a
row of HXL hashtags, so that HXL tools (libhxl, the HXL Proxy, HDX) read it by tag: ``#org+funder+name``,
``#sector``, ``#value+usd``, ``#date``, ``#status``… The value in US dollars is converted at the pledge's date
and comes with its rate date (``#date+rate``); it is empty when no rate is known, never zero. Written through
:mod:`aidbridge.core.csvsafe`, like every CSV the application hands out.
"""

from __future__ import annotations

from typing import Any

from aidbridge.catalogue.models import Item
from aidbridge.interop import ledger, opendata

# (header, hashtag)
COLUMNS = (
    ("Donor", "#org+funder+name"),
    ("Donor IATI identifier", "#org+funder+code"),
    ("Pledge", "#activity+code"),
    ("Kind", "#modality"),
    ("Status", "#status"),
    ("Programme", "#activity+name"),
    ("Sector", "#sector"),
    ("Sector code", "#sector+code"),
    ("Recipient country", "#country+code"),
    ("Date", "#date"),
    ("Value", "#value"),
    ("Currency", "#currency"),
    ("Value (USD)", "#value+usd"),
    ("USD rate date", "#date+rate"),
    ("Description", "#description"),
)
HEADERS = tuple(header for header, _ in COLUMNS)
HASHTAGS = tuple(tag for _, tag in COLUMNS)


def _sector(record: opendata.Record) -> tuple[str, str]:
    if record.kind == opendata.IN_KIND:
        return f"NATO supply class {dict(Item.SupplyClass.choices)[record.supply_class]}", record.supply_class
    return (f"DAC {record.sector}", record.sector) if record.sector else ("", "")


def export_rows(records: list[opendata.Record] | None = None) -> list[list[Any]]:
    """The header row, the hashtag row and one row per released pledge."""
    records = opendata.records() if records is None else records
    usd = opendata.Usd()
    rows: list[list[Any]] = [list(HEADERS), list(HASHTAGS)]
    for r in records:
        converted = usd(r)
        sector, code = _sector(r)
        rows.append([
            r.donor.name, r.donor.iati_identifier, r.reference, r.kind, r.status, r.programme, sector, code,
            r.recipient_country, r.date.isoformat(), r.amount, r.currency,
            converted.amount.quantize(ledger.CENT) if converted else "",
            converted.rate_date.isoformat() if converted and converted.rate_date else "",
            r.description,
        ])
    return rows
