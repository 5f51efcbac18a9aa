"""What a coordinator reviews before approving a plan, computed from the run's stored instance and plans.

Plain data in, plain data out: fill by priority against greedy, per-requirement fills, per-pledge use, and
hub load per week against capacity (with the geometry of its SVG column chart).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

PRIORITY_LABELS = {1: "P1 critical", 2: "P2 high", 3: "P3 medium", 4: "P4 low"}


@dataclass(frozen=True)
class PriorityFill:
    """How much of a priority's value a plan fills.

    Each requirement is worth its priority value when filled completely, whatever its unit count, so the
    share is the mean over the priority's requirements of the fraction filled (lateness not counted).
    Units are shown beside it for reference.
    """

    priority: int
    label: str
    requirements: int
    demand: int
    planned: int
    greedy: int
    planned_share: float
    greedy_share: float

    @property
    def planned_percent(self) -> float:
        return 100 * self.planned_share

    @property
    def greedy_percent(self) -> float:
        return 100 * self.greedy_share


@dataclass(frozen=True)
class RequirementFill:
    id: str
    pk: int
    item: str
    priority: int
    due_week: int
    destination: str
    quantity: int
    fixed: int
    planned: int
    greedy: int
    latest_arrival: int | None

    @property
    def percent(self) -> float:
        return 100 * (self.fixed + self.planned) / self.quantity if self.quantity else 0.0

    @property
    def late(self) -> bool:
        return self.latest_arrival is not None and self.latest_arrival > self.due_week


@dataclass(frozen=True)
class PledgeUse:
    id: str
    pk: int
    donor: str
    item: str
    quantity: int
    used: int
    greedy: int

    @property
    def percent(self) -> float:
        return 100 * self.used / self.quantity if self.quantity else 0.0


@dataclass(frozen=True)
class Column:
    week: int
    load: float
    greedy: float
    x: float
    y: float
    height: float
    greedy_y: float
    over: bool


@dataclass(frozen=True)
class HubLoad:
    hub: str
    capacity: float
    columns: tuple[Column, ...]
    width: int
    height: int
    capacity_y: float
    column_width: float
    peak: float

    @property
    def utilisation(self) -> float:
        total_capacity = self.capacity * len(self.columns)
        return 100 * sum(c.load for c in self.columns) / total_capacity if total_capacity else 0.0


def _flows(plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((plan or {}).get("flows", []))


def _sum_by(flows: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for f in flows:
        out[f[key]] += int(f["quantity"])
    return out


def priority_fill(instance: dict[str, Any], plan: dict[str, Any] | None,
                  greedy: dict[str, Any] | None) -> list[PriorityFill]:
    planned = _sum_by(_flows(plan), "requirement")
    by_greedy = _sum_by(_flows(greedy), "requirement")
    rows = []
    for priority, label in PRIORITY_LABELS.items():
        reqs = [r for r in instance.get("requirements", []) if int(r["priority"]) == priority]
        n = len(reqs)
        rows.append(PriorityFill(
            priority, label, n, sum(r["quantity"] for r in reqs),
            sum(min(planned[r["id"]], r["quantity"]) for r in reqs),
            sum(min(by_greedy[r["id"]], r["quantity"]) for r in reqs),
            sum(min(planned[r["id"]], r["quantity"]) / r["quantity"] for r in reqs) / n if n else 0.0,
            sum(min(by_greedy[r["id"]], r["quantity"]) / r["quantity"] for r in reqs) / n if n else 0.0,
        ))
    return rows


def requirement_fills(instance: dict[str, Any], plan: dict[str, Any] | None,
                      greedy: dict[str, Any] | None) -> list[RequirementFill]:
    fixed = _sum_by(list(instance.get("fixed_flows", [])), "requirement")
    planned = _sum_by(_flows(plan), "requirement")
    by_greedy = _sum_by(_flows(greedy), "requirement")
    lead_out = instance.get("lead_out_weeks", {})
    arrival: dict[str, int] = {}
    for f in _flows(plan):
        dest = next((r["destination"] for r in instance["requirements"] if r["id"] == f["requirement"]), None)
        weeks = lead_out.get(f["hub"], {}).get(dest, 0)
        arrival[f["requirement"]] = max(arrival.get(f["requirement"], -1), f["dispatch_week"] + weeks)
    rows = [
        RequirementFill(
            r["id"], int(r["id"][1:]), r["item"], int(r["priority"]), int(r["due_week"]), r["destination"],
            int(r["quantity"]), fixed[r["id"]], planned[r["id"]] - fixed[r["id"]], by_greedy[r["id"]] - fixed[r["id"]],
            arrival.get(r["id"]),
        )
        for r in instance.get("requirements", [])
    ]
    return sorted(rows, key=lambda r: (r.priority, r.due_week, r.pk))


def pledge_uses(instance: dict[str, Any], plan: dict[str, Any] | None,
                greedy: dict[str, Any] | None, donor_names: dict[str, str]) -> list[PledgeUse]:
    used = _sum_by(_flows(plan), "pledge")
    by_greedy = _sum_by(_flows(greedy), "pledge")
    return [
        PledgeUse(p["id"], int(p["id"][1:]), donor_names.get(p["donor"], p["donor"]), p["item"],
                  int(p["quantity"]), used[p["id"]], by_greedy[p["id"]])
        for p in instance.get("pledges", [])
    ]


def hub_loads(instance: dict[str, Any], plan: dict[str, Any] | None, greedy: dict[str, Any] | None,
              *, width: int = 640, height: int = 140) -> list[HubLoad]:
    weight = {i["id"]: float(i["weight_t"]) for i in instance.get("items", [])}
    item_of = {p["id"]: p["item"] for p in instance.get("pledges", [])}
    weeks = int(instance.get("weeks", 0))

    def loads(flows: list[dict[str, Any]]) -> dict[tuple[str, int], float]:
        out: dict[tuple[str, int], float] = defaultdict(float)
        for f in flows:
            out[(f["hub"], int(f["dispatch_week"]))] += int(f["quantity"]) * weight.get(item_of.get(f["pledge"], ""), 0)
        return out

    planned, by_greedy = loads(_flows(plan)), loads(_flows(greedy))
    charts = []
    for hub in instance.get("hubs", []):
        cap = float(hub["capacity_t_per_week"])
        series = [planned[(hub["id"], w)] for w in range(weeks)]
        greedy_series = [by_greedy[(hub["id"], w)] for w in range(weeks)]
        top = max([cap, *series, *greedy_series, 1e-9])
        col_w = width / max(weeks, 1)
        scale = (height - 4) / top
        columns = tuple(
            Column(w, round(series[w], 3), round(greedy_series[w], 3), round(w * col_w + 1, 2),
                   round(height - series[w] * scale, 2), round(series[w] * scale, 2),
                   round(height - greedy_series[w] * scale, 2), series[w] > cap + 1e-6)
            for w in range(weeks)
        )
        charts.append(HubLoad(hub["id"], cap, columns, width, height, round(height - cap * scale, 2),
                              round(max(col_w - 2, 1), 2), round(max(series, default=0.0), 3)))
    return charts
