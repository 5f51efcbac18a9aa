"""Training services: who may do what, one audit event per write, transitions and their messages, seats never
overbooked, trainees only by pseudonymous reference."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aidbridge.audit.models import AuditEvent
from aidbridge.core import clock
from aidbridge.core.errors import Conflict, InvalidTransition, NotPermitted, ServiceError
from aidbridge.core.tests.api_helpers import new_events
from aidbridge.training import services
from aidbridge.training.models import Course, Enrolment, SeatPlanRun, TrainingRequest
from aidbridge.training.tests.helpers import build_training


@pytest.fixture
def training(personas, world):
    return build_training(personas, world)


def _course_kwargs(world, **kw):
    today = clock.today()
    return {"title": "Crew drill", "location": world.wiesbaden, "start_date": today + dt.timedelta(days=5),
            "end_date": today + dt.timedelta(days=9), "seats": 8, "language": "en", "qualifies_item": world.item,
            **kw}


# --- courses --------------------------------------------------------------------------------------------------

def test_donors_offer_their_own_courses_and_coordinators_any(personas, world):
    with new_events() as events:
        course = services.create_course(actor=personas.donor_de, **_course_kwargs(world))
    assert [e.action for e in events] == ["course.create"]
    assert course.provider == personas.orgs["de"] and course.status == Course.Status.OFFERED
    assert events[0].after["prerequisites"] == []
    by_cell = services.create_course(actor=personas.coordinator, provider=personas.orgs["us"],
                                     **_course_kwargs(world))
    assert by_cell.provider == personas.orgs["us"]
    with pytest.raises(NotPermitted, match="providing donor"):
        services.create_course(actor=personas.donor_de, provider=personas.orgs["us"], **_course_kwargs(world))
    with pytest.raises(ServiceError, match="offered by a donor"):
        services.create_course(actor=personas.recipient, **_course_kwargs(world))
    with pytest.raises(NotPermitted):
        services.create_course(actor=personas.auditor, provider=personas.orgs["de"], **_course_kwargs(world))


def test_course_validation_names_the_field(personas, world):
    with pytest.raises(ServiceError) as exc:
        services.create_course(actor=personas.donor_de, **_course_kwargs(world, qualifies_class="VII"))
    assert "qualifies_item" in exc.value.errors
    with pytest.raises(ServiceError) as exc:
        services.create_course(actor=personas.donor_de, **_course_kwargs(world, language="English"))
    assert "ISO 639-1" in exc.value.errors["language"][0]
    with pytest.raises(ServiceError) as exc:
        services.create_course(actor=personas.donor_de, **_course_kwargs(
            world, end_date=clock.today(), start_date=clock.today() + dt.timedelta(days=1)))
    assert "end_date" in exc.value.errors
    with pytest.raises(ServiceError) as exc:
        services.create_course(actor=personas.donor_de, **_course_kwargs(world, releasability="public"))
    assert exc.value.errors["disclosure_date"] == ["A public course needs a disclosure date."]
    with pytest.raises(ServiceError) as exc:
        services.create_course(actor=personas.donor_de, **_course_kwargs(world, seats=0))
    assert "seats" in exc.value.errors
    with pytest.raises(ServiceError) as exc:
        services.create_course(actor=personas.donor_de, status="running", **_course_kwargs(world))
    assert "status" in exc.value.errors


def test_prerequisites_never_form_a_cycle(personas, world):
    basic = services.create_course(actor=personas.donor_de, **_course_kwargs(world, title="Basic"))
    advanced = services.create_course(actor=personas.donor_de, prerequisites=[basic],
                                      **_course_kwargs(world, title="Advanced"))
    assert list(advanced.prerequisites.all()) == [basic]
    with pytest.raises(ServiceError, match="its own prerequisite"):
        services.update_course(actor=personas.donor_de, course=basic, changes={}, prerequisites=[advanced])
    with pytest.raises(ServiceError, match="its own prerequisite"):
        services.update_course(actor=personas.donor_de, course=basic, changes={}, prerequisites=[basic])
    with new_events() as events:
        services.update_course(actor=personas.donor_de, course=advanced, changes={}, prerequisites=[])
    assert [e.action for e in events] == ["course.update"]
    assert (events[0].before["prerequisites"], events[0].after["prerequisites"]) == ([basic.pk], [])


def test_update_course_rights_status_and_seats(personas, world, training):
    t = training
    with pytest.raises(NotPermitted):
        services.update_course(actor=personas.donor_us, course=t.course, changes={"seats": 20})
    with new_events() as events:
        services.update_course(actor=personas.coordinator, course=t.course, changes={"seats": 20})
        services.update_course(actor=personas.donor_de, course=t.course, changes={"seats": 20})  # no change
    assert [e.action for e in events] == ["course.update"]
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=8)
    with pytest.raises(ServiceError, match="8 seats are already given"):
        services.update_course(actor=personas.donor_de, course=t.course, changes={"seats": 4})
    with pytest.raises(ServiceError) as exc:
        services.update_course(actor=personas.donor_de, course=t.course, changes={"provider": personas.orgs["us"]})
    assert "provider" in exc.value.errors
    services.confirm_course(actor=personas.donor_de, course=t.course)
    services.start_course(actor=personas.donor_de, course=t.course)
    with pytest.raises(InvalidTransition, match="only offered or confirmed"):
        services.update_course(actor=personas.donor_de, course=t.course, changes={"seats": 30})


def test_course_lifecycle(personas, training):
    course = training.course
    with new_events() as events:
        for step in (services.confirm_course, services.start_course, services.complete_course):
            course = step(actor=personas.donor_de, course=course)
    assert [e.action for e in events] == ["course.confirm", "course.start", "course.complete"]
    assert course.status == Course.Status.COMPLETED
    with pytest.raises(InvalidTransition, match="“Completed” is final"):
        services.cancel_course(actor=personas.coordinator, course=course)
    other = services.cancel_course(actor=personas.coordinator, course=training.course_coord)
    assert other.status == Course.Status.CANCELLED
    with pytest.raises(InvalidTransition, match="from “Offered” it can go to: “Cancelled”, “Confirmed”"):
        services.complete_course(actor=personas.donor_us, course=training.course_public)
    with pytest.raises(NotPermitted):
        services.confirm_course(actor=personas.recipient, course=training.course_public)


# --- training requests ----------------------------------------------------------------------------------------

def test_requests_take_item_and_priority_from_the_requirement(personas, world):
    with new_events() as events:
        request = services.create_training_request(actor=personas.recipient, requirement=world.requirement,
                                                   crew_size=4, crews=12, language=" UK ")
    assert [e.action for e in events] == ["training_request.create"]
    assert (request.item, request.priority, request.language, request.trainees) == (world.item, 1, "uk", 48)
    assert request.latest_date is None and request.status == TrainingRequest.Status.DRAFT


def test_request_validation(personas, world):
    r = personas.recipient
    with pytest.raises(ServiceError) as exc:
        services.create_training_request(actor=r, crew_size=4, crews=1, language="en")
    assert set(exc.value.errors) == {"item", "latest_date"}
    with pytest.raises(ServiceError, match="is for GEN-100KW"):
        services.create_training_request(actor=r, requirement=world.requirement, item=world.other_item,
                                         crew_size=4, crews=1, language="en")
    with pytest.raises(ServiceError) as exc:
        services.create_training_request(actor=r, requirement=world.requirement, crew_size=0, crews=1,
                                         language="en")
    assert "crew_size" in exc.value.errors
    with pytest.raises(ServiceError, match="belong to a recipient"):
        services.create_training_request(actor=personas.donor_de, requirement=world.requirement, crew_size=4,
                                         crews=1, language="en")
    with pytest.raises(ServiceError, match="after 2100"):
        services.create_training_request(actor=r, item=world.item, crew_size=4, crews=1, language="en",
                                         latest_date=dt.date(2101, 1, 1))


def test_request_lifecycle_and_rights(personas, training):
    draft, r, c = training.draft, personas.recipient, personas.coordinator
    with pytest.raises(NotPermitted):
        services.submit_training_request(actor=personas.donor_de, request=draft)
    with pytest.raises(NotPermitted, match="coordinator editors may validate"):
        services.validate_training_request(actor=r, request=draft)
    with pytest.raises(InvalidTransition, match="from “Draft” to “Validated”"):
        services.validate_training_request(actor=c, request=draft)
    with new_events() as events:
        draft = services.update_training_request(actor=r, request=draft, changes={"crews": 3})
        draft = services.submit_training_request(actor=r, request=draft)
        draft = services.return_training_request(actor=c, request=draft)
        draft = services.submit_training_request(actor=r, request=draft)
        draft = services.validate_training_request(actor=c, request=draft)
        draft = services.close_training_request(actor=c, request=draft)
    assert [e.action for e in events] == [
        "training_request.update", "training_request.submit", "training_request.return",
        "training_request.submit", "training_request.validate", "training_request.close"]
    with pytest.raises(InvalidTransition, match="only draft or submitted"):
        services.update_training_request(actor=r, request=draft, changes={"crews": 4})
    cancelled = services.cancel_training_request(actor=c, request=training.request)
    assert cancelled.status == TrainingRequest.Status.CANCELLED


# --- seats ----------------------------------------------------------------------------------------------------

def test_hand_assignments_never_overbook(personas, training):
    t, c = training, personas.coordinator
    with new_events() as events:
        services.assign_seats(actor=c, request=t.request, course=t.course, seats=8)
    assert [e.action for e in events] == ["seat_assignment.create"]
    with pytest.raises(Conflict, match=r"TRQ-\d+ has 12 trainees and 4 without a seat on CRS-\d+, but 8"):
        services.assign_seats(actor=c, request=t.request, course=t.course, seats=8)
    with pytest.raises(NotPermitted):
        services.assign_seats(actor=personas.donor_de, request=t.request, course=t.course, seats=1)
    with pytest.raises(Conflict, match="is draft"):
        services.assign_seats(actor=c, request=t.draft, course=t.course_public, seats=1)
    with pytest.raises(Conflict, match=r"CRS-\d+ has 8 free seats of 8 but 12 are asked for"):
        services.assign_seats(actor=c, request=t.request, course=t.course_coord, seats=12)
    services.cancel_course(actor=c, course=t.course_coord)
    with pytest.raises(Conflict, match="is cancelled"):
        services.assign_seats(actor=c, request=t.request, course=t.course_coord, seats=4)


def _finished_run(personas, plan_rows, fixed=()):
    run = services.start_seat_plan(actor=personas.coordinator, enqueue=False)
    SeatPlanRun.objects.filter(pk=run.pk).update(
        status=SeatPlanRun.Status.DONE, instance={"fixed": list(fixed)},
        plan={"schema": "aidbridge.seat-plan/1", "status": "optimal", "objective": 1.0, "bound": 1.0,
              "assignments": list(plan_rows), "stats": {}})
    return SeatPlanRun.objects.get(pk=run.pk)


def test_approval_writes_the_new_seats_only_and_refuses_a_plan_that_no_longer_fits(personas, training):
    t = training
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=4)
    rows = [{"request": t.request.reference, "course": t.course.reference, "seats": 4},  # fixed
            {"request": t.request.reference, "course": t.course.reference, "seats": 4}]  # new
    run = _finished_run(personas, rows, fixed=rows[:1])
    other = _finished_run(personas, [{"request": t.request.reference, "course": t.course.reference, "seats": 8}])
    with pytest.raises(NotPermitted):
        services.approve_seat_plan(actor=personas.auditor, run=run)
    with new_events() as events:
        written = services.approve_seat_plan(actor=personas.coordinator, run=run)
    assert [a.seats for a in written] == [4]
    assert [e.action for e in events] == ["seat_assignment.create", "seat_plan.approve"]
    run.refresh_from_db()
    assert run.status == SeatPlanRun.Status.APPROVED and run.approved_by == personas.coordinator
    with pytest.raises(InvalidTransition, match="only a finished run can be approved"):
        services.approve_seat_plan(actor=personas.coordinator, run=run)
    with pytest.raises(Conflict, match=r"no longer fits: .*4 without a seat on CRS-\d+, but 8 would be given"):
        services.approve_seat_plan(actor=personas.coordinator, run=other)
    assert t.request.seat_assignments.count() == 2


def test_start_seat_plan_checks_its_options(personas):
    with pytest.raises(NotPermitted):
        services.start_seat_plan(actor=personas.donor_de)
    with pytest.raises(ServiceError, match="not a method"):
        services.start_seat_plan(actor=personas.coordinator, method="guess")
    with pytest.raises(ServiceError, match="between 0 and 3600"):
        services.start_seat_plan(actor=personas.coordinator, time_limit=0)
    with new_events() as events:
        run = services.start_seat_plan(actor=None, enqueue=False)  # the command line's system actor
    assert [e.action for e in events] == ["seat_plan.start"] and run.started_by is None


# --- enrolments -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["Ivan Petrenko", "Petrenko", "ivan.petrenko@example.org", "", "A" * 31 + "12",
                                 "-UA-1", "UA_53_1"])
def test_trainee_references_refuse_names_and_personal_data(personas, training, ref):
    services.assign_seats(actor=personas.coordinator, request=training.request, course=training.course, seats=4)
    with pytest.raises(ServiceError) as exc:
        services.enrol_trainee(actor=personas.recipient, request=training.request, course=training.course,
                               trainee_ref=ref)
    assert "trainee_ref" in exc.value.errors
    assert "never a name" in exc.value.errors["trainee_ref"][0]


def test_enrolment_lifecycle(personas, training):
    t, r = training, personas.recipient
    with time_machine.travel(clock.now() + dt.timedelta(days=15), tick=False):  # the course is over
        _lifecycle(personas, t, r)


def _lifecycle(personas, t, r):
    with pytest.raises(Conflict, match="holds 0 seats"):
        services.enrol_trainee(actor=r, request=t.request, course=t.course, trainee_ref="UA-53-0001")
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=4)
    with new_events() as events:
        first = services.enrol_trainee(actor=r, request=t.request, course=t.course, trainee_ref="ua-53-0001")
        first = services.record_attendance(actor=personas.donor_de, enrolment=first)  # the provider records
        first = services.complete_enrolment(actor=personas.donor_de, enrolment=first, certificate_ref="DE/2026/17")
    assert [e.action for e in events] == ["enrolment.create", "enrolment.attend", "enrolment.complete"]
    assert (first.trainee_ref, first.status, first.certificate_ref, first.completed_on) == (
        "UA-53-0001", Enrolment.Status.COMPLETED, "DE/2026/17", clock.today())
    with pytest.raises(Conflict, match="already enrolled"):
        services.enrol_trainee(actor=r, request=t.request, course=t.course, trainee_ref="UA-53-0001")
    others = [services.enrol_trainee(actor=r, request=t.request, course=t.course, trainee_ref=f"UA-53-000{i}")
              for i in (2, 3, 4)]
    with pytest.raises(Conflict, match="holds 4 seats .* and 4 are taken"):
        services.enrol_trainee(actor=r, request=t.request, course=t.course, trainee_ref="UA-53-0005")
    services.withdraw_enrolment(actor=r, enrolment=others[0])  # frees a seat
    services.enrol_trainee(actor=r, request=t.request, course=t.course, trainee_ref="UA-53-0005")
    with pytest.raises(InvalidTransition, match="record attendance before completion"):
        services.complete_enrolment(actor=r, enrolment=others[1], certificate_ref="X-1")
    attended = services.record_attendance(actor=r, enrolment=others[1])
    with pytest.raises(ServiceError, match="needs its certificate reference"):
        services.complete_enrolment(actor=r, enrolment=attended, certificate_ref=" ")
    with pytest.raises(ServiceError, match="in the future"):
        services.complete_enrolment(actor=r, enrolment=attended, certificate_ref="X-1",
                                    completed_on=clock.today() + dt.timedelta(days=1))
    failed = services.fail_enrolment(actor=personas.coordinator, enrolment=attended)
    assert failed.status == Enrolment.Status.FAILED
    with pytest.raises(NotPermitted):
        services.record_attendance(actor=personas.donor_us, enrolment=others[2])
    with pytest.raises(NotPermitted):
        services.enrol_trainee(actor=personas.donor_de, request=t.request, course=t.course, trainee_ref="UA-9")


def test_enrolment_refused_on_an_unvalidated_request_or_a_finished_course(personas, training):
    t = training
    with pytest.raises(InvalidTransition, match="is draft"):
        services.enrol_trainee(actor=personas.recipient, request=t.draft, course=t.course, trainee_ref="UA-1")
    course = t.course
    for step in (services.confirm_course, services.start_course, services.complete_course):
        course = step(actor=personas.donor_de, course=course)
    with pytest.raises(InvalidTransition, match="is completed"):
        services.enrol_trainee(actor=personas.recipient, request=t.request, course=course, trainee_ref="UA-1")


@time_machine.travel(dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC), tick=False)
def test_completion_on_new_years_eve_is_dated_that_day(personas, world):
    day = clock.today()
    course = services.create_course(actor=personas.donor_de, **{
        **_course_kwargs(world), "start_date": day - dt.timedelta(days=3), "end_date": day})
    request = services.create_training_request(actor=personas.recipient, item=world.item, crew_size=1, crews=1,
                                               language="en", latest_date=day + dt.timedelta(days=1))
    services.submit_training_request(actor=personas.recipient, request=request)
    services.validate_training_request(actor=personas.coordinator, request=request)
    services.assign_seats(actor=personas.coordinator, request=request, course=course, seats=1)
    e = services.enrol_trainee(actor=personas.recipient, request=request, course=course, trainee_ref="UA-2026-1")
    e = services.record_attendance(actor=personas.recipient, enrolment=e)
    with pytest.raises(ServiceError, match="starts on 28 Dec 2026; a completion cannot be earlier"):
        services.complete_enrolment(actor=personas.recipient, enrolment=e, certificate_ref="C-1",
                                    completed_on=day - dt.timedelta(days=10))
    e = services.complete_enrolment(actor=personas.recipient, enrolment=e, certificate_ref="C-1")
    assert e.completed_on == dt.date(2026, 12, 31)


def test_every_write_leaves_exactly_one_event(personas, training):
    before = AuditEvent.objects.count()
    services.assign_seats(actor=personas.coordinator, request=training.request, course=training.course, seats=4)
    services.enrol_trainee(actor=personas.recipient, request=training.request, course=training.course,
                           trainee_ref="UA-1")
    assert AuditEvent.objects.count() == before + 2
