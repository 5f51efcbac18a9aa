"""/api/v1/locations, /api/v1/hubs and each hub's lead times."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aidbridge.core.tests.api_helpers import (
    ListEndpointChecks,
    as_user,
    assert_not_found,
    assert_one_event,
    assert_refused,
    event_keys,
    key,
    new_events,
)
from aidbridge.locations.models import Hub, InboundLeadTime, Location, OutboundLeadTime

NEW_LOCATION = {"unlocode": "UA ODS", "name": "Odesa", "country": "UA", "latitude": "46.4825",
                "longitude": "30.7233"}


class TestLocationEndpoints(ListEndpointChecks):
    path = "/locations"

    @pytest.fixture
    def target(self, world):
        return world.lviv

    def add_rows(self, world, personas, n):
        for i in range(n):
            Location.objects.create(unlocode=f"PL X{i}A", name=f"Place {i}", country="PL",
                                    latitude=Decimal("50"), longitude=Decimal("20"))


class TestHubEndpoints(ListEndpointChecks):
    path = "/hubs"

    @pytest.fixture
    def target(self, world):
        return world.hub

    def add_rows(self, world, personas, n):
        for i in range(n):
            Hub.objects.create(code=f"HUB-{i}", name=f"Hub {i}", location=world.wiesbaden,
                               operator=personas.orgs["pl"], capacity_t_per_week=Decimal("10"))


def test_create_location_is_audited(personas):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post("/locations", NEW_LOCATION)
    assert response.status_code == 201, response.content
    assert_one_event(events, "location.create", Location.objects.get(unlocode="UA ODS"))


@pytest.mark.parametrize(("field", "value"), [("unlocode", "UAODS"), ("country", "ZZ"), ("latitude", "91")])
def test_bad_location_values_are_named(personas, field, value):
    api = as_user(personas.coordinator)
    with new_events() as events:
        assert_refused(api.post("/locations", {**NEW_LOCATION, field: value}), 422, field=field, events=events)


def test_a_locode_from_another_country_is_refused(personas):
    api = as_user(personas.coordinator)
    assert_refused(api.post("/locations", {**NEW_LOCATION, "country": "PL"}), 422, field="unlocode")


def test_patch_location_is_audited_and_guarded(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.patch(f"/locations/{world.lviv.pk}", {"name": "Lviv (city)"})
    assert response.status_code == 200, response.content
    assert_one_event(events, "location.update", world.lviv)
    donor, outsider = as_user(personas.donor_de), as_user(personas.outsider)
    with new_events() as events:
        assert_refused(donor.patch(f"/locations/{world.lviv.pk}", {"name": "X"}), 403)
        assert_not_found(outsider.patch(f"/locations/{world.lviv.pk}", {"name": "X"}))
        assert_refused(outsider.post("/locations", NEW_LOCATION), 403)
    assert events == []


def _new_hub(world, personas):
    return {"code": "SK-KSC", "name": "Košice hub", "location": world.wiesbaden.pk,
            "operator": personas.orgs["pl"].pk, "capacity_t_per_week": "250.5"}


def test_create_hub_is_audited_and_shows_its_location_and_operator(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post("/hubs", _new_hub(world, personas))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["location"]["unlocode"] == "DE WIB"
    assert body["operator"]["short_name"] == "pl-hub"
    assert_one_event(events, "hub.create", Hub.objects.get(code="SK-KSC"))


def test_unknown_ids_in_a_hub_are_named(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        body = assert_refused(api.post("/hubs", {**_new_hub(world, personas), "location": 987654}), 422,
                              field="location", events=events)
    assert "987654" in body["errors"]["location"][0]
    body = assert_refused(api.post("/hubs", {**_new_hub(world, personas), "operator": personas.orgs["de"].pk}),
                          422, field="operator")
    assert "not a hub operator" in body["detail"]


def test_outsider_may_not_create_a_hub(personas, world):
    api = as_user(personas.outsider)
    with new_events() as events:
        # The outsider sees no location, so the reference is unknown to them.
        assert_refused(api.post("/hubs", _new_hub(world, personas)), 422, field="location", events=events)


def test_patch_hub_is_audited_and_guarded(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.patch(f"/hubs/{world.hub.pk}", {"active": False, "operator": personas.orgs["ro"].pk})
    assert response.status_code == 200, response.content
    assert response.json()["operator"]["short_name"] == "ro-hub"
    assert_one_event(events, "hub.update", world.hub)
    hub_operator, outsider = as_user(personas.hub_pl), as_user(personas.outsider)
    with new_events() as events:
        assert_refused(hub_operator.patch(f"/hubs/{world.hub.pk}", {"active": True}), 403)
        assert_not_found(outsider.patch(f"/hubs/{world.hub.pk}", {"active": True}))
    assert events == []


def test_hub_filters_narrow_the_list(personas, world):
    api = as_user(personas.coordinator)
    assert [h["code"] for h in api.get("/hubs", {"organisation": personas.orgs["ro"].pk}).json()["items"]] == [
        "RO-SCV"]
    assert [h["code"] for h in api.get("/hubs", {"country": "PL"}).json()["items"]] == ["PL-RZE"]
    assert_refused(api.get("/hubs", {"organisation": "ro"}), 422, field="organisation")
    assert [loc["unlocode"] for loc in api.get("/locations", {"country": "UA"}).json()["items"]] == [
        "UA IEV", "UA LWO"]


# --- lead times ---------------------------------------------------------------------------------------------

def test_lead_times_list_inbound_and_outbound(personas, world, django_assert_max_num_queries):
    api = as_user(personas.donor_de)
    api.get("/items")
    with django_assert_max_num_queries(6):
        body = api.get(f"/hubs/{world.hub.pk}/lead-times").json()
    assert [(r["origin_country"], r["weeks"]) for r in body["inbound"]] == [("DE", 1), ("US", 3)]
    assert [(r["destination"]["unlocode"], r["weeks"]) for r in body["outbound"]] == [("UA IEV", 1), ("UA LWO", 0)]


def test_outsider_gets_404_for_lead_times(personas, world):
    api = as_user(personas.outsider)
    with new_events() as events:
        assert_not_found(api.get(f"/hubs/{world.hub.pk}/lead-times"))
        assert_not_found(api.put(f"/hubs/{world.hub.pk}/lead-times/inbound/DE", {"weeks": 2}))
        assert_not_found(api.put(f"/hubs/{world.hub.pk}/lead-times/outbound/{world.lviv.pk}", {"weeks": 2}))
    assert events == []


def test_put_inbound_sets_then_removes_a_route(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.put(f"/hubs/{world.hub.pk}/lead-times/inbound/fr", {"weeks": 2, "cost_per_t": "12.5"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["origin_country"], body["weeks"], Decimal(body["cost_per_t"])) == ("FR", 2, Decimal("12.5"))
    row = InboundLeadTime.objects.get(hub=world.hub, origin_country="FR")
    assert_one_event(events, "lead_time.inbound.set", row)
    with new_events() as events:
        response = api.put(f"/hubs/{world.hub.pk}/lead-times/inbound/FR", {"weeks": None})
    assert response.status_code == 204
    assert not InboundLeadTime.objects.filter(hub=world.hub, origin_country="FR").exists()
    assert_one_event(events, "lead_time.inbound.delete", ("locations.inboundleadtime", row.pk))


def test_put_inbound_refusals_name_the_field(personas, world):
    api, hub_operator = as_user(personas.coordinator), as_user(personas.hub_pl)
    with new_events() as events:
        assert_refused(api.put(f"/hubs/{world.hub.pk}/lead-times/inbound/ZZ", {"weeks": 2}), 422,
                       field="origin_country")
        assert_refused(api.put(f"/hubs/{world.hub.pk}/lead-times/inbound/FR", {"weeks": None}), 422,
                       field="origin_country")
        assert_refused(api.put(f"/hubs/{world.hub.pk}/lead-times/inbound/DE", {"weeks": 99}), 422, field="weeks")
        assert_refused(api.put(f"/hubs/{world.hub.pk}/lead-times/inbound/DE", {}), 422, field="weeks")
        assert_refused(hub_operator.put(f"/hubs/{world.hub.pk}/lead-times/inbound/DE", {"weeks": 2}), 403)
    assert events == []
    assert InboundLeadTime.objects.get(hub=world.hub, origin_country="DE").weeks == 1


def test_put_outbound_sets_then_removes_a_route(personas, world):
    api = as_user(personas.coordinator)
    path = f"/hubs/{world.hub.pk}/lead-times/outbound/{world.lviv.pk}"
    with new_events() as events:
        response = api.put(path, {"weeks": 2})
    assert response.status_code == 200, response.content
    assert response.json() == {"destination": {"id": world.lviv.pk, "unlocode": "UA LWO", "name": "Lviv"},
                               "weeks": 2}
    row = OutboundLeadTime.objects.get(hub=world.hub, destination=world.lviv)
    assert_one_event(events, "lead_time.outbound.set", row)
    with new_events() as events:
        assert api.put(path, {"weeks": None}).status_code == 204
    assert event_keys(events) == [key("lead_time.outbound.delete", ("locations.outboundleadtime", row.pk))]
    with new_events() as events:
        assert_refused(api.put(path, {"weeks": None}), 422, field="destination")
        assert_not_found(api.put(f"/hubs/{world.hub.pk}/lead-times/outbound/987654", {"weeks": 1}))
    assert events == []
