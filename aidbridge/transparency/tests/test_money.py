"""/transparency/ and its CSV: values in the reporting currency naming the rate date, missing rates shown as
missing, and the public, disclosed financial pledges counted (see ``aidbridge.whatif.tests.money_world``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.test import Client

from aidbridge.pledges import services as pledges
from aidbridge.transparency.aggregates import csv_rows, summarise
from aidbridge.whatif.tests import money_world


def _csv() -> list[dict[str, str]]:
    response = Client().get("/transparency/aidbridge-transparency.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_only_public_disclosed_financial_pledges_count(world, personas):
    money_world.build(personas)
    summary = summarise()
    # Released: the US million (committed) and Germany's pounds (announced); not the coalition, the not yet
    # disclosed or the withdrawn ones.
    assert summary.financial_total.pledges == 2
    assert {r.key: r.pledges for r in summary.financial_by_status} == {"announced": 1, "committed": 1, "disbursed": 0}
    assert summary.financial_total.value.amount == Decimal("800000")  # 1,000,000 USD at 1.25
    assert summary.financial_total.value.missing == {"GBP": Decimal("300000")}
    assert [r.key for r in summary.financial_by_donor] == ["us-dod", "de-mod"]
    # In kind: the US generators, 2,250,000 USD = 1,800,000 EUR.
    assert summary.total.value.amount == Decimal("1800000") and summary.total.value.missing == {}
    assert summary.rate_date == dt.date(2026, 3, 6) and summary.currency == "EUR"


def test_the_csv_has_values_in_the_reporting_currency_and_the_financial_rows(world, personas):
    money_world.build(personas)
    rows = _csv()
    assert list(rows[0])[-3:] == ["value_EUR", "value_rate_date", "value_not_converted"]
    total = next(r for r in rows if r["dimension"] == "total")
    assert (total["value_EUR"], total["value_rate_date"], total["value_not_converted"]) == (
        "1800000.00", "2026-03-06", "")
    by_status = {r["key"]: r for r in rows if r["dimension"] == "financial_status"}
    assert (by_status["committed"]["pledges"], by_status["committed"]["value_EUR"]) == ("1", "800000.00")
    # Pounds without a rate: no figure in euros (never 0.00), the amount kept apart.
    assert (by_status["announced"]["value_EUR"], by_status["announced"]["value_not_converted"]) == (
        "", "GBP 300000.00")
    donors = {r["key"]: r for r in rows if r["dimension"] == "financial_donor"}
    assert set(donors) == {"us-dod", "de-mod"} and donors["de-mod"]["units"] == ""
    assert next(r for r in rows if r["dimension"] == "financial_total")["pledges"] == "2"


def test_no_unreleased_financial_pledge_changes_any_number(world, personas):
    made = money_world.build(personas)
    before = csv_rows(summarise())
    pledges.update_financial_pledge(actor=personas.donor_us, pledge=made.us_later,  # public only next year
                                    changes={"amount": Decimal("7")})
    pledges.commit_financial_pledge(actor=personas.donor_us, pledge=made.us_later)
    pledges.create_financial_pledge(actor=personas.donor_us, amount=Decimal("9"), currency="JPY",
                                    pledged_on=dt.date(2026, 3, 1), releasability="coordinators")
    assert csv_rows(summarise()) == before


def test_the_page_names_the_rate_date_and_what_was_not_converted(world, personas):
    money_world.build(personas)
    page = Client().get("/transparency/").content.decode()
    assert "Values are in EUR, converted at the exchange rates known on 11 March 2026" in page
    assert "the oldest rate used is of 6 March 2026" in page
    assert "800,000 EUR + 300,000 GBP not converted (no rate)" in page
    assert "1,800,000 EUR" in page


def test_without_a_rate_the_value_is_missing_not_zero(world, personas):
    page = Client().get("/transparency/").content.decode()
    assert "2,250,000 USD not converted (no rate)" in page
    assert "0 EUR" not in page
    total = next(r for r in _csv() if r["dimension"] == "total")
    assert (total["value_EUR"], total["value_not_converted"]) == ("", "USD 2250000.00")
