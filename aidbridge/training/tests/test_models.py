"""Visibility (``for_user``) of courses, training requests, enrolments, seat assignments and seat plan runs, per
persona; model constraints and derived values."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from aidbridge.core import clock
from aidbridge.training import services
from aidbridge.training.models import Course, Enrolment, SeatAssignment, SeatPlanRun, TrainingRequest
from aidbridge.training.tests.helpers import build_training


@pytest.fixture
def training(personas, world):
    return build_training(personas, world)


def _courses(user) -> set[int]:
    return set(Course.objects.for_user(user).values_list("pk", flat=True))


def test_courses_follow_pledge_releasability(personas, training):
    t = training
    everything = {t.course.pk, t.course_coord.pk, t.course_public.pk}
    assert _courses(personas.coordinator) == everything
    assert _courses(personas.auditor) == everything
    assert _courses(personas.donor_de) == everything  # its own two, and the public one
    assert _courses(personas.donor_us) == {t.course.pk, t.course_public.pk}  # coalition + its own
    assert _courses(personas.recipient) == {t.course.pk, t.course_public.pk}
    assert _courses(personas.hub_pl) == {t.course.pk, t.course_public.pk}
    assert _courses(personas.outsider) == {t.course_public.pk}
    assert _courses(None) == {t.course_public.pk}


def test_a_public_course_before_its_disclosure_date_is_hidden_from_outsiders(personas, world, training):
    services.update_course(actor=personas.donor_us, course=training.course_public,
                           changes={"disclosure_date": clock.today() + dt.timedelta(days=1)})
    assert _courses(None) == set()
    assert _courses(personas.outsider) == set()
    assert training.course_public.pk in _courses(personas.recipient)  # still coalition-visible


def test_training_requests_are_visible_like_requirements(personas, training):
    t = training
    both = {t.request.pk, t.draft.pk}

    def seen(user):
        return set(TrainingRequest.objects.for_user(user).values_list("pk", flat=True))

    assert seen(personas.recipient) == both
    assert seen(personas.auditor) == both
    for who in ("coordinator", "donor_de", "donor_us", "hub_pl"):
        assert seen(getattr(personas, who)) == {t.request.pk}, who  # never another organisation's draft
    assert seen(personas.outsider) == set()
    assert seen(None) == set()


def test_enrolments_and_assignments_follow_their_request(personas, training):
    t = training
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=4)
    enrolment = services.enrol_trainee(actor=personas.recipient, request=t.request, course=t.course,
                                       trainee_ref="UA-53-0001")
    for who in ("recipient", "coordinator", "auditor", "donor_de", "donor_us", "hub_pl"):
        user = getattr(personas, who)
        assert list(Enrolment.objects.for_user(user)) == [enrolment], who
        assert SeatAssignment.objects.for_user(user).count() == 1, who
    assert not Enrolment.objects.for_user(personas.outsider).exists()
    assert not SeatAssignment.objects.for_user(None).exists()


def test_seat_plan_runs_are_for_coordinators_and_auditors(personas, training):
    run = SeatPlanRun.objects.create(start_date=clock.today())
    for who, sees in (("coordinator", True), ("auditor", True), ("donor_de", False), ("recipient", False),
                      ("hub_pl", False), ("outsider", False)):
        assert SeatPlanRun.objects.for_user(getattr(personas, who)).filter(pk=run.pk).exists() is sees, who
    assert not SeatPlanRun.objects.for_user(None).exists()


def test_derived_values(personas, training):
    t = training
    assert t.course.reference.startswith("CRS-") and t.request.reference.startswith("TRQ-")
    assert t.request.trainees == 12 and t.request.item_id == t.request.requirement.item_id
    assert t.request.priority == t.request.requirement.priority
    assert t.course.duration_days == 8 and t.course.qualifies_label == "GEN-100KW"
    assert t.course_public.qualifies_label == "class VIII"
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=8)
    row = Course.objects.with_use().get(pk=t.course.pk)
    assert (row.assigned_seats, row.enrolled_count, row.free_seats) == (8, 0, 4)


def test_database_constraints(personas, world, training):
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=training.course.pk).update(qualifies_class="VII")  # both item and class
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=training.course.pk).update(end_date=training.course.start_date - dt.timedelta(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRequest.objects.filter(pk=training.draft.pk).update(latest_date=None)  # no requirement either


@time_machine.travel(dt.datetime(2028, 2, 29, 23, 30, tzinfo=dt.UTC), tick=False)
def test_a_public_course_disclosed_on_29_february_is_public_that_day(personas, world):
    day = clock.today()
    assert day == dt.date(2028, 2, 29)
    course = services.create_course(
        actor=personas.donor_us, title="Leap-day medics", location=world.wiesbaden, start_date=day,
        end_date=day + dt.timedelta(days=1), seats=4, language="en", qualifies_class="VIII",
        releasability="public", disclosure_date=day)
    assert course.pk in _courses(None)
