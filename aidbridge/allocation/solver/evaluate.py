"""Independent plan checker: re-checks feasibility rules 1-8 of docs/allocation.md and recomputes the
objective from the rules, without using any solver code (plain Python over the instance).

Rule 7 with fixed flows: the plan's flows that are the instance's fixed flows (matched as a multiset) are
facts, not decisions, and may overfill a hub-week; so may the instance's ``reserved_t`` (capacity taken by
other existing allocations). The plan's other (new) flows must fit in what those leave:
``new load <= max(0, capacity - fixed load - reserved)``, so no new flow may use an overloaded hub-week.
``hub_week_loads`` are the plan's flows only (reserved tonnes are not included)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import Instance, Plan

TOL = 1e-6


@dataclass
class Evaluation:
    feasible: bool
    violations: list[str]
    objective: float
    #: priority -> {"requirements", "units", "units_filled", "unit_fill", "value", "value_captured",
    #: "value_fill"}; unit_fill = units filled / units required, value_fill = objective value
    #: captured / total priority value of the priority's requirements.
    fill_by_priority: dict[int, dict[str, float]] = field(default_factory=dict)
    hub_week_loads: dict[tuple[str, int], float] = field(default_factory=dict)
    units_shipped: int = 0
    #: hub-weeks whose fixed flows alone exceed the capacity: {"hub", "week", "load_t", "capacity_t"}
    overloaded: list[dict[str, object]] = field(default_factory=list)


def evaluate(instance: Instance, plan: Plan) -> Evaluation:
    """Check every feasibility rule and recompute the objective of ``plan`` for ``instance``."""
    inst = instance
    pledges = {p.id: p for p in inst.pledges}
    reqs = {r.id: r for r in inst.requirements}
    items = {i.id: i for i in inst.items}
    hubs = {h.id: h for h in inst.hubs}
    v: list[str] = []
    from_pledge: dict[str, int] = defaultdict(int)
    to_req: dict[str, int] = defaultdict(int)
    load: dict[tuple[str, int], float] = defaultdict(float)
    fixed_load: dict[tuple[str, int], float] = defaultdict(float)  # fixed flows in the plan + reserved_t
    for hid, row in inst.reserved_t.items():
        for week, t in row.items():
            fixed_load[(hid, week)] += t
    unmatched_fixed: dict[tuple[str, str, str, int, int, int], int] = defaultdict(int)
    for f in inst.fixed_flows:
        unmatched_fixed[(f.pledge, f.requirement, f.hub, f.ship_week, f.dispatch_week, f.quantity)] += 1
    value_by_req: dict[str, float] = defaultdict(float)
    objective = 0.0
    shipped = 0
    for i, f in enumerate(plan.flows):
        tag = f"flow[{i}] ({f.pledge}->{f.requirement} via {f.hub}, ship {f.ship_week}, dispatch {f.dispatch_week})"
        p = pledges.get(f.pledge)
        r = reqs.get(f.requirement)
        if p is None or r is None or f.hub not in hubs:
            v.append(f"{tag}: references an unknown pledge, requirement or hub")
            continue
        q = f.quantity
        if not isinstance(q, int) or isinstance(q, bool) or q <= 0:
            v.append(f"rule 1: {tag}: quantity {q!r} is not a positive integer")
            continue
        if p.item != r.item:
            v.append(f"rule 2: {tag}: pledge item {p.item} != requirement item {r.item}")
        lead_in = inst.lead_in_weeks.get(p.origin, {}).get(f.hub)
        lead_out = inst.lead_out_weeks.get(f.hub, {}).get(r.destination)
        if f.ship_week < p.available_week:
            v.append(f"rule 3: {tag}: shipped before available week {p.available_week}")
        if lead_in is None:
            v.append(f"rule 3: {tag}: hub {f.hub} cannot be reached from origin {p.origin}")
        if lead_out is None:
            v.append(f"rule 3: {tag}: hub {f.hub} cannot reach destination {r.destination}")
        if lead_in is not None and f.ship_week + lead_in > f.dispatch_week:
            v.append(f"rule 4: {tag}: dispatched before arriving at the hub (lead-in {lead_in})")
        arrival = f.dispatch_week + (lead_out or 0)
        if lead_out is not None and arrival > inst.weeks - 1:
            v.append(f"rule 5: {tag}: arrives in week {arrival}, after the horizon")
        if not 0 <= f.dispatch_week < inst.weeks:
            v.append(f"rule 5: {tag}: dispatch week outside the horizon")
        from_pledge[p.id] += q
        to_req[r.id] += q
        weight = items[p.item].weight_t
        load[(f.hub, f.dispatch_week)] += q * weight
        key = (f.pledge, f.requirement, f.hub, f.ship_week, f.dispatch_week, q)
        if unmatched_fixed.get(key):
            unmatched_fixed[key] -= 1
            fixed_load[(f.hub, f.dispatch_week)] += q * weight
        shipped += q
        late = max(0, arrival - r.due_week)
        decay = max(0.0, 1.0 - inst.lateness_decay_per_week * late)
        cost = inst.cost_in_per_t.get(p.origin, {}).get(f.hub, 0.0)
        gain = q * (inst.priority_value[r.priority] / r.quantity * decay - weight * cost)
        objective += gain
        value_by_req[r.id] += q * inst.priority_value[r.priority] / r.quantity * decay
    for pid, q in sorted(from_pledge.items()):
        if q > pledges[pid].quantity:
            v.append(f"rule 6: pledge {pid}: {q} units allocated, only {pledges[pid].quantity} pledged")
    for rid, q in sorted(to_req.items()):
        if q > reqs[rid].quantity:
            v.append(f"rule 6: requirement {rid}: {q} units delivered, only {reqs[rid].quantity} required")
    overloaded: list[dict[str, object]] = []
    for hid, week in sorted(set(load) | set(fixed_load)):
        t = load.get((hid, week), 0.0) + inst.reserved_t.get(hid, {}).get(week, 0.0)
        cap = hubs[hid].capacity_t_per_week
        fixed = fixed_load.get((hid, week), 0.0)
        if fixed > cap + TOL * max(1.0, cap):
            overloaded.append({"hub": hid, "week": week, "load_t": fixed, "capacity_t": cap})
            if t - fixed > TOL * max(1.0, cap):
                v.append(f"rule 7: hub {hid} week {week}: existing allocations already use {fixed:.6g} t of "
                         f"{cap:.6g} t, yet new flows add {t - fixed:.6g} t")
        elif t > cap + TOL * max(1.0, cap):
            v.append(f"rule 7: hub {hid} week {week}: {t:.6g} t dispatched, capacity {cap:.6g} t")
    for k in inst.packages:
        filled = [to_req.get(m, 0) for m in k.requirements]
        full = [to_req.get(m, 0) == reqs[m].quantity for m in k.requirements]
        if any(filled) and not all(full):
            v.append(f"rule 8: package {k.id}: partly delivered "
                     + ", ".join(f"{m} {to_req.get(m, 0)}/{reqs[m].quantity}" for m in k.requirements))
    fill: dict[int, dict[str, float]] = {}
    for r in inst.requirements:
        e = fill.setdefault(r.priority, {"requirements": 0, "units": 0, "units_filled": 0, "value": 0.0,
                                         "value_captured": 0.0})
        e["requirements"] += 1
        e["units"] += r.quantity
        e["units_filled"] += to_req.get(r.id, 0)
        e["value"] += inst.priority_value[r.priority]
        e["value_captured"] += value_by_req.get(r.id, 0.0)
    for e in fill.values():
        e["unit_fill"] = e["units_filled"] / e["units"] if e["units"] else 0.0
        e["value_fill"] = e["value_captured"] / e["value"] if e["value"] else 0.0
    return Evaluation(feasible=not v, violations=v, objective=objective,
                      fill_by_priority=dict(sorted(fill.items())), hub_week_loads=dict(load),
                      units_shipped=shipped, overloaded=overloaded)
