"""Financial pledges as a specification: every persona × every page and endpoint, UI and API.

Four financial pledges mirror the in-kind ones of ``test_releasability_matrix``: C = donor-de, coalition;
K = donor-de, coordinators only; P = donor-us, public and disclosed since yesterday; L = donor-us, public from
next year. Who sees which at which tier is the same table (releasability is one rule); what each tier shows
differs: the amount is the value, withheld in the ``coalition`` tier; the exact pledge date (its month shows),
the status date, the disclosure date, the source's identifier, notes and timestamps are withheld below ``full``.

Pages: the list, each detail, the add and edit forms and the three transitions, as every persona, with the
status each gets (200, 302 after a change, 403, 404, or the login page).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings

from aidbridge.audit.models import AuditEvent
from aidbridge.core import clock
from aidbridge.core.templatetags.aidbridge import money as money_filter
from aidbridge.core.tests.api_helpers import as_user
from aidbridge.pledges import services
from aidbridge.pledges.models import FinancialPledge
from aidbridge.pledges.releasability import MONEY_ALL_FIELDS

FULL, PUBLIC, COALITION = "full", "public", "coalition"
PERSONAS = ("coordinator", "donor_de", "donor_us", "recipient", "hub_pl", "auditor", "outsider", "anonymous")
CODES = ("C", "K", "P", "L")

VISIBLE: dict[str, dict[str, str]] = {
    "coordinator": {"C": FULL, "K": FULL, "P": FULL, "L": FULL},
    "auditor":     {"C": FULL, "K": FULL, "P": FULL, "L": FULL},
    "donor_de":    {"C": FULL, "K": FULL, "P": PUBLIC, "L": COALITION},
    "donor_us":    {"C": COALITION, "P": FULL, "L": FULL},
    "recipient":   {"C": COALITION, "P": PUBLIC, "L": COALITION},
    "hub_pl":      {"C": COALITION, "P": PUBLIC, "L": COALITION},
    "outsider":    {"P": PUBLIC},
    "anonymous":   {},
}
ALWAYS_WITHHELD = {"pledged_on", "status_date", "disclosure_date", "external_id", "notes", "created_at",
                   "updated_at"}
REDACTED = {FULL: set(), PUBLIC: ALWAYS_WITHHELD, COALITION: ALWAYS_WITHHELD | {"amount", "currency"}}
OWNERS = {"C": "donor_de", "K": "donor_de", "P": "donor_us", "L": "donor_us"}
AMOUNTS = {"C": Decimal("2500000.00"), "K": Decimal("730000.00"), "P": Decimal("1250000.50"), "L": Decimal("98000.00")}


def note(code: str) -> str:
    return f"confidential-money-{code}"


@pytest.fixture
def money(world, personas):
    today = clock.today()
    pledged = today - dt.timedelta(days=9)
    common = {"pledged_on": pledged, "sector": "72010", "recipient_country": "UA"}
    made = {
        "C": services.create_financial_pledge(
            actor=personas.donor_de, amount=AMOUNTS["C"], currency="EUR", releasability="coalition",
            purpose="Winter fuel programme", notes=note("C"), external_id="XM-DAC-5-C-1", **common),
        "K": services.create_financial_pledge(
            actor=personas.donor_de, amount=AMOUNTS["K"], currency="USD", releasability="coordinators",
            purpose="Demining fund", notes=note("K"), **common),
        "P": services.create_financial_pledge(
            actor=personas.donor_us, amount=AMOUNTS["P"], currency="USD", releasability="public",
            disclosure_date=today - dt.timedelta(days=1), purpose="Field hospitals", notes=note("P"),
            status="committed", status_date=today - dt.timedelta(days=2), external_id="US-GOV-1-P-2", **common),
        "L": services.create_financial_pledge(
            actor=personas.donor_us, amount=AMOUNTS["L"], currency="USD", releasability="public",
            disclosure_date=today + dt.timedelta(days=365), purpose="Water repairs", notes=note("L"), **common),
    }
    return made


def user_of(personas, persona):
    return None if persona == "anonymous" else getattr(personas, persona)


CASES = [(persona, code) for persona in PERSONAS for code in CODES]


# --- API ------------------------------------------------------------------------------------------------------

def assert_api_fields(body: dict, pledge: FinancialPledge, tier: str) -> None:
    expected = REDACTED[tier]
    assert set(body) == MONEY_ALL_FIELDS | {"redacted"}
    assert set(body["redacted"]) == expected
    assert {name for name in expected if body[name] is not None} == set()
    assert body["pledged_month"] == pledge.pledged_on.strftime("%Y-%m")
    assert (body["reference"], body["purpose"], body["sector"]) == (pledge.reference, pledge.purpose, "72010")
    if tier != COALITION:
        assert Decimal(body["amount"]) == pledge.amount and body["currency"] == pledge.currency
    if tier == FULL:
        assert (body["notes"], body["external_id"]) == (pledge.notes, pledge.external_id)
        assert body["pledged_on"] == pledge.pledged_on.isoformat()


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_list_shows_exactly_the_visible_pledges_and_fields(money, personas, persona):
    response = as_user(user_of(personas, persona)).get("/financial-pledges", {"limit": 100})
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200, response.content
    rows = {row["id"]: row for row in response.json()["items"]}
    assert set(rows) == {money[code].pk for code in VISIBLE[persona]}
    for code, tier in VISIBLE[persona].items():
        assert_api_fields(rows[money[code].pk], money[code], tier)


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_api_detail(money, personas, persona, code):
    pledge = money[code]
    response = as_user(user_of(personas, persona)).get(f"/financial-pledges/{pledge.pk}")
    tier = VISIBLE[persona].get(code)
    if persona == "anonymous":
        assert response.status_code == 401
    elif tier is None:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "errors": {}}
    else:
        assert response.status_code == 200
        assert_api_fields(response.json(), pledge, tier)


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_api_transitions_only_for_the_donors_and_the_cells_editors(money, personas, persona, code):
    pledge = money[code]
    api = as_user(user_of(personas, persona))  # making its token is audited: count after it
    before = AuditEvent.objects.count()
    response = api.post(f"/financial-pledges/{pledge.pk}/withdraw")
    if persona == "anonymous":
        assert response.status_code == 401
    elif code not in VISIBLE[persona]:
        assert response.status_code == 404
    elif persona in (OWNERS[code], "coordinator"):  # the cell records money on a donor's behalf
        assert response.status_code == 200 and response.json()["status"] == "withdrawn"
        assert AuditEvent.objects.count() == before + 1
        return
    else:
        assert response.status_code == 403
    assert AuditEvent.objects.count() == before
    assert FinancialPledge.objects.get(pk=pledge.pk).status == pledge.status


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_the_currency_filter_matches_only_amounts_the_user_sees(money, personas, persona):
    api = as_user(user_of(personas, persona))
    for currency in ("EUR", "USD"):
        got = {row["id"] for row in api.get("/financial-pledges", {"currency": currency}).json()["items"]}
        expected = {money[code].pk for code, tier in VISIBLE[persona].items()
                    if tier != COALITION and money[code].currency == currency}
        assert got == expected, (persona, currency)


def test_date_filters_compare_by_month_where_the_day_is_withheld(money, personas):
    p = money["P"]
    day = p.pledged_on

    def ids(user, **params):
        return {row["id"] for row in as_user(user).get("/financial-pledges", params).json()["items"]}

    if day.day < 28:
        later = day.replace(day=28)
        assert p.pk in ids(personas.recipient, pledged_after=later.isoformat())
        assert p.pk not in ids(personas.donor_us, pledged_after=later.isoformat())
    if day.day > 1:
        earlier = day.replace(day=1)
        assert p.pk in ids(personas.recipient, pledged_before=earlier.isoformat())
        assert p.pk not in ids(personas.donor_us, pledged_before=earlier.isoformat())
    next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    assert p.pk not in ids(personas.recipient, pledged_after=next_month.isoformat())


# --- UI -------------------------------------------------------------------------------------------------------

def shown_amount(pledge: FinancialPledge) -> str:
    return money_filter(pledge.amount, pledge.currency)  # as the pages write money ("EUR 2,500,000.00")


def row_of(html: str, reference: str) -> str:
    match = re.search(rf"<tr>(?:(?!</tr>).)*>{reference}<(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, f"{reference} not listed"
    return match.group(0)


def assert_ui_fields(html: str, pledge: FinancialPledge, tier: str, *, detail: bool) -> None:
    assert (shown_amount(pledge) in html) is (tier != COALITION)
    assert (f'datetime="{pledge.pledged_on.isoformat()}"' in html) is (tier == FULL)
    assert (f'datetime="{pledge.pledged_on:%Y-%m}"' in html) is (tier != FULL)
    # The list's withheld columns are the amount's (the date shows as a month); a detail page withholds more.
    assert ('class="badge withheld' in html) is (tier != FULL if detail else tier == COALITION)
    assert pledge.purpose in html and pledge.donor.name in html
    if detail:
        assert (pledge.notes in html) is (tier == FULL)
        assert (bool(pledge.external_id) and pledge.external_id in html) is (tier == FULL and bool(pledge.external_id))


@pytest.mark.parametrize("persona", PERSONAS)
def test_ui_list_shows_exactly_the_visible_pledges_and_fields(money, personas, login, persona):
    response = login(user_of(personas, persona)).get("/pledges/financial/")
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)
        return
    assert response.status_code == 200
    html = response.content.decode()
    listed = {code for code in CODES if f">{money[code].reference}<" in html}
    assert listed == set(VISIBLE[persona])
    for code, tier in VISIBLE[persona].items():
        assert_ui_fields(row_of(html, money[code].reference), money[code], tier, detail=False)
    # Tabs between the two kinds of pledge, the current one marked.
    assert 'href="/pledges/" >In kind' not in html
    assert re.search(r'<a href="/pledges/financial/" aria-current="page">Financial</a>', html)


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_ui_detail(money, personas, login, persona, code):
    pledge = money[code]
    response = login(user_of(personas, persona)).get(f"/pledges/financial/{pledge.pk}/")
    tier = VISIBLE[persona].get(code)
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)
    elif tier is None:
        assert response.status_code == 404
        assert pledge.purpose not in response.content.decode()
    else:
        assert response.status_code == 200
        assert_ui_fields(response.content.decode(), pledge, tier, detail=True)


# The pages a persona may reach, as (name, method, path, data): the path takes the pledge's id.
PAGES = [
    ("add form", "get", "/pledges/financial/add/", None),
    ("add", "post", "/pledges/financial/add/", {
        "amount": "1000.00", "currency": "EUR", "pledged_on": "2026-03-02", "sector": "", "purpose": "Matrix",
        "recipient_country": "", "releasability": "coalition", "disclosure_date": "", "notes": ""}),
    ("edit form", "get", "/pledges/financial/{pk}/edit/", None),
    ("edit", "post", "/pledges/financial/{pk}/edit/", {
        "amount": "1000.00", "currency": "EUR", "pledged_on": "2026-03-02", "sector": "", "purpose": "Edited",
        "recipient_country": "", "releasability": "coalition", "disclosure_date": "", "notes": ""}),
    ("commit", "post", "/pledges/financial/{pk}/commit/", {}),
    ("disburse", "post", "/pledges/financial/{pk}/disburse/", {}),
    ("withdraw", "post", "/pledges/financial/{pk}/withdraw/", {}),
]
DONORS = ("donor_de", "donor_us", "outsider")  # the outsider is a donor, outside the coalition


def expected_status(persona: str, page: str) -> int:
    """On donor-de's coalition pledge C: its editors and the cell's change it; donors may add their own, the cell
    for a donor it names (the form here names none: 422); others 403 or 404."""
    if persona == "anonymous":
        return 302
    if page.startswith("add"):
        if persona == "coordinator":
            return 422 if page == "add" else 200
        return (302 if page == "add" else 200) if persona in DONORS else 403
    if "C" not in VISIBLE[persona]:
        return 404
    if persona in ("donor_de", "coordinator"):
        return 200 if page == "edit form" else 302
    return 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p[0])
def test_every_page_as_every_persona(money, personas, login, persona, page):
    name, method, path, data = page
    pledge = money["C"]
    before = AuditEvent.objects.count()
    response = getattr(login(user_of(personas, persona)), method)(path.format(pk=pledge.pk), data or {})
    want = expected_status(persona, name)
    assert response.status_code == want, (persona, name, response.status_code)
    if persona == "anonymous":
        assert response["Location"].startswith(settings.LOGIN_URL)
    changed = AuditEvent.objects.count() - before
    assert changed == (1 if want == 302 and persona != "anonymous" else 0)
    if want in (403, 404):
        assert note("C") not in response.content.decode()


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_the_list_download_withholds_what_the_page_withholds(money, personas, login, persona):
    response = login(user_of(personas, persona)).get("/pledges/financial/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = {line.split(",", 1)[0]: line for line in response.content.decode().splitlines()[1:]}
    assert set(rows) == {money[code].reference for code in VISIBLE[persona]}
    for code, tier in VISIBLE[persona].items():
        row = rows[money[code].reference]
        amount = str(money[code].amount)
        assert (amount in row) is (tier != COALITION), (persona, code, row)
        assert (money[code].pledged_on.isoformat() in row) is (tier == FULL), (persona, code, row)
