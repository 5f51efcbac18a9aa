from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from aidbridge.audit.models import AuditEvent
from aidbridge.locations import services as locations
from aidbridge.locations.models import Hub, InboundLeadTime, Location, OutboundLeadTime


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def location_form(**overrides: object) -> dict[str, object]:
    data = {"unlocode": "UA ODS", "name": "Odesa", "country": "UA", "latitude": "46.48", "longitude": "30.72"}
    data.update(overrides)
    return data


def hub_form(world, personas, **overrides: object) -> dict[str, object]:
    data = {"code": "DE-WIB", "name": "Wiesbaden hub", "location": world.wiesbaden.pk,
            "operator": personas.orgs["pl"].pk, "capacity_t_per_week": "300", "active": "on"}
    data.update(overrides)
    return data


# Locations


def test_location_list_and_query_count(world, personas, login, django_assert_max_num_queries):
    for i in range(30):
        locations.create_location(actor=personas.coordinator, unlocode=f"PL Q{chr(65 + i // 26)}{chr(65 + i % 26)}",
                                  name=f"Town {i}", country="PL", latitude=Decimal(50), longitude=Decimal(20))
    client = login(personas.coordinator)
    with django_assert_max_num_queries(8):
        html = client.get("/locations/").content.decode()
    assert "UA LWO" in html and "Town 29" in html


def test_outsider_sees_no_locations_and_gets_404(world, personas, login):
    client = login(personas.outsider)
    assert "UA LWO" not in client.get("/locations/").content.decode()
    assert client.get(reverse("locations:location", args=[world.lviv.pk])).status_code == 404
    assert client.get(reverse("locations:location_edit", args=[world.lviv.pk])).status_code == 404
    assert client.post(reverse("locations:location_edit", args=[world.lviv.pk]),
                       location_form()).status_code == 404


def test_coordinator_creates_a_location_and_it_is_audited(world, personas, login):
    before = events("location.create")
    response = login(personas.coordinator).post("/locations/add/", location_form())
    location = Location.objects.get(unlocode="UA ODS")
    assert response["Location"] == reverse("locations:location", args=[location.pk])
    assert events("location.create") == before + 1


def test_coordinator_edits_a_location_and_it_is_audited(world, personas, login):
    before = events("location.update")
    data = location_form(unlocode="UA LWO", name="Lviv (city)", latitude="49.8397", longitude="24.0297")
    response = login(personas.coordinator).post(reverse("locations:location_edit", args=[world.lviv.pk]), data)
    assert response.status_code == 302
    world.lviv.refresh_from_db()
    assert world.lviv.name == "Lviv (city)"
    assert events("location.update") == before + 1


def test_a_bad_unlocode_is_shown_next_to_the_field(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.coordinator).post("/locations/add/", location_form(unlocode="Odesa"))
    assert response.status_code == 422
    assert "unlocode" in response.context["form"].errors
    assert AuditEvent.objects.count() == before


def test_a_unlocode_from_another_country_is_refused_by_the_service(world, personas, login):
    response = login(personas.coordinator).post("/locations/add/", location_form(country="PL"))
    assert response.status_code == 422
    assert "belongs to UA" in str(response.context["form"].errors["unlocode"])


# Hubs


def test_hub_list_and_query_count(world, personas, login, django_assert_max_num_queries):
    for i in range(20):
        locations.create_hub(actor=personas.coordinator, code=f"H-{i}", name=f"Hub {i}", location=world.wiesbaden,
                             operator=personas.orgs["ro"], capacity_t_per_week=Decimal(10))
    client = login(personas.coordinator)
    with django_assert_max_num_queries(9):
        html = client.get("/hubs/").content.decode()
    assert "PL-RZE" in html and "H-19" in html


def test_outsider_sees_no_hubs_and_gets_404(world, personas, login):
    client = login(personas.outsider)
    assert "PL-RZE" not in client.get("/hubs/").content.decode()
    for name in ("locations:hub", "locations:hub_edit"):
        assert client.get(reverse(name, args=[world.hub.pk])).status_code == 404
    before = AuditEvent.objects.count()
    for name in ("locations:hub_inbound", "locations:hub_outbound"):
        assert client.post(reverse(name, args=[world.hub.pk]), {"inbound-origin_country": "FR",
                                                                 "inbound-weeks": "1"}).status_code == 404
    assert AuditEvent.objects.count() == before


def test_hub_detail_shows_lead_times_and_forms_for_coordinators(world, personas, login):
    html = login(personas.coordinator).get(reverse("locations:hub", args=[world.hub.pk])).content.decode()
    assert "Lead times in" in html and "Lead times out" in html
    assert 'name="inbound-weeks"' in html and 'name="outbound-weeks"' in html
    assert "hub.create" in html


def test_hub_detail_has_no_edit_forms_for_others(world, personas, login):
    html = login(personas.hub_pl).get(reverse("locations:hub", args=[world.hub.pk])).content.decode()
    assert "Lead times in" in html
    assert 'name="inbound-weeks"' not in html
    assert reverse("locations:hub_edit", args=[world.hub.pk]) not in html


def test_coordinator_creates_and_edits_a_hub_with_audit(world, personas, login):
    client = login(personas.coordinator)
    before = events("hub.create")
    response = client.post("/hubs/add/", hub_form(world, personas))
    hub = Hub.objects.get(code="DE-WIB")
    assert response["Location"] == reverse("locations:hub", args=[hub.pk])
    assert events("hub.create") == before + 1
    before = events("hub.update")
    client.post(reverse("locations:hub_edit", args=[hub.pk]), hub_form(world, personas, capacity_t_per_week="350"))
    hub.refresh_from_db()
    assert hub.capacity_t_per_week == Decimal("350")
    assert events("hub.update") == before + 1


def test_hub_operator_must_be_a_hub_operator(world, personas, login):
    response = login(personas.coordinator).post("/hubs/add/",
                                                hub_form(world, personas, operator=personas.orgs["de"].pk))
    assert response.status_code == 422
    assert "operator" in response.context["form"].errors


def test_setting_an_inbound_lead_time_is_audited(world, personas, login):
    before = events("lead_time.inbound.set")
    response = login(personas.coordinator).post(
        reverse("locations:hub_inbound", args=[world.hub.pk]),
        {"inbound-origin_country": "FR", "inbound-weeks": "2", "inbound-cost_per_t": "12.5"})
    assert response.status_code == 302
    row = InboundLeadTime.objects.get(hub=world.hub, origin_country="FR")
    assert row.weeks == 2 and row.cost_per_t == Decimal("12.5")
    assert events("lead_time.inbound.set") == before + 1


def test_removing_an_inbound_lead_time_is_audited(world, personas, login):
    before = events("lead_time.inbound.delete")
    login(personas.coordinator).post(reverse("locations:hub_inbound", args=[world.hub.pk]),
                                     {"inbound-origin_country": "US"})
    assert not InboundLeadTime.objects.filter(hub=world.hub, origin_country="US").exists()
    assert events("lead_time.inbound.delete") == before + 1


def test_removing_a_missing_route_shows_the_error_and_changes_nothing(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.coordinator).post(reverse("locations:hub_inbound", args=[world.hub.pk]),
                                                {"inbound-origin_country": "FR"})
    assert response.status_code == 422
    assert "There is no route from FR" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_setting_and_removing_an_outbound_lead_time_is_audited(world, personas, login):
    client = login(personas.coordinator)
    url = reverse("locations:hub_outbound", args=[world.hub.pk])
    before = events("lead_time.outbound.set")
    client.post(url, {"outbound-destination": world.wiesbaden.pk, "outbound-weeks": "3"})
    assert OutboundLeadTime.objects.get(hub=world.hub, destination=world.wiesbaden).weeks == 3
    assert events("lead_time.outbound.set") == before + 1
    before = events("lead_time.outbound.delete")
    client.post(url, {"outbound-destination": world.wiesbaden.pk})
    assert not OutboundLeadTime.objects.filter(hub=world.hub, destination=world.wiesbaden).exists()
    assert events("lead_time.outbound.delete") == before + 1


def test_an_out_of_range_lead_time_is_shown_next_to_the_field(world, personas, login):
    response = login(personas.coordinator).post(reverse("locations:hub_inbound", args=[world.hub.pk]),
                                                {"inbound-origin_country": "FR", "inbound-weeks": "99"})
    assert response.status_code == 422
    assert "weeks" in response.context["inbound_form"].errors


def test_a_hub_operator_may_not_change_lead_times(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.hub_pl).post(reverse("locations:hub_inbound", args=[world.hub.pk]),
                                           {"inbound-origin_country": "FR", "inbound-weeks": "1"})
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before
