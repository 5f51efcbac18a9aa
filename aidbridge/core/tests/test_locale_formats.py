"""Dates, numbers and money follow the active language (docs/translation.md).

Separators come from Django's own locale formats: English groups with "," and marks decimals with ".";
Ukrainian groups with a no-break space and marks decimals with ","; Indonesian groups with "." and marks
decimals with ",". The money filter also places the currency code the locale's way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from aidbridge.core.templatetags.aidbridge import cell, money
from aidbridge.core.views import Column

NB = "\u00a0"  # no-break space: between the code and the amount, and Ukrainian's thousands separator


@pytest.mark.parametrize(("language", "amount", "currency", "expected"), [
    ("en-gb", Decimal("1234.5"), "EUR", f"EUR{NB}1,234.50"),
    ("uk", Decimal("1234.5"), "EUR", f"1{NB}234,50{NB}EUR"),
    ("id", Decimal("1234.5"), "EUR", f"EUR{NB}1.234,50"),
    # rounded to the cent half away from zero, not cut
    ("en-gb", Decimal("0.005"), "USD", f"USD{NB}0.01"),
    ("en-gb", Decimal("-1234.565"), "USD", f"USD{NB}-1,234.57"),
    ("uk", Decimal("-1234.565"), "USD", f"-1{NB}234,57{NB}USD"),
    ("en-gb", Decimal("2.675"), "GBP", f"GBP{NB}2.68"),  # a float would make it 2.67
    # never "-0.00"
    ("en-gb", Decimal("-0.004"), "EUR", f"EUR{NB}0.00"),
    ("id", Decimal("-0.004"), "EUR", f"EUR{NB}0,00"),
    # zero, whole numbers, floats, text, scientific notation, the largest amounts
    ("en-gb", 0, "EUR", f"EUR{NB}0.00"),
    ("id", 1000000, "IDR", f"IDR{NB}1.000.000,00"),
    ("en-gb", 999.995, "EUR", f"EUR{NB}1,000.00"),
    ("uk", "1e3", "EUR", f"1{NB}000,00{NB}EUR"),
    ("uk", Decimal("1000000000.999"), "UAH", f"1{NB}000{NB}000{NB}001,00{NB}UAH"),
    ("en-gb", Decimal("999999999999.99"), "EUR", f"EUR{NB}999,999,999,999.99"),
    # no currency: the amount alone
    ("uk", Decimal("12.3"), "", "12,30"),
])
def test_money_follows_the_locale(language, amount, currency, expected):
    with translation.override(language):
        assert money(amount, currency) == expected


@pytest.mark.parametrize("value", [None, ""])
def test_no_amount_is_shown_as_nothing(value):
    assert money(value, "EUR") == ""


@pytest.mark.parametrize("value", ["abc", Decimal("NaN"), Decimal("Infinity")])
def test_what_is_not_an_amount_is_shown_as_it_is(value):
    assert money(value, "EUR") == str(value)


def test_the_filter_in_a_template():
    template = Template("{% load aidbridge %}{{ amount|money:currency }}")
    with translation.override("uk"):
        assert template.render(Context({"amount": Decimal("98765.4"), "currency": "EUR"})) == f"98{NB}765,40{NB}EUR"


@pytest.mark.parametrize(("language", "expected"), [
    ("en-gb", f"USD{NB}1,250,000.00"), ("uk", f"1{NB}250{NB}000,00{NB}USD"), ("id", f"USD{NB}1.250.000,00"),
])
def test_a_money_column_uses_the_filter(language, expected):
    row = SimpleNamespace(total_value=Decimal("1250000"), currency="USD")
    with translation.override(language):
        assert cell(row, Column("Value", "total_value", "money")) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en-gb", "1,234.125"), ("uk", f"1{NB}234,125"), ("id", "1.234,125"),
])
def test_a_number_column_keeps_its_decimals_in_the_locales_separators(language, expected):
    row = SimpleNamespace(weight=Decimal("1234.12500"))
    with translation.override(language):
        assert cell(row, Column("Weight", "weight", "number")) == expected


@pytest.mark.parametrize(("language", "day", "moment"), [
    ("en-gb", "29 Feb 2028", "31 Dec 2027 23:59"),
    ("uk", "29 лютого 2028 р.", "31 грудня 2027 р. 23:59"),
    ("id", "29 Feb. 2028", "31 Des. 2027 23:59"),
])
def test_date_columns_use_the_locales_date_format(language, day, moment):
    row = SimpleNamespace(day=dt.date(2028, 2, 29), at=dt.datetime(2027, 12, 31, 23, 59, tzinfo=dt.UTC))
    with translation.override(language):
        assert f'<time datetime="2028-02-29">{day}</time>' == cell(row, Column("Day", "day", "date"))
        assert f">{moment}</time>" in cell(row, Column("At", "at", "datetime"))
