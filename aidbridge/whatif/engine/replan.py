r"""Re-planning a scenario: warm from the baseline, with an exact bound that proves the gap.

The baseline
------------
:func:`prepare_baseline` solves the current instance once (the allocation solver's optimal method) and
computes the **per-item terms of the Lagrangian bound at zero capacity prices**. With the hub-week capacity
rows priced at 0 and the packages relaxed, the allocation problem splits into one transportation problem per
item (docs/allocation.md, "Structure worth exploiting"); its optimum ``T_i`` plus the value of the item's
fixed flows ``F_i`` bounds what any plan can get from item ``i``, so ``L = sum_i (T_i + F_i)`` is a proven
upper bound on every plan. One transportation LP over all items gives every ``T_i`` (the LP is
block-diagonal, so its optimum restricted to an item is that item's optimum).

A scenario, warm
----------------
Most of a scenario leaves most items alone: a donor that withdraws touches only the items it pledged.
:func:`.perturb.apply` reports two sets:

- the **re-plan items**: items whose baseline flows no longer hold. They are re-planned as one sub-instance
  (closed under packages, which tie items together) by the allocation solver, with the hub-week capacity
  that the other items' baseline flows already use taken as reserved tonnes. Every other item keeps its
  baseline flows unchanged, so the plan's churn is limited to the items the scenario touches.
- the **bound items**: items whose relaxation changed (their pledges, requirements or fixed flows, or the
  network's reachability). Their ``T_i + F_i`` are recomputed on the scenario; the others are the
  baseline's. The sum is the scenario's exact bound ``L``, so ``(L - objective) / L`` is a proven gap, and
  since a cold re-solve can do no better than ``L``, it also bounds how far the warm plan can be from a
  cold one.

The combined plan is re-checked by the independent ``evaluate``; should it ever fail (or the sub-problem
fail), the scenario is solved cold instead, and the stats say so. ``warm=False`` always solves cold.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from aidbridge.allocation.solver import Flow, Instance, Plan, evaluate, solve
from aidbridge.allocation.solver.compiled import compile_instance
from aidbridge.allocation.solver.lagrange import TransportLP
from aidbridge.allocation.solver.pricing import Pricer

from .perturb import Change

Progress = Callable[[float, str], None]
DEFAULT_TIME_LIMIT = 10.0  # seconds per solve: fast and safe by default (the solver's 10 s target)
COLD_SHARE = 0.6  # when a scenario re-plans more than this share of the items, a cold solve is as cheap


def _flow_value(inst: Instance, f: Flow) -> float:
    """A flow's contribution to the objective (docs/allocation.md, "Objective")."""
    p = inst.pledge_by_id[f.pledge]
    r = inst.requirement_by_id[f.requirement]
    arrival = f.dispatch_week + inst.lead_out_weeks[f.hub][r.destination]
    late = max(0, arrival - r.due_week)
    decay = max(0.0, 1.0 - inst.lateness_decay_per_week * late)
    w = inst.item_by_id[p.item].weight_t
    cost = inst.cost_in_per_t.get(p.origin, {}).get(f.hub, 0.0)
    return f.quantity * (inst.priority_value[r.priority] / r.quantity * decay - w * cost)


def restrict(inst: Instance, items: set[str], reserved: dict[str, dict[int, float]] | None = None) -> Instance:
    """The sub-instance of ``items`` (which must be closed under packages), with ``reserved`` tonnes."""
    pledges = tuple(p for p in inst.pledges if p.item in items)
    keep_p = {p.id for p in pledges}
    reqs = tuple(r for r in inst.requirements if r.item in items)
    keep_r = {r.id for r in reqs}
    return replace(
        inst,
        items=tuple(i for i in inst.items if i.id in items),
        pledges=pledges, requirements=reqs,
        packages=tuple(k for k in inst.packages if all(r in keep_r for r in k.requirements)),
        fixed_flows=tuple(f for f in inst.fixed_flows if f.pledge in keep_p),
        reserved_t=inst.reserved_t if reserved is None else reserved,
    )


def item_bounds(inst: Instance) -> dict[str, float]:
    """``T_i + F_i`` per item: the exact transportation optimum at zero capacity prices plus the value of
    the item's fixed flows. Their sum is a proven upper bound on any plan of ``inst``."""
    out = {i.id: 0.0 for i in inst.items}
    for f in inst.fixed_flows:
        out[inst.pledge_by_id[f.pledge].item] += _flow_value(inst, f)
    if not inst.pledges or not inst.requirements:
        return out
    c = compile_instance(inst)
    if len(c.pair_p) == 0:
        return out
    pricer = Pricer(c)
    brc, _, _ = pricer.price(np.zeros(c.P), np.zeros(c.R), np.zeros((c.H, c.W)))
    res = TransportLP(c, pricer).solve(np.zeros((c.H, c.W)), math.inf)
    if res is None:  # pragma: no cover - the transportation LP is always feasible and bounded
        raise RuntimeError("the transportation LP for the bound did not solve to optimality")
    _, x, _, _ = res
    value = np.where(np.isfinite(brc), np.maximum(brc, 0.0), 0.0) * x
    per_item = np.bincount(c.p_item[c.pair_p], weights=value, minlength=len(inst.items))
    for k, item in enumerate(inst.items):
        out[item.id] += float(per_item[k])
    return out


def package_closure(inst: Instance, items: Iterable[str]) -> set[str]:
    """``items`` and every item tied to one of them by a package."""
    item_of = {r.id: r.item for r in inst.requirements}
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for k in inst.packages:
        members = [item_of[r] for r in k.requirements if r in item_of]
        for b in members[1:]:
            parent[find(b)] = find(members[0])
    wanted = {find(i) for i in items}
    return set(items) | {i for i in parent if find(i) in wanted}


@dataclass
class Baseline:
    """The current instance, its plan and its per-item bound terms: what every scenario is compared with."""

    instance: Instance
    plan: Plan
    item_bound: dict[str, float]

    @property
    def bound(self) -> float:
        """The tighter of the plan's own bound and the per-item bound (both proven)."""
        bound = sum(self.item_bound.values())
        if self.plan.bound is not None:
            bound = min(bound, self.plan.bound)
        return max(bound, self.plan.objective)

    def to_dict(self) -> dict[str, Any]:
        return {"instance": self.instance.to_dict(), "plan": self.plan.to_dict(), "item_bound": self.item_bound}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        inst = Instance.from_dict(data["instance"])
        return cls(inst, Plan.from_dict(data["plan"]), {str(k): float(v) for k, v in data["item_bound"].items()})


def prepare_baseline(instance: Instance, *, time_limit: float | None = DEFAULT_TIME_LIMIT,
                     progress: Progress | None = None) -> Baseline:
    """Plan the baseline and compute its bound terms."""
    plan = solve(instance, "optimal", time_limit, progress)
    if plan.status == "error":
        raise RuntimeError(f"the baseline could not be planned: {plan.stats.get('error')}")
    return Baseline(instance, plan, item_bounds(instance))


def scenario_bound(baseline: Baseline, scen: Instance, change: Change) -> float:
    """The scenario's exact bound: recomputed terms for the items whose relaxation changed, the baseline's
    for the others."""
    if change.bound_items is None:
        return sum(item_bounds(scen).values())
    touched = package_closure(scen, change.bound_items) & {i.id for i in scen.items}
    fresh = item_bounds(restrict(scen, touched)) if touched else {}
    return sum(v for i, v in baseline.item_bound.items() if i not in touched) + sum(fresh.values())


def _load(inst: Instance, flows: Iterable[Flow]) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for f in flows:
        out[f.hub][f.dispatch_week] += f.quantity * inst.item_by_id[inst.pledge_by_id[f.pledge].item].weight_t
    return out


def replan(baseline: Baseline, scen: Instance, change: Change, *, time_limit: float | None = DEFAULT_TIME_LIMIT,
           warm: bool = True, progress: Progress | None = None) -> Plan:
    """Plan the scenario instance ``scen`` (warm unless ``warm`` is false or the change is too wide) and
    attach its exact bound. ``stats["replan"]`` says how: "warm" or "cold", and why."""
    t0 = time.monotonic()
    plan_items = package_closure(scen, change.plan_items) & {i.id for i in scen.items}
    how = "warm"
    plan: Plan | None = None
    if not warm:
        how = "cold (asked)"
    elif len(plan_items) > COLD_SHARE * max(1, len(scen.items)):
        how = f"cold (the scenario re-plans {len(plan_items)} of {len(scen.items)} items)"
    else:
        plan = _warm(baseline, scen, plan_items, time_limit, progress)
        if plan is None:
            how = "cold (the warm plan did not check out)"
    if plan is None:
        plan = solve(scen, "optimal", time_limit, progress)
    bound = scenario_bound(baseline, scen, change)
    if plan.bound is not None:
        bound = min(bound, plan.bound) if how.startswith("cold") else bound
    bound = max(bound, plan.objective)
    gap = (bound - plan.objective) / bound if bound > 0 else 0.0
    status = plan.status if plan.status in ("infeasible", "error") else ("optimal" if gap <= 1e-9 else "feasible")
    stats = {**plan.stats, "replan": how, "replanned_items": len(plan_items), "gap": gap,
             "seconds": round(time.monotonic() - t0, 4)}
    return Plan(status, plan.objective, round(bound, 9), plan.flows, stats)


def _warm(baseline: Baseline, scen: Instance, items: set[str], time_limit: float | None,
          progress: Progress | None) -> Plan | None:
    base = baseline.instance
    item_of = {p.id: p.item for p in base.pledges}
    scen_fixed = set(scen.fixed_flows)
    kept = [f for f in baseline.plan.flows if item_of[f.pledge] not in items]
    kept_new = [f for f in kept if f not in scen_fixed]
    reserved: dict[str, dict[int, float]] = {h: dict(row) for h, row in scen.reserved_t.items()}
    for hub, row in _load(base, kept).items():
        for week, t in row.items():
            reserved.setdefault(hub, {})[week] = reserved.get(hub, {}).get(week, 0.0) + t
    sub = restrict(scen, items, reserved)
    if sub.pledges and sub.requirements:
        sub_plan = solve(sub, "optimal", time_limit, progress)
        if sub_plan.status not in ("optimal", "feasible"):
            return None
        new = list(sub_plan.flows[len(sub.fixed_flows):])
        stats = {k: v for k, v in sub_plan.stats.items() if k in ("method", "algorithm", "fallback")}
    else:
        new, stats = [], {"method": "optimal"}
    flows = tuple(scen.fixed_flows) + tuple(kept_new) + tuple(new)
    plan = Plan("feasible", 0.0, None, flows, stats)
    ev = evaluate(scen, plan)
    if not ev.feasible:
        return None
    return replace(plan, objective=round(ev.objective, 9))
