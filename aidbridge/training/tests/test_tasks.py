"""Seat plan runs end to end: the instance built from the database, the task, approval, and readiness after it."""

from __future__ import annotations

import datetime as dt

import pytest

from aidbridge.allocation import services as allocation
from aidbridge.core import clock
from aidbridge.training import planner, services, tasks
from aidbridge.training.instance import build_instance, distance_km, travel_days_for
from aidbridge.training.models import SeatAssignment, SeatPlanRun
from aidbridge.training.readiness import readiness_for
from aidbridge.training.tests.helpers import build_training


@pytest.fixture
def training(personas, world):
    return build_training(personas, world)


def test_the_instance_follows_the_database(personas, world, training):
    t = training
    data = build_instance(start_date=clock.today())
    planner.Instance.from_dict(data)  # the planner accepts it
    assert data["schema"] == "aidbridge.seat-instance/1"
    assert [c["id"] for c in data["courses"]] == sorted([t.course.reference, t.course_coord.reference,
                                                          t.course_public.reference])
    (request,) = data["requests"]  # the draft is not planned
    assert request == {
        "id": t.request.reference, "requirement": world.requirement.reference, "trainees": 12, "crew_size": 4,
        "language": "en", "item": "GEN-100KW", "class": "VII", "priority": 1,
        "needed_by_day": 28,  # nothing is allocated yet: the requirement's due date
        "origin": "UA", "holds": []}
    public = next(c for c in data["courses"] if c["id"] == t.course_public.reference)
    assert (public["qualifies"], public["start_day"], public["end_day"], public["location"]) == (
        ["VIII"], 20, 30, "DE WIB")
    # UA's position is its requirement destinations' (Kyiv): about 1,590 km to Wiesbaden, so four days.
    assert data["travel_days"] == {"UA": {"DE WIB": 4}}
    assert data["fixed"] == []


def test_needed_by_follows_the_planned_arrival(personas, world, training):
    """Allocated for dispatch in the week of 23 March from Rzeszów (1 week to Kyiv): arrival Friday 3 April."""
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition, requirement=world.requirement,
                        hub=world.hub, quantity=10, dispatch_week=dt.date(2026, 3, 23))
    (request,) = build_instance(start_date=clock.today())["requests"]
    assert request["needed_by_day"] == (dt.date(2026, 4, 3) - clock.today()).days == 23


def test_travel_days():
    assert travel_days_for(0) == 1 and travel_days_for(500) == 1 and travel_days_for(501) == 2
    assert round(distance_km((50.45, 30.5233), (50.0878, 8.1206))) in range(1570, 1600)


def test_a_run_plans_and_its_approval_writes_the_seats(personas, world, training, django_capture_on_commit_callbacks):
    t = training
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.start_seat_plan(actor=personas.coordinator, time_limit=10)
    assert len(callbacks) == 1  # the task is queued once the transaction commits
    assert tasks.execute_seat_plan.call(run.pk) == "done"
    run.refresh_from_db()
    assert run.status == SeatPlanRun.Status.DONE and run.progress == 1.0
    assert run.plan["schema"] == "aidbridge.seat-plan/1"
    assert run.objective == pytest.approx(1000.0) and run.baseline_objective == pytest.approx(1000.0)
    assert run.plan["assignments"] == [{"request": t.request.reference, "course": t.course.reference, "seats": 12}]
    assert tasks.execute_seat_plan.call(run.pk) == "not queued"
    (assignment,) = services.approve_seat_plan(actor=personas.coordinator, run=run)
    assert (assignment.course, assignment.seats, assignment.run) == (t.course, 12, run)
    (row,), _ = readiness_for(personas.coordinator)
    assert (row.crews_needed, row.crews_trained, row.crews_planned) == (3, 0, 3)
    assert row.training_date == t.course.end_date

    # A second run sees the approved seats as fixed, and has nothing new to give.
    again = services.start_seat_plan(actor=personas.coordinator, enqueue=False)
    tasks.execute(again.pk)
    again.refresh_from_db()
    assert again.instance["fixed"] == [{"request": t.request.reference, "course": t.course.reference, "seats": 12}]
    assert services.approve_seat_plan(actor=personas.coordinator, run=again) == []
    assert SeatAssignment.objects.count() == 1


def test_first_come_method(personas, training):
    run = services.start_seat_plan(actor=personas.coordinator, method="first_come", enqueue=False)
    assert tasks.execute(run.pk) == "done"
    run.refresh_from_db()
    assert run.plan == run.baseline_plan and run.objective == run.baseline_objective


def test_a_failing_run_is_recorded(personas, training, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the planner broke")

    monkeypatch.setattr(tasks, "build_instance", broken)
    run = services.start_seat_plan(actor=personas.coordinator, enqueue=False)
    assert tasks.execute(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == SeatPlanRun.Status.FAILED and "the planner broke" in run.error
    assert run.progress_message == "Failed"
