"""A small training world on top of the shared ``world`` fixture, built through the services.

- ``course``: donor-de's coalition course at Wiesbaden qualifying GEN-100KW (12 seats, English, in 1–2 weeks);
- ``course_coord``: donor-de's coordinators-only course (also GEN-100KW, 8 seats, German);
- ``course_public``: donor-us's public course (disclosed yesterday) qualifying supply class VIII (6 seats);
- ``request``: the recipient's validated request for 3 crews of 4 under the validated requirement (English);
- ``draft``: the recipient's draft request (2 crews of 2 for the trauma kits, no requirement, needed in 60 days).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aidbridge.core import clock
from aidbridge.training import services
from aidbridge.training.models import Course, TrainingRequest


@dataclass
class Training:
    course: Course
    course_coord: Course
    course_public: Course
    request: TrainingRequest
    draft: TrainingRequest


def build_training(personas: Any, world: Any) -> Training:
    today = clock.today()
    de, us, r, c = personas.donor_de, personas.donor_us, personas.recipient, personas.coordinator
    course = services.create_course(
        actor=de, title="Generator crews", location=world.wiesbaden, start_date=today + dt.timedelta(days=7),
        end_date=today + dt.timedelta(days=14), seats=12, language="en", qualifies_item=world.item,
        releasability="coalition")
    course_coord = services.create_course(
        actor=de, title="Generator crews (DE)", location=world.wiesbaden, start_date=today + dt.timedelta(days=3),
        end_date=today + dt.timedelta(days=10), seats=8, language="de", qualifies_item=world.item,
        releasability="coordinators")
    course_public = services.create_course(
        actor=us, title="Combat medics", location=world.wiesbaden, start_date=today + dt.timedelta(days=20),
        end_date=today + dt.timedelta(days=30), seats=6, language="en", qualifies_class="VIII",
        releasability="public", disclosure_date=today - dt.timedelta(days=1))
    request = services.create_training_request(actor=r, requirement=world.requirement, crew_size=4, crews=3,
                                               language="en")
    services.submit_training_request(actor=r, request=request)
    request = services.validate_training_request(actor=c, request=request)
    draft = services.create_training_request(actor=r, item=world.other_item, crew_size=2, crews=2, language="uk",
                                             latest_date=today + dt.timedelta(days=60))
    return Training(course, course_coord, course_public, request, draft)
