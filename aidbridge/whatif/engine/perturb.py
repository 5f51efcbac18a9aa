"""Perturbations: what a scenario changes in an allocation instance.

A scenario is a list of perturbations (JSON dicts, see :data:`KINDS`), applied in order to the baseline: the
current instance plus the baseline plan (a donor that withdraws from week W still delivers what the baseline
plan ships before W). :func:`apply` returns the scenario's instance and what changed, which the warm re-plan
(:mod:`.replan`) uses to re-solve only the items the perturbations touch.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aidbridge.allocation.solver import Flow, Instance, Plan

KINDS: dict[str, dict[str, Any]] = {
    # kind -> {field: default}; a default of ... means the field is required
    "withdraw_donor": {"donor": ..., "from_week": 0, "lose_allocated": True},
    "delay_donor": {"donor": ..., "weeks": ...},
    "close_hub": {"hub": ..., "cut": 1.0, "from_week": 0, "to_week": None},
    "lead_time": {"leg": ..., "from": "*", "to": "*", "weeks": ...},
    "demand_surge": {"items": ..., "share": ...},
}


class PerturbationError(ValueError):
    """A perturbation is malformed or names something the instance does not have; the message says where."""


@dataclass
class Change:
    """What the perturbations changed, for the warm re-plan.

    - ``plan_items``: items whose baseline flows no longer hold (a pledge or requirement of theirs changed, or
      a flow of theirs uses a hub-week or route that changed); they are re-planned.
    - ``bound_items``: items whose relaxation (pledges, requirements, reachability) changed; the bound is
      recomputed for them. ``None`` means every item.
    - ``kept``: baseline flows that the scenario turned into fixed flows (a withdrawing donor's deliveries
      before its withdrawal week).
    - ``withdrawn``: donors that withdraw (excluded from the backfill suggestions).
    """

    plan_items: set[str] = field(default_factory=set)
    bound_items: set[str] | None = field(default_factory=set)
    kept: list[Flow] = field(default_factory=list)
    withdrawn: set[str] = field(default_factory=set)

    def touch_all_bounds(self) -> None:
        self.bound_items = None

    def touch_bound(self, items: set[str]) -> None:
        if self.bound_items is not None:
            self.bound_items |= items


def _where(i: int, kind: str) -> str:
    return f"perturbations[{i}] ({kind})"


def _int(value: Any, where: str, name: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        bounds = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
        raise PerturbationError(f"{where}: {name} must be a whole number {bounds}, not {value!r}")
    return value


def _share(value: Any, where: str, name: str, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0 < value <= hi:
        raise PerturbationError(f"{where}: {name} must be a number above 0 and at most {hi:g}, not {value!r}")
    return float(value)


def validate_perturbations(instance: Instance, perturbations: Any) -> list[dict[str, Any]]:
    """Check every perturbation against the instance; return them normalised (defaults filled in)."""
    if not isinstance(perturbations, Sequence) or isinstance(perturbations, str | bytes):
        raise PerturbationError("perturbations must be a list")
    donors = {p.donor for p in instance.pledges}
    hubs = {h.id for h in instance.hubs}
    items = {i.id for i in instance.items}
    origins = set(instance.lead_in_weeks)
    dests = {d for row in instance.lead_out_weeks.values() for d in row}
    out = []
    for i, raw in enumerate(perturbations):
        if not isinstance(raw, Mapping):
            raise PerturbationError(f"perturbations[{i}]: must be an object with a \"kind\"")
        kind = raw.get("kind")
        if kind not in KINDS:
            raise PerturbationError(f"perturbations[{i}]: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        where = _where(i, kind)
        spec = KINDS[kind]
        unknown = sorted(set(raw) - set(spec) - {"kind"})
        if unknown:
            raise PerturbationError(f"{where}: unknown field {unknown[0]!r}; expected {', '.join(spec)}")
        p: dict[str, Any] = {"kind": kind}
        for name, default in spec.items():
            if name not in raw and default is ...:
                raise PerturbationError(f"{where}: {name} is required")
            p[name] = raw.get(name, default)
        if kind in ("withdraw_donor", "delay_donor"):
            p["donor"] = str(p["donor"]) if isinstance(p["donor"], int | str) else p["donor"]
            if p["donor"] not in donors:
                raise PerturbationError(f"{where}: donor {p['donor']!r} has no pledge in the instance")
        if kind == "withdraw_donor":
            p["from_week"] = _int(p["from_week"], where, "from_week", 0)
            if not isinstance(p["lose_allocated"], bool):
                raise PerturbationError(f"{where}: lose_allocated must be true or false")
        elif kind == "delay_donor":
            p["weeks"] = _int(p["weeks"], where, "weeks", 1, 520)
        elif kind == "close_hub":
            if p["hub"] not in hubs:
                raise PerturbationError(f"{where}: unknown hub {p['hub']!r}")
            p["cut"] = _share(p["cut"], where, "cut", 1.0)
            p["from_week"] = _int(p["from_week"], where, "from_week", 0)
            if p["to_week"] is not None:
                p["to_week"] = _int(p["to_week"], where, "to_week", p["from_week"])
        elif kind == "lead_time":
            if p["leg"] not in ("in", "out"):
                raise PerturbationError(f"{where}: leg must be \"in\" (origin to hub) or \"out\" (hub to destination)")
            known_from, known_to = (origins, hubs) if p["leg"] == "in" else (hubs, dests)
            for name, known in (("from", known_from), ("to", known_to)):
                if p[name] != "*" and p[name] not in known:
                    raise PerturbationError(f"{where}: unknown {name} {p[name]!r} for leg {p['leg']!r}")
            p["weeks"] = _int(p["weeks"], where, "weeks", 1, 520)
        elif kind == "demand_surge":
            if isinstance(p["items"], str) or not isinstance(p["items"], Sequence) or not p["items"]:
                raise PerturbationError(f"{where}: items must be a non-empty list of item ids")
            bad = [x for x in p["items"] if x not in items]
            if bad:
                raise PerturbationError(f"{where}: unknown item {bad[0]!r}")
            p["items"] = sorted(set(p["items"]))
            p["share"] = _share(p["share"], where, "share", 10.0)
        out.append(p)
    return out


def _week_range(p: Mapping[str, Any], weeks: int) -> range:
    to = weeks - 1 if p["to_week"] is None else min(p["to_week"], weeks - 1)
    return range(p["from_week"], to + 1)


def apply(instance: Instance, plan: Plan, perturbations: list[dict[str, Any]]) -> tuple[Instance, Change]:
    """The scenario's instance (validated) and what changed. ``perturbations`` must be normalised
    (:func:`validate_perturbations`); ``plan`` is the baseline plan of ``instance``."""
    change = Change()
    inst = instance
    flows = list(plan.flows)  # the baseline plan's flows, re-mapped as the scenario goes
    for p in perturbations:
        inst, flows = _APPLY[p["kind"]](inst, flows, p, change)
    try:
        inst = inst.validate()
    except ValueError as exc:  # pragma: no cover - the transformations keep instances valid
        raise PerturbationError(f"the scenario's instance is not valid: {exc}") from exc
    return inst, change


def _item_of(inst: Instance) -> dict[str, str]:
    return {p.id: p.item for p in inst.pledges}


def _withdraw(inst: Instance, flows: list[Flow], p: dict[str, Any], ch: Change
              ) -> tuple[Instance, list[Flow]]:
    donor, week = p["donor"], p["from_week"]
    mine = {x.id for x in inst.pledges if x.donor == donor}
    fixed = set(inst.fixed_flows)
    kept_fixed = [f for f in inst.fixed_flows
                  if f.pledge not in mine or f.ship_week < week or not p["lose_allocated"]]
    kept_plan = [f for f in flows if f.pledge in mine and f not in fixed and f.ship_week < week]
    item = _item_of(inst)
    ch.plan_items |= {item[f.pledge] for f in flows if f.pledge in mine}
    ch.touch_bound({item[x] for x in mine})
    ch.withdrawn.add(donor)
    ch.kept.extend(kept_plan)
    new_fixed = kept_fixed + kept_plan
    used: dict[str, int] = defaultdict(int)
    for f in new_fixed:
        if f.pledge in mine:
            used[f.pledge] += f.quantity
    pledges = tuple(x if x.id not in mine else replace(x, quantity=used[x.id])
                    for x in inst.pledges if x.id not in mine or used[x.id] > 0)
    out = replace(inst, pledges=pledges, fixed_flows=tuple(new_fixed))
    stay = set(new_fixed)
    return out, [f for f in flows if f.pledge not in mine or f in stay]


def _delay(inst: Instance, flows: list[Flow], p: dict[str, Any], ch: Change) -> tuple[Instance, list[Flow]]:
    donor, n = p["donor"], p["weeks"]
    mine = {x.id for x in inst.pledges if x.donor == donor}
    item = _item_of(inst)
    ch.plan_items |= {item[x] for x in mine}
    ch.touch_bound({item[x] for x in mine})
    # approved flows of the donor that have not moved are released, to be re-planned from the later date
    fixed = tuple(f for f in inst.fixed_flows if f.pledge not in mine)
    pledges = tuple(replace(x, available_week=x.available_week + n) if x.id in mine else x for x in inst.pledges)
    return replace(inst, pledges=pledges, fixed_flows=fixed), [f for f in flows if f.pledge not in mine]


def _close_hub(inst: Instance, flows: list[Flow], p: dict[str, Any], ch: Change) -> tuple[Instance, list[Flow]]:
    hub, cut = p["hub"], p["cut"]
    weeks = _week_range(p, inst.weeks)
    item = _item_of(inst)
    hit = [f for f in flows if f.hub == hub and f.dispatch_week in weeks]
    ch.plan_items |= {item[f.pledge] for f in hit}
    fixed_hit = set(inst.fixed_flows) & set(hit)
    if cut >= 1.0 and weeks == range(0, inst.weeks):
        # closed for good: the hub leaves the network (so the bound knows it cannot be reached)
        ch.touch_all_bounds()
        hubs = tuple(h for h in inst.hubs if h.id != hub)
        lead_in = {o: {h: w for h, w in row.items() if h != hub} for o, row in inst.lead_in_weeks.items()}
        lead_in = {o: row for o, row in lead_in.items() if row}
        lead_out = {h: row for h, row in inst.lead_out_weeks.items() if h != hub}
        cost = {o: {h: c for h, c in row.items() if h != hub} for o, row in inst.cost_in_per_t.items()}
        reserved = {h: row for h, row in inst.reserved_t.items() if h != hub}
        fixed = tuple(f for f in inst.fixed_flows if f not in fixed_hit)
        out = replace(inst, hubs=hubs, lead_in_weeks=lead_in, lead_out_weeks=lead_out,
                      cost_in_per_t={o: row for o, row in cost.items() if row}, reserved_t=reserved,
                      fixed_flows=fixed)
        return out, [f for f in flows if f.hub != hub]
    # a cut for some weeks: the lost capacity is taken as reserved tonnes; approved flows there are released
    cap = inst.hub_by_id[hub].capacity_t_per_week
    row = dict(inst.reserved_t.get(hub, {}))
    for w in weeks:
        row[w] = row.get(w, 0.0) + cap * cut
    reserved = {**{h: dict(r) for h, r in inst.reserved_t.items()}, hub: row}
    fixed = tuple(f for f in inst.fixed_flows if f not in fixed_hit)
    hit_set = set(hit)
    return replace(inst, reserved_t=reserved, fixed_flows=fixed), [f for f in flows if f not in hit_set]


def _lead_time(inst: Instance, flows: list[Flow], p: dict[str, Any], ch: Change) -> tuple[Instance, list[Flow]]:
    n = p["weeks"]
    src = inst.lead_in_weeks if p["leg"] == "in" else inst.lead_out_weeks
    table = {a: {b: (w + n if (p["from"] in ("*", a) and p["to"] in ("*", b)) else w) for b, w in row.items()}
             for a, row in src.items()}
    origin = {x.id: x.origin for x in inst.pledges}
    dest = {r.id: r.destination for r in inst.requirements}
    item = _item_of(inst)

    def on_route(f: Flow) -> bool:
        a, b = (origin[f.pledge], f.hub) if p["leg"] == "in" else (f.hub, dest[f.requirement])
        return p["from"] in ("*", a) and p["to"] in ("*", b)

    hit = [f for f in flows if on_route(f)]
    ch.plan_items |= {item[f.pledge] for f in hit}
    ch.touch_all_bounds()
    hit_set = set(hit)
    fixed = tuple(f for f in inst.fixed_flows if f not in hit_set)
    if p["leg"] == "in":
        out = replace(inst, fixed_flows=fixed, lead_in_weeks=table)
    else:
        out = replace(inst, fixed_flows=fixed, lead_out_weeks=table)
    return out, [f for f in flows if f not in hit_set]


def _surge(inst: Instance, flows: list[Flow], p: dict[str, Any], ch: Change) -> tuple[Instance, list[Flow]]:
    items = set(p["items"])
    share = p["share"]
    ch.plan_items |= items
    ch.touch_bound(items)
    reqs = tuple(replace(r, quantity=math.ceil(r.quantity * (1 + share) - 1e-9)) if r.item in items else r
                 for r in inst.requirements)
    return replace(inst, requirements=reqs), flows


_APPLY = {
    "withdraw_donor": _withdraw,
    "delay_donor": _delay,
    "close_hub": _close_hub,
    "lead_time": _lead_time,
    "demand_surge": _surge,
}

__all__ = ["KINDS", "Change", "PerturbationError", "apply", "validate_perturbations"]
