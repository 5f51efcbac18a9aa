"""The demo's training: a dozen courses offered by donors (artillery crews, demining, medical, vehicle and
generator maintenance; in English, German, Polish and Ukrainian), training requests tied to seeded requirements,
one howitzer course already completed (with pseudonymous trainees and certificates), and a seat plan run and
approved through the services.

The artillery battery is left ``at risk`` on purpose: its howitzer crews asked to be trained in English by a
date after the guns arrive, and the only English howitzer course still open (in the United Kingdom) ends two
weeks after the planned arrival. The seat plan gives them those seats; readiness shows the equipment waiting.
Every date is relative to the scenario's clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aidbridge.locations import services as locations
from aidbridge.locations.models import Location
from aidbridge.requirements.models import Requirement
from aidbridge.training import services as training
from aidbridge.training import tasks
from aidbridge.training.instance import planned_arrivals
from aidbridge.training.models import Course, SeatPlanRun, TrainingRequest

# Training grounds the courses use besides the scenario's places (Wiesbaden, Rzeszów-Jasionka, Lviv).
TRAINING_PLACES = (
    ("DE GRF", "Grafenwöhr training area", "49.698000", "11.940000"),
    ("GB SBY", "Salisbury Plain training area", "51.200000", "-1.800000"),
    ("PL DRP", "Drawsko Pomorskie training area", "53.530000", "15.800000"),
)


@dataclass(frozen=True)
class CourseSpec:
    key: str
    provider: str  # donor short name
    title: str
    place: str  # UN/LOCODE
    language: str
    qualifies: str  # an item code, or "class:<supply class>"
    seats: int
    start: int  # days from today
    days: int  # length, first to last day
    releasability: str = "coalition"
    prerequisite: str = ""


COURSES = (
    CourseSpec("m777-us", "us-dod", "155 mm towed howitzer crew course", "DE GRF", "en", "HOWITZER-155", 24, -45, 35,
               "public"),
    CourseSpec("howitzer-de", "de-mod", "Haubitzen-Bedienerlehrgang 155 mm", "DE GRF", "de", "HOWITZER-155", 16, 20,
               28, "public"),
    CourseSpec("demining-pl", "pl-mod", "Rozminowanie humanitarne — kurs podstawowy", "PL DRP", "pl", "class:V", 20,
               10, 14, "public"),
    CourseSpec("eod-us", "us-dod", "Demining and explosive ordnance disposal", "DE GRF", "en", "DEMO-KIT", 16, 30,
               21),
    CourseSpec("medic-de", "de-mod", "Einsatzersthelfer Bravo (combat medic)", "DE WIB", "de", "class:VIII", 20, 7,
               14, "public"),
    CourseSpec("tccc-pl", "pl-mod", "Тактична медицина (TCCC), курс українською", "PL RZE", "uk", "class:VIII", 24,
               14, 10, "public"),
    CourseSpec("surgical-us", "us-dod", "Forward surgical team training", "DE WIB", "en", "SURGICAL-SET", 12, 60, 21),
    CourseSpec("truck-de", "de-mod", "Instandsetzung Lkw 8 t (truck maintenance)", "DE GRF", "de", "TRUCK-8T", 16,
               -30, 14, "public"),
    CourseSpec("truck-nl", "nl-mod", "Водії та механіки вантажівок 8 т", "PL RZE", "uk", "TRUCK-8T", 16, 21, 14),
    CourseSpec("generator-dk", "dk-mod", "Generator set 100 kW operation and maintenance", "PL RZE", "en",
               "GEN-100KW", 8, 14, 7),
    CourseSpec("ifv-no", "no-mod", "Infantry fighting vehicle crew conversion", "DE GRF", "en", "IFV-TRACKED", 18,
               30, 42, "coordinators"),
    CourseSpec("ifv-gunnery-fr", "fr-mod", "IFV advanced gunnery", "DE GRF", "en", "IFV-TRACKED", 12, 75, 14,
               "coordinators", prerequisite="ifv-no"),
    CourseSpec("recovery-ca", "ca-dnd", "Vehicle recovery and field repair", "PL RZE", "en", "class:IX", 12, 40, 21),
)


@dataclass(frozen=True)
class RequestSpec:
    item: str
    package: str  # "" for any validated requirement of the item
    crew_size: int
    crews: int
    language: str


REQUESTS = (
    RequestSpec("HOWITZER-155", "artillery-battery", 6, 2, "en"),  # at risk: see the module's docstring
    RequestSpec("TRUCK-8T", "artillery-battery", 2, 8, "uk"),
    RequestSpec("SURGICAL-SET", "field-hospital", 4, 3, "en"),
    RequestSpec("GEN-100KW", "field-hospital", 2, 4, "en"),
    RequestSpec("IFV-TRACKED", "", 3, 4, "en"),
    RequestSpec("DEMO-KIT", "", 4, 4, "pl"),
    RequestSpec("TRAUMA-DRESSING", "", 4, 5, "uk"),
)


def _place(coordinator: Any, unlocode: str, name: str, latitude: str, longitude: str) -> Location:
    existing = Location.objects.filter(unlocode=unlocode).first()
    if existing is not None:
        return existing
    return locations.create_location(actor=coordinator, unlocode=unlocode, name=name, country=unlocode[:2],
                                     latitude=Decimal(latitude), longitude=Decimal(longitude))


def _requirement(item: str, package: str) -> Requirement | None:
    qs = Requirement.objects.filter(item__code=item, status=Requirement.Status.VALIDATED)
    if package:
        qs = qs.filter(package=package)
    return qs.order_by("priority", "due_date", "pk").first()


def _arrival(requirement: Requirement) -> dt.date:
    return planned_arrivals([requirement.pk]).get(requirement.pk, requirement.due_date)


def load_training(world: Any, *, today: dt.date) -> SeatPlanRun | None:
    """Courses, requests, one completed course with its trainees, and an approved demo seat plan."""
    coordinator, recipient = world.users["coordinator"], world.users["recipient"]
    for place in TRAINING_PLACES:
        _place(coordinator, *place)
    places = {loc.unlocode: loc for loc in Location.objects.all()}
    items = world.items
    requirements = {spec.item: _requirement(spec.item, spec.package) for spec in REQUESTS}
    howitzers = requirements["HOWITZER-155"]
    arrival = _arrival(howitzers) if howitzers is not None else today + dt.timedelta(days=60)

    courses: dict[str, Course] = {}
    for spec in COURSES:
        start = today + dt.timedelta(days=spec.start)
        fields: dict[str, Any] = {
            "title": spec.title, "location": places[spec.place], "start_date": start,
            "end_date": start + dt.timedelta(days=spec.days - 1), "seats": spec.seats, "language": spec.language,
            "releasability": spec.releasability,
        }
        if spec.qualifies.startswith("class:"):
            fields["qualifies_class"] = spec.qualifies.removeprefix("class:")
        else:
            fields["qualifies_item"] = items[spec.qualifies]
        if spec.releasability == "public":
            fields["disclosure_date"] = min(start, today)
        courses[spec.key] = training.create_course(
            actor=world.donor_users[spec.provider], prerequisites=[courses[spec.prerequisite]] if spec.prerequisite
            else [], **fields)
    # The one English howitzer course still open: in the UK, ending two weeks after the guns arrive.
    gb_start = max(today + dt.timedelta(days=7), arrival - dt.timedelta(days=14))
    courses["howitzer-gb"] = training.create_course(
        actor=world.donor_users["gb-mod"], title="Gun detachment commanders and crews, 155 mm",
        location=places["GB SBY"], start_date=gb_start, end_date=gb_start + dt.timedelta(days=27), seats=12,
        language="en", qualifies_item=items["HOWITZER-155"], releasability="coalition")

    requests: dict[str, TrainingRequest] = {}
    for wanted in REQUESTS:
        requirement = requirements[wanted.item]
        if requirement is None:
            continue
        latest = None
        if wanted.item == "HOWITZER-155":
            latest = courses["howitzer-gb"].end_date + dt.timedelta(days=14)  # "we can wait that long"
        request = training.create_training_request(
            actor=recipient, requirement=requirement, crew_size=wanted.crew_size, crews=wanted.crews,
            language=wanted.language, latest_date=latest)
        training.submit_training_request(actor=recipient, request=request)
        requests[wanted.item] = training.validate_training_request(actor=coordinator, request=request)

    # History: truck crews already trained on the German course (it ended two weeks ago), and an earlier group of
    # howitzer crews on the US course for another request, both with certificates.
    _completed_course(world, courses["truck-de"], requests.get("TRUCK-8T"), trainees=8, prefix="UA-TRK")
    _completed_course(world, courses["m777-us"], None, trainees=18, prefix="UA-ART", item="HOWITZER-155")

    run = training.start_seat_plan(actor=coordinator, time_limit=20.0, start_date=today, enqueue=False)
    tasks.execute(run.pk)
    run.refresh_from_db()
    if run.status != SeatPlanRun.Status.DONE:
        raise RuntimeError(f"The demo seat plan failed: {run.error.splitlines()[0] if run.error else ''}")
    training.approve_seat_plan(actor=coordinator, run=run)
    return run


def _completed_course(world: Any, course: Course, request: TrainingRequest | None, *, trainees: int, prefix: str,
                      item: str = "") -> None:
    """Seats, enrolments, attendance and certificates on a course that has already ended."""
    coordinator, recipient = world.users["coordinator"], world.users["recipient"]
    provider = world.donor_users[course.provider.short_name]
    if request is None:  # an earlier request of its own, already served
        request = training.create_training_request(
            actor=recipient, item=world.items[item], crew_size=6, crews=trainees // 6, language=course.language,
            latest_date=course.end_date + dt.timedelta(days=7), notes="Earlier group, trained before this plan.")
        training.submit_training_request(actor=recipient, request=request)
        request = training.validate_training_request(actor=coordinator, request=request)
    training.assign_seats(actor=coordinator, request=request, course=course, seats=trainees)
    course = training.confirm_course(actor=provider, course=course)
    course = training.start_course(actor=provider, course=course)
    for number in range(1, trainees + 1):
        enrolment = training.enrol_trainee(actor=recipient, request=request, course=course,
                                           trainee_ref=f"{prefix}-{number:04d}")
        enrolment = training.record_attendance(actor=provider, enrolment=enrolment)
        training.complete_enrolment(actor=provider, enrolment=enrolment,
                                    certificate_ref=f"{course.reference}-{number:03d}", completed_on=course.end_date)
    training.complete_course(actor=provider, course=course)
    if request.notes:
        training.close_training_request(actor=coordinator, request=request)
