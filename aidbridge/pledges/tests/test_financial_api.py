"""/api/v1/financial-pledges: list, get, create, patch and transitions; refusals name the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aidbridge.core.tests.api_helpers import (
    ListEndpointChecks,
    as_user,
    assert_not_found,
    assert_one_event,
    assert_refused,
    new_events,
)
from aidbridge.pledges import services
from aidbridge.pledges.models import FinancialPledge

BODY = {"amount": "2500000.00", "currency": "USD", "pledged_on": "2026-03-02", "sector": "72010",
        "purpose": "Winter fuel", "recipient_country": "UA"}


def pledge(actor, **fields):
    defaults = {"amount": Decimal("1000000"), "currency": "EUR", "pledged_on": dt.date(2026, 3, 2)}
    return services.create_financial_pledge(actor=actor, **{**defaults, **fields})


class TestFinancialPledgeEndpoints(ListEndpointChecks):
    path = "/financial-pledges"
    outsider_sees = 1  # the public, disclosed one

    @pytest.fixture
    def target(self, world, personas):
        pledge(personas.donor_us, releasability="public", disclosure_date=dt.date(2026, 3, 1))
        return pledge(personas.donor_de)

    def add_rows(self, world, personas, n):
        for i in range(n):
            FinancialPledge.objects.create(donor=personas.orgs["de"], amount=Decimal(1000 + i), currency="EUR",
                                           pledged_on=dt.date(2026, 3, 1))


def test_a_donor_creates_one_with_one_audit_event(personas):
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.post("/financial-pledges", BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    created = FinancialPledge.objects.get(pk=body["id"])
    assert_one_event(events, "financial_pledge.create", created)
    assert body["reference"] == f"FIN-{created.pk:05d}" and body["donor"]["short_name"] == "de-mod"
    assert (Decimal(body["amount"]), body["status"], body["redacted"]) == (Decimal("2500000.00"), "announced", [])


@pytest.mark.parametrize(("change", "field"), [
    ({"amount": "0"}, "amount"),
    ({"amount": "1.001"}, "amount"),
    ({"currency": "EURO"}, "currency"),
    ({"sector": "abc"}, "sector"),
    ({"recipient_country": "XX"}, "recipient_country"),
    ({"releasability": "public"}, "disclosure_date"),
    ({"releasability": "everyone"}, "releasability"),
    ({"pledged_on": "yesterday"}, "pledged_on"),
    ({"donor": "ua-mod"}, "donor"),  # not a donor
    ({"donor": "us-dod"}, "__all__"),  # another donor's: not yours to write
])
def test_bad_input_is_refused_naming_the_field(personas, change, field):
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.post("/financial-pledges", {**BODY, **change})
    status = 403 if field == "__all__" else 422
    assert_refused(response, status, field=None if status == 403 else field, events=events)
    assert not FinancialPledge.objects.exists()


@pytest.mark.parametrize("persona", ["coordinator", "recipient", "hub_pl", "auditor"])
def test_only_donors_create(personas, persona):
    response = as_user(getattr(personas, persona)).post("/financial-pledges", BODY)
    assert response.status_code in (403, 422) and not FinancialPledge.objects.exists()


def test_a_read_token_cannot_write(personas):
    response = as_user(personas.donor_de, scope="read").post("/financial-pledges", BODY)
    assert response.status_code == 403 and not FinancialPledge.objects.exists()


def test_patch_changes_only_what_it_sends_and_is_audited(personas):
    p = pledge(personas.donor_de, purpose="Fuel", sector="72010")
    api = as_user(personas.donor_de)
    with new_events() as events:
        body = api.patch(f"/financial-pledges/{p.pk}", {"amount": "1200000.00"}).json()
    assert_one_event(events, "financial_pledge.update", p)
    assert (Decimal(body["amount"]), body["purpose"], body["sector"]) == (Decimal("1200000.00"), "Fuel", "72010")
    assert_refused(api.patch(f"/financial-pledges/{p.pk}", {"amount": None}), 422, field="amount")
    assert_refused(as_user(personas.donor_us).patch(f"/financial-pledges/{p.pk}", {"purpose": "x"}), 403)


def test_transitions_take_the_day_they_happened(personas):
    p = pledge(personas.donor_de)
    api = as_user(personas.donor_de)
    body = api.post(f"/financial-pledges/{p.pk}/commit", {"on": "2026-03-05"}).json()
    assert (body["status"], body["status_date"]) == ("committed", "2026-03-05")
    body = api.post(f"/financial-pledges/{p.pk}/disburse").json()
    assert (body["status"], body["status_date"]) == ("disbursed", "2026-03-11")
    with new_events() as events:
        response = api.post(f"/financial-pledges/{p.pk}/withdraw")
    body = assert_refused(response, 409, field="status", events=events)
    assert "final" in body["detail"]


@pytest.mark.parametrize("on", ["2026-03-01", "2026-03-12"])  # before it was pledged; after today
def test_a_transition_day_outside_the_pledges_life_is_refused(personas, on):
    p = pledge(personas.donor_de)
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.post(f"/financial-pledges/{p.pk}/commit", {"on": on})
    assert_refused(response, 422, field="on", events=events)
    assert FinancialPledge.objects.get(pk=p.pk).status == "announced"


def test_an_announced_pledge_may_be_disbursed_at_once_but_not_committed_twice(personas):
    api = as_user(personas.donor_de)
    p = pledge(personas.donor_de)
    assert api.post(f"/financial-pledges/{p.pk}/commit").status_code == 200
    assert_refused(api.post(f"/financial-pledges/{p.pk}/commit"), 409, field="status")
    q = pledge(personas.donor_de)
    assert api.post(f"/financial-pledges/{q.pk}/disburse").json()["status"] == "disbursed"


def test_filters_are_checked_and_unknown_ones_refused(personas):
    pledge(personas.donor_de, currency="EUR")
    api = as_user(personas.coordinator)
    assert api.get("/financial-pledges", {"status": "disbursed"}).json()["count"] == 0
    assert api.get("/financial-pledges", {"status": "announced"}).json()["count"] == 1
    assert_refused(api.get("/financial-pledges", {"status": "delivered"}), 422, field="status")
    assert_refused(api.get("/financial-pledges", {"colour": "red"}), 422)


def test_an_unknown_or_invisible_pledge_is_the_same_404(personas):
    p = pledge(personas.donor_de, releasability="coordinators")
    assert_not_found(as_user(personas.recipient).get(f"/financial-pledges/{p.pk}"))
    assert_not_found(as_user(personas.recipient).post(f"/financial-pledges/{p.pk}/commit"))
    assert_not_found(as_user(personas.coordinator).get("/financial-pledges/99999"))


def test_the_index_lists_the_resource(personas):
    resources = as_user(personas.donor_de).get("/").json()["resources"]
    assert resources["financial-pledges"].endswith("/api/v1/financial-pledges")
    assert resources["exchange-rates"].endswith("/api/v1/exchange-rates")
