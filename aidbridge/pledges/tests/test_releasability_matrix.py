"""Releasability as a specification: every persona × every pledge list and detail endpoint, UI and API.

The tables below are the specification; the tests only read them. For each persona they state which of the
four ``world`` pledges it sees and at which tier (``aidbridge.pledges.releasability``):

- ``full``: every field, source documents, notes, exact dates;
- ``public``: a disclosed public pledge seen by anyone else: value shown; origin, notes, exact dates withheld;
- ``coalition``: a coalition-released (or not yet disclosed public) pledge seen by another coalition member:
  value, origin, notes and exact dates withheld.

The four pledges: C = donor-de, coalition; K = donor-de, coordinators only; P = donor-us, public and disclosed
since yesterday; L = donor-us, public from next year. Anonymous callers get 401 from the API and a redirect to
the login page from the UI (the public see released aggregates on the transparency page only).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings

from aidbridge.core.templatetags.aidbridge import money as money_filter
from aidbridge.core.tests.api_helpers import as_user
from aidbridge.pledges import services
from aidbridge.pledges.releasability import ALL_FIELDS

FULL, PUBLIC, COALITION = "full", "public", "coalition"
PERSONAS = ("coordinator", "donor_de", "donor_us", "recipient", "hub_pl", "auditor", "outsider", "anonymous")
PLEDGES = {"C": "pledge_coalition", "K": "pledge_coordinators", "P": "pledge_public", "L": "pledge_public_later"}

# persona → {pledge: tier}; a pledge missing from a row is invisible to that persona (404 on its detail).
VISIBLE: dict[str, dict[str, str]] = {
    "coordinator": {"C": FULL, "K": FULL, "P": FULL, "L": FULL},
    "auditor":     {"C": FULL, "K": FULL, "P": FULL, "L": FULL},
    "donor_de":    {"C": FULL, "K": FULL, "P": PUBLIC, "L": COALITION},
    "donor_us":    {"C": COALITION, "P": FULL, "L": FULL},
    "recipient":   {"C": COALITION, "P": PUBLIC, "L": COALITION},
    "hub_pl":      {"C": COALITION, "P": PUBLIC, "L": COALITION},
    "outsider":    {"P": PUBLIC},
    "anonymous":   {},  # the API answers 401 and the UI redirects to the login page; see below
}

# tier → the API fields that come back null and are listed in "redacted".
REDACTED: dict[str, set[str]] = {
    FULL: set(),
    PUBLIC: {"available_from", "origin_country", "disclosure_date", "notes", "created_at", "updated_at"},
    COALITION: {"available_from", "origin_country", "disclosure_date", "notes", "created_at", "updated_at",
                "unit_value", "currency", "total_value"},
}

# tier → what the UI shows: (value, origin, exact available date, notes, source documents).
UI_SHOWS: dict[str, dict[str, bool]] = {
    FULL:      {"value": True, "origin": True, "exact_date": True, "notes": True, "documents": True},
    PUBLIC:    {"value": True, "origin": False, "exact_date": False, "notes": False, "documents": False},
    COALITION: {"value": False, "origin": False, "exact_date": False, "notes": False, "documents": False},
}

# Requirements: the recipient's draft is its own until submitted; the validated one is the coalition's.
REQUIREMENTS_VISIBLE: dict[str, set[str]] = {
    "coordinator": {"validated"}, "auditor": {"draft", "validated"}, "donor_de": {"validated"},
    "donor_us": {"validated"}, "recipient": {"draft", "validated"}, "hub_pl": {"validated"},
    "outsider": set(), "anonymous": set(),
}


def note(code: str) -> str:
    return f"confidential-note-{code}"


def doc_title(code: str) -> str:
    return f"Evidence for {code}"


@pytest.fixture
def spec_world(world, personas):
    """``world`` plus, on every pledge, notes and a source document only full viewers may see."""
    owners = {"C": personas.donor_de, "K": personas.donor_de, "P": personas.donor_us, "L": personas.donor_us}
    for code, attr in PLEDGES.items():
        pledge = getattr(world, attr)
        pledge = services.update_pledge(actor=owners[code], pledge=pledge, changes={"notes": note(code)})
        services.add_source_document(actor=owners[code], pledges=[pledge], title=doc_title(code),
                                     url=f"https://example.org/{code}")
        setattr(world, attr, pledge)
    return world


def user_of(personas, persona: str):
    return None if persona == "anonymous" else getattr(personas, persona)


def pledge_of(world, code: str):
    return getattr(world, PLEDGES[code])


CASES = [(persona, code) for persona in PERSONAS for code in PLEDGES]


# --- API ------------------------------------------------------------------------------------------------------

def assert_api_fields(body: dict, pledge, tier: str) -> None:
    expected = REDACTED[tier]
    assert set(body) == ALL_FIELDS | {"redacted"}
    assert set(body["redacted"]) == expected
    assert {name for name in expected if body[name] is not None} == set()
    shown_nulls = {name for name in ALL_FIELDS - expected if body[name] is None}
    assert shown_nulls == ({"disclosure_date"} if pledge.disclosure_date is None and tier == FULL else set())
    assert body["available_month"] == pledge.available_from.strftime("%Y-%m")
    if tier != COALITION:
        assert Decimal(body["unit_value"]) == pledge.unit_value and body["currency"] == pledge.currency
    if tier == FULL:
        assert (body["origin_country"], body["notes"]) == (pledge.origin_country, pledge.notes)
        assert body["available_from"] == pledge.available_from.isoformat()


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_list_shows_exactly_the_visible_pledges_and_fields(spec_world, personas, persona):
    response = as_user(user_of(personas, persona)).get("/pledges", {"limit": 100})
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["items"]}
    expected = {pledge_of(spec_world, code).pk: tier for code, tier in VISIBLE[persona].items()}
    assert set(rows) == set(expected)
    for code, tier in VISIBLE[persona].items():
        pledge = pledge_of(spec_world, code)
        assert_api_fields(rows[pledge.pk], pledge, tier)


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_api_detail(spec_world, personas, persona, code):
    pledge = pledge_of(spec_world, code)
    response = as_user(user_of(personas, persona)).get(f"/pledges/{pledge.pk}")
    tier = VISIBLE[persona].get(code)
    if persona == "anonymous":
        assert response.status_code == 401
    elif tier is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert_api_fields(response.json(), pledge, tier)


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_api_documents_only_with_full_view(spec_world, personas, persona, code):
    pledge = pledge_of(spec_world, code)
    response = as_user(user_of(personas, persona)).get(f"/pledges/{pledge.pk}/documents")
    if persona == "anonymous":
        assert response.status_code == 401
    elif VISIBLE[persona].get(code) == FULL:
        assert response.status_code == 200
        assert [d["title"] for d in response.json()["items"]] == [doc_title(code)]
    else:
        assert response.status_code == 404


# --- filters on withheld fields ---------------------------------------------------------------------------

@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_origin_filter_matches_only_pledges_seen_in_full(spec_world, personas, persona):
    api = as_user(user_of(personas, persona))
    for origin in ("DE", "US"):
        got = {row["id"] for row in api.get("/pledges", {"origin_country": origin, "limit": 100}).json()["items"]}
        expected = {pledge_of(spec_world, code).pk for code, tier in VISIBLE[persona].items()
                    if tier == FULL and pledge_of(spec_world, code).origin_country == origin}
        assert got == expected


def test_date_filters_compare_by_month_where_the_day_is_withheld(spec_world, personas):
    """The recipient sees P's month only: a bound inside that month never excludes it; the owner's is exact."""
    p = spec_world.pledge_public
    day = p.available_from
    later_same_month = day.replace(day=28) if day.day < 28 else day
    earlier_same_month = day.replace(day=1)

    def ids(user, **params):
        rows = as_user(user).get("/pledges", {**params, "limit": 100}).json()["items"]
        return {row["id"] for row in rows}

    if later_same_month != day:
        assert p.pk in ids(personas.recipient, available_after=later_same_month.isoformat())
        assert p.pk not in ids(personas.donor_us, available_after=later_same_month.isoformat())
    if earlier_same_month != day:
        assert p.pk in ids(personas.recipient, available_before=earlier_same_month.isoformat())
        assert p.pk not in ids(personas.donor_us, available_before=earlier_same_month.isoformat())
    next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    assert p.pk not in ids(personas.recipient, available_after=next_month.isoformat())


# --- UI -------------------------------------------------------------------------------------------------------

def money(amount: Decimal, currency: str) -> str:
    return money_filter(amount, currency)  # as the pages write money ("EUR 2,250,000.00")


def row_of(html: str, reference: str) -> str:
    match = re.search(rf"<tr>(?:(?!</tr>).)*>{reference}<(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, f"{reference} not listed"
    return match.group(0)


def assert_ui_fields(html: str, pledge, tier: str, *, detail: bool) -> None:
    shows = UI_SHOWS[tier]
    origin = f"<dd>{pledge.origin_country}</dd>" if detail else f'<td class="k-text">{pledge.origin_country}</td>'
    assert (origin in html) is shows["origin"]
    assert (money(pledge.total_value, pledge.currency) in html) is shows["value"]
    if detail:
        assert (money(pledge.unit_value, pledge.currency) in html) is shows["value"]
        assert (pledge.notes in html) is shows["notes"]
        assert (doc_title(pledge_code(pledge)) in html) is shows["documents"]
    assert (f'datetime="{pledge.available_from.isoformat()}"' in html) is shows["exact_date"]
    assert (f'datetime="{pledge.available_from:%Y-%m}"' in html) is (not shows["exact_date"])
    assert ('class="badge withheld' in html) is (tier != FULL)
    assert str(pledge.donor) in html and str(pledge.item.code) in html


def pledge_code(pledge) -> str:
    return pledge.notes.rsplit("-", 1)[-1]


@pytest.mark.parametrize("persona", PERSONAS)
def test_ui_list_shows_exactly_the_visible_pledges_and_fields(spec_world, personas, login, persona):
    response = login(user_of(personas, persona)).get("/pledges/")
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)
        return
    assert response.status_code == 200
    html = response.content.decode()
    listed = {code for code in PLEDGES if f">{pledge_of(spec_world, code).reference}<" in html}
    assert listed == set(VISIBLE[persona])
    for code, tier in VISIBLE[persona].items():
        pledge = pledge_of(spec_world, code)
        assert_ui_fields(row_of(html, pledge.reference), pledge, tier, detail=False)


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_ui_detail(spec_world, personas, login, persona, code):
    pledge = pledge_of(spec_world, code)
    response = login(user_of(personas, persona)).get(f"/pledges/{pledge.pk}/")
    tier = VISIBLE[persona].get(code)
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)
    elif tier is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert_ui_fields(response.content.decode(), pledge, tier, detail=True)


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_ui_document_download_only_with_full_view(spec_world, personas, login, persona, code, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pledge = pledge_of(spec_world, code)
    owner = personas.donor_de if pledge.donor == personas.orgs["de"] else personas.donor_us
    document = services.add_source_document(actor=owner, pledges=[pledge], title="Scan", content=b"%PDF-1.4\n",
                                            filename="scan.pdf")
    response = login(user_of(personas, persona)).get(f"/pledges/documents/{document.pk}/download/")
    if persona == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if VISIBLE[persona].get(code) == FULL else 404)


def test_history_below_full_view_shows_no_withheld_value_time_or_actor(spec_world, personas, login):
    pledge = spec_world.pledge_coalition
    html = login(personas.recipient).get(f"/pledges/{pledge.pk}/").content.decode()
    assert "pledge.create" in html and "pledge.commit" in html  # the status path is shown
    assert note("C") not in html and "45000" not in html and "donor-de" not in html
    full = login(personas.coordinator).get(f"/pledges/{pledge.pk}/").content.decode()
    assert note("C") in full and "donor-de" in full


# --- requirements: drafts stay with their recipient --------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_requirements_list_and_detail(spec_world, personas, login, persona):
    user = user_of(personas, persona)
    requirements = {"draft": spec_world.draft_requirement, "validated": spec_world.requirement}
    expected = REQUIREMENTS_VISIBLE[persona]
    api, ui = as_user(user), login(user)
    api_list, ui_list = api.get("/requirements", {"limit": 100}), ui.get("/requirements/")
    if persona == "anonymous":
        assert api_list.status_code == 401 and ui_list.status_code == 302
    else:
        listed = {row["id"] for row in api_list.json()["items"]}
        assert listed == {requirements[name].pk for name in expected}
        html = ui_list.content.decode()
        assert {name for name, r in requirements.items() if f">{r.reference}<" in html} == expected
    for name, requirement in requirements.items():
        api_status = api.get(f"/requirements/{requirement.pk}").status_code
        ui_status = ui.get(f"/requirements/{requirement.pk}/").status_code
        if persona == "anonymous":
            assert (api_status, ui_status) == (401, 302)
        else:
            assert (api_status, ui_status) == ((200, 200) if name in expected else (404, 404))


# --- exports: the public aggregates read only public-tier fields -------------------------------------------

def test_transparency_aggregates_ignore_every_field_withheld_from_the_public(spec_world):
    """Changing what the public tier withholds (origin, notes, the day within the month, the disclosure day,
    documents) on the disclosed public pledge changes no public number."""
    from aidbridge.pledges.models import Pledge
    from aidbridge.transparency.aggregates import csv_rows, summarise

    p = spec_world.pledge_public
    before = csv_rows(summarise())
    other_day = p.available_from.replace(day=1 if p.available_from.day != 1 else 2)
    Pledge.objects.filter(pk=p.pk).update(origin_country="FR", notes="changed", available_from=other_day,
                                          disclosure_date=p.disclosure_date - dt.timedelta(days=1))
    p.source_documents.clear()
    assert csv_rows(summarise()) == before


def test_dashboard_value_chart_counts_only_values_the_viewer_may_see(world, personas):
    from aidbridge.dashboard.views import dashboard_context

    def charted(user) -> dict[str, float]:
        """Per currency: the value counted in the reporting currency (EUR; no rate is known here, so only euros
        convert) and, apart, what no rate converted."""
        out: dict[str, float] = {}
        for row in dashboard_context(user)["value_rows"]:
            parts = {"EUR": row.total.amount, **row.total.missing} if row.total.amount else dict(row.total.missing)
            for currency, amount in parts.items():
                out[currency] = out.get(currency, 0.0) + float(amount)
        return out

    coalition_value = float(world.pledge_coalition.unit_value * world.pledge_coalition.quantity)
    # donor-us sees donor-de's coalition pledge, but not its value: its EUR total is its own later pledge only.
    own_eur = float(world.pledge_public_later.unit_value * world.pledge_public_later.quantity)
    assert charted(personas.donor_us)["EUR"] == own_eur
    assert charted(personas.donor_de)["EUR"] >= coalition_value
    assert charted(personas.recipient) == {"USD": float(world.pledge_public.unit_value * world.pledge_public.quantity)}
