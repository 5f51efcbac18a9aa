"""Capability readiness: is the equipment there, and are its crews trained?

:func:`assess` is pure (plain dataclasses in, statuses out), so pages, the API and what-if (with a scenario's
arrivals and seat plan) all call the same rules; :func:`readiness_for` reads its inputs from the database.

For one requirement (a *capability*):

- **equipment**: delivered quantity against required; its date is the last delivery once everything is
  delivered, else the planned arrival (none when nothing is planned);
- **crews**: trained crews (each request's completed trainees on qualifying courses, ``// crew_size``) against
  needed (the requests' ``crews``); its date is the last completion once every crew is trained, else the latest
  end of the qualifying courses where seats are planned for the rest (none when nothing is planned). A
  requirement without training requests needs no crews;
- **ready date**: the later of the two dates (none when either is unknown);
- **status**, first that applies:

  1. ``ready``: everything delivered and every crew trained;
  2. ``at risk``: crews are still to be trained and a planned completion falls after the equipment's arrival
     (actual once delivered, else planned, else, with nothing planned yet, the requirement's due date): the
     equipment would wait for its crews;
  3. ``equipment only``: everything delivered, crews still missing;
  4. ``crews only``: every crew trained (at least one needed), equipment still missing;
  5. ``neither``.

A **package** (requirements sharing ``package``) is ready when all its requirements are, at risk when any is
(and not all are ready), equipment only / crews only when every requirement has that side complete; its
quantities and crews add up and its ready date is the latest (none when any is unknown).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q

from aidbridge.logistics.models import ReceiptLine, Shipment
from aidbridge.requirements.models import Requirement
from aidbridge.training.instance import planned_arrivals
from aidbridge.training.models import Course, Enrolment, SeatAssignment, TrainingRequest

READY = "ready"
AT_RISK = "at risk"
EQUIPMENT_ONLY = "equipment only"
CREWS_ONLY = "crews only"
NEITHER = "neither"
STATUSES = (READY, AT_RISK, EQUIPMENT_ONLY, CREWS_ONLY, NEITHER)
COUNTED_REQUESTS = (TrainingRequest.Status.SUBMITTED, TrainingRequest.Status.VALIDATED,
                    TrainingRequest.Status.CLOSED)


@dataclass(frozen=True)
class CrewTraining:
    """One training request's side of a capability."""

    crew_size: int
    crews: int
    completed: int = 0  # trainees who completed a qualifying course
    last_completion: dt.date | None = None
    planned: int = 0  # further trainees in seats planned on qualifying courses not yet over
    planned_end: dt.date | None = None  # the latest end of those courses

    @property
    def crews_trained(self) -> int:
        return min(self.crews, self.completed // self.crew_size) if self.crew_size > 0 else 0

    @property
    def crews_planned(self) -> int:
        """Crews trained or in planned seats."""
        return min(self.crews, (self.completed + self.planned) // self.crew_size) if self.crew_size > 0 else 0


@dataclass(frozen=True)
class Capability:
    """One requirement's inputs."""

    key: str
    required: int
    delivered: int = 0
    last_delivery: dt.date | None = None
    planned_arrival: dt.date | None = None
    training: Sequence[CrewTraining] = ()
    package: str = ""
    priority: int = 2
    label: str = ""
    due_date: dt.date | None = None  # when nothing is planned yet, the equipment is expected by then


@dataclass(frozen=True)
class Readiness:
    key: str
    status: str
    required: int
    delivered: int
    crews_needed: int
    crews_trained: int
    crews_planned: int
    equipment_date: dt.date | None
    training_date: dt.date | None
    ready_date: dt.date | None
    package: str = ""
    priority: int = 2
    label: str = ""
    members: tuple[str, ...] = field(default=())

    @property
    def equipment_complete(self) -> bool:
        return self.delivered >= self.required

    @property
    def crews_complete(self) -> bool:
        return self.crews_trained >= self.crews_needed

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "label": self.label, "package": self.package, "priority": self.priority,
            "status": self.status, "required": self.required, "delivered": self.delivered,
            "crews_needed": self.crews_needed, "crews_trained": self.crews_trained,
            "crews_planned": self.crews_planned,
            "equipment_date": self.equipment_date.isoformat() if self.equipment_date else None,
            "training_date": self.training_date.isoformat() if self.training_date else None,
            "ready_date": self.ready_date.isoformat() if self.ready_date else None,
            "members": list(self.members),
        }


def _later(*days: dt.date | None) -> dt.date | None:
    if any(d is None for d in days):
        return None
    return max(d for d in days if d is not None) if days else None


def _status(*, equipment: bool, crews: bool, at_risk: bool, crews_needed: int) -> str:
    if equipment and crews:
        return READY
    if at_risk:
        return AT_RISK
    if equipment:
        return EQUIPMENT_ONLY
    if crews and crews_needed > 0:  # no crews needed is not "crews only": nothing was trained
        return CREWS_ONLY
    return NEITHER


def readiness(capability: Capability) -> Readiness:
    """The readiness of one requirement (see the module's rules)."""
    c = capability
    equipment = c.delivered >= c.required
    equipment_date = (c.last_delivery or c.planned_arrival) if equipment else c.planned_arrival
    needed = sum(t.crews for t in c.training)
    trained = sum(t.crews_trained for t in c.training)
    planned = sum(t.crews_planned for t in c.training)
    crews = trained >= needed
    training_date: dt.date | None
    if not c.training:
        training_date = None
    elif crews:
        done = [t.last_completion for t in c.training if t.last_completion is not None]
        training_date = max(done) if done else None
    else:
        outstanding = [t for t in c.training if t.crews_trained < t.crews]
        ends = [t.planned_end for t in outstanding]
        training_date = None if any(e is None for e in ends) or planned < needed else _later(*ends)
        done = [t.last_completion for t in c.training if t.last_completion is not None]
        if training_date is not None and done:
            training_date = max(training_date, *done)
    planned_ends = [t.planned_end for t in c.training if t.crews_trained < t.crews and t.planned_end is not None]
    arrival = equipment_date or c.planned_arrival or c.due_date
    at_risk = (not crews) and arrival is not None and any(end > arrival for end in planned_ends)
    ready_date = equipment_date if not c.training else _later(equipment_date, training_date)
    return Readiness(
        key=c.key, status=_status(equipment=equipment, crews=crews, at_risk=at_risk, crews_needed=needed),
        required=c.required,
        delivered=c.delivered, crews_needed=needed, crews_trained=trained, crews_planned=planned,
        equipment_date=equipment_date, training_date=training_date, ready_date=ready_date, package=c.package,
        priority=c.priority, label=c.label,
    )


def combine(key: str, members: Sequence[Readiness]) -> Readiness:
    """The readiness of a package from its requirements' readiness."""
    statuses = [m.status for m in members]
    equipment = all(m.equipment_complete for m in members)
    crews = all(m.crews_complete for m in members)
    at_risk = AT_RISK in statuses
    dates = [m.ready_date for m in members]
    return Readiness(
        key=key, status=_status(equipment=equipment, crews=crews, at_risk=at_risk,
                                crews_needed=sum(m.crews_needed for m in members)),
        required=sum(m.required for m in members), delivered=sum(m.delivered for m in members),
        crews_needed=sum(m.crews_needed for m in members), crews_trained=sum(m.crews_trained for m in members),
        crews_planned=sum(m.crews_planned for m in members),
        equipment_date=_later(*[m.equipment_date for m in members]) if members else None,
        training_date=max((m.training_date for m in members if m.training_date), default=None),
        ready_date=_later(*dates) if members else None, package=key,
        priority=min((m.priority for m in members), default=2), label=key,
        members=tuple(m.key for m in members),
    )


def assess(capabilities: Iterable[Capability]) -> tuple[list[Readiness], list[Readiness]]:
    """Readiness per requirement (in the order given) and per package (by package name)."""
    rows = [readiness(c) for c in capabilities]
    by_package: dict[str, list[Readiness]] = defaultdict(list)
    for row in rows:
        if row.package:
            by_package[row.package].append(row)
    return rows, [combine(name, members) for name, members in sorted(by_package.items())]


# --- from the database -----------------------------------------------------------------------------------------

def last_deliveries(requirement_ids: Iterable[int]) -> dict[int, dt.date]:
    """Requirement id → the day of the last good receipt at its destination (outbound legs)."""
    rows = (ReceiptLine.objects.filter(
        good__gt=0, receipt__shipment__leg=Shipment.Leg.OUTBOUND,
        shipment_line__allocation_line__requirement_id__in=list(requirement_ids))
        .values("shipment_line__allocation_line__requirement_id").annotate(last=Max("receipt__received_at")))
    return {row["shipment_line__allocation_line__requirement_id"]: row["last"].date() for row in rows}


def crew_training(requests: Sequence[TrainingRequest], *, without_providers: Collection[int] = ()
                  ) -> dict[int, CrewTraining]:
    """Request id → its training as :class:`CrewTraining` (qualifying courses only; cancelled courses and
    withdrawn or failed trainees do not count). Seats planned on courses of ``without_providers`` (donors that
    withdraw in a what-if scenario) do not count either; their completed trainees still do."""
    ids = [r.pk for r in requests]
    courses = {c.pk: c for c in Course.objects.filter(
        Q(seat_assignments__request_id__in=ids) | Q(enrolments__request_id__in=ids)).distinct()}
    seats: dict[tuple[int, int], int] = defaultdict(int)
    for request_id, course_id, n in SeatAssignment.objects.filter(request_id__in=ids).values_list(
            "request_id", "course_id", "seats"):
        seats[(request_id, course_id)] += n
    completed: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
    spent: dict[tuple[int, int], int] = defaultdict(int)  # seats used by completed, failed or withdrawn-late
    for request_id, course_id, status, day in Enrolment.objects.filter(request_id__in=ids).values_list(
            "request_id", "course_id", "status", "completed_on"):
        if status == Enrolment.Status.COMPLETED:
            completed[(request_id, course_id)].append(day or courses[course_id].end_date)
            spent[(request_id, course_id)] += 1
        elif status == Enrolment.Status.FAILED:
            spent[(request_id, course_id)] += 1
    out = {}
    for r in requests:
        done: list[dt.date] = []
        planned = 0
        ends: list[dt.date] = []
        for (request_id, course_id), days in completed.items():
            if request_id == r.pk and courses[course_id].qualifies_for(r.item):
                done.extend(days)
        for (request_id, course_id), n in seats.items():
            course = courses[course_id]
            if request_id != r.pk or not course.qualifies_for(r.item) or course.status in (
                    Course.Status.CANCELLED, Course.Status.COMPLETED) or course.provider_id in without_providers:
                continue
            left = n - spent[(request_id, course_id)]
            if left > 0:
                planned += left
                ends.append(course.end_date)
        out[r.pk] = CrewTraining(crew_size=int(r.crew_size), crews=int(r.crews), completed=len(done),
                                 last_completion=max(done) if done else None, planned=planned,
                                 planned_end=max(ends) if ends else None)
    return out


def capabilities_for(user: Any, requirements: Iterable[Requirement] | None = None) -> list[Capability]:
    """The :class:`Capability` inputs of the requirements ``user`` sees (by default those with a visible training
    request, cancelled ones left out), with the training requests ``user`` sees."""
    return capabilities(Requirement.objects.for_user(user), TrainingRequest.objects.for_user(user), requirements)


def capabilities(requirement_qs: Any, request_qs: Any, requirements: Iterable[Requirement] | None = None, *,
                 without_providers: Collection[int] = ()) -> list[Capability]:
    """:func:`capabilities_for` over given querysets of requirements and training requests. What-if calls it
    unscoped, as it builds its instance, for pages that only coordinators and auditors see; ``without_providers``
    drops the seats of donors that withdraw (see :func:`crew_training`)."""
    visible_requests = request_qs.filter(status__in=COUNTED_REQUESTS)
    if requirements is None:
        qs = (requirement_qs.exclude(status=Requirement.Status.CANCELLED)
              .filter(pk__in=visible_requests.filter(requirement__isnull=False).values("requirement_id")))
    else:
        ids = [r.pk for r in requirements]
        qs = requirement_qs.filter(pk__in=ids)
    reqs = list(qs.with_fill().select_related("item").order_by("priority", "due_date", "pk"))
    ids = [r.pk for r in reqs]
    requests = list(visible_requests.filter(requirement_id__in=ids).select_related("item"))
    training = crew_training(requests, without_providers=without_providers)
    by_requirement: dict[int, list[CrewTraining]] = defaultdict(list)
    for request in requests:
        assert request.requirement_id is not None
        by_requirement[request.requirement_id].append(training[request.pk])
    arrivals = planned_arrivals(ids)
    deliveries = last_deliveries(ids)
    return [Capability(
        key=r.reference, required=int(r.quantity), delivered=r.delivered, last_delivery=deliveries.get(r.pk),
        planned_arrival=arrivals.get(r.pk), training=tuple(by_requirement[r.pk]), package=r.package,
        priority=int(r.priority), label=f"{r.reference} {r.item.code} ×{r.quantity}", due_date=r.due_date,
    ) for r in reqs]


def readiness_for(user: Any, requirements: Iterable[Requirement] | None = None) -> tuple[list[Readiness],
                                                                                       list[Readiness]]:
    """Readiness per requirement and per package, as ``user`` may see it (see :func:`capabilities_for`)."""
    return assess(capabilities_for(user, requirements))
