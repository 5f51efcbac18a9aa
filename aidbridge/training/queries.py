"""What the training pages, the dashboard and the transparency page read. Every function starts from
``for_user`` querysets (or the pure readiness rules over them), so nobody sees more than they may."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from aidbridge.core import clock
from aidbridge.requirements.models import Requirement
from aidbridge.training.models import Course, Enrolment, SeatAssignment, TrainingRequest
from aidbridge.training.readiness import STATUSES, Readiness, readiness_for


def readiness_rows(user: Any, requirements: Iterable[Requirement] | None = None) -> list[Readiness]:
    """Readiness per requirement (by default every visible requirement with a visible training request)."""
    return readiness_for(user, requirements)[0]


def package_rows(user: Any, requirements: Iterable[Requirement] | None = None) -> list[Readiness]:
    """Readiness per package."""
    return readiness_for(user, requirements)[1]


def readiness_by_priority(user: Any) -> list[dict[str, Any]]:
    """One row per priority (1–4): ``{"priority", "label", "total", "counts": {status: n}}``, every status
    present (0 when none)."""
    counts: dict[int, Counter[str]] = {p: Counter() for p in Requirement.Priority.values}
    for row in readiness_rows(user):
        counts.setdefault(row.priority, Counter())[row.status] += 1
    labels = dict(Requirement.Priority.choices)
    return [{"priority": p, "label": labels.get(p, f"P{p}"), "total": sum(c.values()),
             "counts": {status: c[status] for status in STATUSES}} for p, c in sorted(counts.items())]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def readiness_over_time(user: Any, *, months: int = 12, start: dt.date | None = None) -> list[dict[str, Any]]:
    """Per month from ``start``'s month (default: this month), how many capabilities are (or are planned to be)
    ready by the month's last day: ``{"month", "ready", "at_risk", "total"}``. ``ready`` counts those whose ready
    date falls on or before the month's end; ``at_risk`` those currently at risk whose ready date does."""
    rows = readiness_rows(user)
    month = month_start(start or clock.today())
    out = []
    for _ in range(max(0, months)):
        end = next_month(month) - dt.timedelta(days=1)
        ready = [r for r in rows if r.ready_date is not None and r.ready_date <= end]
        out.append({"month": month, "ready": len(ready), "at_risk": sum(1 for r in ready if r.status == "at risk"),
                    "total": len(rows)})
        month = next_month(month)
    return out


def course_seat_use(user: Any, courses: Iterable[Course] | None = None) -> list[dict[str, Any]]:
    """Per visible course: seats, seats given (approved assignments), enrolled, completed, free."""
    qs = Course.objects.for_user(user)
    if courses is not None:
        qs = qs.filter(pk__in=[c.pk for c in courses])
    qs = qs.with_use().select_related("provider", "location").annotate(
        completed_count=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.COMPLETED), distinct=True))
    return [{"course": c, "seats": c.seats, "assigned": c.assigned, "enrolled": int(getattr(c, "enrolled_count", 0)),
             "completed": int(getattr(c, "completed_count", 0)), "free": c.free_seats} for c in qs]


def training_chain(user: Any, requirement: Requirement) -> list[dict[str, Any]]:
    """A requirement's training chain for its page: each visible request with its seats (per visible course) and
    its enrolments counted by status."""
    requests = TrainingRequest.objects.for_user(user).filter(requirement=requirement).select_related("item")
    visible_courses = Course.objects.for_user(user)
    out = []
    for request in requests:
        seats = list(SeatAssignment.objects.filter(request=request, course__in=visible_courses)
                     .values("course_id").annotate(seats=Sum("seats")).order_by("course_id"))
        courses = Course.objects.in_bulk([row["course_id"] for row in seats])
        enrolments = Counter(Enrolment.objects.filter(request=request).values_list("status", flat=True))
        out.append({"request": request,
                    "seats": [{"course": courses[row["course_id"]], "seats": row["seats"]} for row in seats],
                    "enrolments": {status: enrolments[status] for status in Enrolment.Status.values}})
    return out


def public_courses() -> Any:
    """Courses anyone may see (public and past their disclosure date), cancelled ones left out."""
    return Course.objects.for_user(None).exclude(status=Course.Status.CANCELLED)


def public_aggregates() -> dict[str, list[dict[str, Any]]]:
    """Seats offered and trainees completed, by donor and by month, over public disclosed courses only.

    ``by_donor``: ``{"donor", "seats", "completed"}`` by donor name; ``by_month``: ``{"month", "seats",
    "completed"}``, seats in the month a course starts, completions in the month they happened. No trainee
    reference, request or recipient detail is exposed.
    """
    courses = public_courses()
    donors: dict[str, dict[str, Any]] = defaultdict(lambda: {"seats": 0, "completed": 0})
    months: dict[dt.date, dict[str, Any]] = defaultdict(lambda: {"seats": 0, "completed": 0})
    for name, seats in courses.values_list("provider__name").annotate(s=Sum("seats")).order_by():
        donors[name]["seats"] += int(seats or 0)
    for month, seats in (courses.annotate(m=TruncMonth("start_date")).values_list("m")
                         .annotate(s=Sum("seats")).order_by()):
        months[month_start(month)]["seats"] += int(seats or 0)
    completed = Enrolment.objects.filter(course__in=courses, status=Enrolment.Status.COMPLETED)
    for name, n in completed.values_list("course__provider__name").annotate(n=Count("pk")).order_by():
        donors[name]["completed"] += int(n)
    for day, n in completed.values_list("completed_on").annotate(n=Count("pk")).order_by():
        if day is not None:
            months[month_start(day)]["completed"] += int(n)
    return {
        "by_donor": [{"donor": name, **values} for name, values in sorted(donors.items())],
        "by_month": [{"month": month, **values} for month, values in sorted(months.items())],
    }
