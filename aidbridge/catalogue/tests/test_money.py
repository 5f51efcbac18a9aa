"""Conversion into the reporting currency (``aidbridge.catalogue.money``): properties and awkward dates.

- converting A → B → A gives back the amount, within the rounding of 28-digit decimals;
- a currency without a rate (on or before the day) is missing, never zero;
- the rate used is the latest one on or before the day, and a figure names that rate's date;
- 29 February and the turn of the year are days like any other.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.catalogue.models import ExchangeRate
from aidbridge.catalogue.money import Rates, Total, convert

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CURRENCIES = ("USD", "GBP", "JPY", "CAD", "PLN")
rates_ = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4, allow_nan=False)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000000"), places=2, allow_nan=False)
days = st.dates(min_value=dt.date(1999, 1, 4), max_value=dt.date(2030, 12, 31))


def store(rows: list[tuple[str, dt.date, Decimal]]) -> None:
    ExchangeRate.objects.all().delete()
    ExchangeRate.objects.bulk_create([ExchangeRate(currency=c, date=d, per_euro=r) for c, d, r in rows])


@PROPERTY
@given(a=st.sampled_from(CURRENCIES), b=st.sampled_from(("EUR", *CURRENCIES)), rate_a=rates_, rate_b=rates_,
       amount=amounts, day=days)
def test_a_round_trip_gives_the_amount_back_within_rounding(db, a, b, rate_a, rate_b, amount, day):
    store([(a, day, rate_a)] + ([(b, day, rate_b)] if b not in ("EUR", a) else []))
    there = Rates(target=b).convert(amount, a, day)
    assert there is not None
    back = Rates(target=a).convert(there.amount, b, day)
    assert back is not None
    assert abs(back.amount - amount) <= amount * Decimal("1e-24") + Decimal("1e-24")
    assert back.amount.quantize(Decimal("0.01")) == amount
    if a != b:
        assert there.rate_date == day


@PROPERTY
@given(history=st.dictionaries(days, rates_, min_size=1, max_size=12), day=days, amount=amounts)
def test_the_rate_used_is_the_latest_on_or_before_the_day(db, history, day, amount):
    store([("USD", d, r) for d, r in history.items()])
    earlier = [d for d in history if d <= day]
    converted = Rates(target="EUR").convert(amount, "USD", day)
    if not earlier:
        assert converted is None  # no rate known yet that day: missing, not zero
        return
    used = max(earlier)
    assert converted is not None and converted.rate_date == used
    assert converted.amount == amount / history[used]


@PROPERTY
@given(amount=amounts, day=days, known=rates_)
def test_a_currency_without_a_rate_is_missing_never_zero(db, amount, day, known):
    store([("USD", day, known)])
    rates = Rates(target="EUR")
    assert rates.convert(amount, "GBP", day) is None
    total = rates.total([(amount, "GBP"), (amount, "USD"), (Decimal("5"), "EUR")], day)
    assert total.missing == {"GBP": amount} and not total.complete
    assert total.amount == amount / known + 5 and total.rate_date == day and total.count == 3
    # The reporting currency itself has no rate here: nothing can be converted into it but itself.
    assert Rates(target="GBP").convert(amount, "USD", day) is None
    assert Rates(target="GBP").convert(amount, "GBP", day).amount == amount


def test_29_february_and_the_turn_of_the_year(db):
    store([("USD", dt.date(2024, 2, 28), Decimal("1.0800")), ("USD", dt.date(2024, 2, 29), Decimal("1.0900")),
           ("USD", dt.date(2025, 12, 31), Decimal("1.1700")), ("GBP", dt.date(2025, 12, 30), Decimal("0.8700"))])
    rates = Rates(target="EUR")
    assert rates.convert(Decimal("109"), "USD", dt.date(2024, 2, 29)).amount == Decimal("100")
    # 1 March 2024 and every day until the next rate use the rate of 29 February.
    for day in (dt.date(2024, 3, 1), dt.date(2024, 12, 31), dt.date(2025, 2, 28)):
        assert rates.convert(Decimal("109"), "USD", day).rate_date == dt.date(2024, 2, 29)
    assert rates.convert(Decimal("108"), "USD", dt.date(2024, 2, 28)).amount == Decimal("100")
    # New Year's Day has no rate (the ECB does not publish one): New Year's Eve's stands.
    assert rates.convert(Decimal("117"), "USD", dt.date(2026, 1, 1)).rate_date == dt.date(2025, 12, 31)
    # Between two other currencies, through the euro: the figure names the older of the two rates it used.
    cross = Rates(target="GBP").convert(Decimal("117"), "USD", dt.date(2026, 1, 1))
    assert cross.amount == Decimal("87") and cross.rate_date == dt.date(2025, 12, 30)
    assert rates.convert(Decimal("1"), "USD", dt.date(2024, 2, 27)) is None


def test_a_total_across_currencies_names_its_oldest_rate_date(db):
    store([("USD", dt.date(2026, 3, 6), Decimal("1.25")), ("GBP", dt.date(2026, 3, 2), Decimal("0.8"))])
    total = Rates(target="EUR").total(
        [(Decimal("125"), "USD"), (Decimal("80"), "GBP"), (Decimal("10"), "EUR")], dt.date(2026, 3, 10))
    assert (total.amount, total.rate_date, total.complete) == (Decimal("210"), dt.date(2026, 3, 2), True)
    assert total.as_dict() == {"amount": "210.00", "currency": "EUR", "rate_date": "2026-03-02", "missing": {}}
    other = Total("EUR")
    other.add(None, Decimal("3"), "JPY")
    total.merge(other)
    assert total.missing == {"JPY": Decimal("3")} and total.count == 4


def test_one_conversion_and_the_reporting_currency_setting(db, settings):
    store([("USD", dt.date(2026, 3, 6), Decimal("1.25"))])
    assert convert(Decimal("125"), "USD", dt.date(2026, 3, 6)).amount == Decimal("100")
    settings.REPORTING_CURRENCY = "USD"
    converted = convert(Decimal("100"), "EUR", dt.date(2026, 3, 9))
    assert (converted.amount, converted.currency, converted.rate_date) == (Decimal("125"), "USD", dt.date(2026, 3, 6))


@pytest.mark.parametrize("day", [dt.date(2026, 3, 11), None])
def test_today_is_the_default_day(db, day):
    store([("USD", dt.date(2026, 3, 11), Decimal("2")), ("USD", dt.date(2026, 3, 12), Decimal("4"))])
    assert Rates(target="EUR").convert(Decimal("10"), "USD", day).amount == Decimal("5")
