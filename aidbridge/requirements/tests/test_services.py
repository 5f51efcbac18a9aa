from __future__ import annotations

import pytest

from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import InvalidTransition, NotPermitted
from aidbridge.requirements import services
from aidbridge.requirements.models import Requirement

S = Requirement.Status
ACTOR_FOR = {"submit": "recipient", "validate": "coordinator", "return": "coordinator", "close": "coordinator",
             "cancel": "recipient"}


def _force(requirement: Requirement, status: str) -> Requirement:
    Requirement.objects.filter(pk=requirement.pk).update(status=status)
    requirement.refresh_from_db()
    return requirement


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (S.DRAFT, "validate"), (S.DRAFT, "close"), (S.DRAFT, "return"),
        (S.SUBMITTED, "submit"), (S.SUBMITTED, "close"),
        (S.VALIDATED, "submit"), (S.VALIDATED, "validate"), (S.VALIDATED, "return"),
        (S.CLOSED, "cancel"), (S.CLOSED, "submit"), (S.CANCELLED, "submit"), (S.CANCELLED, "validate"),
    ],
)
def test_it_refuses_illegal_transitions_and_changes_nothing(world, personas, start, action):
    requirement = _force(world.draft_requirement, start)
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition):
        getattr(services, f"{action}_requirement")(actor=getattr(personas, ACTOR_FOR[action]),
                                                    requirement=requirement)
    requirement.refresh_from_db()
    assert requirement.status == start
    assert AuditEvent.objects.count() == events


def test_full_lifecycle_is_audited(world, personas):
    r = world.draft_requirement
    services.submit_requirement(actor=personas.recipient, requirement=r)
    services.return_requirement(actor=personas.coordinator, requirement=r)
    services.submit_requirement(actor=personas.recipient, requirement=r)
    services.validate_requirement(actor=personas.coordinator, requirement=r)
    services.close_requirement(actor=personas.coordinator, requirement=r)
    actions = list(AuditEvent.objects.for_object(r).values_list("action", flat=True))
    assert actions == ["requirement.create", "requirement.submit", "requirement.return", "requirement.submit",
                       "requirement.validate", "requirement.close"]


def test_only_coordinators_validate(world, personas):
    services.submit_requirement(actor=personas.recipient, requirement=world.draft_requirement)
    with pytest.raises(NotPermitted):
        services.validate_requirement(actor=personas.recipient, requirement=world.draft_requirement)
    with pytest.raises(NotPermitted):
        services.validate_requirement(actor=personas.donor_de, requirement=world.draft_requirement)


def test_donor_cannot_create_requirements(world, personas):
    from aidbridge.core.errors import ServiceError

    with pytest.raises(ServiceError):
        services.create_requirement(actor=personas.donor_de, item=world.item, quantity=1, priority=1,
                                    due_date=world.requirement.due_date, destination=world.lviv)


def test_validated_requirement_cannot_be_edited(world, personas):
    with pytest.raises(InvalidTransition):
        services.update_requirement(actor=personas.recipient, requirement=world.requirement,
                                    changes={"quantity": 5})


def test_cancel_refused_while_goods_are_in_transit(world, personas, allocate_line):
    from aidbridge.allocation import services as allocation

    line = allocate_line(5)
    allocation.dispatch_allocation(actor=personas.coordinator, line=line, quantity=5)
    with pytest.raises(InvalidTransition):
        services.cancel_requirement(actor=personas.recipient, requirement=world.requirement)


def test_fill_levels_are_derived(world, personas, allocate_line):
    from aidbridge.allocation import services as allocation

    r = Requirement.objects.with_fill().get(pk=world.requirement.pk)
    assert (r.allocated_fill, r.in_transit_fill, r.delivered_fill) == ("none", "none", "none")
    line = allocate_line(50)
    allocation.dispatch_allocation(actor=personas.coordinator, line=line, quantity=50)
    allocation.confirm_delivery(actor=personas.recipient, line=line, quantity=20)
    r = Requirement.objects.with_fill().get(pk=world.requirement.pk)
    assert (r.allocated, r.in_transit, r.delivered) == (50, 30, 20)
    assert (r.allocated_fill, r.in_transit_fill, r.delivered_fill) == ("partial", "partial", "partial")


def test_cancel_gives_unmoved_units_back_to_their_pledges(world, personas, allocate_line):
    from aidbridge.allocation.models import AllocationLine

    allocate_line(10)
    services.cancel_requirement(actor=personas.recipient, requirement=world.requirement)
    assert not AllocationLine.objects.filter(requirement=world.requirement).exists()
