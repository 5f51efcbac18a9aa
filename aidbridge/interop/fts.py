"""OCHA Financial Tracking Service (FTS) flows: import of the incoming-funding CSV, and an FTS-style export.

Import (:func:`import_fts`): the CSV layout of OCHA's "incoming funding" downloads (one flow a row, with the
columns ``id``, ``status``, ``srcOrganization``, ``amountUSD``, ``date`` and, when known, ``originalAmount``,
``originalCurrency``, ``decisionDate``, ``description``, ``destLocations``…). Each flow becomes a financial
pledge of its source organisation: status ``pledge`` → announced, ``commitment`` → committed, ``paid`` →
disbursed. The amount is the original amount in its currency when the row gives both, else ``amountUSD`` in
US dollars. A flow is keyed ``fts:<id>``, so re-importing writes nothing, and a commitment since paid becomes a
disbursement. Donors are matched by name (FTS has no organisation identifiers) or created, their country
taken from ``srcLocations`` or a name such as "Canada, Government of"; a donor whose country cannot be told is
skipped with that reason. Written through :func:`aidbridge.interop.ledger.apply`: all or nothing.

Export (:func:`export_rows`): the released pledges (:mod:`aidbridge.interop.opendata`) in the same layout, so
that FTS tools and this importer read it: ``amountUSD`` converted at the flow's date (empty when no rate is
known, never zero), ``exchangeRate`` (units of the original currency per US dollar) and ``exchangeRateDate``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from aidbridge import data
from aidbridge.interop import ledger, opendata
from aidbridge.interop.ledger import Flow, OrgRef
from aidbridge.pledges.models import FinancialPledge

Status = FinancialPledge.Status
STATUS = {"pledge": Status.ANNOUNCED, "commitment": Status.COMMITTED, "paid": Status.DISBURSED}
REQUIRED = ("id", "status", "srcOrganization", "amountUSD", "date")
COLUMNS = (
    "date", "budgetYear", "description", "amountUSD", "srcOrganization", "srcOrganizationTypes", "srcLocations",
    "destOrganization", "destGlobalClusters", "destLocations", "contributionType", "flowType", "method", "boundary",
    "status", "decisionDate", "originalAmount", "originalCurrency", "exchangeRate", "exchangeRateDate", "id",
    "refCode",
)


@dataclass
class FtsReport(ledger.ImportReport):
    kind = "fts"
    rows: int = 0
    flows_by_status: Counter[str] = field(default_factory=Counter)

    def _counts(self) -> dict[str, Any]:
        by_status = dict(sorted(self.flows_by_status.items()))
        return {"rows": self.rows, "flows": {"total": self.rows, "by_status": by_status}}

    def _count_lines(self) -> list[str]:
        by_status = ", ".join(f"{n} × {status}" for status, n in sorted(self.flows_by_status.items()))
        return [f"FTS: {self.rows} flows" + (f" ({by_status})." if by_status else ".")]


def _alpha3() -> dict[str, str]:
    with open(data.DATA_DIR / "iso3166-countries.csv", encoding="utf-8", newline="") as f:
        return {row["alpha3"]: row["alpha2"] for row in csv.DictReader(f)}


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


def _text(content: bytes, report: FtsReport) -> str | None:
    limit = 10 * settings.MAX_UPLOAD_BYTES  # as for any imported file on the command line (uploads stop earlier)
    if len(content) > limit:
        report.error(f"The FTS file is {len(content):,} bytes; the limit is {limit:,}.")
        return None
    if not content.strip():
        report.error("The FTS file is empty.")
        return None
    if b"\x00" in content[:4096]:
        report.error("The FTS file is not a CSV text file (it holds binary data).")
        return None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.error(f"The FTS file is not UTF-8 text (byte {exc.start + 1} cannot be read).")
        return None


def import_fts(content: bytes, *, actor: Any, dry_run: bool) -> FtsReport:
    """Import an FTS incoming-funding CSV: validate and count on a dry run, write all or nothing otherwise."""
    report = FtsReport(dry_run=dry_run)
    text = _text(content, report)
    if text is None:
        return report
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            report.error(f"Row 1: the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"{'are' if len(missing) > 1 else 'is'} missing; this is not an FTS incoming-funding CSV "
                         f"(found: {', '.join(h for h in header if h) or 'nothing'}).")
            return report
        flows = []
        alpha3 = _alpha3()
        for number, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            if all(c.strip().startswith("#") or not c.strip() for c in cells):
                report.quirk("HXL hashtag row (read as a header, not a flow)")
                continue
            row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
            report.rows += 1
            report.flows_by_status[row["status"].lower() or "(none)"] += 1
            flow = _flow(row, number, report, alpha3)
            if flow is not None:
                flows.append(flow)
    except csv.Error as exc:
        report.error(f"Row {reader.line_num}: the CSV cannot be read ({exc}).")
        return report
    return ledger.apply(flows, actor=actor, dry_run=dry_run, report=report)


def _flow(row: dict[str, str], number: int, report: FtsReport, alpha3: dict[str, str]) -> Flow | None:
    where = f"row {number}" + (f" (flow {row['id']})" if row["id"] else "")
    if not row["id"]:
        report.skip(where, "the flow has no id, so it cannot be matched again later")
        return None
    status = STATUS.get(row["status"].lower())
    if status is None:
        report.skip(where, f"status “{row['status']}” is not pledge, commitment or paid")
        return None
    if not row["srcOrganization"]:
        report.skip(where, "the flow has no source organisation: the donor is unknown")
        return None
    amount, currency = _amount(row, where, report)
    if amount is None:
        return None
    on = _date(row["date"])
    if on is None:
        report.skip(where, f"column date: “{row['date']}” is not a date (YYYY-MM-DD)")
        return None
    pledged_on = _date(row.get("decisionDate", "")) or _date(row.get("firstReportedDate", "")) or on
    countries = [alpha3[c.strip()] for c in row.get("destLocations", "").split(",") if c.strip() in alpha3]
    if len(countries) > 1:
        report.quirk("flow to several countries: the first kept")
    sources = [alpha3[c.strip()] for c in row.get("srcLocations", "").split(",") if c.strip() in alpha3]
    cluster, kind = row.get("destGlobalClusters", ""), row.get("contributionType", "")
    notes = f"FTS flow {row['id']} ({row['status'].lower()})." + (f" Cluster: {cluster}." if cluster else "") + (
        f" Contribution: {kind}." if kind and kind != "financial" else "") + (
        f" To: {row['destOrganization']}." if row.get("destOrganization") else "")
    return Flow(
        where=where, external_id=f"fts:{row['id']}",
        donor=OrgRef(identifier="", name=row["srcOrganization"], country=sources[0] if len(sources) == 1 else ""),
        amount=amount, currency=currency, pledged_on=min(pledged_on, on), status=status, status_date=on,
        purpose=row.get("description", "") or f"FTS flow {row['id']}",
        recipient_country=countries[0] if countries else "", notes=notes,
    )


def _amount(row: dict[str, str], where: str, report: FtsReport) -> tuple[Decimal | None, str]:
    original, currency = row.get("originalAmount", ""), row.get("originalCurrency", "").upper()
    column, text = ("originalAmount", original) if original and currency else ("amountUSD", row["amountUSD"])
    if column == "amountUSD":
        currency = "USD"
    elif currency not in data.currencies():
        report.skip(where, f"column originalCurrency: “{currency}” is not an ISO 4217 code")
        return None, ""
    try:
        amount = ledger.money(text)
    except ValueError:
        report.skip(where, f"column {column}: “{text}” is not a number")
        return None, ""
    if amount <= 0:
        report.skip(where, f"column {column}: the amount is zero or negative")
        return None, ""
    return amount, currency


# --- export ----------------------------------------------------------------------------------------------------

def export_rows(records: list[opendata.Record] | None = None) -> list[list[Any]]:
    """The header and one row per released pledge, in the FTS incoming-funding layout (see the module docstring)."""
    records = opendata.records() if records is None else records
    usd = opendata.Usd()
    rows: list[list[Any]] = [list(COLUMNS)]
    for r in records:
        converted = usd(r)
        rate = (r.amount / converted.amount).quantize(Decimal("0.000001")) if converted and converted.amount else None
        values = {
            "date": r.date.isoformat(), "budgetYear": r.date.year, "description": r.description,
            "amountUSD": converted.amount.quantize(ledger.CENT) if converted else "",
            "srcOrganization": r.donor.name, "srcOrganizationTypes": "",
            "srcLocations": _iso3(r.donor.country), "destOrganization": "", "destGlobalClusters": "",
            "destLocations": _iso3(r.recipient_country), "contributionType": r.kind, "flowType": "Standard",
            "method": "Traditional aid", "boundary": "incoming", "status": r.fts_status,
            "decisionDate": r.announced_on.isoformat(), "originalAmount": r.amount, "originalCurrency": r.currency,
            "exchangeRate": rate if rate is not None and r.currency != "USD" else "",
            "exchangeRateDate": converted.rate_date.isoformat() if converted and converted.rate_date else "",
            "id": r.reference, "refCode": "",
        }
        rows.append([values[c] for c in COLUMNS])
    return rows


_ISO3: dict[str, str] = {}


def _iso3(alpha2: str) -> str:
    if not _ISO3:
        _ISO3.update({a2: a3 for a3, a2 in _alpha3().items()})
    return _ISO3.get(alpha2, "")
