"""API writes take the references the UI shows (item code, UN/LOCODE, hub code, PLG-/REQ- numbers, an
organisation's short name) wherever they take an id (issue #8, point 10), through one helper: ``Ref`` and
``resolve_refs`` in ``aidbridge.core.api``."""

from __future__ import annotations

import pytest

from aidbridge.accounts.models import Organisation
from aidbridge.catalogue.models import Item
from aidbridge.core.api import reference_lookup, resolve_refs
from aidbridge.core.errors import ServiceError
from aidbridge.core.tests.api_helpers import as_user, assert_refused
from aidbridge.locations.models import Hub, Location
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement

DUE = "2026-06-30"


def test_a_requirement_is_created_and_changed_by_references(personas, world):
    api = as_user(personas.recipient)
    response = api.post("/requirements", {"item": "GEN-100KW", "quantity": 3, "due_date": DUE,
                                          "destination": "UA LWO", "recipient": "ua-mod"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["item"]["code"], body["destination"]["unlocode"], body["recipient"]["short_name"]) == (
        "GEN-100KW", "UA LWO", "ua-mod")
    changed = api.patch(f"/requirements/{body['id']}", {"item": "MED-KIT", "destination": "UA IEV"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["item"]["code"], changed.json()["destination"]["unlocode"]) == ("MED-KIT", "UA IEV")
    # Ids still work, as numbers and as digit strings.
    by_id = api.post("/requirements", {"item": world.item.pk, "quantity": 3, "due_date": DUE,
                                       "destination": str(world.lviv.pk)})
    assert by_id.status_code == 201, by_id.content


def test_a_pledge_is_created_by_references(personas, world):
    response = as_user(personas.donor_de).post("/pledges", {
        "item": "MED-KIT", "quantity": 4, "available_from": "2026-03-11", "origin_country": "DE",
        "unit_value": "12.50", "currency": "EUR", "funding_source": "procurement", "donor": "de-mod"})
    assert response.status_code == 201, response.content
    assert response.json()["item"]["code"] == "MED-KIT"


def test_a_hub_is_created_by_references(personas, world):
    response = as_user(personas.coordinator).post("/hubs", {
        "code": "DE-WIB", "name": "Wiesbaden hub", "location": "DE WIB", "operator": "pl-hub",
        "capacity_t_per_week": "100"})
    assert response.status_code == 201, response.content
    hub = Hub.objects.get(code="DE-WIB")
    assert (hub.location, hub.operator.short_name) == (world.wiesbaden, "pl-hub")


def test_an_unknown_and_an_invisible_reference_get_the_same_refusal(personas, world):
    unknown = assert_refused(as_user(personas.recipient).post("/requirements", {
        "item": "NO-SUCH", "quantity": 3, "due_date": DUE, "destination": "UA LWO"}), 422, field="item")
    assert unknown["errors"]["item"] == [
        "There is no item with “NO-SUCH”; give the id or the code of one you can see."]
    # The outsider sees no catalogue: an existing code is refused exactly like one that does not exist.
    invisible = assert_refused(as_user(personas.outsider).post("/requirements", {
        "item": "NO-SUCH", "quantity": 3, "due_date": DUE, "destination": "UA LWO"}), 422, field="item")
    hidden = assert_refused(as_user(personas.outsider).post("/requirements", {
        "item": "GEN-100KW", "quantity": 3, "due_date": DUE, "destination": "UA LWO"}), 422, field="item")
    assert hidden["errors"]["item"][0].replace("GEN-100KW", "X") == invisible["errors"]["item"][0].replace(
        "NO-SUCH", "X")
    assert invisible["errors"]["item"] == unknown["errors"]["item"]
    assert "9223372036854775807" not in assert_refused(as_user(personas.recipient).post("/requirements", {
        "item": "9" * 30, "quantity": 3, "due_date": DUE, "destination": "UA LWO"}), 422, field="item")["detail"]


def test_pledge_and_requirement_numbers_resolve_through_for_user(personas, world):
    pledge, requirement = world.pledge_coalition, world.requirement
    found = resolve_refs(personas.coordinator, {"pledge": pledge.reference, "requirement": requirement.reference,
                                                "hub": "PL-RZE"},
                         {"pledge": Pledge, "requirement": Requirement, "hub": Hub})
    assert found == {"pledge": pledge, "requirement": requirement, "hub": world.hub}
    assert resolve_refs(personas.coordinator, {"pledge": f"plg-{pledge.pk}"}, {"pledge": Pledge})["pledge"] == pledge
    # The recipient does not see a donor's coordinators-only pledge: its number is refused like a missing one.
    with pytest.raises(ServiceError) as hidden:
        resolve_refs(personas.recipient, {"pledge": world.pledge_coordinators.reference}, {"pledge": Pledge})
    with pytest.raises(ServiceError) as missing:
        resolve_refs(personas.recipient, {"pledge": "PLG-99999"}, {"pledge": Pledge})
    assert list(hidden.value.errors) == list(missing.value.errors) == ["pledge"]
    assert hidden.value.errors["pledge"][0].replace(world.pledge_coordinators.reference, "X") == \
        missing.value.errors["pledge"][0].replace("PLG-99999", "X")


@pytest.mark.parametrize(("model", "value", "expected"), [
    (Item, "GEN-100KW", {"code": "GEN-100KW"}), (Location, "UA LWO", {"unlocode": "UA LWO"}),
    (Hub, "PL-RZE", {"code": "PL-RZE"}), (Organisation, "ua-mod", {"short_name": "ua-mod"}),
    (Pledge, "PLG-00431", {"pk": 431}), (Requirement, "REQ-00031", {"pk": 31}), (Requirement, 31, {"pk": 31}),
])
def test_each_model_names_how_it_is_referred_to(model, value, expected):
    lookup = reference_lookup(model, value)
    assert lookup is not None and dict(lookup.children) == expected


def test_a_reference_of_the_wrong_kind_matches_nothing():
    assert reference_lookup(Pledge, "GEN-100KW") is None
    assert reference_lookup(Requirement, "REQ-" + "9" * 30) is None
