"""Capability readiness by hand: each status, packages, ready dates on awkward days, and the database wrapper."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aidbridge.core import clock
from aidbridge.training import services
from aidbridge.training.readiness import (
    AT_RISK,
    CREWS_ONLY,
    EQUIPMENT_ONLY,
    NEITHER,
    READY,
    Capability,
    CrewTraining,
    assess,
    readiness,
    readiness_for,
)
from aidbridge.training.tests.helpers import build_training

D = dt.date


def cap(**kw):
    return Capability(**{"key": "REQ-00001", "required": 12, **kw})


def crews(n=3, size=4, **kw):
    return CrewTraining(crew_size=size, crews=n, **kw)


def test_ready_when_delivered_and_trained():
    r = readiness(cap(delivered=12, last_delivery=D(2026, 1, 31), planned_arrival=D(2026, 1, 30),
                      training=[crews(completed=12, last_completion=D(2026, 2, 28))]))
    assert (r.status, r.crews_trained, r.crews_needed, r.ready_date) == (READY, 3, 3, D(2026, 2, 28))
    assert r.equipment_date == D(2026, 1, 31)  # the last delivery, not the plan


def test_equipment_only_when_crews_are_missing_and_not_planned_late():
    r = readiness(cap(delivered=12, last_delivery=D(2026, 3, 1), training=[crews(completed=4)]))
    assert (r.status, r.crews_trained, r.ready_date) == (EQUIPMENT_ONLY, 1, None)


def test_crews_only_when_equipment_is_missing():
    r = readiness(cap(delivered=5, planned_arrival=D(2026, 12, 31),
                      training=[crews(completed=12, last_completion=D(2026, 6, 30))]))
    assert (r.status, r.ready_date) == (CREWS_ONLY, D(2026, 12, 31))  # year end: the planned arrival


def test_neither_when_training_is_planned_before_the_arrival():
    r = readiness(cap(planned_arrival=D(2028, 3, 1),
                      training=[crews(planned=12, planned_end=D(2028, 2, 29))]))  # 29 Feb, the day before
    assert (r.status, r.crews_planned, r.ready_date) == (NEITHER, 3, D(2028, 3, 1))


def test_at_risk_when_a_planned_completion_comes_after_the_arrival():
    r = readiness(cap(planned_arrival=D(2026, 1, 31), training=[crews(planned=12, planned_end=D(2026, 2, 1))]))
    assert (r.status, r.ready_date) == (AT_RISK, D(2026, 2, 1))  # month end → the next month's first day
    # Equipment already delivered, crews still in a course: the equipment waits, so at risk too.
    r = readiness(cap(delivered=12, last_delivery=D(2026, 1, 10),
                      training=[crews(completed=8, last_completion=D(2026, 1, 5), planned=4,
                                      planned_end=D(2026, 1, 20))]))
    assert (r.status, r.crews_trained, r.crews_planned, r.ready_date) == (AT_RISK, 2, 3, D(2026, 1, 20))


def test_with_nothing_planned_the_due_date_stands_for_the_arrival():
    training = [crews(planned=12, planned_end=D(2027, 1, 1))]
    r = readiness(cap(due_date=D(2026, 12, 31), training=training))
    assert (r.status, r.equipment_date, r.ready_date) == (AT_RISK, None, None)
    r = readiness(cap(due_date=D(2027, 1, 1), training=training))
    assert r.status == NEITHER


def test_same_day_is_not_late():
    r = readiness(cap(planned_arrival=D(2026, 12, 31), training=[crews(planned=12, planned_end=D(2026, 12, 31))]))
    assert r.status == NEITHER and r.ready_date == D(2026, 12, 31)


def test_partial_plans_leave_the_training_date_unknown():
    r = readiness(cap(planned_arrival=D(2026, 5, 1), training=[crews(planned=4, planned_end=D(2026, 4, 1))]))
    assert (r.status, r.crews_planned, r.training_date, r.ready_date) == (NEITHER, 1, None, None)


def test_no_training_needed_means_ready_on_delivery():
    r = readiness(cap(delivered=12, last_delivery=D(2026, 2, 28)))
    assert (r.status, r.crews_needed, r.ready_date) == (READY, 0, D(2026, 2, 28))


def test_several_requests_add_up():
    r = readiness(cap(delivered=12, last_delivery=D(2026, 2, 1), training=[
        crews(n=2, size=4, completed=8, last_completion=D(2026, 1, 15)),
        crews(n=1, size=3, completed=3, last_completion=D(2026, 1, 31))]))
    assert (r.status, r.crews_needed, r.crews_trained, r.ready_date) == (READY, 3, 3, D(2026, 2, 1))
    # Part of a crew is not a crew.
    r = readiness(cap(training=[crews(n=2, size=4, completed=7)]))
    assert r.crews_trained == 1


def test_packages_combine_their_requirements():
    rows, packages = assess([
        cap(key="REQ-1", package="battery", delivered=12, last_delivery=D(2026, 1, 31),
            training=[crews(completed=12, last_completion=D(2026, 1, 31))]),
        cap(key="REQ-2", package="battery", delivered=12, last_delivery=D(2028, 2, 29), priority=1),
        cap(key="REQ-3", package="", delivered=0),
    ])
    assert [r.status for r in rows] == [READY, READY, NEITHER]
    (battery,) = packages
    assert (battery.key, battery.status, battery.members, battery.priority) == ("battery", READY, ("REQ-1", "REQ-2"), 1)
    assert (battery.required, battery.delivered, battery.ready_date) == (24, 24, D(2028, 2, 29))
    _, (mixed,) = assess([
        cap(key="A", package="p", delivered=12, training=[crews(completed=4)]),
        cap(key="B", package="p", delivered=12, planned_arrival=D(2026, 3, 1),
            training=[crews(planned=12, planned_end=D(2026, 3, 2))]),
    ])
    assert (mixed.status, mixed.ready_date) == (AT_RISK, None)
    _, (half,) = assess([cap(key="A", package="q", delivered=12), cap(key="B", package="q", delivered=1)])
    assert half.status == NEITHER
    _, (trained,) = assess([cap(key="A", package="r", training=[crews(completed=12)])])
    assert trained.status == CREWS_ONLY


def test_as_dict_is_json_ready():
    r = readiness(cap(planned_arrival=D(2026, 12, 31), training=[crews(planned=12, planned_end=D(2027, 1, 1))]))
    assert r.as_dict()["ready_date"] == "2027-01-01" and r.as_dict()["status"] == AT_RISK


# --- from the database ----------------------------------------------------------------------------------------

@pytest.fixture
def training(personas, world):
    return build_training(personas, world)


def test_readiness_for_reads_seats_and_completions(personas, world, training):
    t, c, r = training, personas.coordinator, personas.recipient
    (row,), packages = readiness_for(c)
    assert (row.key, row.status, row.required, row.crews_needed, row.crews_planned) == (
        world.requirement.reference, NEITHER, 80, 3, 0)
    assert packages == []
    services.assign_seats(actor=c, request=t.request, course=t.course, seats=4)
    services.assign_seats(actor=c, request=t.request, course=t.course_coord, seats=8)
    (row,), _ = readiness_for(c)
    assert (row.crews_planned, row.training_date) == (3, t.course.end_date)
    with time_machine.travel(clock.now() + dt.timedelta(days=15), tick=False):
        for i in range(4):
            e = services.enrol_trainee(actor=r, request=t.request, course=t.course, trainee_ref=f"UA-{i}")
            e = services.record_attendance(actor=r, enrolment=e)
            services.complete_enrolment(actor=r, enrolment=e, certificate_ref=f"C-{i}")
        (row,), _ = readiness_for(c)
    assert (row.crews_trained, row.crews_planned) == (1, 3)
    # The rest are planned on the other course, which ends before the completions were recorded (day 15).
    assert row.training_date == clock.today() + dt.timedelta(days=15) > t.course_coord.end_date
    services.cancel_course(actor=c, course=t.course_coord)
    (row,), _ = readiness_for(c)
    assert (row.crews_trained, row.crews_planned, row.training_date) == (1, 1, None)


def test_readiness_for_respects_visibility(personas, world, training):
    assert len(readiness_for(personas.recipient)[0]) == 1
    assert len(readiness_for(personas.donor_us)[0]) == 1
    assert readiness_for(personas.outsider) == ([], [])
    assert readiness_for(None) == ([], [])
    # A draft request counts only for its recipient (and auditors); others see no capability for it.
    services.cancel_training_request(actor=personas.recipient, request=training.request)
    assert readiness_for(personas.coordinator) == ([], [])
    assert len(readiness_for(personas.coordinator, [world.requirement])[0]) == 1  # asked for explicitly
