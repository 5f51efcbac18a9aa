"""Instance and plan data model, JSON load/dump and validation.

Everything here is plain Python: frozen dataclasses, no Django, no numpy.
The JSON formats are exactly those of ``docs/allocation.md``
(``aidbridge.allocation-instance/1`` and ``aidbridge.allocation-plan/1``), with one optional
extensions of the instance: ``"fixed_flows"`` and ``"reserved_t"`` (see the package docstring).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

INSTANCE_SCHEMA = "aidbridge.allocation-instance/1"
PLAN_SCHEMA = "aidbridge.allocation-plan/1"
STATUSES = ("optimal", "feasible", "infeasible", "error")
#: The top-level keys an instance may carry; any other key (a typo such as "pledgez") is refused.
#: ``start_date`` (ISO date of week 0) is informational: the application writes it, the solver ignores it.
INSTANCE_KEYS = (
    "schema", "weeks", "items", "hubs", "lead_in_weeks", "lead_out_weeks", "cost_in_per_t", "pledges",
    "requirements", "packages", "priority_value", "lateness_decay_per_week", "fixed_flows", "reserved_t",
    "start_date",
)
#: The longest horizon accepted (ten years of weeks); the application itself plans at most 104 weeks.
MAX_WEEKS = 520
#: Relative and absolute tolerance when comparing a load with a hub-week capacity.
CAPACITY_TOL = 1e-9


class InstanceError(ValueError):
    """An instance or plan (of the allocation solver or the seat planner) is malformed; the message names the
    offending entry."""


@dataclass(frozen=True)
class Item:
    id: str
    weight_t: float


@dataclass(frozen=True)
class Hub:
    id: str
    capacity_t_per_week: float


@dataclass(frozen=True)
class Pledge:
    id: str
    donor: str
    origin: str
    item: str
    quantity: int
    available_week: int


@dataclass(frozen=True)
class Requirement:
    id: str
    item: str
    quantity: int
    priority: int
    due_week: int
    destination: str


@dataclass(frozen=True)
class Package:
    id: str
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Flow:
    pledge: str
    requirement: str
    hub: str
    ship_week: int
    dispatch_week: int
    quantity: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "pledge": self.pledge,
            "requirement": self.requirement,
            "hub": self.hub,
            "ship_week": self.ship_week,
            "dispatch_week": self.dispatch_week,
            "quantity": self.quantity,
        }


@dataclass(frozen=True, eq=False)
class Instance:
    """An allocation instance. Treat the mapping fields as read-only."""

    weeks: int
    items: tuple[Item, ...] = ()
    hubs: tuple[Hub, ...] = ()
    lead_in_weeks: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    lead_out_weeks: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    cost_in_per_t: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    pledges: tuple[Pledge, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    packages: tuple[Package, ...] = ()
    priority_value: Mapping[int, float] = field(default_factory=lambda: {1: 1000, 2: 100, 3: 10, 4: 1})
    lateness_decay_per_week: float = 0.1
    fixed_flows: tuple[Flow, ...] = ()
    #: hub -> {week: tonnes} of hub capacity already taken by allocations that are not fixed flows
    reserved_t: Mapping[str, Mapping[int, float]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Instance:
        """Build and validate an instance from its JSON dict (``schema`` checked when present)."""
        from .validate import instance_from_dict

        return instance_from_dict(data, require_schema=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": INSTANCE_SCHEMA,
            "weeks": self.weeks,
            "items": [{"id": i.id, "weight_t": i.weight_t} for i in self.items],
            "hubs": [{"id": h.id, "capacity_t_per_week": h.capacity_t_per_week} for h in self.hubs],
            "lead_in_weeks": {o: dict(t) for o, t in self.lead_in_weeks.items()},
            "lead_out_weeks": {h: dict(t) for h, t in self.lead_out_weeks.items()},
            "cost_in_per_t": {o: dict(t) for o, t in self.cost_in_per_t.items()},
            "pledges": [
                {
                    "id": p.id,
                    "donor": p.donor,
                    "origin": p.origin,
                    "item": p.item,
                    "quantity": p.quantity,
                    "available_week": p.available_week,
                }
                for p in self.pledges
            ],
            "requirements": [
                {
                    "id": r.id,
                    "item": r.item,
                    "quantity": r.quantity,
                    "priority": r.priority,
                    "due_week": r.due_week,
                    "destination": r.destination,
                }
                for r in self.requirements
            ],
            "packages": [{"id": k.id, "requirements": list(k.requirements)} for k in self.packages],
            "priority_value": {str(k): v for k, v in self.priority_value.items()},
            "lateness_decay_per_week": self.lateness_decay_per_week,
        }
        if self.fixed_flows:
            out["fixed_flows"] = [f.to_dict() for f in self.fixed_flows]
        if self.reserved_t:
            out["reserved_t"] = {h: {str(w): t for w, t in row.items()} for h, row in self.reserved_t.items()}
        return out

    def validate(self) -> Instance:
        """Re-run full validation (useful for instances built directly as dataclasses)."""
        from .validate import instance_from_dict

        return instance_from_dict(self.to_dict(), require_schema=True)

    # ---- lookups (computed once; the dataclass is frozen) ----
    @cached_property
    def item_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @cached_property
    def hub_by_id(self) -> dict[str, Hub]:
        return {h.id: h for h in self.hubs}

    @cached_property
    def pledge_by_id(self) -> dict[str, Pledge]:
        return {p.id: p for p in self.pledges}

    @cached_property
    def requirement_by_id(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.requirements}

    @cached_property
    def overloaded(self) -> list[dict[str, Any]]:
        """Hub-weeks that existing allocations (fixed flows and ``reserved_t``) already fill beyond capacity,
        in (hub, week) order: ``[{"hub", "week", "load_t", "capacity_t"}]``. The solver plans them as full."""
        weight = {i.id: i.weight_t for i in self.items}
        load: dict[tuple[str, int], float] = {}
        for hub, row in self.reserved_t.items():
            for week, t in row.items():
                load[(hub, week)] = load.get((hub, week), 0.0) + t
        for f in self.fixed_flows:
            p = self.pledge_by_id[f.pledge]
            key = (f.hub, f.dispatch_week)
            load[key] = load.get(key, 0.0) + f.quantity * weight[p.item]
        out = []
        for (hub, week), t in sorted(load.items()):
            cap = self.hub_by_id[hub].capacity_t_per_week
            if t > cap * (1 + CAPACITY_TOL) + CAPACITY_TOL:
                out.append({"hub": hub, "week": week, "load_t": round(t, 6), "capacity_t": cap})
        return out


@dataclass(frozen=True)
class Plan:
    status: str
    objective: float
    bound: float | None
    flows: tuple[Flow, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": PLAN_SCHEMA,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "flows": [f.to_dict() for f in self.flows],
            "stats": dict(self.stats),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        if not isinstance(data, Mapping):
            raise InstanceError("plan: expected a JSON object")
        if data.get("schema") != PLAN_SCHEMA:
            raise InstanceError(f"plan: schema must be {PLAN_SCHEMA!r}, got {data.get('schema')!r}")
        status = data.get("status")
        if status not in STATUSES:
            raise InstanceError(f"plan: status must be one of {', '.join(STATUSES)}, got {status!r}")
        flows = tuple(flow_from_dict(f, f"flows[{i}]") for i, f in enumerate(data.get("flows") or []))
        bound = data.get("bound")
        return cls(
            status=str(status),
            objective=float(data.get("objective") or 0.0),
            bound=None if bound is None else float(bound),
            flows=flows,
            stats=dict(data.get("stats") or {}),
        )


def relative_gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    if abs(bound) < 1e-12:
        return 0.0 if abs(objective) < 1e-9 else None
    return max(0.0, (bound - objective) / abs(bound))


def req_int(value: Any, where: str, name: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstanceError(f"{where}: {name} must be an integer, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise InstanceError(f"{where}: {name} must be an integer, got {value!r}")
        value = int(value)
    if minimum is not None and value < minimum:
        raise InstanceError(f"{where}: {name} must be >= {minimum}, got {value!r}")
    return int(value)


def _req_str(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InstanceError(f"{where}: {name} must be a non-empty string, got {value!r}")
    return value


def flow_from_dict(data: Any, where: str) -> Flow:
    if not isinstance(data, Mapping):
        raise InstanceError(f"{where}: expected an object, got {type(data).__name__}")
    for key in ("pledge", "requirement", "hub", "ship_week", "dispatch_week", "quantity"):
        if key not in data:
            raise InstanceError(f"{where}: missing {key!r}")
    return Flow(
        pledge=_req_str(data["pledge"], where, "pledge"),
        requirement=_req_str(data["requirement"], where, "requirement"),
        hub=_req_str(data["hub"], where, "hub"),
        ship_week=req_int(data["ship_week"], where, "ship_week", 0),
        dispatch_week=req_int(data["dispatch_week"], where, "dispatch_week", 0),
        quantity=req_int(data["quantity"], where, "quantity", 1),
    )


def read_json(path: str | Path, what: str) -> Any:
    """A JSON file's content; a missing, unreadable or invalid file raises :class:`InstanceError` saying where."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError(f"{what} file not found: {p}") from None
    except OSError as exc:
        raise InstanceError(f"cannot read {what} file {p}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(f"{p}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance JSON file. Raises :class:`InstanceError`."""
    from .validate import instance_from_dict

    return instance_from_dict(read_json(path, "instance"), require_schema=True)


def dump_instance(instance: Instance, path: str | Path) -> None:
    Path(path).write_text(json.dumps(instance.to_dict(), indent=1) + "\n", encoding="utf-8")


def load_plan(path: str | Path) -> Plan:
    return Plan.from_dict(read_json(path, "plan"))


def dump_plan(plan: Plan, path: str | Path) -> None:
    Path(path).write_text(json.dumps(plan.to_dict(), indent=1) + "\n", encoding="utf-8")


def as_sequence(value: Any, where: str) -> Sequence[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InstanceError(f"{where}: expected a list, got {type(value).__name__}")
    return value
