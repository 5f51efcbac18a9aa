"""IATI 2.03 activity export of the released pledges.

:func:`export_iati` writes one ``<iati-activities version="2.03">`` file from the public, disclosed pledges
(:mod:`aidbridge.interop.opendata`), valid against the IATI 2.03 activity schema shipped in
``aidbridge/interop/data/iati-2.03/`` (the tests check it with xmlschema).

- **Activities per donor and programme.** Financial pledges are grouped by donor × purpose, in-kind pledges by
  donor × NATO supply class (the programme "In-kind: VII — Major end items"). The donor is the reporting
  organisation and the funding participating organisation; the activity identifier is the donor's IATI
  organisation identifier followed by ``-AB-FIN-<purpose>`` or ``-AB-INKIND-<class>``. A donor without an
  IATI organisation identifier cannot report in IATI: its pledges are left out and named in
  :attr:`IatiExport.left_out` (and in a comment at the top of the file).
- **One transaction per pledge,** its ``ref`` the pledge's reference: announced → 12 Outgoing Pledge;
  committed, allocated, shipped → 2 Outgoing Commitment; delivered or disbursed → 3 Disbursement. In-kind
  pledges are valued at unit value × quantity, and once delivered at unit value × delivered quantity. Every
  value names its currency; an activity whose pledges share one currency also states it as its default.
- **Recipient country and sector.** When every pledge of an activity has the same one, it is stated on the
  activity (100%); otherwise on each transaction, as the standard asks. Financial pledges carry their DAC
  5-digit sector (vocabulary 1); in-kind pledges their NATO supply class under the reporting organisation's
  own vocabulary (99), with its name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from aidbridge.accounts.models import Organisation
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.interop import opendata
from aidbridge.interop.iati import codelists as cl

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "iati-2.03"
ACTIVITY_SCHEMA = SCHEMA_DIR / "iati-activities-schema.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
VERSION = "2.03"


@dataclass
class IatiExport:
    xml: bytes
    activities: int = 0
    transactions: int = 0
    left_out: list[str] = field(default_factory=list)  # donors without an IATI organisation identifier

    def lines(self) -> list[str]:
        out = [f"IATI {VERSION}: {self.activities} activities, {self.transactions} transactions."
               + ("" if self.activities else " With no activity, the file is not yet a valid IATI file.")]
        if self.left_out:
            out.append("Left out (no IATI organisation identifier): " + "; ".join(self.left_out) + ".")
        return out


def _token(text: str) -> str:
    """A programme name as a stable identifier part: upper-case letters, digits and dashes, and a short digest."""
    slug = re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")[:40].strip("-") or "GENERAL"
    return f"{slug}-{hashlib.sha256(text.encode()).hexdigest()[:6].upper()}"


def activity_identifier(record: opendata.Record) -> str:
    prefix = record.donor.iati_identifier.strip()
    if record.kind == opendata.IN_KIND:
        return f"{prefix}-AB-INKIND-{record.supply_class}"
    return f"{prefix}-AB-FIN-{_token(record.programme)}"


def organisation_type(donor: Organisation) -> str:
    """The IATI OrganisationType of a donor: 40 Multilateral for a DAC multilateral code (XM-DAC-4xxxx),
    else 10 Government, since the coalition's donors are states (their ministries and agencies)."""
    return cl.ORGANISATION_TYPE_MULTILATERAL if re.fullmatch(r"XM-DAC-4\d{4}(-.*)?", donor.iati_identifier) \
        else cl.ORGANISATION_TYPE_GOVERNMENT


def _narrative(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    ET.SubElement(element, "narrative").text = text
    return element


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def _single(values: list[str]) -> str | None:
    """The one value all share, or None when they differ or one is missing."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 and "" not in distinct else None


def _sector(parent: ET.Element, record: opendata.Record, *, percentage: bool) -> None:
    extra = {"percentage": "100"} if percentage else {}
    if record.kind == opendata.IN_KIND:
        name = f"NATO supply class {dict(Item.SupplyClass.choices)[record.supply_class]}"
        _narrative(parent, "sector", name, vocabulary=cl.SECTOR_VOCABULARY_REPORTING_ORG, code=record.supply_class,
                   **extra)
    elif record.sector:
        ET.SubElement(parent, "sector", {"vocabulary": cl.SECTOR_VOCABULARY_DAC, "code": record.sector, **extra})


def _sector_key(record: opendata.Record) -> str:
    return record.supply_class if record.kind == opendata.IN_KIND else record.sector


def _activity(root: ET.Element, identifier: str, records: list[opendata.Record], now: dt.datetime) -> int:
    first = records[0]
    donor = first.donor
    currencies = {r.currency for r in records}
    attrs = {"last-updated-datetime": now.replace(microsecond=0).isoformat(), XML_LANG: "en", "hierarchy": "1"}
    if len(currencies) == 1:
        attrs["default-currency"] = first.currency
    activity = ET.SubElement(root, "iati-activity", attrs)
    ET.SubElement(activity, "iati-identifier").text = identifier
    _narrative(activity, "reporting-org", donor.name, ref=donor.iati_identifier, type=organisation_type(donor))
    _narrative(activity, "title", first.programme)
    kind = "in-kind pledges" if first.kind == opendata.IN_KIND else "financial pledges"
    _narrative(activity, "description", f"{donor.name}: {kind} for {first.programme}, as released to the public "
                                        "through the coalition's Aidbridge.", type="1")
    _narrative(activity, "participating-org", donor.name, ref=donor.iati_identifier, role=cl.ROLE_FUNDING)
    finished = all(r.iati_type == "3" for r in records)
    ET.SubElement(activity, "activity-status", code=cl.ACTIVITY_STATUS_FINALISATION if finished
                  else cl.ACTIVITY_STATUS_IMPLEMENTATION)
    start = min(r.date for r in records)
    ET.SubElement(activity, "activity-date", {"type": "2" if start <= now.date() else "1",
                                              "iso-date": start.isoformat()})
    country = _single([r.recipient_country for r in records])
    sector = _single([_sector_key(r) for r in records])
    if country:
        ET.SubElement(activity, "recipient-country", code=country, percentage="100")
    if sector:
        _sector(activity, first, percentage=True)
    for r in records:
        transaction = ET.SubElement(activity, "transaction", ref=r.reference)
        ET.SubElement(transaction, "transaction-type", code=r.iati_type)
        ET.SubElement(transaction, "transaction-date", {"iso-date": r.date.isoformat()})
        value = ET.SubElement(transaction, "value", {"currency": r.currency, "value-date": r.date.isoformat()})
        value.text = _money(r.amount)
        _narrative(transaction, "description", f"{r.reference}: {r.description}")
        _narrative(transaction, "provider-org", donor.name, ref=donor.iati_identifier)
        if not sector:
            _sector(transaction, r, percentage=False)
        if not country and r.recipient_country:
            ET.SubElement(transaction, "recipient-country", code=r.recipient_country)
    return len(records)


def export_iati(records: list[opendata.Record] | None = None) -> IatiExport:
    """The IATI 2.03 activity file of the released pledges (see the module docstring)."""
    records = opendata.records() if records is None else records
    now = clock.now()
    root = ET.Element("iati-activities", {"version": VERSION, "generated-datetime": now.replace(microsecond=0)
                                          .isoformat()})
    groups: dict[str, list[opendata.Record]] = defaultdict(list)
    left_out: dict[int, str] = {}
    for r in records:
        if not r.donor.iati_identifier.strip():
            left_out[r.donor.pk] = r.donor.name
            continue
        if r.amount <= 0:
            continue  # a delivered in-kind pledge of which nothing arrived has no value to report
        groups[activity_identifier(r)].append(r)
    result = IatiExport(xml=b"", left_out=sorted(left_out.values()))
    if result.left_out:
        root.append(ET.Comment(" Left out, no IATI organisation identifier: "
                               + "; ".join(n.replace("--", "-") for n in result.left_out) + " "))
    for identifier in sorted(groups):
        result.transactions += _activity(root, identifier, groups[identifier], now)
        result.activities += 1
    ET.indent(root)
    result.xml = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
    return result
