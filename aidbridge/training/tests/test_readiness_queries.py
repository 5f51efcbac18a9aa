"""What the pages read: readiness by priority and over time, course seat use, the training chain, and the public
aggregates (public, disclosed courses only)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aidbridge.core import clock
from aidbridge.training import queries, services
from aidbridge.training.tests.helpers import build_training


@pytest.fixture
def training(personas, world):
    return build_training(personas, world)


def test_readiness_by_priority_lists_every_priority_and_status(personas, training):
    rows = queries.readiness_by_priority(personas.coordinator)
    assert [r["priority"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["total"] == 1 and rows[0]["counts"]["neither"] == 1
    assert set(rows[0]["counts"]) == {"ready", "at risk", "equipment only", "crews only", "neither"}
    assert all(r["total"] == 0 for r in rows[1:])
    assert all(r["total"] == 0 for r in queries.readiness_by_priority(personas.outsider))


def test_readiness_over_time_counts_by_month_end(personas, training):
    t = training
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=12)
    # Due 8 April with nothing allocated: no arrival is planned, so no ready date yet.
    months = queries.readiness_over_time(personas.coordinator, months=3, start=dt.date(2026, 1, 31))
    assert [m["month"] for m in months] == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert [(m["ready"], m["total"]) for m in months] == [(0, 1), (0, 1), (0, 1)]


@time_machine.travel(dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC), tick=False)
def test_months_roll_over_the_year_end(personas):
    months = queries.readiness_over_time(personas.coordinator, months=3)
    assert [m["month"] for m in months] == [dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 2, 1)]


def test_course_seat_use_and_training_chain(personas, world, training):
    t = training
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=8)
    services.enrol_trainee(actor=personas.recipient, request=t.request, course=t.course, trainee_ref="UA-1")
    (row,) = queries.course_seat_use(personas.coordinator, [t.course])
    assert (row["seats"], row["assigned"], row["enrolled"], row["completed"], row["free"]) == (12, 8, 1, 0, 4)
    assert len(queries.course_seat_use(personas.outsider)) == 1  # the public course only
    (chain,) = queries.training_chain(personas.recipient, world.requirement)
    assert chain["request"] == t.request and chain["seats"] == [{"course": t.course, "seats": 8}]
    assert chain["enrolments"]["enrolled"] == 1
    assert queries.training_chain(personas.outsider, world.requirement) == []


def test_public_aggregates(personas, world, training):
    t = training
    assert queries.public_aggregates() == {
        "by_donor": [{"donor": "United States — Department of Defense", "seats": 6, "completed": 0}],
        "by_month": [{"month": dt.date(2026, 3, 1), "seats": 6, "completed": 0}]}  # starts 31 March
    # Completions on a non-public course stay out of the public figures.
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=4)
    e = services.enrol_trainee(actor=personas.recipient, request=t.request, course=t.course, trainee_ref="UA-1")
    with time_machine.travel(clock.now() + dt.timedelta(days=20), tick=False):
        e = services.record_attendance(actor=personas.recipient, enrolment=e)
        services.complete_enrolment(actor=personas.recipient, enrolment=e, certificate_ref="C-1")
    assert sum(r["completed"] for r in queries.public_aggregates()["by_donor"]) == 0
    services.cancel_course(actor=personas.donor_us, course=t.course_public)
    assert queries.public_aggregates() == {"by_donor": [], "by_month": []}
