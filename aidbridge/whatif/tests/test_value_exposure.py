"""Exposure "by value": every value converted into the reporting currency, financial pledges counted, a missing
rate left out and said so, never counted as zero (see ``money_world`` for the figures)."""

from __future__ import annotations

import pytest

from aidbridge.whatif import queries
from aidbridge.whatif.tests import money_world

DE = "Germany — Federal Ministry of Defence"
US = "United States — Department of Defense"


def test_values_are_converted_and_financial_pledges_counted(world, personas):
    money_world.build(personas)
    tables = queries.concentration_tables(personas.coordinator)
    (gen,) = [row for row in tables["item"] if row["group"] == "GEN-100KW"]
    # Germany 70 × 45,000 EUR = 3,150,000; the US 50 × 45,000 USD at 1.25 USD per EUR = 1,800,000 EUR.
    value = gen["value"]
    assert value["currency"] == "EUR" and value["rate_date"] == "2026-03-06"
    assert value["total"] == pytest.approx(4_950_000)
    assert value["top"] == DE and value["top_share"] == pytest.approx(3_150_000 / 4_950_000)
    # The financial pledges form their own group of the supply class table: the withdrawn one is left out and
    # the pounds have no rate. US 6,000,000 USD = 4,800,000 EUR; Germany 2,000,000 EUR.
    (financial,) = [row for row in tables["class"] if row["group"] == queries.FINANCIAL]
    assert financial["label"] == "Financial (money)" and financial["donors"] == 2
    assert financial["units"]["hhi"] is None and financial["points"]["hhi"] is None
    assert financial["value"]["total"] == pytest.approx(6_800_000)
    assert financial["value"]["top"] == US
    assert financial["value"]["hhi"] == pytest.approx((4.8 / 6.8) ** 2 + (2 / 6.8) ** 2)
    # What had no rate is named, by currency and pledge count, on every row's value measure.
    assert (value["excluded"], value["not_converted"]) == (1, {"GBP": "300000.00"})
    assert financial["value"]["not_converted"] == {"GBP": "300000.00"}
    assert not any(row["group"] == queries.FINANCIAL for row in tables["item"] + tables["package"])


def test_without_rates_other_currencies_are_left_out_and_said_so(world, personas):
    tables = queries.concentration_tables(personas.coordinator)
    (gen,) = [row for row in tables["item"] if row["group"] == "GEN-100KW"]
    assert gen["value"]["total"] == pytest.approx(3_150_000)  # Germany's euros only
    assert gen["value"]["rate_date"] is None  # nothing needed converting
    assert gen["value"]["excluded"] == 1 and gen["value"]["not_converted"] == {"USD": "2250000.00"}


def test_the_exposure_page_names_the_rate_date_and_what_was_left_out(world, personas, login):
    money_world.build(personas)
    page = login(personas.coordinator).get("/whatif/exposure/").content.decode()
    assert "in EUR at the exchange rates known today, the oldest of 2026-03-06" in page
    assert "1 pledge in a currency without a rate (300000.00 GBP) is left out, not counted as zero" in page
    assert "Financial (money)" in page
