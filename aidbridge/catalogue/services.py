from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext

from aidbridge.accounts.principal import principal
from aidbridge.audit import writes
from aidbridge.audit.models import AuditEvent
from aidbridge.audit.services import record_event
from aidbridge.catalogue import ecb
from aidbridge.catalogue.models import ExchangeRate, Item
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import ServiceError
from aidbridge.core.fields import normalise_nsn

ITEM_FIELDS = ("code", "name", "supply_class", "unit", "weight_t", "nsn", "fsc", "description")


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    if "nsn" in fields:
        fields["nsn"] = normalise_nsn(fields["nsn"] or "")
    return fields


@transaction.atomic
def create_item(*, actor: Any, **fields: Any) -> Item:
    core.require(principal(actor).manages_reference_data, gettext("Only coordinator editors may add catalogue items."))
    item = Item(**_normalise(fields))
    core.full_clean(item)
    _check_nsn_matches_fsc(item)
    return writes.create(actor=actor, obj=item, action="item.create")


@transaction.atomic
def update_item(*, actor: Any, item: Item, changes: dict[str, Any]) -> Item:
    core.require(principal(actor).manages_reference_data,
                 gettext("Only coordinator editors may change catalogue items."))
    item = writes.update(actor=actor, obj=item, changes=_normalise(dict(changes)), editable=ITEM_FIELDS,
                         action="item.update")
    _check_nsn_matches_fsc(item)
    return item


def _check_nsn_matches_fsc(item: Item) -> None:
    if item.nsn and item.fsc and item.nsn[:4] != item.fsc:
        raise ServiceError(
            gettext("The NSN's first four digits (%(prefix)s) are its supply class and must match the FSC "
                    "(%(fsc)s).") % {"prefix": item.nsn[:4], "fsc": item.fsc},
            field="nsn",
        )


# --- exchange rates ------------------------------------------------------------------------------------------

# The reasons ``ecb`` gives for a column it skipped, marked here for the catalogues (``RatesReport.lines``).
gettext_noop("not a current ISO 4217 currency (replaced by the euro or withdrawn)")  # ecb.SKIPPED_NOT_CURRENT
RATE_WRITERS = gettext_lazy("Only coordinator editors may set exchange rates.")
EURO = ecb.EURO


def _require_rate_writer(actor: Any) -> None:
    """The catalogue's rule (coordinator editors keep reference data); ``actor=None`` is the command line's
    system actor, an operator at the server."""
    if actor is not None:
        core.require(principal(actor).manages_reference_data, RATE_WRITERS)


def _check_rate_date(date: dt.date, *, field: str = "date") -> None:
    today = clock.today()
    if date > today:
        raise ServiceError(gettext("%(date)s is after today (%(today)s); a reference rate is published for a day "
                                   "that has begun.") % {"date": f"{date:%Y-%m-%d}", "today": f"{today:%Y-%m-%d}"},
                           field=field)


def _save_rate(actor: Any, rate: ExchangeRate | None, currency: str, date: dt.date, per_euro: Decimal,
               source: str) -> tuple[ExchangeRate, str]:
    """Create the rate, or change the stored one when its value differs: (rate, "created"|"updated"|"unchanged")."""
    if rate is None:
        rate = ExchangeRate(currency=currency, date=date, per_euro=per_euro, source=source)
        return writes.create(actor=actor, obj=rate, action="exchange_rate.create"), "created"
    if rate.per_euro == per_euro:
        return rate, "unchanged"
    rate = writes.update(actor=actor, obj=rate, changes={"per_euro": per_euro, "source": source},
                         editable=("per_euro", "source"), action="exchange_rate.update")
    return rate, "updated"


@transaction.atomic
def set_exchange_rate(*, actor: Any, currency: str, date: dt.date, per_euro: Any,
                      source: str = ExchangeRate.Source.MANUAL) -> ExchangeRate:
    """Record how many units of ``currency`` one euro bought on ``date`` (the ECB's layout).

    Setting a rate that exists for that currency and day changes it (one audited update); the same value again
    writes nothing.
    """
    _require_rate_writer(actor)
    currency = (currency or "").strip().upper()
    if currency == EURO:
        raise ServiceError(gettext("Rates are units per euro; the euro itself needs no rate."), field="currency")
    if not isinstance(date, dt.date):
        raise ServiceError(gettext("Give the day of the rate (YYYY-MM-DD)."), field="date")
    _check_rate_date(date)
    if isinstance(per_euro, bool) or not isinstance(per_euro, str | Decimal | int):
        raise ServiceError(gettext("Give the rate as a decimal number of units per euro."), field="per_euro")
    checked = ecb.parse_rate(str(per_euro).strip())
    if isinstance(checked, str):
        raise ServiceError(f"“{per_euro}” {checked}", field="per_euro")
    per_euro = checked
    existing = ExchangeRate.objects.select_for_update().filter(currency=currency, date=date).first()
    rate, _ = _save_rate(actor, existing, currency, date, per_euro, source)
    return rate


DayChanges = tuple[dt.date, list[ExchangeRate], list[tuple[ExchangeRate, Decimal]]]  # (day, new, changed + old)


@dataclass
class RatesReport:
    """What an ECB file held and what importing it did (or, for a dry run, would do)."""

    filename: str
    layout: str
    dry_run: bool
    days: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    currencies: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_cells: int = 0
    skipped_columns: dict[str, str] = field(default_factory=dict)
    errors: list[ecb.CellError] = field(default_factory=list)
    errors_truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "filename": self.filename, "layout": self.layout, "dry_run": self.dry_run,
            "days": self.days, "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "currencies": self.currencies, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "missing_cells": self.missing_cells,
            "skipped_columns": dict(self.skipped_columns),
            "errors": [error.as_dict() for error in self.errors], "errors_truncated": self.errors_truncated,
        }

    def lines(self) -> list[str]:
        """The report as sentences, in the active language (English at the command line)."""
        name = self.filename or gettext("The file")
        if not self.ok:
            count = len(self.errors)
            head = (ngettext("%(file)s: nothing was imported; the first %(count)s problem:",
                             "%(file)s: nothing was imported; the first %(count)s problems:", count)
                    if self.errors_truncated else
                    ngettext("%(file)s: nothing was imported; %(count)s problem:",
                             "%(file)s: nothing was imported; %(count)s problems:", count))
            return [head % {"file": name, "count": count}] + [f"  {error}" for error in self.errors]
        span = (f"{self.first_date:%Y-%m-%d}" if self.first_date == self.last_date
                else gettext("%(first)s to %(last)s") % {"first": f"{self.first_date:%Y-%m-%d}",
                                                         "last": f"{self.last_date:%Y-%m-%d}"})
        days = ngettext("%(file)s (%(layout)s layout): %(count)s day, %(span)s.",
                        "%(file)s (%(layout)s layout): %(count)s days, %(span)s.", self.days)
        currencies = ngettext("%(count)s currency.", "%(count)s currencies.", len(self.currencies))
        rates = (gettext("Rates: %(created)s new, %(updated)s changed, %(unchanged)s already known (dry run: "
                         "nothing would be written).") if self.dry_run else
                 gettext("Rates: %(created)s new, %(updated)s changed, %(unchanged)s already known (written)."))
        out = [
            days % {"file": name, "layout": self.layout, "count": self.days, "span": span} + " "
            + currencies % {"count": len(self.currencies)},
            rates % {"created": self.created, "updated": self.updated, "unchanged": self.unchanged},
        ]
        if self.missing_cells:
            out.append(ngettext("%(count)s cell marked N/A or empty: no rate that day, none stored.",
                                "%(count)s cells marked N/A or empty: no rate that day, none stored.",
                                self.missing_cells) % {"count": self.missing_cells})
        for code, reason in sorted(self.skipped_columns.items()):
            out.append(gettext("Column %(code)s skipped: %(reason)s.") % {"code": code, "reason": gettext(reason)})
        return out


class RatesFileRefused(ServiceError):
    """An ECB file with problems: nothing was written. ``report`` lists every problem by row and column."""

    def __init__(self, report: RatesReport) -> None:
        self.report = report
        messages = [str(error) for error in report.errors]
        if report.errors_truncated:
            messages.append(f"(only the first {len(report.errors)} problems are listed)")
        super().__init__({"file": messages})


def read_upload(upload: Any, *, field: str = "file") -> bytes:
    """The bytes of an uploaded file, refused beyond ``MAX_UPLOAD_BYTES`` without reading more than one byte past
    the limit (a declared size over it is refused unread)."""
    limit = settings.MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise ServiceError(gettext("The file is %(size)s bytes; the limit is %(limit)s.")
                           % {"size": f"{size:,}", "limit": f"{limit:,}"}, field=field)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ServiceError(gettext("The file is larger than the limit of %(limit)s bytes.") % {"limit": f"{limit:,}"},
                           field=field)
    return bytes(content)


def _check_size(content: bytes, *, field: str = "file") -> None:
    limit = settings.MAX_UPLOAD_BYTES
    if len(content) > limit:
        raise ServiceError(gettext("The file is %(size)s bytes; the limit is %(limit)s.")
                           % {"size": f"{len(content):,}", "limit": f"{limit:,}"}, field=field)
    if not content.strip():
        raise ServiceError(gettext("The file is empty."), field=field)


@transaction.atomic
def import_ecb_rates(*, actor: Any, content: bytes, filename: str = "", dry_run: bool = False) -> RatesReport:
    """Import the ECB's reference rates from ``eurofxref.csv`` (daily) or ``eurofxref-hist.csv`` (history), as
    the CSV or as the zip the ECB serves it in.

    All or nothing: any unreadable cell refuses the whole file (:class:`RatesFileRefused`, naming row, column
    and value) and nothing is written. Idempotent: a rate already stored with the same value is left alone; a
    different value for the same currency and day is changed. Each day of the file that creates or changes a rate
    is one audit event (``exchange_rate.import``) naming them. ``dry_run`` checks and counts, and writes nothing.
    """
    _require_rate_writer(actor)
    _check_size(content)
    if ecb.is_zip(content):
        try:
            member, content = ecb.unzip(content, limit=settings.MAX_UPLOAD_BYTES)
        except ValueError as exc:
            raise ServiceError(f"{filename or 'The file'}: {exc}", field="file") from None
        filename = f"{filename} ({member})" if filename else member
    parsed = ecb.parse(content)
    today = clock.today()
    for row, day, _rates in parsed.days:
        if day > today:
            parsed.error(row, "Date", day.isoformat(),
                         f"is after today ({today:%Y-%m-%d}); a reference rate is published for a day that has begun.")
    report = RatesReport(filename=filename, layout=parsed.layout, dry_run=dry_run, currencies=parsed.currencies,
                         missing_cells=parsed.missing_cells, skipped_columns=parsed.skipped_columns,
                         errors=parsed.errors, errors_truncated=parsed.truncated)
    if not report.ok:
        raise RatesFileRefused(report)
    dates = [day for _, day, _ in parsed.days]
    report.days, report.first_date, report.last_date = len(dates), min(dates), max(dates)
    stored = {
        (rate.currency, rate.date): rate
        for rate in ExchangeRate.objects.select_for_update().filter(
            currency__in=parsed.currencies, date__gte=report.first_date, date__lte=report.last_date)
    }
    changes: list[DayChanges] = []
    for _, day, rates in sorted(parsed.days, key=lambda entry: entry[1]):
        new: list[ExchangeRate] = []
        changed: list[tuple[ExchangeRate, Decimal]] = []  # (rate with its new value, the value it had)
        for currency, per_euro in rates.items():
            existing = stored.get((currency, day))
            if existing is None:
                new.append(ExchangeRate(currency=currency, date=day, per_euro=per_euro, source=ExchangeRate.Source.ECB))
            elif existing.per_euro == per_euro:
                report.unchanged += 1
            else:
                changed.append((existing, existing.per_euro))
                existing.per_euro, existing.source = per_euro, ExchangeRate.Source.ECB
        report.created += len(new)
        report.updated += len(changed)
        if new or changed:
            changes.append((day, new, changed))
    if not dry_run:
        _write_imported_days(actor, changes, filename)
    return report


def _write_imported_days(actor: Any, changes: list[DayChanges], filename: str) -> None:
    """Write an import: one audit event per day of the file that changed anything (a row of the ECB's table, as
    an importer writes one event per row), naming each rate it created or changed.

    The full ECB history holds some 190,000 rates: with an event per rate its import took three minutes, with an
    event per day well under one, and the trail tells the same story. A rate's page shows the events of its day
    (``rate_history``). The parser checked every value against the model's rules (code, sign, digits) and the
    stored rates were read under lock, so the new rows go in together.
    """
    created = ExchangeRate.objects.bulk_create([rate for _, new, _ in changes for rate in new], batch_size=500)
    by_key = {(rate.currency, rate.date): rate for rate in created}
    ExchangeRate.objects.bulk_update([rate for _, _, changed in changes for rate, _ in changed],
                                     ["per_euro", "source"], batch_size=500)
    for day, new, changed in changes:
        after = {rate.currency: {"id": by_key[(rate.currency, rate.date)].pk, "per_euro": str(rate.per_euro)}
                 for rate in new}
        after.update({rate.currency: {"id": rate.pk, "per_euro": str(rate.per_euro)} for rate, _ in changed})
        record_event(
            actor=actor, action="exchange_rate.import", object_type=ExchangeRate._meta.label_lower,
            object_id=day.isoformat(), object_repr=f"ECB reference rates of {day:%Y-%m-%d}",
            before={rate.currency: {"id": rate.pk, "per_euro": str(old)} for rate, old in changed} or None,
            after={"date": day.isoformat(), "source": ExchangeRate.Source.ECB, "file": filename[:200],
                   "rates": dict(sorted(after.items()))},
        )


def rate_history(rate: ExchangeRate) -> Any:
    """The audit events about ``rate``: its own (entered or corrected by hand) and the imports of its day that
    created or changed it, newest first."""
    own = Q(object_type=ExchangeRate._meta.label_lower, object_id=str(rate.pk))
    imported = Q(action="exchange_rate.import", object_id=rate.date.isoformat(),
                 after__rates__has_key=rate.currency)
    return AuditEvent.objects.filter(own | imported).order_by("-seq")
