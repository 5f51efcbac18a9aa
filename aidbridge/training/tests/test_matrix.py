"""Every training page and export, as every persona: who gets the page, who 403, who 404, who the login page.

- courses follow the pledges' releasability, the provider in the donor's place: a donor sees its own courses
  and the coalition's, never another donor's coordinators-only course (404);
- training requests follow requirements: drafts are the recipient's (and the auditors'), submitted ones the
  coalition's; outsiders see neither;
- seat plans are the coordination cell's: coordinators and auditors (read only); everybody else 404;
- readiness is shown to everyone signed in, over what they may see; the training transparency CSV is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from aidbridge.training.models import SeatPlanRun
from aidbridge.training.tests import test_views_helpers as h

PERSONAS = ("coordinator", "auditor", "donor_de", "donor_us", "recipient", "hub_pl", "outsider", "anonymous")
COALITION = ("coordinator", "auditor", "donor_de", "donor_us", "recipient", "hub_pl")
SIGNED_IN = (*COALITION, "outsider")


@dataclass(frozen=True)
class Surface:
    name: str
    method: str
    path: str  # with {course}, {private}, {public}, {later}, {request}, {draft}, {run}, {enrolment}
    data: dict[str, Any] | None = None


SURFACES = [
    Surface("course list", "get", "/training/courses/"),
    Surface("course list filtered", "get", "/training/courses/?language=uk&status=confirmed"),
    Surface("new course form", "get", "/training/courses/add/"),
    Surface("coalition course", "get", "/training/courses/{course}/"),
    Surface("coordinators-only course", "get", "/training/courses/{private}/"),
    Surface("public course", "get", "/training/courses/{public}/"),
    Surface("undisclosed public course", "get", "/training/courses/{later}/"),
    Surface("edit private course form", "get", "/training/courses/{private}/edit/"),
    Surface("confirm private course", "post", "/training/courses/{private}/confirm/"),
    Surface("record on course", "post", "/training/courses/{course}/record/",
            {"enrolment": "{enrolment}", "action": "attend"}),
    Surface("request list", "get", "/training/requests/"),
    Surface("new request form", "get", "/training/requests/add/"),
    Surface("validated request", "get", "/training/requests/{request}/"),
    Surface("draft request", "get", "/training/requests/{draft}/"),
    Surface("edit draft form", "get", "/training/requests/{draft}/edit/"),
    Surface("submit draft", "post", "/training/requests/{draft}/submit/"),
    Surface("enrol", "post", "/training/requests/{request}/enrol/",
            {"course": "{course}", "trainee_ref": "UA-9-0001"}),
    Surface("seat plans", "get", "/training/seat-plans/"),
    Surface("start seat plan", "post", "/training/seat-plans/start/", {"method": "first_come"}),
    Surface("seat plan", "get", "/training/seat-plans/{run}/"),
    Surface("seat plan progress", "get", "/training/seat-plans/{run}/progress/"),
    Surface("seat plan json", "get", "/training/seat-plans/{run}/plan.json"),
    Surface("approve seat plan", "post", "/training/seat-plans/{run}/approve/"),
    Surface("readiness", "get", "/training/readiness/"),
    Surface("readiness csv", "get", "/training/readiness/readiness.csv"),
    Surface("transparency training csv", "get", "/transparency/aidbridge-training.csv"),
]

OK_GET, DONE_POST = 200, 302


def expected(persona: str, s: Surface) -> int:
    if s.name == "transparency training csv":
        return 200
    if persona == "anonymous":
        return 302  # to the login page
    ok = DONE_POST if s.method == "post" else OK_GET
    match s.name:
        case "course list" | "course list filtered" | "request list" | "readiness" | "readiness csv" | \
                "public course":
            return ok
        case "new course form":  # donors (as for pledges) and coordinator editors
            return ok if persona in ("coordinator", "donor_de", "donor_us", "outsider") else 403
        case "coalition course" | "undisclosed public course":
            return ok if persona in COALITION else 404
        case "coordinators-only course":
            return ok if persona in ("coordinator", "auditor", "donor_de") else 404
        case "edit private course form" | "confirm private course":
            if persona in ("coordinator", "donor_de"):
                return ok
            return 403 if persona == "auditor" else 404
        case "record on course":  # the provider, the recipient, coordinator editors
            if persona in ("coordinator", "donor_de", "recipient"):
                return ok
            return 404 if persona == "outsider" else 403
        case "new request form":
            return ok if persona == "recipient" else 403
        case "validated request":
            return ok if persona in COALITION else 404
        case "draft request":
            return ok if persona in ("recipient", "auditor") else 404
        case "edit draft form" | "submit draft":
            if persona == "recipient":
                return ok
            return 403 if persona == "auditor" else 404
        case "enrol":
            if persona in ("recipient", "coordinator"):
                return ok
            return 404 if persona == "outsider" else 403
        case "seat plans" | "seat plan" | "seat plan progress" | "seat plan json":
            return ok if persona in ("coordinator", "auditor") else 404
        case "start seat plan" | "approve seat plan":
            if persona == "coordinator":
                return ok
            return 403 if persona == "auditor" else 404
    raise AssertionError(s.name)


@pytest.fixture
def objects(world, personas):
    t = h.build(world, personas)
    return {"course": t.course_de.pk, "private": t.course_de_private.pk, "public": t.course_us_public.pk,
            "later": t.course_us_later.pk, "request": t.request.pk, "draft": t.draft.pk, "run": t.run.pk,
            "enrolment": t.enrolment.pk}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_matrix(world, personas, login, objects, persona, surface, django_capture_on_commit_callbacks):
    user = None if persona == "anonymous" else getattr(personas, persona)
    client = login(user)
    path = surface.path.format(**objects)
    data = {k: v.format(**objects) for k, v in (surface.data or {}).items()}
    with django_capture_on_commit_callbacks(execute=False):
        response = getattr(client, surface.method)(path, data)
    want = expected(persona, surface)
    assert response.status_code == want, (persona, surface.name, response.status_code)
    if persona == "anonymous" and want == 302:
        assert response["Location"].startswith("/accounts/login/?next=")
    if want in (403, 404):
        text = h.text(response)
        # nothing of the coordinators-only course, the draft or the plan leaks into a refusal
        for secret in ("Secret generator course", "UA-53-0017", "MED-KIT", "2.000×"):
            assert secret not in text, (persona, surface.name, secret)
    if want >= 400 or persona == "anonymous":
        assert SeatPlanRun.objects.filter(status=SeatPlanRun.Status.QUEUED).count() == 0


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_lists_show_only_what_the_persona_may_see(world, personas, login, objects, persona):
    client = login(getattr(personas, persona))
    courses = h.text(client.get("/training/courses/"))
    assert ("Secret generator course" in courses) == (persona in ("coordinator", "auditor", "donor_de"))
    assert ("Embargoed medical course" in courses) == (persona in COALITION)
    assert "Public maintenance course" in courses
    requests = client.get("/training/requests/").content.decode()
    assert (f"/training/requests/{objects['draft']}/" in requests) == (persona in ("recipient", "auditor"))
    assert (f"/training/requests/{objects['request']}/" in requests) == (persona in COALITION)
    nav = client.get("/training/readiness/").content.decode()
    assert 'href="/training/courses/">Training</a>' in nav
    assert ('href="/training/seat-plans/"' in nav) == (persona in ("coordinator", "auditor"))


def test_anonymous_visitors_have_no_training_link(world, login):
    assert 'href="/training/courses/"' not in login(None).get("/transparency/").content.decode()
