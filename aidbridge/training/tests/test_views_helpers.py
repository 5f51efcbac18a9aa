"""Builders shared by the training page tests (views, matrix, panels, dashboard, transparency)."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

from aidbridge.core import clock
from aidbridge.training import services
from aidbridge.training.models import Course, Enrolment, SeatPlanRun, TrainingRequest


@dataclass
class Training:
    course_de: Course  # donor-de, coalition, qualifies GEN-100KW, confirmed, 2 seats given to ``request``
    course_de_private: Course  # donor-de, coordinators only
    course_us_public: Course  # donor-us, public since yesterday
    course_us_later: Course  # donor-us, public from next year (not yet disclosed)
    request: TrainingRequest  # the recipient's, on world.requirement, validated
    draft: TrainingRequest  # the recipient's, draft
    enrolment: Enrolment  # on course_de for request, enrolled
    run: SeatPlanRun  # a finished seat plan (built by hand, no solver)


def course(actor: Any, world: Any, **overrides: Any) -> Course:
    today = clock.today()
    fields: dict[str, Any] = dict(title="Generator crew course", location=world.wiesbaden,
                                  start_date=today + dt.timedelta(days=10), end_date=today + dt.timedelta(days=20),
                                  seats=8, language="uk", qualifies_item=world.item, releasability="coalition")
    fields.update(overrides)
    return services.create_course(actor=actor, **fields)


def build(world: Any, personas: Any) -> Training:
    c, r = personas.coordinator, personas.recipient
    today = clock.today()
    de = course(personas.donor_de, world, title="Generator crew course (DE)")
    de = services.confirm_course(actor=personas.donor_de, course=de)
    de_private = course(personas.donor_de, world, title="Secret generator course", releasability="coordinators")
    us_public = course(personas.donor_us, world, title="Public maintenance course", releasability="public",
                       disclosure_date=today - dt.timedelta(days=1), seats=12, language="en")
    us_later = course(personas.donor_us, world, title="Embargoed medical course", releasability="public",
                      disclosure_date=today + dt.timedelta(days=365), seats=6, qualifies_item=None,
                      qualifies_class="VIII")
    request = services.create_training_request(actor=r, requirement=world.requirement, crew_size=2, crews=3,
                                               language="uk")
    request = services.submit_training_request(actor=r, request=request)
    request = services.validate_training_request(actor=c, request=request)
    draft = services.create_training_request(actor=r, item=world.other_item, crew_size=4, crews=1, language="uk",
                                             latest_date=today + dt.timedelta(days=60))
    services.assign_seats(actor=c, request=request, course=de, seats=2)
    enrolment = services.enrol_trainee(actor=r, request=request, course=de, trainee_ref="UA-53-0017")
    run = SeatPlanRun.objects.create(
        status=SeatPlanRun.Status.DONE, start_date=today, started_by=c, progress=1.0, objective=500.0,
        baseline_objective=250.0, bound=500.0, duration_seconds=0.4,
        instance={"schema": "aidbridge.seat-instance/1",
                  "courses": [{"id": de.reference, "provider": str(de.provider_id), "seats": 8, "language": "uk",
                               "start_day": 10, "end_day": 20, "location": "DE WIB", "qualifies": ["GEN-100KW"],
                               "prerequisites": []}],
                  "requests": [{"id": request.reference, "trainees": 6, "crew_size": 2, "language": "uk",
                                "qualifies": "GEN-100KW", "priority": 1, "needed_by_day": 40, "origin": "UA",
                                "holds": []}],
                  "travel_days": {"UA": {"DE WIB": 2}}, "priority_value": {"1": 1000, "2": 100, "3": 10, "4": 1},
                  "fixed": [{"request": request.reference, "course": de.reference, "seats": 2}]},
        plan={"schema": "aidbridge.seat-plan/1", "status": "optimal", "objective": 500.0, "bound": 500.0,
              "assignments": [{"request": request.reference, "course": de.reference, "seats": 6}], "stats": {}},
        baseline_plan={"schema": "aidbridge.seat-plan/1", "status": "feasible", "objective": 250.0,
                       "assignments": [{"request": request.reference, "course": de.reference, "seats": 4}],
                       "stats": {}},
    )
    return Training(de, de_private, us_public, us_later, request, draft, enrolment, run)


def text(response: Any) -> str:
    """The visible text of a page: tags dropped, SVG reduced to its titles, the CSRF token left out."""
    body = response.content.decode()
    body = re.sub(r"<svg\b.*?</svg>", lambda m: " ".join(re.findall(r"<title>(.*?)</title>", m.group(0))),
                  body, flags=re.S)
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
