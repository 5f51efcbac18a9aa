from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection

from aidbridge.allocation import run_services as runs
from aidbridge.allocation.instance import build_instance, monday
from aidbridge.allocation.models import AllocationLine, AllocationRun
from aidbridge.allocation.tasks import execute_run
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import requires_postgres
from aidbridge.core.errors import Conflict, InvalidTransition, NotPermitted
from aidbridge.pledges import services as pledges
from aidbridge.requirements.models import Requirement


def _run(personas, **kw) -> AllocationRun:
    run = runs.start_run(actor=personas.coordinator, **kw)
    execute_run.call(run.pk)
    run.refresh_from_db()
    return run


def test_instance_is_built_from_validated_requirements_and_committed_pledges(world):
    data = build_instance(start_date=dt.date.today())
    assert [r["id"] for r in data["requirements"]] == [world.requirement.reference]
    ids = {p["id"] for p in data["pledges"]}
    assert ids == {world.pledge_coalition.reference, world.pledge_public.reference}
    assert {h["id"] for h in data["hubs"]} == {"PL-RZE", "RO-SCV"}
    assert data["lead_out_weeks"]["PL-RZE"]["UA-IEV"] == 1


def test_a_run_solves_records_and_audits(world, personas):
    run = _run(personas)
    assert run.status == AllocationRun.Status.DONE, run.error
    assert run.objective is not None and run.greedy_objective is not None and run.bound is not None
    assert run.objective >= run.greedy_objective - 1e-6
    assert run.bound >= run.objective - 1e-6
    assert run.progress == 1.0 and run.duration_seconds is not None
    flows = run.plan["flows"]
    assert sum(f["quantity"] for f in flows) == 80  # two pledges of 50 for a requirement of 80
    actions = list(AuditEvent.objects.filter(object_type="allocation.allocationrun").values_list("action", flat=True))
    assert actions == ["allocation_run.start", "allocation_run.finish"]


def test_approval_creates_lines_and_updates_fill(world, personas):
    run = _run(personas)
    lines = runs.approve_run(actor=personas.coordinator, run=run)
    assert sum(line.quantity for line in lines) == 80
    requirement = Requirement.objects.with_fill().get(pk=world.requirement.pk)
    assert requirement.allocated_fill == "complete"
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.status == "allocated"
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.APPROVED
    with pytest.raises(InvalidTransition):
        runs.approve_run(actor=personas.coordinator, run=run)


def test_stale_plan_is_refused_and_nothing_is_written(world, personas):
    run = _run(personas)
    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        runs.approve_run(actor=personas.coordinator, run=run)
    assert "stale" in str(exc.value)
    assert not AllocationLine.objects.exists()
    assert AuditEvent.objects.count() == events


def test_rerun_keeps_approved_lines_as_fixed_inputs(world, personas):
    first = _run(personas)
    runs.approve_run(actor=personas.coordinator, run=first)
    second = _run(personas)
    assert second.status == AllocationRun.Status.DONE, second.error
    fixed = second.instance["fixed_flows"]
    assert sum(f["quantity"] for f in fixed) == 80
    assert runs.approve_run(actor=personas.coordinator, run=second) == []


def test_only_coordinators_start_and_approve(world, personas):
    with pytest.raises(NotPermitted):
        runs.start_run(actor=personas.donor_de)
    run = _run(personas)
    with pytest.raises(NotPermitted):
        runs.approve_run(actor=personas.auditor, run=run)


def test_runs_are_seen_by_coordinators_and_auditors_only(world, personas):
    run = _run(personas)
    for name, sees in [("coordinator", True), ("auditor", True), ("donor_de", False), ("recipient", False),
                       ("outsider", False)]:
        assert AllocationRun.objects.for_user(getattr(personas, name)).filter(pk=run.pk).exists() is sees


def test_a_run_is_claimed_once(world, personas):
    run = runs.start_run(actor=personas.coordinator)
    assert execute_run.call(run.pk) == "done"
    assert execute_run.call(run.pk) == "not queued"


def test_start_date_is_a_monday(world, personas):
    run = runs.start_run(actor=personas.coordinator, start_date=dt.date(2026, 12, 3))
    assert run.start_date == monday(dt.date(2026, 12, 3)) == dt.date(2026, 11, 30)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_approving_at_once_never_over_allocate(world, personas):
    """Two plans built on the same inputs, approved at the same moment: exactly one lands."""
    first, second = _run(personas), _run(personas)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(run: AllocationRun) -> None:
        try:
            barrier.wait()
            runs.approve_run(actor=personas.coordinator, run=run)
            outcomes.append("approved")
        except Conflict:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=approve, args=(r,)) for r in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "refused"]
    for p in (world.pledge_coalition, world.pledge_public):
        assert sum(AllocationLine.objects.filter(pledge=p).values_list("quantity", flat=True)) <= p.quantity
    total = sum(AllocationLine.objects.filter(requirement=world.requirement).values_list("quantity", flat=True))
    assert total == 80


def test_overdue_requirements_are_planned_as_due_now(world, personas):
    Requirement.objects.filter(pk=world.requirement.pk).update(due_date=dt.date.today() - dt.timedelta(weeks=4))
    run = _run(personas)
    assert run.status == AllocationRun.Status.DONE, run.error
    assert run.instance["requirements"][0]["due_week"] == 0
