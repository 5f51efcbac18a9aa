"""Comparing a scenario's plan with the baseline's: fill, coverage by week, losses, backfill, single points of
failure.

Definitions (docs/whatif.md restates them):

- **Priority points** of a flow: ``quantity × priority_value / requirement quantity × lateness decay``; a
  requirement filled completely and on time earns its priority value. (The objective also subtracts a small
  transport cost; points leave it out, so they measure aid delivered, not routing.)
- **Loss share**: the share of the baseline's priority points that the scenario loses, clipped to [0, 1].
- **P1 coverage in week w**: over the P1 requirements due by week ``w``, the units that have arrived by
  ``w`` (at most each requirement's quantity) divided by the units required. A week with no P1 requirement
  due yet counts as covered (1.0).
- **Time-to-survive**: the first week in which the scenario's P1 coverage falls below the threshold share of
  the baseline's (below 90% of what the baseline plan covers by then, by default); ``None`` if there is none
  within the horizon. Measured against the baseline, so that a week the baseline itself cannot cover
  (requirements already overdue, say) does not count against the scenario. The baseline's own
  ``time_to_survive_week`` is the first week its P1 coverage is below the threshold, for information.
- **Backfill**: per item and due week, the units the scenario leaves unmet beyond what the baseline already
  left unmet, with the other donors that have pledged the item and their pledged units.
- **Single points of failure**: items whose P1 priority points fall by more than half.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aidbridge.allocation.solver import Flow, Instance

SPOF_DROP = 0.5  # an item is a single point of failure when its P1 points fall by more than this share


@dataclass
class Figures:
    """Per requirement: units filled, priority points, and arrivals ``(week, units)``."""

    units: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    points: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    arrivals: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def total_points(self) -> float:
        return sum(self.points.values())


def figures(inst: Instance, flows: Iterable[Flow]) -> Figures:
    out = Figures()
    for f in flows:
        r = inst.requirement_by_id[f.requirement]
        arrival = f.dispatch_week + inst.lead_out_weeks[f.hub][r.destination]
        decay = max(0.0, 1.0 - inst.lateness_decay_per_week * max(0, arrival - r.due_week))
        out.units[r.id] += f.quantity
        out.points[r.id] += f.quantity * inst.priority_value[r.priority] / r.quantity * decay
        out.arrivals[r.id].append((arrival, f.quantity))
    return out


def coverage_by_week(inst: Instance, fig: Figures, priority: int = 1) -> list[float]:
    """P1 coverage per week (see the module docstring)."""
    reqs = [r for r in inst.requirements if r.priority == priority]
    out = []
    for w in range(inst.weeks):
        due = [r for r in reqs if r.due_week <= w]
        need = sum(r.quantity for r in due)
        if not need:
            out.append(1.0)
            continue
        got = sum(min(r.quantity, sum(q for a, q in fig.arrivals.get(r.id, ()) if a <= w)) for r in due)
        out.append(got / need)
    return out


def time_to_survive(base: list[float], scen: list[float], threshold: float) -> int | None:
    """The first week the scenario covers less than ``threshold`` of what the baseline covers."""
    for w, (b, s) in enumerate(zip(base, scen, strict=True)):
        if s < threshold * b - 1e-12:
            return w
    return None


def _first_below(cov: list[float], threshold: float) -> int | None:
    return next((w for w, c in enumerate(cov) if c < threshold - 1e-12), None)


def _fill(inst_b: Instance, inst_s: Instance, fb: Figures, fs: Figures, key: Mapping[str, str]
          ) -> dict[str, dict[str, float]]:
    """Units and points by a grouping of requirements (``key``: requirement id -> group)."""
    out: dict[str, dict[str, float]] = {}
    for r in inst_s.requirements:
        g = key.get(r.id)
        if g is None:
            continue
        row = out.setdefault(g, {"required": 0, "baseline": 0, "scenario": 0, "value": 0.0,
                                 "points_baseline": 0.0, "points_scenario": 0.0})
        row["required"] += r.quantity
        row["baseline"] += fb.units.get(r.id, 0)
        row["scenario"] += fs.units.get(r.id, 0)
        row["value"] += inst_s.priority_value[r.priority]
        row["points_baseline"] += fb.points.get(r.id, 0.0)
        row["points_scenario"] += fs.points.get(r.id, 0.0)
    return {g: {k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}
            for g, row in sorted(out.items())}


def compare(base: Instance, base_flows: Iterable[Flow], scen: Instance, scen_flows: Iterable[Flow], *,
            threshold: float = 0.9, item_classes: Mapping[str, str] | None = None,
            withdrawn: Iterable[str] = ()) -> dict[str, Any]:
    """Everything the result document says about the scenario against the baseline, except the plan."""
    fb, fs = figures(base, base_flows), figures(scen, scen_flows)
    pb, ps = fb.total_points, fs.total_points
    loss = 0.0 if pb <= 0 else min(1.0, max(0.0, (pb - ps) / pb))
    cov_b, cov_s = coverage_by_week(base, fb), coverage_by_week(scen, fs)
    base_req = base.requirement_by_id

    losing: list[dict[str, Any]] = []
    short: dict[tuple[str, int], int] = defaultdict(int)
    for r in scen.requirements:
        rb = base_req.get(r.id, r)
        ub, us = fb.units.get(r.id, 0), fs.units.get(r.id, 0)
        lost_points = fb.points.get(r.id, 0.0) - fs.points.get(r.id, 0.0)
        if us < ub or lost_points > 1e-9:
            losing.append({"requirement": r.id, "item": r.item, "priority": r.priority, "due_week": r.due_week,
                           "destination": r.destination, "quantity": r.quantity, "units_baseline": ub,
                           "units_scenario": us, "units_lost": max(0, ub - us),
                           "points_lost": round(max(0.0, lost_points), 6)})
        extra = (r.quantity - us) - (rb.quantity - ub)
        if extra > 0:
            short[(r.item, r.due_week)] += extra
    losing.sort(key=lambda x: (-x["points_lost"], -x["units_lost"], x["requirement"]))

    gone = set(withdrawn)
    pledged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in base.pledges:
        if p.donor not in gone:
            pledged[p.item][p.donor] += p.quantity
    backfill = [{"item": item, "week": week, "units_short": units,
                 "donors": [{"donor": d, "units": q} for d, q in
                            sorted(pledged.get(item, {}).items(), key=lambda x: (-x[1], x[0]))]}
                for (item, week), units in sorted(short.items())]

    by_item_b: dict[str, float] = defaultdict(float)
    by_item_s: dict[str, float] = defaultdict(float)
    for r in base.requirements:
        if r.priority == 1:
            by_item_b[r.item] += fb.points.get(r.id, 0.0)
    for r in scen.requirements:
        if r.priority == 1:
            by_item_s[r.item] += fs.points.get(r.id, 0.0)
    spof = [{"item": i, "baseline": round(b, 6), "scenario": round(by_item_s.get(i, 0.0), 6)}
            for i, b in sorted(by_item_b.items())
            if b > 1e-9 and by_item_s.get(i, 0.0) < (1 - SPOF_DROP) * b - 1e-9]

    prio = {r.id: str(r.priority) for r in scen.requirements}
    classes = {} if item_classes is None else \
        {r.id: item_classes[r.item] for r in scen.requirements if r.item in item_classes}
    return {
        "baseline": {"points": round(pb, 6), "time_to_survive_week": _first_below(cov_b, threshold)},
        "points": round(ps, 6),
        "loss_share": round(loss, 9),
        "time_to_survive_week": time_to_survive(cov_b, cov_s, threshold),
        "threshold": threshold,
        "fill_by_priority": _fill(base, scen, fb, fs, prio),
        "fill_by_class": _fill(base, scen, fb, fs, classes),
        "coverage_by_week": {"weeks": list(range(scen.weeks)), "baseline": [round(c, 6) for c in cov_b],
                             "scenario": [round(c, 6) for c in cov_s]},
        "requirements_losing": losing,
        "backfill": backfill,
        "single_points_of_failure": spof,
    }
