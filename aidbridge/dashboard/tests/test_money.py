"""The dashboard's money: one reporting currency naming its rate date, a missing rate shown as missing (never as
zero), and financial pledges counted by status (see ``aidbridge.whatif.tests.money_world`` for the figures)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from aidbridge.dashboard.views import dashboard_context
from aidbridge.whatif.tests import money_world

DE = "Germany — Federal Ministry of Defence"
US = "United States — Department of Defense"


def _values(context):
    return {row.name: (row.in_kind.amount, row.financial.amount, row.total.missing) for row in context["value_rows"]}


def test_values_are_in_the_reporting_currency_with_financial_pledges(world, personas):
    money_world.build(personas)
    context = dashboard_context(personas.coordinator)
    assert context["reporting_currency"] == "EUR"
    # US: 2,250,000 USD in kind = 1,800,000 EUR, and the kits 600,000 EUR; 6,000,000 USD of money = 4,800,000 EUR.
    # Germany: 70 generators × 45,000 EUR; money 2,000,000 EUR, the pounds have no rate, the withdrawn is left out.
    assert _values(context) == {
        US: (Decimal("2400000"), Decimal("4800000"), {}),
        DE: (Decimal("3150000"), Decimal("2000000"), {"GBP": Decimal("300000")}),
    }
    assert [row.name for row in context["value_rows"]] == [US, DE]  # largest first
    assert context["value_total"].rate_date == dt.date(2026, 3, 6)
    assert context["value_total"].missing == {"GBP": Decimal("300000")}


def test_financial_pledges_are_counted_by_status(world, personas):
    money_world.build(personas)
    rows = {row.status: row for row in dashboard_context(personas.coordinator)["financial"]}
    assert {s: r.count for s, r in rows.items()} == {"announced": 2, "committed": 1, "disbursed": 1, "withdrawn": 1}
    assert rows["committed"].value.amount == Decimal("800000")
    assert rows["announced"].value.amount == Decimal("4000000")
    assert rows["announced"].value.missing == {"GBP": Decimal("300000")}
    assert rows["disbursed"].value.amount == Decimal("2000000")


def test_a_donor_counts_what_it_sees_and_values_what_is_released_to_it(world, personas):
    money_world.build(personas)
    context = dashboard_context(personas.donor_us)
    rows = {row.status: row for row in context["financial"]}
    # The US sees its own two, Germany's coalition pledges (counted, value withheld) and its public pounds.
    assert {s: r.count for s, r in rows.items()} == {"announced": 2, "committed": 1, "disbursed": 1, "withdrawn": 1}
    assert rows["disbursed"].value.count == 0 and rows["disbursed"].value.amount == 0
    values = _values(context)
    assert values[DE] == (Decimal("0"), Decimal("0"), {"GBP": Decimal("300000")})
    outsider = dashboard_context(personas.outsider)
    assert {r.status: r.count for r in outsider["financial"]} == {
        "announced": 1, "committed": 1, "disbursed": 0, "withdrawn": 0}


def test_the_page_names_the_rate_date_and_shows_missing_rates_as_missing(world, personas, login):
    money_world.build(personas)
    page = login(personas.coordinator).get("/").content.decode()
    assert "in EUR, at the exchange rates known on 11 Mar 2026 (the oldest rate used is of 6 Mar 2026)" in page
    assert "Not converted, no exchange rate known: 300,000 GBP." in page
    assert "4,800,000" in page  # the US money, converted
    start = page.index('id="financial-heading"')
    card = page[start:page.index("</section>", start)]
    assert "Financial pledges by status" in card and "800,000 EUR (rates of 6 Mar 2026)" in card
    assert "300,000 GBP not converted (no rate)" in card


def test_without_any_rate_nothing_reads_as_zero(world, personas, login):
    page = login(personas.donor_us).get("/").content.decode()
    assert "Not converted, no exchange rate known: 2,250,000 USD." in page
    start = page.index('id="value-heading"')
    section = page[start:page.index("</section>", start)]
    assert ">0<" not in section
