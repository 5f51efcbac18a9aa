"""Import of published IATI activity files, versions 2.01 to 2.03: each transaction becomes a financial pledge.

:func:`import_iati` is the one entry point (the ``aidbridge import iati`` command, the import pages and the API
call it). The file is read through :mod:`aidbridge.interop.safexml` (no DTD, no entity, no network, a size
limit), turned into one :class:`~aidbridge.interop.ledger.Flow` per transaction, and written by
:func:`aidbridge.interop.ledger.apply`, all or nothing.

Transaction types map onto the pledge lifecycle: 12 Outgoing Pledge and 13 Incoming Pledge → announced;
2 Outgoing Commitment and 11 Incoming Commitment → committed; 1 Incoming Funds, 3 Disbursement and
4 Expenditure → disbursed. Other types (interest, loan repayments, equity, guarantees) are not pledges and are
skipped with that reason.

The donor is the transaction's provider organisation when it names one, else (for outgoing money) the
activity's reporting organisation. A transaction is keyed by its activity's identifier and its ``ref``, or its
position in the activity when it has none (``iati:<activity>:<ref>`` or ``iati:<activity>#<n>``).

Published files have quirks, tolerated and reported: empty attributes count as missing; a value without a
currency takes the activity's default currency; a transaction without a date takes its value date, and
without either its activity's start (or end) date; several recipient countries or sectors keep the largest
share; activities may mix currencies (each pledge keeps its own). A transaction that still lacks something
essential is skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aidbridge import data
from aidbridge.core.errors import ServiceError
from aidbridge.interop import ledger, safexml
from aidbridge.interop.iati import codelists as cl
from aidbridge.interop.ledger import Flow, OrgRef
from aidbridge.pledges.models import FinancialPledge

Status = FinancialPledge.Status
STATUS_BY_TYPE = {
    "12": Status.ANNOUNCED, "13": Status.ANNOUNCED,
    "2": Status.COMMITTED, "11": Status.COMMITTED,
    "1": Status.DISBURSED, "3": Status.DISBURSED, "4": Status.DISBURSED,
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_EXTERNAL_ID = 250


@dataclass
class IatiReport(ledger.ImportReport):
    kind = "iati"
    version: str = ""
    activities: int = 0
    transactions: int = 0
    transactions_by_type: Counter[str] = field(default_factory=Counter)

    def _counts(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "activities": self.activities,
            "transactions": {"total": self.transactions,
                             "by_type": {code: self.transactions_by_type[code]
                                         for code in sorted(self.transactions_by_type, key=_code_order)}},
        }

    def _count_lines(self) -> list[str]:
        by_type = ", ".join(f"{n} × {cl.transaction_type_label(code)}"
                            for code, n in sorted(self.transactions_by_type.items(), key=lambda kv: _code_order(kv[0])))
        return [f"IATI {self.version or '(no version stated)'}: {self.activities} activities, "
                f"{self.transactions} transactions" + (f" ({by_type})." if by_type else ".")]


def _code_order(code: str) -> tuple[int, str]:
    return (int(code), "") if code.isdigit() else (10**6, code)


def import_iati(content: bytes, *, actor: Any, dry_run: bool) -> IatiReport:
    """Import an IATI activity file (2.01–2.03): validate and count on a dry run, write all or nothing otherwise."""
    report = IatiReport(dry_run=dry_run)
    flows: list[Flow] = []
    checked: list[bool] = []

    def each(activity: Any, root: Any) -> None:  # every child of the root, read one at a time
        if not checked:
            checked.append(_check_root(root, report))
        if not report.ok:
            raise safexml.Stop
        if safexml.local(activity.tag) == "iati-activity":
            report.activities += 1
            flows.extend(_activity_flows(activity, report))

    try:
        root = safexml.parse(content, what="IATI file", each=each)
    except ServiceError as exc:
        report.error(exc.message)
        return report
    if (not checked and not _check_root(root, report)) or not report.ok:
        return report
    return ledger.apply(flows, actor=actor, dry_run=dry_run, report=report)


def _check_root(root: Any, report: IatiReport) -> bool:
    """Is this an IATI activity file of a supported version? Reports why not."""
    if safexml.local(root.tag) != "iati-activities":
        report.error(f"Line {getattr(root, 'sourceline', 1)}: the file's root element is "
                     f"<{safexml.local(root.tag)}>, not <iati-activities>: this is not an IATI activity file.")
        return False
    report.version = _attr(root, "version")
    if not report.version:
        report.quirk("the file states no IATI version; read as 2.0x")
    elif report.version not in cl.SUPPORTED_VERSIONS:
        report.error(f"The file is IATI version {report.version}; versions "
                     f"{', '.join(cl.SUPPORTED_VERSIONS)} are supported.")
        return False
    return True


# --- reading -------------------------------------------------------------------------------------------------

def _attr(element: Any, name: str, report: IatiReport | None = None) -> str:
    """An attribute's value, stripped; an empty one counts as missing (and is reported as tolerated)."""
    if element is None:
        return ""
    value = element.get(name)
    if value is None:
        return ""
    value = value.strip()
    if not value and report is not None:
        report.quirk(f"empty {safexml.local(element.tag)}/@{name} attribute (read as missing)")
    return value


def _narrative(element: Any) -> str:
    """The English narrative of an element if there is one, else its first; 1.x-style plain text as a last resort."""
    if element is None:
        return ""
    texts = [(n.get(XML_LANG) or "", " ".join((n.text or "").split())) for n in element.findall("narrative")]
    texts = [(lang, text) for lang, text in texts if text]
    for lang, text in texts:
        if lang.lower().startswith("en"):
            return text
    if texts:
        return texts[0][1]
    return " ".join((element.text or "").split())


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _line(element: Any) -> str:
    line = getattr(element, "sourceline", None)
    return f" (line {line})" if line else ""


def _largest(elements: list[Any], report: IatiReport, what: str) -> Any:
    """The element with the largest ``percentage`` (the first on a tie or when none is given)."""
    if not elements:
        return None
    if len(elements) > 1:
        report.quirk(f"several {what}s: the largest share kept")

    def share(e: Any) -> float:
        try:
            return float(_attr(e, "percentage") or 0)
        except ValueError:
            return 0.0

    return max(elements, key=share)


def _countries(elements: list[Any], report: IatiReport) -> str:
    known = [e for e in elements if _attr(e, "code", report).upper() in data.countries()]
    if len(known) < len(elements):
        report.quirk("recipient country code not in ISO 3166 (left out)", len(elements) - len(known))
    chosen = _largest(known, report, "recipient countrie")
    return _attr(chosen, "code").upper() if chosen is not None else ""


def _dac_sectors(elements: list[Any], report: IatiReport) -> str:
    dac = [e for e in elements if _attr(e, "vocabulary", report) in ("", cl.SECTOR_VOCABULARY_DAC)
           and _attr(e, "code", report).isdigit() and len(_attr(e, "code")) == 5]
    chosen = _largest(dac, report, "DAC sector")
    return _attr(chosen, "code") if chosen is not None else ""


def _org(element: Any, report: IatiReport) -> OrgRef | None:
    if element is None:
        return None
    identifier, name = _attr(element, "ref", report), _narrative(element)
    if not identifier and not name:
        return None
    return OrgRef(identifier=identifier, name=name)


def _external_id(activity_id: str, ref: str, position: int) -> str:
    key = f"iati:{activity_id}:{ref}" if ref else f"iati:{activity_id}#{position}"
    if len(key) <= MAX_EXTERNAL_ID:
        return key
    return "iati:sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _activity_flows(activity: Any, report: IatiReport) -> list[Flow]:
    transactions = activity.findall("transaction")
    identifier = " ".join((activity.findtext("iati-identifier") or "").split())
    codes = [_type_code(t, report) for t in transactions]
    report.transactions += len(transactions)
    report.transactions_by_type.update(code or "(none)" for code in codes)
    if not identifier:
        for n, t in enumerate(transactions, 1):
            report.skip(f"activity{_line(activity)}, transaction {n}{_line(t)}",
                        "the activity has no iati-identifier, so the transaction cannot be matched again later")
        return []
    reporting = _org(activity.find("reporting-org"), report)
    default_currency = _attr(activity, "default-currency", report).upper()
    title = _narrative(activity.find("title"))
    dates = {_attr(d, "type", report): _date(_attr(d, "iso-date", report)) for d in activity.findall("activity-date")}
    country = _countries(activity.findall("recipient-country"), report)
    sector = _dac_sectors(activity.findall("sector"), report)
    if len({(_attr(t.find("value"), "currency") or default_currency) for t in transactions}) > 1:
        report.quirk("activity with transactions in several currencies (each pledge keeps its own)")
    flows = []
    for n, (t, code) in enumerate(zip(transactions, codes, strict=True), 1):
        ref = _attr(t, "ref", report)
        where = f"activity {identifier}, transaction {ref or n}{_line(t)}"
        flow = _flow(t, code, where, report, activity_id=identifier, position=n, reporting=reporting,
                     default_currency=default_currency, title=title, dates=dates, country=country, sector=sector)
        if flow is not None:
            flows.append(flow)
    return flows


def _type_code(transaction: Any, report: IatiReport | None) -> str:
    code = _attr(transaction.find("transaction-type"), "code", report)
    if code.upper() in cl.LEGACY_TRANSACTION_TYPES:
        if report is not None:
            report.quirk("IATI 1.x letter code for a transaction type (read as its number)")
        return cl.LEGACY_TRANSACTION_TYPES[code.upper()]
    return code


def _flow(t: Any, code: str, where: str, report: IatiReport, *, activity_id: str, position: int,
          reporting: OrgRef | None, default_currency: str, title: str, dates: dict[str, dt.date | None],
          country: str, sector: str) -> Flow | None:
    if not code:
        report.skip(where, "the transaction has no transaction type")
        return None
    if code not in STATUS_BY_TYPE:
        report.skip(where, f"transaction type {cl.transaction_type_label(code)} is not a pledge")
        return None
    value = t.find("value")
    text = (value.text or "").strip() if value is not None else ""
    if not text:
        report.skip(where, "the transaction has no value")
        return None
    try:
        amount = ledger.money(text)
    except ValueError:
        report.skip(where, "the value is not a number")
        return None
    if amount == 0:
        report.skip(where, "the value is zero")
        return None
    if amount < 0:
        report.skip(where, "the value is negative (a correction or reversal, not a pledge)")
        return None
    currency = _attr(value, "currency", report).upper()
    if not currency:
        currency = default_currency
    if not currency:
        report.skip(where, "no currency: neither the value nor the activity names one")
        return None
    if currency not in data.currencies():
        report.skip(where, "the currency is not an ISO 4217 code")
        return None
    on = _transaction_date(t, value, dates, report)
    if on is None:
        report.skip(where, "no date: neither the transaction, its value nor its activity has one")
        return None
    donor = _org(t.find("provider-org"), report)
    if donor is None:
        if code in cl.INCOMING:
            report.skip(where, "incoming money without a provider organisation: the donor is unknown")
            return None
        donor = reporting
    if donor is None:
        report.skip(where, "no provider and no reporting organisation: the donor is unknown")
        return None
    own_country = _countries(t.findall("recipient-country"), report)
    own_sector = _dac_sectors(t.findall("sector"), report)
    description = _narrative(t.find("description"))
    notes = (f"IATI activity {activity_id}, transaction {position}: {cl.transaction_type_label(code)}."
             + (f" {description}" if description else ""))
    return Flow(
        where=where, external_id=_external_id(activity_id, _attr(t, "ref"), position), donor=donor, amount=amount,
        currency=currency, pledged_on=on, status=STATUS_BY_TYPE[code], status_date=on,
        sector=own_sector or sector, purpose=title or activity_id, recipient_country=own_country or country,
        notes=notes,
    )


def _transaction_date(t: Any, value: Any, dates: dict[str, dt.date | None], report: IatiReport) -> dt.date | None:
    value_date = _date(_attr(value, "value-date", report))
    if value_date is None:
        report.quirk("value without a value date")
    on = _date(_attr(t.find("transaction-date"), "iso-date", report))
    if on is not None:
        return on
    if value_date is not None:
        report.quirk("transaction without a date: its value date used")
        return value_date
    for kind in cl.ACTIVITY_DATE_FALLBACK:
        if dates.get(kind) is not None:
            report.quirk(f"transaction without a date or value date: the activity's {cl.ACTIVITY_DATE_TYPES[kind]} "
                         "date used")
            return dates[kind]
    return None
