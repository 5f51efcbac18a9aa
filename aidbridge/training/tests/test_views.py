"""The training pages: forms call the services, errors show beside their fields, lifecycle buttons per role,
enrolment with pseudonymous trainees, seat plan runs from start to approval, and the readiness page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from aidbridge.audit.models import AuditEvent
from aidbridge.core import clock
from aidbridge.core.tests.test_pages import assert_self_contained
from aidbridge.training import services
from aidbridge.training.models import Course, Enrolment, SeatAssignment, SeatPlanRun, TrainingRequest
from aidbridge.training.tests import test_views_helpers as h


@pytest.fixture
def training(world, personas) -> h.Training:
    return h.build(world, personas)


def _course_form(world, **overrides):
    today = clock.today()
    data = {"title": "Howitzer crew course", "location": world.wiesbaden.pk,
            "start_date": (today + dt.timedelta(days=14)).isoformat(),
            "end_date": (today + dt.timedelta(days=28)).isoformat(), "seats": "12", "language": "uk",
            "qualifies_item": world.item.pk, "qualifies_class": "", "releasability": "coalition",
            "disclosure_date": "", "notes": ""}
    data.update(overrides)
    return data


# --- courses ---------------------------------------------------------------------------------------------------

def test_a_donor_offers_a_course_for_its_own_organisation(world, personas, login):
    client = login(personas.donor_de)
    page = client.get("/training/courses/add/")
    assert page.status_code == 200 and 'name="provider"' not in page.content.decode()
    response = client.post("/training/courses/add/", _course_form(world))
    course = Course.objects.get(title="Howitzer crew course")
    assert response.status_code == 302 and response["Location"] == f"/training/courses/{course.pk}/"
    assert course.provider == personas.orgs["de"] and course.status == Course.Status.OFFERED
    assert AuditEvent.objects.filter(action="course.create", object_id=str(course.pk)).count() == 1
    detail = h.text(client.get(response["Location"]))
    assert "Howitzer crew course" in detail and "Offered 12" in detail


def test_a_coordinator_offers_a_course_for_any_donor(world, personas, login):
    client = login(personas.coordinator)
    assert 'name="provider"' in client.get("/training/courses/add/").content.decode()
    response = client.post("/training/courses/add/", _course_form(world, provider=personas.orgs["us"].pk))
    assert response.status_code == 302
    assert Course.objects.get(title="Howitzer crew course").provider == personas.orgs["us"]


def test_course_form_errors_are_shown_beside_their_fields(world, personas, login):
    client = login(personas.donor_de)
    today = clock.today()
    response = client.post("/training/courses/add/", _course_form(
        world, title="", end_date=(today - dt.timedelta(days=3)).isoformat(), language="e1"))
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(r'id="id_title_errors"><li>This field is required', page)
    assert 'id="id_language_errors"' in page
    response = client.post("/training/courses/add/", _course_form(
        world, end_date=(today + dt.timedelta(days=1)).isoformat()))
    assert response.status_code == 422
    assert re.search(r'id="id_end_date_errors"><li>A course ends on or after the day it starts', response.content
                     .decode())
    response = client.post("/training/courses/add/", _course_form(world, qualifies_item="", qualifies_class=""))
    assert response.status_code == 422 and 'id="id_qualifies_item_errors"' in response.content.decode()
    assert not Course.objects.filter(title="Howitzer crew course").exists()


def test_a_prerequisite_cycle_is_refused_beside_the_field(training, world, personas, login):
    client = login(personas.donor_de)
    later = h.course(personas.donor_de, world, title="Advanced course")
    services.update_course(actor=personas.donor_de, course=later, changes={},
                           prerequisites=[training.course_de])
    response = client.post(f"/training/courses/{training.course_de.pk}/edit/", _course_form(
        world, title=training.course_de.title, start_date=training.course_de.start_date.isoformat(),
        end_date=training.course_de.end_date.isoformat(), seats="8", prerequisites=[later.pk]))
    assert response.status_code == 422
    assert re.search(r'id="id_prerequisites_errors"><li>CRS-\d+ would become its own prerequisite',
                     response.content.decode())


def test_seats_cannot_go_below_those_given(training, world, personas, login):
    c = training.course_de
    response = login(personas.donor_de).post(f"/training/courses/{c.pk}/edit/", _course_form(
        world, title=c.title, start_date=c.start_date.isoformat(), end_date=c.end_date.isoformat(), seats="1"))
    assert response.status_code == 422
    assert re.search(r'id="id_seats_errors"><li>2 seats are already given', response.content.decode())


@pytest.mark.parametrize("persona,buttons", [
    ("donor_de", {"Start", "Cancel course", "Edit"}),
    ("coordinator", {"Start", "Cancel course", "Edit"}),
    ("donor_us", set()),
    ("auditor", set()),
    ("recipient", set()),
])
def test_course_lifecycle_buttons_follow_the_role(training, personas, login, persona, buttons):
    page = login(getattr(personas, persona)).get(f"/training/courses/{training.course_de.pk}/").content.decode()
    shown = {label for label in ("Confirm", "Start", "Complete", "Cancel course", "Edit")
             if re.search(rf">{label}</(button|a)>", page)}
    assert shown == buttons


def test_course_lifecycle_through_the_buttons(training, personas, login):
    client = login(personas.donor_de)
    pk = training.course_de.pk
    assert client.post(f"/training/courses/{pk}/start/").status_code == 302
    assert Course.objects.get(pk=pk).status == Course.Status.RUNNING
    # another donor sees the coalition course but may not move it
    assert login(personas.donor_us).post(f"/training/courses/{pk}/complete/").status_code == 403
    assert client.post(f"/training/courses/{pk}/complete/").status_code == 302
    assert Course.objects.get(pk=pk).status == Course.Status.COMPLETED
    page = h.text(client.get(f"/training/courses/{pk}/"))
    assert "Start" not in re.findall(r">(\w+)</button>", client.get(f"/training/courses/{pk}/").content.decode())
    assert "Completed" in page


def test_course_list_filters(training, personas, login, world):
    client = login(personas.coordinator)
    everything = h.text(client.get("/training/courses/"))
    assert "Generator crew course (DE)" in everything and "Secret generator course" in everything
    only_us = h.text(client.get(f"/training/courses/?provider={personas.orgs['us'].pk}"))
    assert "Public maintenance course" in only_us and "Generator crew course (DE)" not in only_us
    english = h.text(client.get("/training/courses/?language=en"))
    assert "Public maintenance course" in english and "Secret generator course" not in english
    by_class = h.text(client.get("/training/courses/?supply_class=VIII"))
    assert "Embargoed medical course" in by_class and "Public maintenance course" not in by_class
    by_item = h.text(client.get("/training/courses/?item=MED-KIT"))
    assert "Embargoed medical course" in by_item and "Generator crew course (DE)" not in by_item
    confirmed = h.text(client.get("/training/courses/?status=confirmed"))
    assert "Generator crew course (DE)" in confirmed and "Secret generator course" not in confirmed
    later = (clock.today() + dt.timedelta(days=25)).isoformat()
    assert "1 result" in h.text(client.get(f"/training/courses/?ends_before={later}&provider="
                                           f"{personas.orgs['de'].pk}&status=confirmed"))
    bad = client.get("/training/courses/?starts_after=notadate")
    assert bad.status_code == 422 and "Nothing is listed until the filters can be read" in h.text(bad)
    partial = client.get("/training/courses/?language=en", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "<html" not in partial.content.decode() and "Public maintenance course" in h.text(partial)


def test_course_page_shows_seats_prerequisites_and_pseudonymous_enrolments(training, personas, login, world):
    services.update_course(actor=personas.donor_de, course=training.course_de, changes={},
                           prerequisites=[training.course_de_private])
    page = h.text(login(personas.donor_de).get(f"/training/courses/{training.course_de.pk}/"))
    for words in ("Offered 8", "Assigned to requests 2", "Free 6", "Enrolled 1", "Completed 0",
                  "Secret generator course", "UA-53-0017", "never by name or any other personal data",
                  training.request.reference):
        assert words in page, words
    # another donor may not see the coordinators-only prerequisite
    other = h.text(login(personas.donor_us).get(f"/training/courses/{training.course_de.pk}/"))
    assert "Secret generator course" not in other and "Prerequisites None." in other


# --- training requests -----------------------------------------------------------------------------------------

def _request_form(world, **overrides):
    data = {"requirement": world.requirement.pk, "item": "", "crew_size": "4", "crews": "12", "language": "uk",
            "latest_date": "", "priority": "", "notes": ""}
    data.update(overrides)
    return data


def test_the_recipient_requests_crews_for_a_requirement(world, personas, login):
    client = login(personas.recipient)
    page = client.get(f"/training/requests/add/?requirement={world.requirement.pk}")
    assert page.status_code == 200
    assert re.search(rf'<option value="{world.requirement.pk}" selected>', page.content.decode())
    response = client.post("/training/requests/add/", _request_form(world))
    request = TrainingRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/requests/{request.pk}/"
    assert request.item == world.item and request.priority == world.requirement.priority
    assert request.trainees == 48 and request.status == TrainingRequest.Status.DRAFT
    detail = h.text(client.get(response["Location"]))
    assert "Trainees asked for 48" in detail and "the equipment's planned arrival" in detail


def test_request_form_errors_are_shown_beside_their_fields(world, personas, login):
    client = login(personas.recipient)
    response = client.post("/training/requests/add/", _request_form(world, requirement="", crews="0"))
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(r'id="id_item_errors"><li>Give the item the crews are for, or link a requirement', page)
    assert 'id="id_crews_errors"' in page
    response = client.post("/training/requests/add/", _request_form(world, requirement="", item=world.item.pk))
    assert response.status_code == 422
    assert re.search(r'id="id_latest_date_errors"><li>A request without a requirement needs its latest useful date',
                     response.content.decode())
    assert not TrainingRequest.objects.exists()


@pytest.mark.parametrize("persona,buttons", [
    ("recipient", {"Submit", "Cancel request", "Edit"}),
    ("coordinator", set()),  # a draft is the recipient's alone
])
def test_draft_request_buttons(training, personas, login, persona, buttons):
    response = login(getattr(personas, persona)).get(f"/training/requests/{training.draft.pk}/")
    if persona == "coordinator":
        assert response.status_code == 404
        return
    page = response.content.decode()
    shown = {label for label in ("Submit", "Validate", "Return to draft", "Close", "Cancel request", "Edit")
             if re.search(rf">{label}</(button|a)>", page)}
    assert shown == buttons


def test_request_lifecycle_through_the_buttons(training, personas, login):
    pk = training.draft.pk
    assert login(personas.recipient).post(f"/training/requests/{pk}/submit/").status_code == 302
    coordinator = login(personas.coordinator)
    page = coordinator.get(f"/training/requests/{pk}/").content.decode()
    assert ">Validate</button>" in page and ">Return to draft</button>" in page and ">Submit</button>" not in page
    assert login(personas.auditor).post(f"/training/requests/{pk}/validate/").status_code == 403
    assert login(personas.recipient).post(f"/training/requests/{pk}/validate/").status_code == 403
    assert coordinator.post(f"/training/requests/{pk}/validate/").status_code == 302
    assert TrainingRequest.objects.get(pk=pk).status == TrainingRequest.Status.VALIDATED


def test_recipient_edits_its_draft(training, personas, login, world):
    response = login(personas.recipient).post(f"/training/requests/{training.draft.pk}/edit/", {
        "item": world.other_item.pk, "crew_size": "5", "crews": "2", "language": "pl",
        "latest_date": (clock.today() + dt.timedelta(days=90)).isoformat(), "priority": "3", "notes": ""})
    assert response.status_code == 302
    draft = TrainingRequest.objects.get(pk=training.draft.pk)
    assert (draft.crew_size, draft.crews, draft.language, draft.priority) == (5, 2, "pl", 3)
    assert login(personas.donor_de).get(f"/training/requests/{training.request.pk}/edit/").status_code == 403


# --- enrolments ------------------------------------------------------------------------------------------------

def test_the_enrol_form_says_trainees_are_pseudonymous_and_refuses_names(training, personas, login):
    client = login(personas.recipient)
    url = f"/training/requests/{training.request.pk}/"
    page = h.text(client.get(url))
    assert "Enrol a trainee" in page
    assert page.count("Trainees are recorded by a pseudonymous reference chosen by the recipient") >= 2
    assert "Never a name or other personal data" in page
    response = client.post(url + "enrol/", {"course": training.course_de.pk, "trainee_ref": "Ivan Petrenko"})
    assert response.status_code == 422
    assert re.search(r'id="id_trainee_ref_errors"><li>A trainee reference is letters, digits and dashes',
                     response.content.decode())
    assert client.post(url + "enrol/", {"course": training.course_de.pk, "trainee_ref": "ua-53-0018"}) \
        .status_code == 302
    assert Enrolment.objects.filter(trainee_ref="UA-53-0018", request=training.request).exists()
    # two seats, two trainees: the third is refused beside the course
    response = client.post(url + "enrol/", {"course": training.course_de.pk, "trainee_ref": "UA-53-0019"})
    assert response.status_code == 422
    assert re.search(r'id="id_course_errors"><li>TRQ-\d+ holds 2 seats', response.content.decode())


def test_enrol_is_offered_to_the_recipient_and_coordinators_only(training, personas, login):
    url = f"/training/requests/{training.request.pk}/"
    assert "Enrol a trainee" in h.text(login(personas.coordinator).get(url))
    for persona in ("donor_de", "auditor"):
        assert "Enrol a trainee" not in h.text(login(getattr(personas, persona)).get(url))
    assert login(personas.donor_de).post(url + "enrol/", {"course": training.course_de.pk,
                                                           "trainee_ref": "UA-1"}).status_code == 403


def test_attendance_and_completion_are_recorded_with_a_certificate(training, personas, login):
    e = training.enrolment
    provider = login(personas.donor_de)
    url = f"/training/courses/{training.course_de.pk}/record/"
    assert provider.post(url, {"enrolment": e.pk, "action": "attend"}).status_code == 302
    assert Enrolment.objects.get(pk=e.pk).status == Enrolment.Status.ATTENDED
    response = provider.post(url, {"enrolment": e.pk, "action": "complete", "certificate_ref": ""})
    assert response.status_code == 422
    assert re.search(rf'id="id_certificate_ref_{e.pk}_errors"><li>A completion needs its certificate reference',
                     response.content.decode())
    future = (clock.today() + dt.timedelta(days=30)).isoformat()
    response = provider.post(url, {"enrolment": e.pk, "action": "complete", "certificate_ref": "DE-CERT/2026-17",
                                   "completed_on": future})
    assert response.status_code == 422 and f'id="id_completed_on_{e.pk}_errors"' in response.content.decode()
    # the recipient records it on the request's page
    response = login(personas.recipient).post(f"/training/requests/{training.request.pk}/record/", {
        "enrolment": e.pk, "action": "complete", "certificate_ref": "DE-CERT/2026-17",
        "completed_on": (training.course_de.start_date).isoformat() if training.course_de.start_date <= clock.today()
        else ""})
    e.refresh_from_db()
    if training.course_de.start_date > clock.today():  # a completion before the course starts is refused
        assert response.status_code == 422 and e.status == Enrolment.Status.ATTENDED
    actions = list(AuditEvent.objects.filter(object_id=str(e.pk), action__startswith="enrolment.")
                   .values_list("action", flat=True))
    assert "enrolment.create" in actions and "enrolment.attend" in actions


def test_a_completion_is_recorded_once_the_course_has_started(training, personas, login, world):
    today = clock.today()
    past = Course.objects.filter(pk=training.course_de.pk)
    past.update(start_date=today - dt.timedelta(days=10), end_date=today - dt.timedelta(days=1))
    e = training.enrolment
    client = login(personas.recipient)
    url = f"/training/requests/{training.request.pk}/record/"
    assert client.post(url, {"enrolment": e.pk, "action": "attend"}).status_code == 302
    assert client.post(url, {"enrolment": e.pk, "action": "complete", "certificate_ref": "DE-CERT/2026-17"}) \
        .status_code == 302
    e.refresh_from_db()
    assert e.status == Enrolment.Status.COMPLETED and e.certificate_ref == "DE-CERT/2026-17"
    page = h.text(client.get(f"/training/requests/{training.request.pk}/"))
    assert "DE-CERT/2026-17" in page and "Completed 1" in page


def test_nobody_else_records_progress(training, personas, login):
    e = training.enrolment
    for persona in ("donor_us", "auditor", "hub_pl"):
        response = login(getattr(personas, persona)).post(f"/training/courses/{training.course_de.pk}/record/",
                                                           {"enrolment": e.pk, "action": "attend"})
        assert response.status_code in (403, 404), persona
    assert Enrolment.objects.get(pk=e.pk).status == Enrolment.Status.ENROLLED


# --- seat plans ------------------------------------------------------------------------------------------------

def test_a_coordinator_starts_a_seat_plan_and_watches_its_progress(training, personas, login,
                                                                   django_capture_on_commit_callbacks):
    client = login(personas.coordinator)
    page = client.get("/training/seat-plans/")
    assert page.status_code == 200 and "Start a seat plan" in h.text(page)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/training/seat-plans/start/", {"method": "first_come", "time_limit": "10"})
    run = SeatPlanRun.objects.exclude(pk=training.run.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/training/seat-plans/{run.pk}/"
    detail = client.get(response["Location"])
    assert f'hx-get="/training/seat-plans/{run.pk}/progress/"' in detail.content.decode()
    assert 'hx-trigger="every 1s"' in detail.content.decode() and "<progress" in detail.content.decode()
    progress = client.get(f"/training/seat-plans/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress.status_code == 200 and "HX-Refresh" not in progress
    SeatPlanRun.objects.filter(pk=run.pk).update(status=SeatPlanRun.Status.FAILED, error="boom")
    progress = client.get(f"/training/seat-plans/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"
    assert "The run failed" in h.text(client.get(f"/training/seat-plans/{run.pk}/"))


def test_seat_plan_start_errors(training, personas, login):
    response = login(personas.coordinator).post("/training/seat-plans/start/", {"method": "magic"}, follow=True)
    assert "Method:" in h.text(response)
    assert login(personas.auditor).post("/training/seat-plans/start/", {"method": "optimal"}).status_code == 403


def test_the_review_compares_the_plan_with_first_come_and_approval_gives_the_seats(training, personas, login):
    client = login(personas.coordinator)
    url = f"/training/seat-plans/{training.run.pk}/"
    page = h.text(client.get(url))
    assert "vs first come 2.000×" in page
    assert f"{training.request.reference} P1 GEN-100KW uk 40 6 6 4 {training.course_de.reference} ×6" in page
    assert f"{training.course_de.reference} GEN-100KW uk DE WIB 10–20 8 2 6 4" in page
    assert "Gives 4 seats, all or nothing" in page
    # the auditor reviews but may not approve
    assert "Approve plan" not in h.text(login(personas.auditor).get(url))
    assert login(personas.auditor).post(url + "approve/").status_code == 403
    response = client.post(url + "approve/", follow=True)
    assert "Seat plan approved: 4 seats given in 1 assignment." in h.text(response)
    assert sum(SeatAssignment.objects.filter(request=training.request).values_list("seats", flat=True)) == 6
    assert SeatPlanRun.objects.get(pk=training.run.pk).status == SeatPlanRun.Status.APPROVED
    again = client.post(url + "approve/", follow=True)
    assert "only a finished run can be approved" in h.text(again)


def test_seat_plan_downloads(training, personas, login):
    client = login(personas.coordinator)
    for what in ("plan", "instance", "first-come"):
        response = client.get(f"/training/seat-plans/{training.run.pk}/{what}.json")
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert client.get(f"/training/seat-plans/{training.run.pk}/other.json").status_code == 404


# --- readiness -------------------------------------------------------------------------------------------------

def test_readiness_page_shows_each_capability_with_its_status(training, personas, login, world):
    client = login(personas.coordinator)
    response = client.get("/training/readiness/")
    assert response.status_code == 200
    page = h.text(response)
    assert world.requirement.reference in page
    assert re.search(r"\b(ready|at risk|equipment only|crews only|neither)\b", page)
    assert "Readiness by priority" in page and "Readiness over time" in page
    assert_self_contained(response.content.decode())
    html = response.content.decode()
    assert f'href="/requirements/{world.requirement.pk}/"' in html
    assert 'href="/training/readiness/?priority=1"' in html  # the chart's bars link to the filtered page


def test_readiness_filters_and_csv(training, personas, login, world):
    client = login(personas.coordinator)
    none = h.text(client.get("/training/readiness/?priority=4"))
    assert world.requirement.reference not in none.split("Per requirement")[1]
    bad = client.get("/training/readiness/?ready_by=May")
    assert bad.status_code == 422 and "Give a month as YYYY-MM" in h.text(bad)
    response = client.get("/training/readiness/readiness.csv?priority=1")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["level", "key", "label"]
    assert [r[1] for r in rows[1:] if r[0] == "requirement"] == [world.requirement.reference]


def test_readiness_page_as_the_recipient_and_an_outsider(training, personas, login, world):
    assert world.requirement.reference in h.text(login(personas.recipient).get("/training/readiness/"))
    outsider = h.text(login(personas.outsider).get("/training/readiness/"))
    assert world.requirement.reference not in outsider and "No capability with training requests yet" in outsider


def test_training_pages_render_self_contained(training, personas, login):
    client = login(personas.coordinator)
    for url in ("/training/courses/", "/training/courses/add/", f"/training/courses/{training.course_de.pk}/",
                f"/training/courses/{training.course_de.pk}/edit/", "/training/requests/",
                f"/training/requests/{training.request.pk}/", "/training/seat-plans/",
                f"/training/seat-plans/{training.run.pk}/", "/training/readiness/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_self_contained(response.content.decode())
    nav = client.get("/training/courses/").content.decode()
    assert 'class="active" href="/training/courses/">Training</a>' in nav


def test_other_viewers_see_a_course_history_without_names_times_or_notes(training, personas, login):
    services.update_course(actor=personas.donor_de, course=training.course_de, changes={"notes": "Bring boots"})
    url = f"/training/courses/{training.course_de.pk}/"
    own = h.text(login(personas.donor_de).get(url))
    assert "donor-de" in own and "Bring boots" in own
    other = h.text(login(personas.donor_us).get(url))
    assert "course.confirm" in other and "withheld" in other
    assert "donor-de" not in other and "Bring boots" not in other
