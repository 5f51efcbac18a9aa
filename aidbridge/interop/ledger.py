"""The write path shared by the IATI and FTS importers: published money flows → financial pledges.

An importer reads its file into :class:`Flow` records (one per IATI transaction or FTS flow) and hands them to
:func:`apply`, which, inside one transaction:

- finds or creates each donor organisation (by IATI organisation identifier, or by name when a source has no
  identifier), through ``accounts.services.create_organisation``;
- creates a financial pledge per new flow (``pledges.services.create_financial_pledge``), keyed by the flow's
  ``external_id``, so that importing the same file again writes nothing;
- for a flow already imported, applies what changed: the amount, currency and descriptive fields through
  ``update_financial_pledge`` (its dates are those of its first import and of its status changes), a new
  status through ``MONEY_TRANSITIONS`` (a commitment now disbursed becomes a disbursement). A status never
  goes back (a disbursed pledge does not return to committed): such a flow is skipped with its reason.

Everything is audited by those services, as if typed in by the actor. Any refusal (the actor may not write
for a donor, a value a service rejects) is an error, and then nothing at all is written; a dry run does the
same work and always rolls it back, so it reports exactly what a commit would do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.utils.text import slugify

from aidbridge import data
from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import Organisation
from aidbridge.core import clock
from aidbridge.core.errors import ServiceError
from aidbridge.core.models import Releasability
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import FinancialPledge

MAX_ERRORS = 200  # an unusable file stops being read after this many errors
MAX_LISTED_SKIPS = 1000  # skipped rows beyond this are counted by reason, not listed one by one
CENT = Decimal("0.01")
Status = FinancialPledge.Status


@dataclass(frozen=True)
class OrgRef:
    """How a source names an organisation: an IATI identifier, a name, and its country when known."""

    identifier: str
    name: str
    country: str = ""

    @property
    def label(self) -> str:
        if self.identifier and self.name:
            return f"{self.name} ({self.identifier})"
        return self.identifier or self.name


@dataclass
class Flow:
    """One transaction or flow, ready to become (or update) a financial pledge."""

    where: str  # "activity GB-1-109616-101, transaction 3 (line 120)": names the place in the file
    external_id: str
    donor: OrgRef
    amount: Decimal
    currency: str
    pledged_on: dt.date
    status: str
    status_date: dt.date
    sector: str = ""
    purpose: str = ""
    recipient_country: str = ""
    notes: str = ""


@dataclass
class Skip:
    where: str
    reason: str


@dataclass
class ImportReport:
    """What an import did or, on a dry run, would do. Subclasses add what their file counts (activities, rows)."""

    kind = "import"
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    quirks: Counter[str] = field(default_factory=Counter)  # tolerated oddities → how many times
    organisations_new: list[str] = field(default_factory=list)
    organisations_matched: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    status_changed: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append("… and more errors; the file was not read further.")

    @property
    def too_many_errors(self) -> bool:
        return len(self.errors) > MAX_ERRORS

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append(Skip(where, reason))

    def quirk(self, text: str, count: int = 1) -> None:
        self.quirks[text] += count

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(Counter(s.reason for s in self.skipped).most_common())

    def _counts(self) -> dict[str, Any]:
        return {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ok": self.ok,
            "dry_run": self.dry_run,
            **self._counts(),
            "organisations": {"new": len(self.organisations_new), "matched": len(self.organisations_matched),
                              "new_names": list(self.organisations_new),
                              "matched_names": list(self.organisations_matched)},
            "pledges": {"created": self.created, "updated": self.updated, "status_changed": self.status_changed,
                        "unchanged": self.unchanged},
            "skipped": {
                "count": len(self.skipped),
                "by_reason": self.skipped_by_reason(),
                "rows": [{"where": s.where, "reason": s.reason} for s in self.skipped[:MAX_LISTED_SKIPS]],
            },
            "quirks": dict(self.quirks.most_common()),
            "errors": list(self.errors),
        }

    def _count_lines(self) -> list[str]:
        return []

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        if self.dry_run:
            head = "Dry run: nothing was written." + ("" if self.ok else " The file has errors: an import would "
                                                                         "write nothing.")
        else:
            head = "Imported." if self.ok else "Nothing was imported: the file has errors."
        out = [head, *self._count_lines()]
        out.append(f"Organisations: {len(self.organisations_new)} new, {len(self.organisations_matched)} matched.")
        for name in self.organisations_new:
            out.append(f"  new: {name}")
        out.append(f"Financial pledges: {self.created} {verb} created, {self.updated} updated, "
                   f"{self.status_changed} moved to a new status, {self.unchanged} unchanged.")
        if self.skipped:
            out.append(f"Skipped: {len(self.skipped)}.")
            out.extend(f"  {count} × {reason}" for reason, count in self.skipped_by_reason().items())
        if self.quirks:
            out.append("Tolerated:")
            out.extend(f"  {count} × {text}" for text, count in self.quirks.most_common())
        if self.errors:
            out.append(f"Errors: {len(self.errors)}.")
            out.extend(f"  {message}" for message in self.errors)
        return out


# --- organisations ---------------------------------------------------------------------------------------------

_COUNTRY_BY_NAME: dict[str, str] = {}
_ALIASES = {  # names FTS and IATI use that differ from the CLDR short names of the shipped ISO 3166 table
    "united kingdom": "GB", "united kingdom of great britain and northern ireland": "GB", "great britain": "GB",
    "united states": "US", "united states of america": "US", "usa": "US", "korea, republic of": "KR",
    "republic of korea": "KR", "korea (republic of)": "KR", "russian federation": "RU", "viet nam": "VN",
    "iran, islamic republic of": "IR", "czech republic": "CZ", "turkey": "TR", "holy see": "VA",
    "syrian arab republic": "SY", "lao pdr": "LA", "united republic of tanzania": "TZ", "the netherlands": "NL",
    "occupied palestinian territory": "PS", "state of palestine": "PS", "democratic republic of the congo": "CD",
    "congo, democratic republic of the": "CD", "bolivia (plurinational state of)": "BO",
    "saudi arabia (kingdom of)": "SA", "north macedonia": "MK", "republic of moldova": "MD",
}


def country_from_name(name: str) -> str:
    """ISO 3166 alpha-2 of a country named in English, or "": "Canada", "Canada, Government of",
    "Korea, Republic of", "Saudi Arabia (Kingdom of)", "UNICEF National Committee/Denmark"."""
    if not _COUNTRY_BY_NAME:
        _COUNTRY_BY_NAME.update({n.lower(): code for code, n in data.countries().items()})
        _COUNTRY_BY_NAME.update(_ALIASES)
    text = " ".join(name.split()).lower()
    text = re.sub(r",\s*government of$", "", text)
    for candidate in (text, re.sub(r"\s*\(.*\)$", "", text), text.rsplit("/", 1)[-1].strip()):
        if candidate in _COUNTRY_BY_NAME:
            return _COUNTRY_BY_NAME[candidate]
    return ""


def country_from_identifier(identifier: str) -> str:
    """The country an IATI organisation identifier is registered in ("GB-GOV-1" → GB), or "" ("XM-DAC-41122")."""
    prefix = identifier.split("-", 1)[0].upper()
    return prefix if len(prefix) == 2 and prefix in data.countries() else ""


class Organisations:
    """Finds or creates the donors of one import, each once; records which were new and which matched."""

    def __init__(self, actor: Any, report: ImportReport) -> None:
        self.actor = actor
        self.report = report
        self._cache: dict[tuple[str, str], Organisation | str | ServiceError] = {}

    def resolve(self, ref: OrgRef) -> Organisation | str:
        """The organisation, or the reason it cannot be had (a skip, not an error); a refusal is raised, once
        tried, for every flow of that organisation."""
        key = (ref.identifier.strip(), "" if ref.identifier.strip() else ref.name.strip().lower())
        if key not in self._cache:
            try:
                self._cache[key] = self._find(ref) or self._create(ref)
            except ServiceError as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, ServiceError):
            raise found
        return found

    def _find(self, ref: OrgRef) -> Organisation | None:
        if ref.identifier:
            org = (Organisation.objects.filter(iati_identifier=ref.identifier).first()
                   or Organisation.objects.filter(iati_identifier__iexact=ref.identifier).first())
        else:
            org = Organisation.objects.filter(name__iexact=" ".join(ref.name.split())).first()
        if org is not None:
            self.report.organisations_matched.append(f"{org.name} ({org.iati_identifier or org.short_name})")
        return org

    def _create(self, ref: OrgRef) -> Organisation | str:
        country = ref.country or country_from_identifier(ref.identifier) or country_from_name(ref.name)
        if not country:
            return (f"the organisation “{ref.label}” is not known here and its country cannot be told from the "
                    "file; add it, then import again")
        name = " ".join((ref.name or ref.identifier).split())[:200]
        if Organisation.objects.filter(name__iexact=name).exists() and ref.identifier:
            name = f"{name[:200 - len(ref.identifier) - 3]} ({ref.identifier})"
        org = accounts.create_organisation(
            actor=self.actor, name=name, short_name=_short_name(ref.identifier or name), kind=Organisation.Kind.DONOR,
            country=country, iati_identifier=ref.identifier[:100], in_coalition=False,
        )
        self.report.organisations_new.append(f"{org.name} ({org.iati_identifier or org.short_name})")
        return org


def _short_name(text: str) -> str:
    base = (slugify(text)[:28].strip("-") or "org")
    candidate, n = base, 1
    while Organisation.objects.filter(short_name=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# --- pledges ---------------------------------------------------------------------------------------------------


def money(text: str) -> Decimal:
    """An amount written as a decimal number ("15450", "500000.00"), to the cent; ``ValueError`` otherwise."""
    try:
        value = Decimal(text.strip())
        if not value.is_finite():
            raise ValueError(text)
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        raise ValueError(text) from None


R = TypeVar("R", bound=ImportReport)


def apply(flows: list[Flow], *, actor: Any, dry_run: bool, report: R) -> R:
    """Write ``flows`` as financial pledges, all or nothing (see the module's docstring)."""
    report.dry_run = dry_run
    seen: set[str] = set()
    with transaction.atomic():
        known = _imported([flow.external_id for flow in flows])
        organisations = Organisations(actor, report)
        for flow in flows:
            if report.too_many_errors:
                break
            if flow.external_id in seen:
                report.skip(flow.where, "the same transaction appears twice in the file")
                continue
            seen.add(flow.external_id)
            try:
                donor = organisations.resolve(flow.donor)
                if isinstance(donor, str):
                    report.skip(flow.where, donor)
                    continue
                _write(flow, known.get(flow.external_id), donor, actor, report)
            except ServiceError as exc:
                report.error(f"{flow.where}: {exc.message}")
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    if not report.ok and not dry_run:
        report.created = report.updated = report.status_changed = 0
        report.organisations_new.clear()
    return report


def _imported(external_ids: list[str]) -> dict[str, FinancialPledge]:
    """The pledges already imported under these external ids, read in batches (a few queries per file)."""
    found: dict[str, FinancialPledge] = {}
    unique = sorted(set(external_ids))
    for start in range(0, len(unique), 500):
        rows: Any = FinancialPledge.objects.filter(external_id__in=unique[start:start + 500]).select_related("donor")
        found.update({p.external_id: p for p in rows})
    return found


def _write(flow: Flow, existing: FinancialPledge | None, donor: Organisation, actor: Any,
           report: ImportReport) -> None:
    fields = {"amount": flow.amount, "currency": flow.currency, "pledged_on": flow.pledged_on,
              "sector": flow.sector, "purpose": flow.purpose[:300], "recipient_country": flow.recipient_country}
    if existing is None:
        pledges.create_financial_pledge(
            actor=actor, donor=donor, status=flow.status, status_date=flow.status_date,
            external_id=flow.external_id, releasability=Releasability.PUBLIC, disclosure_date=clock.today(),
            notes=flow.notes[:2000], **fields,
        )
        report.created += 1
        return
    if existing.donor_id != donor.pk:
        raise ServiceError(f"{existing.reference} was imported for {existing.donor.name}, but the file now names "
                           f"{donor.name} as the donor.", field="donor")
    changed = False
    # The dates are set once: when the pledge was made (its first import) and when it changed status.
    del fields["pledged_on"]
    changes = {name: value for name, value in fields.items() if getattr(existing, name) != value}
    if changes:
        if existing.status in (Status.DISBURSED, Status.WITHDRAWN):
            report.skip(flow.where, f"already {existing.get_status_display().lower()} here, so its amount and "
                                    "details are kept as they are")
            return
        existing = pledges.update_financial_pledge(actor=actor, pledge=existing, changes=changes)
        report.updated += 1
        changed = True
    if flow.status != existing.status:
        if flow.status not in FinancialPledge.TRANSITIONS.get(existing.status, set()):
            report.skip(flow.where, f"already {existing.get_status_display().lower()} here; a status does not go "
                                    f"back to {Status(flow.status).label.lower()}")
            return
        pledges.MONEY_TRANSITIONS[Status(flow.status)](actor=actor, pledge=existing, on=flow.status_date)
        report.status_changed += 1
        changed = True
    if not changed:
        report.unchanged += 1
