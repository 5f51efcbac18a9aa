"""/api/v1/courses, /training-requests, /enrolments and /seat-plans: visibility per persona (404 outside it),
writes through the services (one event each), errors naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from aidbridge.core import clock
from aidbridge.core.tests.api_helpers import (
    ListEndpointChecks,
    as_user,
    assert_not_found,
    assert_refused,
    new_events,
)
from aidbridge.training import services, tasks
from aidbridge.training.models import Course, Enrolment, SeatPlanRun
from aidbridge.training.tests.helpers import build_training


@pytest.fixture
def training(personas, world):
    return build_training(personas, world)


class TestCourseEndpoints(ListEndpointChecks):
    path = "/courses"
    outsider_sees = 1  # the public course

    @pytest.fixture
    def target(self, training):
        return training.course

    def add_rows(self, world, personas, n):
        for i in range(n):
            services.create_course(actor=personas.donor_de, title=f"Course {i}", location=world.wiesbaden,
                                   start_date=clock.today(), end_date=clock.today(), seats=4, language="en",
                                   qualifies_item=world.item)


class TestTrainingRequestEndpoints(ListEndpointChecks):
    path = "/training-requests"

    @pytest.fixture
    def target(self, training):
        return training.request

    def add_rows(self, world, personas, n):
        for _ in range(n):
            r = services.create_training_request(actor=personas.recipient, requirement=world.requirement,
                                                 crew_size=2, crews=1, language="en")
            services.submit_training_request(actor=personas.recipient, request=r)


class TestEnrolmentEndpoints(ListEndpointChecks):
    path = "/enrolments"

    @pytest.fixture
    def target(self, personas, training):
        services.assign_seats(actor=personas.coordinator, request=training.request, course=training.course,
                              seats=12)
        return services.enrol_trainee(actor=personas.recipient, request=training.request, course=training.course,
                                      trainee_ref="UA-0")

    def add_rows(self, world, personas, n):
        request = Enrolment.objects.first().request
        course = Enrolment.objects.first().course
        for i in range(n):
            services.enrol_trainee(actor=personas.recipient, request=request, course=course, trainee_ref=f"UA-{i + 1}")


class TestSeatPlanEndpoints(ListEndpointChecks):
    path = "/seat-plans"

    @pytest.fixture
    def target(self, personas, training):
        return services.start_seat_plan(actor=personas.coordinator, enqueue=False)

    def add_rows(self, world, personas, n):
        for _ in range(n):
            services.start_seat_plan(actor=personas.coordinator, enqueue=False)


ALL = {"course", "course_coord", "course_public"}
SHARED = {"course", "course_public"}


@pytest.mark.parametrize("who,sees", [
    ("coordinator", ALL), ("auditor", ALL), ("donor_de", ALL), ("donor_us", SHARED), ("recipient", SHARED),
    ("hub_pl", SHARED), ("outsider", {"course_public"}),
])
def test_course_visibility_per_persona(personas, training, who, sees):
    api = as_user(getattr(personas, who))
    for name in ("course", "course_coord", "course_public"):
        response = api.get(f"/courses/{getattr(training, name).pk}")
        if name in sees:
            assert response.status_code == 200, (who, name)
        else:
            assert_not_found(response)


@pytest.mark.parametrize("who", ["coordinator", "donor_de", "donor_us", "hub_pl", "outsider"])
def test_a_draft_request_is_404_to_everyone_but_its_recipient_and_auditors(personas, training, who):
    assert_not_found(as_user(getattr(personas, who)).get(f"/training-requests/{training.draft.pk}"))
    for owner in ("recipient", "auditor"):
        assert as_user(getattr(personas, owner)).get(f"/training-requests/{training.draft.pk}").status_code == 200


@pytest.mark.parametrize("who", ["donor_de", "donor_us", "recipient", "hub_pl", "outsider"])
def test_seat_plans_are_404_outside_the_cell(personas, training, who):
    run = services.start_seat_plan(actor=personas.coordinator, enqueue=False)
    api = as_user(getattr(personas, who))
    assert_not_found(api.get(f"/seat-plans/{run.pk}"))
    assert_not_found(api.post(f"/seat-plans/{run.pk}/approve"))
    assert api.get("/seat-plans").json()["count"] == 0


def test_course_create_update_and_transitions(personas, world, training):
    api = as_user(personas.donor_de)
    body = {"title": "Advanced crews", "location": "DE WIB", "start_date": "2026-05-04", "end_date": "2026-05-15",
            "seats": 10, "language": "de", "qualifies_item": "GEN-100KW", "prerequisites": [training.course.reference]}
    with new_events() as events:
        response = api.post("/courses", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert [e.action for e in events] == ["course.create"]
    assert (created["provider"]["short_name"], created["qualifies_item"]["code"], created["free_seats"]) == (
        "de-mod", "GEN-100KW", 10)
    assert [p["reference"] for p in created["prerequisites"]] == [training.course.reference]
    response = api.patch(f"/courses/{created['id']}", {"seats": 14, "prerequisites": []})
    assert response.status_code == 200 and response.json()["seats"] == 14 and response.json()["prerequisites"] == []
    assert api.post(f"/courses/{created['id']}/confirm").json()["status"] == "confirmed"
    assert_refused(api.post(f"/courses/{created['id']}/complete"), 409, field="status")
    assert_refused(as_user(personas.donor_us).patch(f"/courses/{training.course.pk}", {"seats": 3}), 403)
    assert_refused(api.post("/courses", {**body, "language": "German", "prerequisites": []}), 422, field="language")
    assert_refused(api.post("/courses", {**body, "qualifies_item": None, "prerequisites": []}), 422,
                   field="qualifies_item")
    assert_refused(api.post("/courses", {**body, "location": "XX XXX", "prerequisites": []}), 422, field="location")
    assert_refused(api.post("/courses", {**body, "prerequisites": ["CRS-99999"]}), 422, field="prerequisites")
    assert_refused(api.get("/courses", {"status": "sleeping"}), 422, field="status")
    assert api.get("/courses", {"status": "confirmed"}).json()["count"] == 1


def test_requests_enrolments_and_readiness(personas, world, training):
    r = as_user(personas.recipient)
    response = r.post("/training-requests", {"requirement": world.requirement.reference, "crew_size": 4,
                                             "crews": 12, "language": "uk"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["trainees"], created["item"]["code"], created["priority"], created["status"]) == (
        48, "GEN-100KW", 1, "draft")
    assert created["requirement"]["reference"] == world.requirement.reference
    assert r.post(f"/training-requests/{created['id']}/submit").json()["status"] == "submitted"
    assert_refused(r.post(f"/training-requests/{created['id']}/validate"), 403)
    c = as_user(personas.coordinator)
    assert c.post(f"/training-requests/{created['id']}/validate").json()["status"] == "validated"
    assert_refused(r.post("/training-requests", {"crew_size": 4, "crews": 1, "language": "en"}), 422, field="item")

    services.assign_seats(actor=personas.coordinator, request=training.request, course=training.course, seats=4)
    response = r.post("/enrolments", {"request": training.request.reference, "course": training.course.reference,
                                      "trainee_ref": "UA-53-0001"})
    assert response.status_code == 201, response.content
    enrolment = response.json()
    assert_refused(r.post("/enrolments", {"request": training.request.pk, "course": training.course.pk,
                                          "trainee_ref": "Ivan Petrenko"}), 422, field="trainee_ref")
    assert_refused(r.post("/enrolments", {"request": training.draft.pk, "course": training.course_public.pk,
                                          "trainee_ref": "UA-2"}), 409, field="request")
    assert_not_found(as_user(personas.outsider).get(f"/enrolments/{enrolment['id']}"))
    assert r.post(f"/enrolments/{enrolment['id']}/attend").json()["status"] == "attended"
    assert_refused(r.post(f"/enrolments/{enrolment['id']}/complete", {"certificate_ref": "DE-1"}), 422,
                   field="completed_on")  # the course has not started yet
    later = (clock.today() + dt.timedelta(days=8)).isoformat()
    assert_refused(r.post(f"/enrolments/{enrolment['id']}/complete", {"certificate_ref": "DE-1",
                                                                     "completed_on": later}), 422,
                   field="completed_on")  # nor can it be recorded in advance

    body = c.get("/training-requests/readiness").json()
    assert [row["status"] for row in body["requirements"]] == ["neither"]
    assert body["requirements"][0]["crews_needed"] == 3 + 12 and body["packages"] == []
    assert as_user(personas.outsider).get("/training-requests/readiness").json() == {"requirements": [],
                                                                                   "packages": []}


def test_seat_plan_start_get_and_approve(personas, training, django_capture_on_commit_callbacks):
    c = as_user(personas.coordinator)
    assert_refused(as_user(personas.donor_de).post("/seat-plans", {}), 403)
    assert_refused(c.post("/seat-plans", {"method": "dice"}), 422, field="method")
    with django_capture_on_commit_callbacks(execute=False):
        response = c.post("/seat-plans", {"time_limit": 5})
    assert response.status_code == 201 and response.json()["status"] == "queued"
    run_id = response.json()["id"]
    assert_refused(c.post(f"/seat-plans/{run_id}/approve"), 409, field="status")
    tasks.execute_seat_plan.call(run_id)
    detail = c.get(f"/seat-plans/{run_id}").json()
    assert detail["status"] == "done" and detail["assignments"] == [
        {"request": training.request.reference, "course": training.course.reference, "seats": 12}]
    assert "instance" not in detail
    assert_refused(as_user(personas.auditor).post(f"/seat-plans/{run_id}/approve"), 403)
    approved = c.post(f"/seat-plans/{run_id}/approve").json()
    assert (approved["status"], approved["assignments_written"]) == ("approved", 1)
    assert SeatPlanRun.objects.get(pk=run_id).status == SeatPlanRun.Status.APPROVED
    assert c.get(f"/courses/{training.course.pk}").json()["free_seats"] == 0
    assert Course.objects.get(pk=training.course.pk).free_seats == 0
