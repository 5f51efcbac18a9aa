"""/api/v1/requirements: CRUD, transitions, fill levels and filters."""

from __future__ import annotations

import datetime as dt

import pytest

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import Organisation
from aidbridge.allocation import services as allocation
from aidbridge.core.tests.api_helpers import (
    ListEndpointChecks,
    as_user,
    assert_not_found,
    assert_one_event,
    assert_refused,
    new_events,
)
from aidbridge.requirements import services
from aidbridge.requirements.models import Requirement

DUE = (dt.date.today() + dt.timedelta(days=60)).isoformat()


class TestRequirementEndpoints(ListEndpointChecks):
    path = "/requirements"

    @pytest.fixture
    def target(self, world):
        return world.requirement

    def add_rows(self, world, personas, n):
        for i in range(n):
            Requirement.objects.create(recipient=personas.orgs["ua"], item=world.other_item, quantity=5 + i,
                                       due_date=dt.date.today(), destination=world.lviv, status="submitted")


def _new(world, **overrides):
    return {"item": world.item.pk, "quantity": 12, "priority": 2, "due_date": DUE,
            "destination": world.lviv.pk, **overrides}


def test_output_carries_derived_fill_levels(personas, world, allocate_line):
    line = allocate_line(30)
    allocation.dispatch_allocation(actor=personas.coordinator, line=line, quantity=10)
    body = as_user(personas.coordinator).get(f"/requirements/{world.requirement.pk}").json()
    assert (body["allocated"], body["in_transit"], body["delivered"]) == (30, 10, 0)
    assert (body["allocated_fill"], body["in_transit_fill"], body["delivered_fill"]) == ("partial", "partial", "none")
    assert body["reference"] == f"REQ-{world.requirement.pk:05d}"
    assert body["item"]["code"] == "GEN-100KW" and body["destination"]["unlocode"] == "UA IEV"
    listed = as_user(personas.coordinator).get("/requirements").json()["items"]
    assert [(r["allocated"], r["allocated_fill"]) for r in listed] == [(30, "partial")]


def test_coordinator_does_not_see_drafts(personas, world):
    assert_not_found(as_user(personas.coordinator).get(f"/requirements/{world.draft_requirement.pk}"))
    assert as_user(personas.recipient).get(f"/requirements/{world.draft_requirement.pk}").status_code == 200


def test_recipient_creates_a_draft_and_it_is_audited(personas, world):
    api = as_user(personas.recipient)
    with new_events() as events:
        response = api.post("/requirements", _new(world, package="gen-set"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["recipient"]["short_name"], body["package"]) == ("draft", "ua-mod", "gen-set")
    assert_one_event(events, "requirement.create", Requirement.objects.get(pk=body["id"]))


@pytest.mark.parametrize(("field", "value"), [("item", 987654), ("destination", 987654), ("priority", 7),
                                              ("quantity", 0), ("due_date", "soon"), ("recipient", 987654)])
def test_bad_values_are_refused_naming_the_field(personas, world, field, value):
    api = as_user(personas.recipient)
    with new_events() as events:
        assert_refused(api.post("/requirements", _new(world, **{field: value})), 422, field=field, events=events)


def test_a_donor_cannot_raise_requirements(personas, world):
    api = as_user(personas.donor_de)
    with new_events() as events:
        assert_refused(api.post("/requirements", _new(world)), 422, field="recipient", events=events)


def test_outsider_cannot_name_items_they_cannot_see(personas, world):
    api = as_user(personas.outsider)
    with new_events() as events:
        assert_refused(api.post("/requirements", _new(world)), 422, field="item", events=events)


def test_patch_is_audited(personas, world):
    api = as_user(personas.recipient)
    requirement = world.draft_requirement
    with new_events() as events:
        response = api.patch(f"/requirements/{requirement.pk}", {"quantity": 15, "item": world.other_item.pk})
    assert response.status_code == 200, response.content
    requirement.refresh_from_db()
    assert (requirement.quantity, requirement.item_id, requirement.priority) == (15, world.other_item.pk, 1)
    assert_one_event(events, "requirement.update", requirement)


def test_patch_refusals(personas, world):
    recipient, coordinator, outsider = (as_user(p) for p in (personas.recipient, personas.coordinator,
                                                             personas.outsider))
    validated, draft = world.requirement, world.draft_requirement
    with new_events() as events:
        assert_refused(recipient.patch(f"/requirements/{draft.pk}", {"item": 987654}), 422, field="item")
        assert_refused(recipient.patch(f"/requirements/{draft.pk}", {"quantity": None}), 422, field="quantity")
        assert_refused(recipient.patch(f"/requirements/{validated.pk}", {"quantity": 5}), 409, field="status")
        assert_refused(coordinator.patch(f"/requirements/{validated.pk}", {"quantity": 5}), 403)
        assert_not_found(outsider.patch(f"/requirements/{validated.pk}", {"quantity": 5}))
        assert_not_found(coordinator.patch(f"/requirements/{draft.pk}", {"quantity": 5}))
    assert events == []
    validated.refresh_from_db()
    assert validated.quantity == 80


def _submitted(personas, world):
    return services.submit_requirement(actor=personas.recipient, requirement=world.draft_requirement)


# (transition, how to reach the starting state, who acts, resulting status)
TRANSITIONS = [
    ("submit", lambda p, w: w.draft_requirement, "recipient", "submitted"),
    ("validate", _submitted, "coordinator", "validated"),
    ("return", _submitted, "coordinator", "draft"),
    ("close", lambda p, w: w.requirement, "coordinator", "closed"),
    ("cancel", lambda p, w: w.draft_requirement, "recipient", "cancelled"),
]


@pytest.mark.parametrize(("transition", "start", "persona", "status"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
def test_transition_moves_the_requirement_and_is_audited(personas, world, transition, start, persona, status):
    requirement = start(personas, world)
    api = as_user(getattr(personas, persona))
    with new_events() as events:
        response = api.post(f"/requirements/{requirement.pk}/{transition}")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == status
    requirement.refresh_from_db()
    assert requirement.status == status
    assert_one_event(events, f"requirement.{transition}", requirement)


@pytest.mark.parametrize(("transition", "start", "persona", "status"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
def test_outsider_gets_404_for_every_transition(personas, world, transition, start, persona, status):
    requirement = start(personas, world)
    api = as_user(personas.outsider)
    with new_events() as events:
        assert_not_found(api.post(f"/requirements/{requirement.pk}/{transition}"))
    assert events == []


def _closed(personas, world):
    return services.close_requirement(actor=personas.coordinator, requirement=world.requirement)


# (transition, starting state it cannot leave that way, who acts)
ILLEGAL = [
    ("submit", lambda p, w: w.requirement, "recipient"),
    ("validate", lambda p, w: w.requirement, "coordinator"),
    ("return", lambda p, w: w.requirement, "recipient"),
    ("close", _submitted, "coordinator"),
    ("cancel", _closed, "coordinator"),
]


@pytest.mark.parametrize(("transition", "start", "persona"), ILLEGAL, ids=[t[0] for t in ILLEGAL])
def test_illegal_transition_is_409_and_changes_nothing(personas, world, transition, start, persona):
    requirement = start(personas, world)
    before = requirement.status
    api = as_user(getattr(personas, persona))
    with new_events() as events:
        body = assert_refused(api.post(f"/requirements/{requirement.pk}/{transition}"), 409, field="status",
                              events=events)
    assert "Cannot move" in body["detail"]
    requirement.refresh_from_db()
    assert requirement.status == before


def test_cancelling_with_goods_in_transit_is_409(personas, world, allocate_line):
    allocation.dispatch_allocation(actor=personas.coordinator, line=allocate_line(5), quantity=5)
    api = as_user(personas.coordinator)
    with new_events() as events:
        body = assert_refused(api.post(f"/requirements/{world.requirement.pk}/cancel"), 409, events=events)
    assert "in transit" in body["detail"]


def test_recipient_may_not_validate_their_own_requirement(personas, world):
    requirement = _submitted(personas, world)
    api = as_user(personas.recipient)
    with new_events() as events:
        assert_refused(api.post(f"/requirements/{requirement.pk}/validate"), 403, events=events)
    requirement.refresh_from_db()
    assert requirement.status == "submitted"


@pytest.fixture
def more_requirements(personas, world):
    """Beyond the world's two P1 generator requirements: a P3 trauma-kit one and another recipient's."""
    r = personas.recipient
    kits = services.create_requirement(actor=r, item=world.other_item, quantity=500, priority=3,
                                       due_date=dt.date.today(), destination=world.lviv)
    services.submit_requirement(actor=r, requirement=kits)
    moldova = Organisation.objects.create(name="Moldova — Civil Protection", short_name="md-cp",
                                          kind="recipient", country="MD")
    md_user = accounts.create_user(actor=None, username="md", password=None, organisation=moldova, role="editor")
    md = services.create_requirement(actor=md_user, item=world.item, quantity=3, priority=4,
                                     due_date=dt.date.today(), destination=world.kyiv)
    services.submit_requirement(actor=md_user, requirement=md)
    return {"kits": kits, "md": md, "moldova": moldova}


def _ids(api, **params):
    return {row["id"] for row in api.get("/requirements", params).json()["items"]}


def test_filters_narrow_the_list(personas, world, more_requirements):
    api = as_user(personas.auditor)
    draft, validated = world.draft_requirement.pk, world.requirement.pk
    kits, md = more_requirements["kits"].pk, more_requirements["md"].pk
    assert _ids(api) == {draft, validated, kits, md}
    assert _ids(api, status="submitted") == {kits, md}
    assert _ids(api, status=["draft", "validated"]) == {draft, validated}
    assert _ids(api, priority="1") == {draft, validated}
    assert _ids(api, priority=["3", "4"]) == {kits, md}
    assert _ids(api, item=str(world.other_item.pk)) == {kits}
    assert _ids(api, item="GEN-100KW") == {draft, validated, md}
    assert _ids(api, organisation=more_requirements["moldova"].pk) == {md}
    assert _ids(api, supply_class="VIII") == {kits}
    assert _ids(api, supply_class="VII", priority="4") == {md}
    assert _ids(api, destination="UA IEV") == {validated, md}


@pytest.mark.parametrize(("param", "value"), [("status", "lost"), ("priority", "9"), ("organisation", "ua"),
                                              ("supply_class", "XI"), ("due_before", "tomorrow")])
def test_an_invalid_filter_value_is_422_naming_it(personas, world, param, value):
    assert_refused(as_user(personas.coordinator).get("/requirements", {param: value}), 422, field=param)
