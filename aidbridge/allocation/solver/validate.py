"""Validation of instance dicts. Every error names the offending entry, e.g.
``pledges[3] (id "P4"): unknown item "X"``."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

from .model import (
    INSTANCE_KEYS,
    INSTANCE_SCHEMA,
    MAX_WEEKS,
    Flow,
    Hub,
    Instance,
    InstanceError,
    Item,
    Package,
    Pledge,
    Requirement,
    _req_str,
    as_sequence,
    flow_from_dict,
    req_int,
)


def _num(value: Any, where: str, name: str, minimum: float | None = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InstanceError(f"{where}: {name} must be a finite number, got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        op = ">" if strict else ">="
        raise InstanceError(f"{where}: {name} must be {op} {minimum}, got {value!r}")
    return float(value)


def entries(data: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    for i, e in enumerate(as_sequence(data.get(key), key)):
        where = f"{key}[{i}]"
        if not isinstance(e, Mapping):
            raise InstanceError(f"{where}: expected an object, got {type(e).__name__}")
        if "id" in e and isinstance(e["id"], str):
            where = f'{where} (id "{e["id"]}")'
        out.append((where, e))
    return out


def _unique(where: str, ident: str, seen: set[str], kind: str) -> None:
    if ident in seen:
        raise InstanceError(f'{where}: duplicate {kind} id "{ident}"')
    seen.add(ident)


def _table(data: Mapping[str, Any], key: str, hubs: set[str], hub_is_outer: bool, is_int: bool
           ) -> dict[str, dict[str, Any]]:
    raw = data.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InstanceError(f"{key}: expected an object, got {type(raw).__name__}")
    out: dict[str, dict[str, Any]] = {}
    for outer, inner in raw.items():
        if hub_is_outer and outer not in hubs:
            raise InstanceError(f'{key}["{outer}"]: unknown hub "{outer}"')
        if not isinstance(inner, Mapping):
            raise InstanceError(f'{key}["{outer}"]: expected an object, got {type(inner).__name__}')
        row: dict[str, Any] = {}
        for k, v in inner.items():
            where = f'{key}["{outer}"]["{k}"]'
            if not hub_is_outer and k not in hubs:
                raise InstanceError(f'{where}: unknown hub "{k}"')
            row[k] = req_int(v, where, "lead time", 0) if is_int else _num(v, where, "cost")
        out[str(outer)] = row
    return out


def instance_from_dict(data: Any, require_schema: bool = True) -> Instance:
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
            raise InstanceError(f'"{key}": unknown top-level key{hint}; the known keys are '
                                + ", ".join(INSTANCE_KEYS))
    if "weeks" not in data:
        raise InstanceError("weeks: missing")
    weeks = req_int(data["weeks"], "weeks", "weeks", 1)
    if weeks > MAX_WEEKS:
        raise InstanceError(f"weeks: the horizon is at most {MAX_WEEKS} weeks (ten years), got {weeks}")

    items: list[Item] = []
    seen: set[str] = set()
    for where, e in entries(data, "items"):
        iid = _req_str(e.get("id"), where, "id")
        _unique(where, iid, seen, "item")
        items.append(Item(iid, _num(e.get("weight_t"), where, "weight_t", 0.0, strict=True)))
    item_ids = seen

    hubs: list[Hub] = []
    hub_ids: set[str] = set()
    for where, e in entries(data, "hubs"):
        hid = _req_str(e.get("id"), where, "id")
        _unique(where, hid, hub_ids, "hub")
        hubs.append(Hub(hid, _num(e.get("capacity_t_per_week"), where, "capacity_t_per_week")))

    lead_in = _table(data, "lead_in_weeks", hub_ids, hub_is_outer=False, is_int=True)
    lead_out = _table(data, "lead_out_weeks", hub_ids, hub_is_outer=True, is_int=True)
    cost_in = _table(data, "cost_in_per_t", hub_ids, hub_is_outer=False, is_int=False)
    reached = {h for row in lead_in.values() for h in row}
    for i, h in enumerate(hubs):
        if h.id not in reached:
            raise InstanceError(f'hubs[{i}] (id "{h.id}"): no origin reaches this hub (no lead_in_weeks entry)')
        if not lead_out.get(h.id):
            raise InstanceError(f'hubs[{i}] (id "{h.id}"): reaches no destination (no lead_out_weeks entry)')

    raw_pv = data.get("priority_value")
    if not isinstance(raw_pv, Mapping) or not raw_pv:
        raise InstanceError("priority_value: expected a non-empty object such as {\"1\": 1000}")
    priority_value: dict[int, float] = {}
    for k, v in raw_pv.items():
        try:
            pk = int(k)
        except (TypeError, ValueError):
            raise InstanceError(f'priority_value["{k}"]: priority must be an integer') from None
        priority_value[pk] = _num(v, f'priority_value["{k}"]', "value")
    if "lateness_decay_per_week" not in data:
        raise InstanceError("lateness_decay_per_week: missing")
    decay = _num(data["lateness_decay_per_week"], "lateness_decay_per_week", "lateness_decay_per_week")

    pledges: list[Pledge] = []
    seen = set()
    for where, e in entries(data, "pledges"):
        pid = _req_str(e.get("id"), where, "id")
        _unique(where, pid, seen, "pledge")
        item = _req_str(e.get("item"), where, "item")
        if item not in item_ids:
            raise InstanceError(f'{where}: unknown item "{item}"')
        pledges.append(Pledge(
            id=pid,
            donor=_req_str(e.get("donor"), where, "donor"),
            origin=_req_str(e.get("origin"), where, "origin"),
            item=item,
            quantity=req_int(e.get("quantity"), where, "quantity", 1),
            available_week=req_int(e.get("available_week"), where, "available_week", 0),
        ))

    reqs: list[Requirement] = []
    seen = set()
    for where, e in entries(data, "requirements"):
        rid = _req_str(e.get("id"), where, "id")
        _unique(where, rid, seen, "requirement")
        item = _req_str(e.get("item"), where, "item")
        if item not in item_ids:
            raise InstanceError(f'{where}: unknown item "{item}"')
        prio = req_int(e.get("priority"), where, "priority")
        if prio not in priority_value:
            raise InstanceError(f"{where}: priority {prio} has no entry in priority_value")
        reqs.append(Requirement(
            id=rid,
            item=item,
            quantity=req_int(e.get("quantity"), where, "quantity", 1),
            priority=prio,
            due_week=req_int(e.get("due_week"), where, "due_week", 0),
            destination=_req_str(e.get("destination"), where, "destination"),
        ))
    req_ids = seen

    packages: list[Package] = []
    seen = set()
    in_package: dict[str, str] = {}
    for where, e in entries(data, "packages"):
        kid = _req_str(e.get("id"), where, "id")
        _unique(where, kid, seen, "package")
        members = as_sequence(e.get("requirements"), f"{where}.requirements")
        if not members:
            raise InstanceError(f"{where}: package has no requirements")
        for m in members:
            if not isinstance(m, str) or m not in req_ids:
                raise InstanceError(f"{where}: unknown requirement {m!r}")
            if m in in_package:
                raise InstanceError(f'{where}: requirement "{m}" is already in package "{in_package[m]}"')
            in_package[m] = kid
        packages.append(Package(kid, tuple(members)))

    inst = Instance(
        weeks=weeks,
        items=tuple(items),
        hubs=tuple(hubs),
        lead_in_weeks=lead_in,
        lead_out_weeks=lead_out,
        cost_in_per_t=cost_in,
        pledges=tuple(pledges),
        requirements=tuple(reqs),
        packages=tuple(packages),
        priority_value=priority_value,
        lateness_decay_per_week=decay,
    )
    reserved = _reserved(data, inst)
    if reserved:
        object.__setattr__(inst, "reserved_t", reserved)
    fixed = tuple(flow_from_dict(f, f"fixed_flows[{i}]")
                  for i, f in enumerate(as_sequence(data.get("fixed_flows"), "fixed_flows")))
    if fixed:
        _check_fixed(inst, fixed)
        object.__setattr__(inst, "fixed_flows", fixed)
    return inst


def _reserved(data: Mapping[str, Any], inst: Instance) -> dict[str, dict[int, float]]:
    """``reserved_t``: {hub: {week: tonnes}} of capacity taken by allocations that are not fixed flows."""
    raw = data.get("reserved_t")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InstanceError(f"reserved_t: expected an object, got {type(raw).__name__}")
    out: dict[str, dict[int, float]] = {}
    for hub, row in raw.items():
        if hub not in inst.hub_by_id:
            raise InstanceError(f'reserved_t["{hub}"]: unknown hub "{hub}"')
        if not isinstance(row, Mapping):
            raise InstanceError(f'reserved_t["{hub}"]: expected an object, got {type(row).__name__}')
        for week, t in row.items():
            where = f'reserved_t["{hub}"]["{week}"]'
            try:
                w = int(week)
            except (TypeError, ValueError):
                raise InstanceError(f"{where}: the week must be an integer") from None
            if not 0 <= w < inst.weeks:
                raise InstanceError(f"{where}: week {w} is outside the horizon 0..{inst.weeks - 1}")
            tonnes = _num(t, where, "tonnes")
            if tonnes > 0:
                out.setdefault(str(hub), {})[w] = tonnes
    return out


def _check_fixed(inst: Instance, fixed: tuple[Flow, ...]) -> None:
    """Fixed flows must each obey rules 1-5 and, together, rule 6. They may overfill a hub-week (rule 7):
    goods already approved are a fact; the solver then treats that hub-week as full and reports it
    (``Instance.overloaded``)."""
    used_p: dict[str, int] = {}
    used_r: dict[str, int] = {}
    for i, f in enumerate(fixed):
        where = f"fixed_flows[{i}]"
        p = inst.pledge_by_id.get(f.pledge)
        r = inst.requirement_by_id.get(f.requirement)
        if p is None:
            raise InstanceError(f'{where}: unknown pledge "{f.pledge}"')
        if r is None:
            raise InstanceError(f'{where}: unknown requirement "{f.requirement}"')
        if f.hub not in inst.hub_by_id:
            raise InstanceError(f'{where}: unknown hub "{f.hub}"')
        if p.item != r.item:
            raise InstanceError(f'{where}: pledge item "{p.item}" differs from requirement item "{r.item}"')
        li = inst.lead_in_weeks.get(p.origin, {}).get(f.hub)
        lo = inst.lead_out_weeks.get(f.hub, {}).get(r.destination)
        if li is None or lo is None:
            raise InstanceError(f'{where}: hub "{f.hub}" does not connect origin "{p.origin}" '
                                f'to destination "{r.destination}"')
        if f.ship_week < p.available_week or f.ship_week + li > f.dispatch_week:
            raise InstanceError(f"{where}: ship/dispatch weeks violate availability or lead-in time")
        if f.dispatch_week + lo > inst.weeks - 1:
            raise InstanceError(f"{where}: arrives after the horizon")
        used_p[p.id] = used_p.get(p.id, 0) + f.quantity
        used_r[r.id] = used_r.get(r.id, 0) + f.quantity
        if used_p[p.id] > p.quantity:
            raise InstanceError(f'{where}: fixed flows exceed the quantity of pledge "{p.id}"')
        if used_r[r.id] > r.quantity:
            raise InstanceError(f'{where}: fixed flows exceed the quantity of requirement "{r.id}"')
