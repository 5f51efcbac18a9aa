from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.allocation import services
from aidbridge.allocation.models import AllocationLine
from aidbridge.conftest import requires_postgres
from aidbridge.core.errors import Conflict, InvalidTransition, NotPermitted, ServiceError
from aidbridge.pledges.models import Pledge


def test_allocation_moves_pledge_to_allocated(world, personas, allocate_line):
    allocate_line(10)
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.status == Pledge.Status.ALLOCATED


def test_over_allocation_of_a_pledge_is_refused(world, personas, allocate_line):
    allocate_line(45)
    with pytest.raises(Conflict) as exc:
        allocate_line(6)
    assert "only 5 units left" in str(exc.value)


def test_over_filling_a_requirement_is_refused(world, personas, allocate_line):
    allocate_line(50)
    with pytest.raises(Conflict) as exc:
        services.allocate(actor=personas.coordinator, pledge=world.pledge_public, requirement=world.requirement,
                          hub=world.hub, quantity=31)
    assert "needs only 30 more" in str(exc.value)


def test_only_committed_pledges_and_validated_requirements(world, personas):
    with pytest.raises(InvalidTransition):
        services.allocate(actor=personas.coordinator, pledge=world.pledge_coordinators,
                          requirement=world.requirement, hub=world.hub, quantity=1)
    with pytest.raises(InvalidTransition):
        services.allocate(actor=personas.coordinator, pledge=world.pledge_coalition,
                          requirement=world.draft_requirement, hub=world.hub, quantity=1)


def test_item_must_match_and_hub_must_be_reachable(world, personas):
    from aidbridge.locations import services as locations

    locations.set_inbound_lead_time(actor=personas.coordinator, hub=world.hub, origin_country="DE", weeks=None)
    with pytest.raises(ServiceError) as exc:
        services.allocate(actor=personas.coordinator, pledge=world.pledge_coalition,
                          requirement=world.requirement, hub=world.hub, quantity=1)
    assert "cannot be reached from DE" in str(exc.value)


def test_donors_cannot_allocate(world, personas):
    with pytest.raises(NotPermitted):
        services.allocate(actor=personas.donor_de, pledge=world.pledge_coalition,
                          requirement=world.requirement, hub=world.hub, quantity=1)


def test_release_returns_pledge_to_committed(world, personas, allocate_line):
    line = allocate_line(10)
    services.release_allocation(actor=personas.coordinator, line=line)
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.status == Pledge.Status.COMMITTED


def test_dispatch_and_delivery_walk_the_pledge_to_delivered(world, personas, allocate_line):
    line = allocate_line(10)
    services.dispatch_allocation(actor=personas.hub_pl, line=line, quantity=10)
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.status == Pledge.Status.SHIPPED
    with pytest.raises(ServiceError):
        services.confirm_delivery(actor=personas.recipient, line=line, quantity=11)
    services.confirm_delivery(actor=personas.recipient, line=line, quantity=10)
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.status == Pledge.Status.DELIVERED


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["coalition", "public"]), st.integers(1, 40)), max_size=8))
def test_no_sequence_of_allocations_breaks_the_quantities(world, personas, requests):
    """Invariant: a pledge is never allocated beyond its quantity, nor a requirement filled beyond its own."""
    from django.db import transaction

    sid = transaction.savepoint()
    for which, quantity in requests:
        pledge = world.pledge_coalition if which == "coalition" else world.pledge_public
        with contextlib.suppress(Conflict):
            services.allocate(actor=personas.coordinator, pledge=pledge, requirement=world.requirement,
                              hub=world.hub, quantity=quantity)
        for p in (world.pledge_coalition, world.pledge_public):
            assert sum(AllocationLine.objects.filter(pledge=p).values_list("quantity", flat=True)) <= p.quantity
        total = sum(AllocationLine.objects.filter(requirement=world.requirement).values_list("quantity", flat=True))
        assert total <= world.requirement.quantity
    transaction.savepoint_rollback(sid)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_allocating_at_once_never_over_allocate(world, personas):
    """Real concurrency: many threads race to allocate the same pledge; the row locks serialise them."""
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            services.allocate(actor=personas.coordinator, pledge=world.pledge_coalition,
                              requirement=world.requirement, hub=world.hub, quantity=20)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 2  # 50 units: two lines of 20 fit, the third would exceed
    total = sum(AllocationLine.objects.filter(pledge=world.pledge_coalition).values_list("quantity", flat=True))
    assert total == 40
