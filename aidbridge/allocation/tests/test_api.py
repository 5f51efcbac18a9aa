"""/api/v1/allocations: list, allocate and release."""

from __future__ import annotations

import datetime as dt

import pytest

from aidbridge.allocation import services
from aidbridge.allocation.models import AllocationLine
from aidbridge.core import clock
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
from aidbridge.locations import services as locations
from aidbridge.pledges.models import Pledge
from aidbridge.requirements import services as requirements


class TestAllocationEndpoints(ListEndpointChecks):
    path = "/allocations"

    @pytest.fixture
    def target(self, world, allocate_line):
        return allocate_line(10)

    def add_rows(self, world, personas, n):
        for _ in range(n):
            services.allocate(actor=personas.coordinator, pledge=world.pledge_coalition,
                              requirement=world.requirement, hub=world.hub_ro, quantity=1)


def _new(world, **overrides):
    return {"pledge": world.pledge_coalition.pk, "requirement": world.requirement.pk, "hub": world.hub.pk,
            "quantity": 20, **overrides}


def test_allocating_a_committed_pledge_is_audited_with_its_status_change(personas, world):
    api = as_user(personas.coordinator)
    # The pledge is available today and DE → PL-RZE takes a week: next Monday is the earliest dispatch week.
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday()) + dt.timedelta(weeks=1)
    with new_events() as events:
        response = api.post("/allocations", _new(world, dispatch_week=monday.isoformat()))
    assert response.status_code == 201, response.content
    body = response.json()
    line = AllocationLine.objects.get(pk=body["id"])
    assert (body["quantity"], body["hub"]["code"], body["dispatch_week"]) == (20, "PL-RZE", monday.isoformat())
    assert body["pledge"] == {"id": world.pledge_coalition.pk, "reference": world.pledge_coalition.reference}
    assert event_keys(events) == [key("allocation.create", line), key("pledge.allocate", world.pledge_coalition)]
    with new_events() as events:
        second = api.post("/allocations", _new(world, quantity=5))
    assert second.status_code == 201
    assert_one_event(events, "allocation.create", AllocationLine.objects.get(pk=second.json()["id"]))


def test_over_allocation_is_409_and_writes_nothing(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        body = assert_refused(api.post("/allocations", _new(world, quantity=51)), 409, field="quantity",
                              events=events)
    assert "only 50 units left" in body["detail"]
    assert not AllocationLine.objects.exists()
    assert Pledge.objects.get(pk=world.pledge_coalition.pk).status == "committed"


def test_only_committed_pledges_and_validated_requirements_can_be_allocated(personas, world):
    submitted = requirements.create_requirement(actor=personas.recipient, item=world.item, quantity=5,
                                                due_date=dt.date.today(), destination=world.kyiv)
    requirements.submit_requirement(actor=personas.recipient, requirement=submitted)
    api = as_user(personas.coordinator)
    with new_events() as events:
        assert_refused(api.post("/allocations", _new(world, pledge=world.pledge_coordinators.pk)), 409,
                       field="pledge")
        assert_refused(api.post("/allocations", _new(world, requirement=submitted.pk)), 409, field="requirement")
        # The coordinator does not see drafts: the id is unknown to them.
        assert_refused(api.post("/allocations", _new(world, requirement=world.draft_requirement.pk)), 422,
                       field="requirement")
        assert_refused(api.post("/allocations", _new(world, quantity=0)), 422, field="quantity")
    assert events == []


def test_an_inactive_hub_is_refused(personas, world):
    locations.update_hub(actor=personas.coordinator, hub=world.hub, changes={"active": False})
    api = as_user(personas.coordinator)
    assert_refused(api.post("/allocations", _new(world)), 422, field="hub")


def test_only_coordinator_editors_allocate(personas, world):
    donor, reader = as_user(personas.donor_de), as_user(personas.coordinator, scope="read")
    with new_events() as events:
        assert_refused(donor.post("/allocations", _new(world)), 403)
        assert_refused(reader.post("/allocations", _new(world)), 403)
    assert events == []


def test_outsider_cannot_name_what_they_cannot_see(personas, world):
    api = as_user(personas.outsider)
    with new_events() as events:
        body = assert_refused(api.post("/allocations", _new(world)), 422, events=events)
    assert {"pledge", "requirement", "hub"} <= set(body["errors"])


def test_releasing_the_last_line_is_audited_and_returns_the_pledge_to_committed(personas, world, allocate_line):
    line = allocate_line(10)
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post(f"/allocations/{line.pk}/release")
    assert response.status_code == 204
    assert event_keys(events) == [
        key("allocation.release", ("allocation.allocationline", line.pk)),
        key("pledge.unallocate", world.pledge_coalition),
    ]
    assert not AllocationLine.objects.exists()
    assert Pledge.objects.get(pk=world.pledge_coalition.pk).status == "committed"
    assert_not_found(api.post(f"/allocations/{line.pk}/release"))


def test_releasing_one_of_two_lines_writes_one_event(personas, world, allocate_line):
    line, _ = allocate_line(10), allocate_line(5)
    api = as_user(personas.coordinator)
    with new_events() as events:
        assert api.post(f"/allocations/{line.pk}/release").status_code == 204
    assert_one_event(events, "allocation.release", ("allocation.allocationline", line.pk))


def test_releasing_moving_goods_is_409_and_changes_nothing(personas, world, allocate_line):
    line = services.dispatch_allocation(actor=personas.coordinator, line=allocate_line(10), quantity=2)
    api = as_user(personas.coordinator)
    with new_events() as events:
        body = assert_refused(api.post(f"/allocations/{line.pk}/release"), 409, events=events)
    assert "already moving" in body["detail"]
    assert AllocationLine.objects.get(pk=line.pk).in_transit_quantity == 2


def test_release_is_guarded(personas, world, allocate_line):
    line = allocate_line(10)
    donor, outsider = as_user(personas.donor_de), as_user(personas.outsider)
    with new_events() as events:
        assert_refused(donor.post(f"/allocations/{line.pk}/release"), 403)
        assert_not_found(outsider.post(f"/allocations/{line.pk}/release"))
        assert_not_found(donor.post("/allocations/987654/release"))
    assert events == []
    assert AllocationLine.objects.filter(pk=line.pk).exists()


def test_donor_sees_lines_of_pledges_and_requirements_they_see(personas, world, allocate_line):
    line = allocate_line(10)
    assert [row["id"] for row in as_user(personas.donor_us).get("/allocations").json()["items"]] == [line.pk]
    assert as_user(personas.recipient).get(f"/allocations/{line.pk}").status_code == 200


def test_filters_narrow_the_list(personas, world, allocate_line):
    c = personas.coordinator
    first = allocate_line(10)
    via_ro = services.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement,
                               hub=world.hub_ro, quantity=3)
    us_line = services.allocate(actor=c, pledge=world.pledge_public, requirement=world.requirement,
                                hub=world.hub, quantity=4)
    api = as_user(c)

    def ids(**params):
        return {row["id"] for row in api.get("/allocations", params).json()["items"]}

    assert ids() == {first.pk, via_ro.pk, us_line.pk}
    assert ids(pledge=world.pledge_public.pk) == {us_line.pk}
    assert ids(hub=world.hub_ro.pk) == {via_ro.pk}
    assert ids(hub=world.hub.pk, pledge=world.pledge_coalition.pk) == {first.pk}
    assert ids(requirement=world.requirement.pk) == {first.pk, via_ro.pk, us_line.pk}
    assert ids(requirement=world.draft_requirement.pk) == set()
    assert_refused(api.get("/allocations", {"hub": "PL-RZE"}), 422, field="hub")


def test_an_allocation_can_name_its_pledge_requirement_and_hub_by_reference(personas, world):
    api = as_user(personas.coordinator)
    monday = clock.today() + dt.timedelta(days=7 - clock.today().weekday())
    with new_events() as events:
        response = api.post("/allocations", {
            "pledge": world.pledge_coalition.reference, "requirement": world.requirement.reference,
            "hub": world.hub.code, "quantity": 5, "dispatch_week": monday.isoformat()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["pledge"]["id"], body["requirement"]["id"], body["hub"]["id"]) == (
        world.pledge_coalition.pk, world.requirement.pk, world.hub.pk)
    assert [e.action for e in events] == ["allocation.create", "pledge.allocate"]


def test_a_reference_the_coordinator_cannot_see_is_refused_like_an_unknown_one(personas, world):
    api = as_user(personas.coordinator)
    response = api.post("/allocations", {"pledge": "PLG-99999", "requirement": world.requirement.reference,
                                         "hub": "XX-NOPE", "quantity": 5})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"pledge", "hub"} and "PLG-99999" in errors["pledge"][0]
