"""Build the seat planner's instance (``aidbridge.seat-instance/1``, docs/training.md) from the database.

Day 0 is the run's start date. Inputs:

- **requests**: validated training requests. A request's *needed by* day is its ``latest_date`` when given;
  otherwise, linked to a requirement, the equipment's **planned arrival** (:func:`planned_arrivals`: the
  latest planned arrival of the requirement's allocation lines, or its due date when none is planned). Seats
  already given to the request on courses outside the instance (running or completed) are netted off its
  trainees (rounded down to whole crews); a request with nothing left to plan is left out. ``holds`` lists the
  courses on which the request already has as many completed enrolments as it has trainees.
- **courses**: offered or confirmed courses visible to coordinators (any releasability), ending on or after
  day 0; ``qualifies`` holds the item code, or the supply class (each request gives its ``item`` and ``class``).
  Seats held by requests not in the instance come off ``seats``.
- **travel days** from the recipient's country to each course location: one day per 500 km (rounded up, at
  least one) between the locations' coordinates. The country's position is the mean of the recipient's
  requirement destinations in it (or of the locations in that country); with none,
  :data:`DEFAULT_TRAVEL_DAYS`.
- **fixed**: approved seat assignments of the planned requests on the courses in the instance, in whole crews
  (a part crew's seats come off the course instead), which keep their seats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q

from aidbridge.allocation.models import AllocationLine
from aidbridge.locations.models import Location, OutboundLeadTime
from aidbridge.requirements.models import Requirement
from aidbridge.training.models import Course, Enrolment, SeatAssignment, TrainingRequest

SCHEMA = "aidbridge.seat-instance/1"
PRIORITY_VALUE = {"1": 1000, "2": 100, "3": 10, "4": 1}
KM_PER_TRAVEL_DAY = 500
DEFAULT_TRAVEL_DAYS = 2  # when neither end of the journey has coordinates
EARTH_RADIUS_KM = 6371.0


def arrival_for(dispatch_week: dt.date, lead_weeks: int) -> dt.date:
    """The planned arrival of goods dispatched in ``dispatch_week`` (a Monday) with an outbound lead time of
    ``lead_weeks``: the Friday of the week they should arrive, as the logistics app plans shipments."""
    return dispatch_week + dt.timedelta(weeks=lead_weeks, days=4)


def planned_arrivals(requirement_ids: Iterable[int] | None = None) -> dict[int, dt.date]:
    """Requirement id → the latest planned arrival of its allocation lines (dispatch week + outbound lead time);
    requirements without planned lines are absent (callers fall back to the due date)."""
    lines = AllocationLine.objects.filter(dispatch_week__isnull=False).select_related("requirement")
    if requirement_ids is not None:
        lines = lines.filter(requirement_id__in=list(requirement_ids))
    leads = {(hub, dest): weeks for hub, dest, weeks in
             OutboundLeadTime.objects.values_list("hub_id", "destination_id", "weeks")}
    out: dict[int, dt.date] = {}
    for line in lines:
        assert line.dispatch_week is not None
        arrival = arrival_for(line.dispatch_week, leads.get((line.hub_id, line.requirement.destination_id), 0))
        if line.requirement_id not in out or arrival > out[line.requirement_id]:
            out[line.requirement_id] = arrival
    return out


def needed_by(request: TrainingRequest, arrivals: dict[int, dt.date]) -> dt.date:
    """The request's needed-by date: its own ``latest_date``, else its equipment's planned arrival, else the
    requirement's due date."""
    if request.latest_date is not None:
        return request.latest_date
    assert request.requirement is not None  # the model's constraint: no date means a requirement
    return arrivals.get(request.requirement_id, request.requirement.due_date)  # type: ignore[arg-type]


def request_key(pk: int) -> str:
    return f"TRQ-{pk:05d}"


def course_key(pk: int) -> str:
    return f"CRS-{pk:05d}"


def key_pk(key: str) -> int:
    """``CRS-00012`` / ``TRQ-00012`` → 12."""
    return int(str(key).rsplit("-", 1)[-1])


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def travel_days_for(km: float) -> int:
    """One day per 500 km, rounded up, at least one."""
    return max(1, math.ceil(km / KM_PER_TRAVEL_DAY - 1e-9))


def _country_positions(requests: list[TrainingRequest]) -> dict[str, tuple[float, float]]:
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for request in requests:
        if request.requirement is not None:
            dest = request.requirement.destination
            if dest.country == request.recipient.country:
                points[dest.country].append((float(dest.latitude), float(dest.longitude)))
    wanted = {r.recipient.country for r in requests} - set(points)
    for country, lat, lon in Location.objects.filter(country__in=wanted).values_list("country", "latitude",
                                                                                    "longitude"):
        points[country].append((float(lat), float(lon)))
    return {c: (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps)) for c, ps in points.items() if ps}


def build_instance(*, start_date: dt.date) -> dict[str, Any]:
    """The planner instance for the database as it is now, with day 0 on ``start_date``."""
    courses = list(Course.objects.filter(status__in=Course.PLANNABLE, end_date__gte=start_date)
                   .select_related("location", "qualifies_item").prefetch_related("prerequisites")
                   .order_by("pk"))
    course_ids = {c.pk for c in courses}
    requests = list(TrainingRequest.objects.filter(status=TrainingRequest.Status.VALIDATED)
                    .select_related("recipient", "item", "requirement__destination").order_by("pk"))
    arrivals = planned_arrivals(r.requirement_id for r in requests if r.requirement_id is not None)
    request_ids = [r.pk for r in requests]

    # Seats already given to a request (courses not cancelled). On a course outside the instance those trainees
    # are taken care of: they are netted off the request. On a course in the instance they are fixed, in whole
    # crews (the planner's unit); a part crew, and seats held by requests not planned, come off the course.
    assignments = list(SeatAssignment.objects.filter(course__status__in=[
        Course.Status.OFFERED, Course.Status.CONFIRMED, Course.Status.RUNNING, Course.Status.COMPLETED])
        .order_by("course_id", "request_id", "pk").values_list("request_id", "course_id", "seats"))
    by_request = {r.pk: r for r in requests}
    elsewhere: dict[int, int] = defaultdict(int)
    for request_id, course_id, seats in assignments:
        if request_id in by_request and course_id not in course_ids:
            elsewhere[request_id] += seats
    completed = (Enrolment.objects.filter(request_id__in=request_ids, status=Enrolment.Status.COMPLETED)
                 .values("request_id", "course_id").annotate(n=Count("pk")))
    holds: dict[int, list[str]] = defaultdict(list)
    for row in completed.order_by("request_id", "course_id"):
        if row["n"] >= by_request[row["request_id"]].trainees:
            holds[row["request_id"]].append(course_key(row["course_id"]))

    request_rows = []
    kept: dict[int, TrainingRequest] = {}
    left_by_request: dict[int, int] = {}
    for r in requests:
        crew = int(r.crew_size)
        left = (r.trainees - elsewhere[r.pk]) // crew * crew  # whole crews still to plan
        if left <= 0:
            continue
        kept[r.pk] = r
        left_by_request[r.pk] = left
        request_rows.append({
            "id": request_key(r.pk), "requirement": r.requirement.reference if r.requirement else "",
            "trainees": left, "crew_size": crew, "language": r.language, "item": r.item.code,
            "class": r.item.supply_class, "priority": int(r.priority),
            "needed_by_day": (needed_by(r, arrivals) - start_date).days, "origin": r.recipient.country,
            "holds": holds[r.pk],
        })
    taken: dict[int, int] = defaultdict(int)  # seats of a course not available to the plan
    fixed_seats: dict[tuple[int, int], int] = defaultdict(int)
    for request_id, course_id, seats in assignments:
        if course_id not in course_ids:
            continue
        if request_id in kept:
            fixed_seats[(request_id, course_id)] += seats
        else:
            taken[course_id] += seats
    fixed = []
    fixed_by_request: dict[int, int] = defaultdict(int)
    for (request_id, course_id), seats in sorted(fixed_seats.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        crew = int(kept[request_id].crew_size)
        room = left_by_request[request_id] - fixed_by_request[request_id]
        whole = min(seats // crew * crew, room)
        taken[course_id] += seats - whole
        if whole > 0:
            fixed_by_request[request_id] += whole
            fixed.append({"request": request_key(request_id), "course": course_key(course_id), "seats": whole})

    course_rows = []
    for c in courses:
        course_rows.append({
            "id": course_key(c.pk), "provider": str(c.provider_id), "title": c.title,
            "seats": max(0, int(c.seats) - taken[c.pk]), "language": c.language,
            "start_day": (c.start_date - start_date).days, "end_day": (c.end_date - start_date).days,
            "location": c.location.unlocode,
            "qualifies": [c.qualifies_item.code] if c.qualifies_item is not None else [c.qualifies_class],
            "prerequisites": sorted(course_key(p.pk) for p in c.prerequisites.all() if p.pk in course_ids),
        })

    positions = _country_positions(list(kept.values()))
    travel: dict[str, dict[str, int]] = {}
    for origin in sorted({r.recipient.country for r in kept.values()}):
        travel[origin] = {}
        for c in courses:
            here = positions.get(origin)
            if here is None:
                days = DEFAULT_TRAVEL_DAYS
            else:
                days = travel_days_for(distance_km(here, (float(c.location.latitude), float(c.location.longitude))))
            travel[origin][c.location.unlocode] = days
    return {
        "schema": SCHEMA, "start_date": start_date.isoformat(), "courses": course_rows, "requests": request_rows,
        "travel_days": travel, "priority_value": dict(PRIORITY_VALUE), "fixed": fixed,
    }


def fingerprint(instance: dict[str, Any]) -> str:
    """A digest of everything the plan depends on; any change to an input changes it."""
    text = json.dumps(instance, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def for_planner(instance: dict[str, Any]) -> dict[str, Any]:
    """The instance without the keys the planner's schema does not know (``start_date``)."""
    return {k: v for k, v in instance.items() if k != "start_date"}


def visible_requirements(user: Any) -> Any:
    return Requirement.objects.for_user(user).filter(~Q(status=Requirement.Status.CANCELLED))
