"""Amounts in the reporting currency, through dated exchange rates.

Every total across currencies is shown in one reporting currency (``settings.REPORTING_CURRENCY``, EUR unless
``AIDBRIDGE_REPORTING_CURRENCY`` says otherwise). A rate is the ECB's: units of a currency per euro on a date.
An amount in currency A on date d becomes ``amount / per_euro(A) × per_euro(R)``, each rate the latest one
known on or before d. The euro's rate is 1 on every date.

- Every converted figure names its rate date: for a total, the oldest rate date it used.
- A missing rate is missing, never zero: :class:`Total` keeps what it could not convert, by currency, and
  templates show it beside the converted figure.

:class:`Rates` loads each currency's history once (a few thousand rows at most) so that converting thousands of
amounts costs no query each.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings

from aidbridge.catalogue.models import ExchangeRate
from aidbridge.core import clock

EURO = "EUR"
CENT = Decimal("0.01")


def reporting_currency() -> str:
    return str(getattr(settings, "REPORTING_CURRENCY", EURO) or EURO)


@dataclass(frozen=True)
class Converted:
    """An amount in the reporting currency and the date of the rate that made it."""

    amount: Decimal
    currency: str
    rate_date: dt.date | None  # None when no conversion was needed (same currency)


@dataclass
class Total:
    """A sum in the reporting currency, with the rate date it rests on and what could not be converted."""

    currency: str
    amount: Decimal = Decimal("0")
    rate_date: dt.date | None = None  # the oldest rate used; None if every amount was already in ``currency``
    missing: dict[str, Decimal] = field(default_factory=dict)  # currency → unconverted sum (no rate known)
    count: int = 0

    def add(self, converted: Converted | None, amount: Decimal, currency: str) -> None:
        self.count += 1
        if converted is None:
            self.missing[currency] = self.missing.get(currency, Decimal("0")) + amount
            return
        self.amount += converted.amount
        if converted.rate_date is not None and (self.rate_date is None or converted.rate_date < self.rate_date):
            self.rate_date = converted.rate_date

    def merge(self, other: Total) -> None:
        self.amount += other.amount
        self.count += other.count
        for currency, amount in other.missing.items():
            self.missing[currency] = self.missing.get(currency, Decimal("0")) + amount
        if other.rate_date is not None and (self.rate_date is None or other.rate_date < self.rate_date):
            self.rate_date = other.rate_date

    @property
    def complete(self) -> bool:
        return not self.missing

    def rounded(self) -> Decimal:
        return self.amount.quantize(CENT, rounding=ROUND_HALF_EVEN)

    def as_dict(self) -> dict[str, object]:
        return {
            "amount": str(self.rounded()),
            "currency": self.currency,
            "rate_date": self.rate_date.isoformat() if self.rate_date else None,
            "missing": {c: str(a) for c, a in sorted(self.missing.items())},
        }


class Rates:
    """Every stored rate, loaded once, for converting many amounts into ``target``.

    ``Rates()`` converts into the reporting currency; pass ``target`` for another.
    """

    def __init__(self, target: str | None = None, currencies: Iterable[str] | None = None) -> None:
        self.target = target or reporting_currency()
        rows = ExchangeRate.objects.order_by("currency", "date").values_list("currency", "date", "per_euro")
        if currencies is not None:
            rows = rows.filter(currency__in={*currencies, self.target})
        self._dates: dict[str, list[dt.date]] = {}
        self._values: dict[str, list[Decimal]] = {}
        for currency, date, per_euro in rows:
            self._dates.setdefault(currency, []).append(date)
            self._values.setdefault(currency, []).append(per_euro)

    def per_euro(self, currency: str, on: dt.date) -> tuple[Decimal, dt.date | None] | None:
        """The latest rate of ``currency`` on or before ``on`` and its date; the euro is (1, None)."""
        if currency == EURO:
            return Decimal("1"), None
        dates = self._dates.get(currency)
        if not dates:
            return None
        i = bisect.bisect_right(dates, on) - 1
        if i < 0:
            return None
        return self._values[currency][i], dates[i]

    def convert(self, amount: Decimal, currency: str, on: dt.date | None = None) -> Converted | None:
        """``amount`` of ``currency`` in the target currency at the rates known on ``on`` (today by default)."""
        on = on or clock.today()
        amount = Decimal(amount)
        if currency == self.target:
            return Converted(amount, self.target, None)
        source = self.per_euro(currency, on)
        target = self.per_euro(self.target, on)
        if source is None or target is None:
            return None
        dates = [d for d in (source[1], target[1]) if d is not None]
        return Converted(amount / source[0] * target[0], self.target, min(dates) if dates else None)

    def total(self, amounts: Iterable[tuple[Decimal, str]], on: dt.date | None = None) -> Total:
        """The sum of ``(amount, currency)`` pairs in the target currency, all at the rates known on ``on``."""
        on = on or clock.today()
        out = Total(self.target)
        for amount, currency in amounts:
            out.add(self.convert(amount, currency, on), Decimal(amount), currency)
        return out


def convert(amount: Decimal, currency: str, on: dt.date | None = None, target: str | None = None) -> Converted | None:
    """One conversion (a query per call); use :class:`Rates` for many."""
    return Rates(target, currencies=[currency]).convert(amount, currency, on)
