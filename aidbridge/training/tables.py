"""Columns of the training lists and detail pages, and the rows of a seat plan's review."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from aidbridge.core.views import Column
from aidbridge.training.instance import key_pk

COURSE_COLUMNS = [
    Column(_("Reference"), "reference", "link"),
    Column(_("Title"), "title"),
    Column(_("Provider"), "provider", "object"),
    Column(_("Qualifies for"), "qualifies_label"),
    Column(_("Language"), "language"),
    Column(_("Location"), "location", "object"),
    Column(_("Starts"), "start_date", "date"),
    Column(_("Ends"), "end_date", "date"),
    Column(_("Seats"), "seats", "number"),
    Column(_("Assigned"), "assigned", "number"),
    Column(_("Status"), "status", "status"),
]

COURSE_FIELDS = [
    Column(_("Title"), "title"),
    Column(_("Provider"), "provider", "object"),
    Column(_("Qualifies for"), "qualifies_label"),
    Column(_("Language"), "language"),
    Column(_("Location"), "location", "object"),
    Column(_("Starts"), "start_date", "date"),
    Column(_("Ends"), "end_date", "date"),
    Column(_("Releasability"), "releasability", "choice"),
    Column(_("Disclosure date"), "disclosure_date", "date"),
    Column(_("Notes"), "notes"),
    Column(_("Created"), "created_at", "datetime"),
]

REQUEST_COLUMNS = [
    Column(_("Reference"), "reference", "link"),
    Column(_("Recipient"), "recipient", "object"),
    Column(_("Requirement"), "requirement", "ref"),
    Column(_("Item"), "item", "object"),
    Column(_("Crews"), "crews", "number"),
    Column(_("Crew size"), "crew_size", "number"),
    Column(_("Trainees"), "trainees", "number"),
    Column(_("Language"), "language"),
    Column(_("Needed by"), "latest_date", "date"),
    Column(_("Priority"), "priority", "priority"),
    Column(_("Status"), "status", "status"),
]

REQUEST_FIELDS = [
    Column(_("Recipient"), "recipient", "object"),
    Column(_("Requirement"), "requirement", "ref"),
    Column(_("Item"), "item", "object"),
    Column(_("Crews"), "crews", "number"),
    Column(_("Crew size"), "crew_size", "number"),
    Column(_("Trainees"), "trainees", "number"),
    Column(_("Language"), "language"),
    Column(_("Latest useful date"), "latest_date", "date"),
    Column(_("Notes"), "notes"),
    Column(_("Created"), "created_at", "datetime"),
]

SEATPLAN_COLUMNS = [  # the seat plan list's download
    Column(_("Run"), "pk"),
    Column(_("Status"), "status", "status"),
    Column(_("Method"), "method", "choice"),
    Column(_("Day 0"), "start_date", "date"),
    Column(_("Started by"), "started_by", "object"),
    Column(_("Created"), "created_at", "datetime"),
    Column(_("Duration (s)"), "duration_seconds", "number"),
    Column(_("Objective"), "objective", "number"),
    Column(_("First come"), "baseline_objective", "number"),
    Column(_("Approved by"), "approved_by", "object"),
    Column(_("Approved"), "approved_at", "datetime"),
]

# The review tables never show more rows than this; the downloads hold everything.
MAX_ROWS = 200


def ref_pk(key: str) -> int | None:
    """``"CRS-00012"``, ``"TRQ-00012"``, ``"REQ-00012"`` → 12 (None when it is no reference)."""
    try:
        return key_pk(key)
    except ValueError:
        return None


def _seats_by(plan: Mapping[str, Any] | None, field: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in (plan or {}).get("assignments") or []:
        out[str(row.get(field))] += int(row.get("seats") or 0)
    return out


def _pairs(plan: Mapping[str, Any] | None) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = defaultdict(int)
    for row in (plan or {}).get("assignments") or []:
        out[(str(row.get("request")), str(row.get("course")))] += int(row.get("seats") or 0)
    return out


def review_requests(instance: Mapping[str, Any] | None, plan: Mapping[str, Any] | None,
                    baseline: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """One row per request of the instance: trainees asked for, seats in the plan and in the first-come plan,
    and the courses the plan gives them (each with its seats)."""
    planned, first = _seats_by(plan, "request"), _seats_by(baseline, "request")
    courses: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (request, course), seats in sorted(_pairs(plan).items()):
        courses[request].append((course, seats))
    rows = []
    for r in (instance or {}).get("requests") or []:
        key = str(r.get("id"))
        trainees = int(r.get("trainees") or 0)
        rows.append({
            "id": key, "pk": ref_pk(key), "trainees": trainees, "crew_size": int(r.get("crew_size") or 1),
            "priority": r.get("priority"), "language": r.get("language", ""),
            "qualifies": r.get("qualifies") or " / ".join(str(v) for v in (r.get("item"), r.get("class")) if v),
            "needed_by_day": r.get("needed_by_day"), "planned": planned.get(key, 0), "first_come": first.get(key, 0),
            "percent": round(100 * min(planned.get(key, 0), trainees) / trainees) if trainees else 0,
            "courses": [{"id": c, "pk": ref_pk(c), "seats": s} for c, s in courses.get(key, [])],
        })
    rows.sort(key=lambda row: (int(row["priority"] or 9), str(row["id"])))
    return rows


def review_courses(instance: Mapping[str, Any] | None, plan: Mapping[str, Any] | None,
                   baseline: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """One row per course of the instance: seats, seats given by the plan and by first-come."""
    planned, first = _seats_by(plan, "course"), _seats_by(baseline, "course")
    fixed: dict[str, int] = defaultdict(int)
    for row in (instance or {}).get("fixed") or []:
        fixed[str(row.get("course"))] += int(row.get("seats") or 0)
    rows = []
    for c in (instance or {}).get("courses") or []:
        key = str(c.get("id"))
        seats = int(c.get("seats") or 0)
        rows.append({
            "id": key, "pk": ref_pk(key), "seats": seats, "language": c.get("language", ""),
            "qualifies": ", ".join(str(q) for q in c.get("qualifies") or []), "location": c.get("location", ""),
            "start_day": c.get("start_day"), "end_day": c.get("end_day"), "fixed": fixed.get(key, 0),
            "planned": planned.get(key, 0), "first_come": first.get(key, 0),
            "percent": round(100 * min(planned.get(key, 0), seats) / seats) if seats else 0,
        })
    rows.sort(key=lambda row: (row["start_day"] if row["start_day"] is not None else 10**9, row["id"]))
    return rows


def review_totals(requests: list[dict[str, Any]]) -> dict[str, int]:
    return {"trainees": sum(r["trainees"] for r in requests), "planned": sum(r["planned"] for r in requests),
            "first_come": sum(r["first_come"] for r in requests)}
