"""Seat-planning instance and plan: frozen dataclasses, JSON load/dump and validation.

Plain Python (no Django, no numpy). The formats are those of ``docs/training.md``
(``aidbridge.seat-instance/1`` and ``aidbridge.seat-plan/1``). Every validation error names the offending
entry, e.g. ``courses[3] (id "CRS-00004"): unknown prerequisite "CRS-00099"``; an unknown key (a typo such
as ``"cources"``) is refused with the closest known key as a suggestion.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from aidbridge.allocation.solver.model import InstanceError, as_sequence, read_json, relative_gap, req_int
from aidbridge.allocation.solver.validate import entries

INSTANCE_SCHEMA = "aidbridge.seat-instance/1"
PLAN_SCHEMA = "aidbridge.seat-plan/1"
STATUSES = ("optimal", "feasible", "infeasible", "error")
INSTANCE_KEYS = ("schema", "courses", "requests", "travel_days", "priority_value", "fixed", "start_date")
COURSE_KEYS = ("id", "provider", "title", "seats", "language", "start_day", "end_day", "location", "qualifies",
               "prerequisites")
REQUEST_KEYS = ("id", "requirement", "trainees", "crew_size", "language", "item", "class", "priority",
                "needed_by_day", "origin", "holds")
ASSIGNMENT_KEYS = ("request", "course", "seats")
DEFAULT_PRIORITY_VALUE = {1: 1000.0, 2: 100.0, 3: 10.0, 4: 1.0}


@dataclass(frozen=True)
class Course:
    id: str
    seats: int
    language: str
    start_day: int
    end_day: int
    location: str
    qualifies: tuple[str, ...] = ()
    prerequisites: tuple[str, ...] = ()
    provider: str = ""
    title: str = ""


@dataclass(frozen=True)
class Request:
    id: str
    trainees: int
    crew_size: int
    language: str
    item: str
    priority: int
    needed_by_day: int
    origin: str
    item_class: str | None = None
    holds: tuple[str, ...] = ()
    requirement: str = ""

    @property
    def crews(self) -> int:
        return self.trainees // self.crew_size

    def qualified_by(self, course: Course) -> bool:
        """A course qualifies a request if its ``qualifies`` list holds the request's item or its class."""
        return self.item in course.qualifies or (self.item_class is not None and self.item_class in course.qualifies)


@dataclass(frozen=True)
class Assignment:
    request: str
    course: str
    seats: int

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request, "course": self.course, "seats": self.seats}


@dataclass(frozen=True, eq=False)
class Instance:
    """A seat-planning instance. Treat the mapping fields as read-only."""

    courses: tuple[Course, ...] = ()
    requests: tuple[Request, ...] = ()
    #: origin -> {location: days}; a missing entry means the location cannot be reached from that origin
    travel_days: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    priority_value: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_PRIORITY_VALUE))
    fixed: tuple[Assignment, ...] = ()
    start_date: str | None = None

    @classmethod
    def from_dict(cls, data: Any, require_schema: bool = False) -> Instance:
        """Build and validate an instance from its JSON dict (``schema`` checked when present)."""
        return instance_from_dict(data, require_schema=require_schema)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": INSTANCE_SCHEMA,
            "courses": [_course_dict(c) for c in self.courses],
            "requests": [_request_dict(r) for r in self.requests],
            "travel_days": {o: dict(row) for o, row in self.travel_days.items()},
            "priority_value": {str(k): v for k, v in self.priority_value.items()},
        }
        if self.fixed:
            out["fixed"] = [a.to_dict() for a in self.fixed]
        if self.start_date is not None:
            out["start_date"] = self.start_date
        return out

    def validate(self) -> Instance:
        """Re-run full validation (useful for instances built directly as dataclasses)."""
        return instance_from_dict(self.to_dict(), require_schema=True)

    @cached_property
    def course_by_id(self) -> dict[str, Course]:
        return {c.id: c for c in self.courses}

    @cached_property
    def request_by_id(self) -> dict[str, Request]:
        return {r.id: r for r in self.requests}

    def travel(self, origin: str, location: str) -> int | None:
        return self.travel_days.get(origin, {}).get(location)

    @cached_property
    def overbooked(self) -> list[dict[str, Any]]:
        """Courses whose fixed assignments alone exceed their seats: ``[{"course", "fixed", "seats"}]``.
        The planner treats them as full."""
        used: dict[str, int] = {}
        for a in self.fixed:
            used[a.course] = used.get(a.course, 0) + a.seats
        return [{"course": c.id, "fixed": used[c.id], "seats": c.seats}
                for c in self.courses if used.get(c.id, 0) > c.seats]


def _course_dict(c: Course) -> dict[str, Any]:
    d: dict[str, Any] = {"id": c.id, "provider": c.provider, "seats": c.seats, "language": c.language,
                         "start_day": c.start_day, "end_day": c.end_day, "location": c.location,
                         "qualifies": list(c.qualifies), "prerequisites": list(c.prerequisites)}
    if c.title:
        d["title"] = c.title
    return d


def _request_dict(r: Request) -> dict[str, Any]:
    d: dict[str, Any] = {"id": r.id, "trainees": r.trainees, "crew_size": r.crew_size, "language": r.language,
                         "item": r.item, "class": r.item_class, "priority": r.priority,
                         "needed_by_day": r.needed_by_day, "origin": r.origin, "holds": list(r.holds)}
    if r.requirement:
        d["requirement"] = r.requirement
    return d


@dataclass(frozen=True)
class Plan:
    status: str
    objective: float
    bound: float | None
    assignments: tuple[Assignment, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": PLAN_SCHEMA, "status": self.status, "objective": self.objective, "bound": self.bound,
                "assignments": [a.to_dict() for a in self.assignments], "stats": dict(self.stats)}

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        if not isinstance(data, Mapping):
            raise InstanceError("plan: expected a JSON object")
        if data.get("schema") != PLAN_SCHEMA:
            raise InstanceError(f"plan: schema must be {PLAN_SCHEMA!r}, got {data.get('schema')!r}")
        status = data.get("status")
        if status not in STATUSES:
            raise InstanceError(f"plan: status must be one of {', '.join(STATUSES)}, got {status!r}")
        assignments = tuple(assignment_from_dict(a, f"assignments[{i}]")
                            for i, a in enumerate(as_sequence(data.get("assignments"), "assignments")))
        bound = data.get("bound")
        return cls(status=str(status), objective=float(data.get("objective") or 0.0),
                   bound=None if bound is None else float(bound), assignments=assignments,
                   stats=dict(data.get("stats") or {}))


# ---------------------------------------------------------------- validation

def _str(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstanceError(f"{where}: {name} must be a non-empty string, got {value!r}")
    return value


def _str_list(value: Any, where: str, name: str) -> tuple[str, ...]:
    items = as_sequence(value, f"{where}.{name}")
    return tuple(_str(v, where, f"{name}[{i}]") for i, v in enumerate(items))


def _check_keys(entry: Mapping[str, Any], known: Sequence[str], where: str, what: str) -> None:
    for key in entry:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            raise InstanceError(f'{where}: unknown {what} key "{key}"{hint}; the known keys are ' + ", ".join(known))


def assignment_from_dict(data: Any, where: str) -> Assignment:
    if not isinstance(data, Mapping):
        raise InstanceError(f"{where}: expected an object, got {type(data).__name__}")
    _check_keys(data, ASSIGNMENT_KEYS, where, "assignment")
    for key in ASSIGNMENT_KEYS:
        if key not in data:
            raise InstanceError(f"{where}: missing {key!r}")
    return Assignment(request=_str(data["request"], where, "request"), course=_str(data["course"], where, "course"),
                      seats=req_int(data["seats"], where, "seats", 1))


def instance_from_dict(data: Any, require_schema: bool = True) -> Instance:
    """Validate a JSON dict and build an :class:`Instance`. Raises :class:`InstanceError`."""
    if not isinstance(data, Mapping):
        raise InstanceError(f"instance: expected a JSON object, got {type(data).__name__}")
    schema = data.get("schema")
    if schema is None and require_schema:
        raise InstanceError(f"schema: missing, expected {INSTANCE_SCHEMA!r}")
    if schema is not None and schema != INSTANCE_SCHEMA:
        raise InstanceError(f"schema: expected {INSTANCE_SCHEMA!r}, got {schema!r}")
    for key in data:
        if key not in INSTANCE_KEYS:
            close = difflib.get_close_matches(str(key), INSTANCE_KEYS, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            raise InstanceError(f'"{key}": unknown top-level key{hint}; the known keys are ' + ", ".join(INSTANCE_KEYS))
    start_date = data.get("start_date")
    if start_date is not None and not isinstance(start_date, str):
        raise InstanceError(f"start_date: expected an ISO date string, got {start_date!r}")

    raw_pv = data.get("priority_value")
    if raw_pv is None:
        priority_value = dict(DEFAULT_PRIORITY_VALUE)
    else:
        if not isinstance(raw_pv, Mapping) or not raw_pv:
            raise InstanceError('priority_value: expected a non-empty object such as {"1": 1000}')
        priority_value = {}
        for k, v in raw_pv.items():
            try:
                pk = int(k)
            except (TypeError, ValueError):
                raise InstanceError(f'priority_value["{k}"]: priority must be an integer') from None
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise InstanceError(f'priority_value["{k}"]: value must be a finite number >= 0, got {v!r}')
            priority_value[pk] = float(v)

    travel: dict[str, dict[str, int]] = {}
    raw_t = data.get("travel_days")
    if raw_t is not None:
        if not isinstance(raw_t, Mapping):
            raise InstanceError(f"travel_days: expected an object, got {type(raw_t).__name__}")
        for origin, row in raw_t.items():
            if not isinstance(row, Mapping):
                raise InstanceError(f'travel_days["{origin}"]: expected an object, got {type(row).__name__}')
            travel[str(origin)] = {str(loc): req_int(d, f'travel_days["{origin}"]["{loc}"]', "days", 0)
                                   for loc, d in row.items()}

    courses: list[Course] = []
    seen: set[str] = set()
    course_entries = entries(data, "courses")
    for where, e in course_entries:
        _check_keys(e, COURSE_KEYS, where, "course")
        cid = _str(e.get("id"), where, "id")
        if cid in seen:
            raise InstanceError(f'{where}: duplicate course id "{cid}"')
        seen.add(cid)
        start = req_int(e.get("start_day"), where, "start_day")
        end = req_int(e.get("end_day"), where, "end_day")
        if end < start:
            raise InstanceError(f"{where}: end_day {end} is before start_day {start}")
        title = e.get("title") or ""
        provider = e.get("provider")
        courses.append(Course(
            id=cid, seats=req_int(e.get("seats"), where, "seats", 0),
            language=_str(e.get("language"), where, "language").strip().lower(), start_day=start, end_day=end,
            location=_str(e.get("location"), where, "location"),
            qualifies=_str_list(e.get("qualifies"), where, "qualifies"),
            prerequisites=_str_list(e.get("prerequisites"), where, "prerequisites"),
            provider="" if provider is None else str(provider), title=str(title)))
    for (where, _e), c in zip(course_entries, courses, strict=True):
        for p in c.prerequisites:
            if p not in seen:
                raise InstanceError(f'{where}: unknown prerequisite "{p}"')
            if p == c.id:
                raise InstanceError(f'{where}: the course is its own prerequisite')
    _check_cycles(courses, course_entries)

    requests: list[Request] = []
    rseen: set[str] = set()
    for where, e in entries(data, "requests"):
        _check_keys(e, REQUEST_KEYS, where, "request")
        rid = _str(e.get("id"), where, "id")
        if rid in rseen:
            raise InstanceError(f'{where}: duplicate request id "{rid}"')
        rseen.add(rid)
        trainees = req_int(e.get("trainees"), where, "trainees", 1)
        crew = req_int(e.get("crew_size"), where, "crew_size", 1)
        if trainees % crew:
            raise InstanceError(f"{where}: trainees ({trainees}) must be a whole number of crews of {crew}")
        prio = req_int(e.get("priority"), where, "priority")
        if prio not in priority_value:
            raise InstanceError(f"{where}: priority {prio} has no entry in priority_value")
        cls_ = e.get("class")
        if cls_ is not None:
            cls_ = _str(cls_, where, "class")
        requirement = e.get("requirement")
        requests.append(Request(
            id=rid, trainees=trainees, crew_size=crew,
            language=_str(e.get("language"), where, "language").strip().lower(),
            item=_str(e.get("item"), where, "item"), item_class=cls_, priority=prio,
            needed_by_day=req_int(e.get("needed_by_day"), where, "needed_by_day"),
            origin=_str(e.get("origin"), where, "origin"), holds=_str_list(e.get("holds"), where, "holds"),
            requirement="" if requirement is None else str(requirement)))

    course_by_id = {c.id: c for c in courses}
    request_by_id = {r.id: r for r in requests}
    fixed: list[Assignment] = []
    per_pair: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(as_sequence(data.get("fixed"), "fixed")):
        where = f"fixed[{i}]"
        a = assignment_from_dict(raw, where)
        r = request_by_id.get(a.request)
        if r is None:
            raise InstanceError(f'{where}: unknown request "{a.request}"')
        if a.course not in course_by_id:
            raise InstanceError(f'{where}: unknown course "{a.course}"')
        if a.seats % r.crew_size:
            raise InstanceError(f'{where}: {a.seats} seats is not a whole number of crews of {r.crew_size} '
                                f'(request "{r.id}")')
        key = (a.request, a.course)
        per_pair[key] = per_pair.get(key, 0) + a.seats
        if per_pair[key] > r.trainees:
            raise InstanceError(f'{where}: fixed seats for request "{r.id}" on course "{a.course}" exceed its '
                                f"{r.trainees} trainees")
        fixed.append(a)

    return Instance(courses=tuple(courses), requests=tuple(requests), travel_days=travel,
                    priority_value=priority_value, fixed=tuple(fixed), start_date=start_date)


def _check_cycles(courses: list[Course], entries: list[tuple[str, Mapping[str, Any]]]) -> None:
    prereq = {c.id: c.prerequisites for c in courses}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(cid: str, path: list[str]) -> list[str] | None:
        state[cid] = 1
        for p in prereq[cid]:
            if state.get(p) == 1:
                return [*path, cid, p]
            if state.get(p) is None:
                found = visit(p, [*path, cid])
                if found:
                    return found
        state[cid] = 2
        return None

    for (where, _e), c in zip(entries, courses, strict=True):
        if state.get(c.id) is None:
            cycle = visit(c.id, [])
            if cycle:
                start = cycle.index(cycle[-1])
                raise InstanceError(f"{where}: prerequisites form a cycle: " + " -> ".join(cycle[start:]))


# ---------------------------------------------------------------- files

def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance JSON file. Raises :class:`InstanceError`."""
    return instance_from_dict(read_json(path, "instance"), require_schema=True)


def dump_instance(instance: Instance, path: str | Path) -> None:
    Path(path).write_text(json.dumps(instance.to_dict(), indent=1) + "\n", encoding="utf-8")


def load_plan(path: str | Path) -> Plan:
    return Plan.from_dict(read_json(path, "plan"))


def dump_plan(plan: Plan, path: str | Path) -> None:
    Path(path).write_text(json.dumps(plan.to_dict(), indent=1) + "\n", encoding="utf-8")
