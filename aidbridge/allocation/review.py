"""What a coordinator reviews before approving a plan, computed from the run's stored instance and plans.

Plain data in, plain data out: fill by priority against greedy, per-requirement fills, per-pledge use, and
hub load per week against capacity (with the geometry of its SVG column chart, axes included).

The objective is counted in *priority points*: a requirement filled completely and on time earns its
priority's value (P1 1,000, P2 100, P3 10, P4 1 point), whatever its unit count; a partial fill earns the
same share of it, and every week late takes a tenth off. A small transport cost per tonne is subtracted to
break ties between hubs. Fill by priority uses the same points (before that transport cost).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidbridge.allocation.instance import key_pk

# Lazy labels, translated where the page renders them; typed as the str they render as.
PRIORITY_LABELS = cast(dict[int, str], {1: gettext_lazy("P1 critical"), 2: gettext_lazy("P2 high"),
                                        3: gettext_lazy("P3 medium"), 4: gettext_lazy("P4 low")})


@dataclass(frozen=True)
class PriorityFill:
    """The priority points a plan earns in one priority, the measure the objective uses.

    Each requirement is worth its priority value when filled completely and on time, whatever its unit
    count; a partial fill earns that share of it, and lateness takes ``lateness_decay_per_week`` off per
    week late. ``possible`` is what filling every requirement of the priority on time would earn. Units are
    shown beside it for reference.
    """

    priority: int
    label: str
    requirements: int
    value: float
    demand: int
    planned: int
    greedy: int
    planned_points: float
    greedy_points: float

    @property
    def possible(self) -> float:
        return self.value * self.requirements

    @property
    def planned_share(self) -> float:
        return self.planned_points / self.possible if self.possible else 0.0

    @property
    def greedy_share(self) -> float:
        return self.greedy_points / self.possible if self.possible else 0.0

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
    label: str  # the Monday the week starts, "9 Mar 2026", or "week 3" without a start date
    load: float
    greedy: float
    x: float
    y: float
    height: float
    greedy_y: float
    over: bool
    centre: float = 0.0  # x of the column's middle, where the greedy dot sits


@dataclass(frozen=True)
class Tick:
    """A label on an axis: ``at`` is its y (tonnes axis) or x (week axis) in the chart's coordinates."""

    at: float
    label: str


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
    left: float = 0.0  # the plot area inside the chart: tonnes labels to its left, week labels below it
    right: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    tonne_ticks: tuple[Tick, ...] = ()
    week_ticks: tuple[Tick, ...] = ()

    @property
    def utilisation(self) -> float:
        total_capacity = self.capacity * len(self.columns)
        return 100 * sum(c.load for c in self.columns) / total_capacity if total_capacity else 0.0

    @property
    def tick_x(self) -> float:
        return self.left - 4

    @property
    def tonne_label_x(self) -> float:
        return self.left - 6

    @property
    def week_label_y(self) -> float:
        return self.bottom + 13

    @property
    def week_title_y(self) -> float:
        return self.height - 3

    @property
    def axis_title_y(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def week_title_x(self) -> float:
        return (self.left + self.right) / 2


def _flows(plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((plan or {}).get("flows", []))


def _sum_by(flows: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for f in flows:
        out[f[key]] += int(f["quantity"])
    return out


def _points(instance: dict[str, Any], flows: list[dict[str, Any]]) -> dict[str, float]:
    """Priority points per requirement id, as the objective counts them (before the transport cost)."""
    reqs = {r["id"]: r for r in instance.get("requirements", [])}
    values = {str(k): float(v) for k, v in instance.get("priority_value", {}).items()}
    decay_rate = float(instance.get("lateness_decay_per_week", 0.0))
    lead_out = instance.get("lead_out_weeks", {})
    out: dict[str, float] = defaultdict(float)
    for f in flows:
        r = reqs.get(f["requirement"])
        if r is None or not r["quantity"]:
            continue
        arrival = int(f["dispatch_week"]) + int(lead_out.get(f["hub"], {}).get(r["destination"], 0))
        decay = max(0.0, 1.0 - decay_rate * max(0, arrival - int(r["due_week"])))
        out[r["id"]] += int(f["quantity"]) * values.get(str(r["priority"]), 0.0) / int(r["quantity"]) * decay
    return out


def priority_fill(instance: dict[str, Any], plan: dict[str, Any] | None,
                  greedy: dict[str, Any] | None) -> list[PriorityFill]:
    planned = _sum_by(_flows(plan), "requirement")
    by_greedy = _sum_by(_flows(greedy), "requirement")
    planned_points, greedy_points = _points(instance, _flows(plan)), _points(instance, _flows(greedy))
    values = {str(k): float(v) for k, v in instance.get("priority_value", {}).items()}
    rows = []
    by_priority: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in instance.get("requirements", []):
        by_priority[int(r["priority"])].append(r)
    for priority, label in PRIORITY_LABELS.items():
        reqs = by_priority[priority]
        rows.append(PriorityFill(
            priority, label, len(reqs), values.get(str(priority), 0.0), sum(r["quantity"] for r in reqs),
            sum(min(planned[r["id"]], r["quantity"]) for r in reqs),
            sum(min(by_greedy[r["id"]], r["quantity"]) for r in reqs),
            sum(planned_points[r["id"]] for r in reqs), sum(greedy_points[r["id"]] for r in reqs),
        ))
    return rows


def requirement_fills(instance: dict[str, Any], plan: dict[str, Any] | None,
                      greedy: dict[str, Any] | None) -> list[RequirementFill]:
    fixed = _sum_by(list(instance.get("fixed_flows", [])), "requirement")
    planned = _sum_by(_flows(plan), "requirement")
    by_greedy = _sum_by(_flows(greedy), "requirement")
    lead_out = instance.get("lead_out_weeks", {})
    destination = {r["id"]: r["destination"] for r in instance.get("requirements", [])}  # indexed once
    arrival: dict[str, int] = {}
    for f in _flows(plan):
        weeks = lead_out.get(f["hub"], {}).get(destination.get(f["requirement"]), 0)
        arrival[f["requirement"]] = max(arrival.get(f["requirement"], -1), f["dispatch_week"] + weeks)
    rows = [
        RequirementFill(
            r["id"], key_pk(r["id"]), r["item"], int(r["priority"]), int(r["due_week"]), r["destination"],
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
        PledgeUse(p["id"], key_pk(p["id"]), donor_names.get(p["donor"], p["donor"]), p["item"],
                  int(p["quantity"]), used[p["id"]], by_greedy[p["id"]])
        for p in instance.get("pledges", [])
    ]


def _tonne_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 × a power of ten) giving at most ``ticks`` steps up to ``top``."""
    raw = max(top, 1e-9) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw - 1e-12)


def _tonnes_label(value: float) -> str:
    return f"{value:,.0f} t" if value >= 10 or value == int(value) else f"{value:g} t"


def _week_label(start: dt.date | None, week: int) -> str:
    if start is None:
        return _("week %(week)s") % {"week": week}
    day = start + dt.timedelta(weeks=week)
    return date_format(day, "j M Y")


def _short_week_label(start: dt.date | None, week: int) -> str:
    if start is None:
        return f"W{week}"
    day = start + dt.timedelta(weeks=week)
    return date_format(day, "j M")


def hub_loads(instance: dict[str, Any], plan: dict[str, Any] | None, greedy: dict[str, Any] | None,
              *, width: int = 640, height: int = 180) -> list[HubLoad]:
    """One column chart per hub: tonnes dispatched each week (plan bars, greedy dots) against capacity.

    The plot leaves room on the left for the tonnes axis and below for the week axis, labelled with the
    Monday each dispatch week starts (every few weeks on long horizons).
    """
    weight = {i["id"]: float(i["weight_t"]) for i in instance.get("items", [])}
    item_of = {p["id"]: p["item"] for p in instance.get("pledges", [])}
    weeks = int(instance.get("weeks", 0))
    start = dt.date.fromisoformat(instance["start_date"]) if instance.get("start_date") else None
    left, right, top, bottom = 62.0, float(width - 6), 8.0, float(height - 36)

    def loads(flows: list[dict[str, Any]]) -> dict[tuple[str, int], float]:
        out: dict[tuple[str, int], float] = defaultdict(float)
        for f in flows:
            out[(f["hub"], int(f["dispatch_week"]))] += int(f["quantity"]) * weight.get(item_of.get(f["pledge"], ""), 0)
        return out

    planned, by_greedy = loads(_flows(plan)), loads(_flows(greedy))
    col_w = (right - left) / max(weeks, 1)
    every = max(1, math.ceil(weeks / 10))
    week_ticks = tuple(Tick(round(left + (w + 0.5) * col_w, 2), _short_week_label(start, w))
                       for w in range(0, weeks, every))
    charts = []
    for hub in instance.get("hubs", []):
        cap = float(hub["capacity_t_per_week"])
        series = [planned[(hub["id"], w)] for w in range(weeks)]
        greedy_series = [by_greedy[(hub["id"], w)] for w in range(weeks)]
        peak = max([cap, *series, *greedy_series, 1e-9])
        step = _tonne_step(peak)
        axis_top = step * math.ceil(peak / step - 1e-9)
        scale = (bottom - top) / axis_top

        def y(tonnes: float, scale: float = scale) -> float:
            return round(bottom - tonnes * scale, 2)

        columns = tuple(
            Column(w, _week_label(start, w), round(series[w], 3), round(greedy_series[w], 3),
                   round(left + w * col_w + 1, 2), y(series[w]), round(series[w] * scale, 2), y(greedy_series[w]),
                   series[w] > cap + 1e-6, round(left + (w + 0.5) * col_w, 2))
            for w in range(weeks)
        )
        tonne_ticks = tuple(Tick(y(k * step), _tonnes_label(k * step)) for k in range(int(round(axis_top / step)) + 1))
        charts.append(HubLoad(hub["id"], cap, columns, width, height, y(cap), round(max(col_w - 2, 1), 2),
                              round(max(series, default=0.0), 3), left, right, top, bottom, tonne_ticks,
                              week_ticks))
    return charts


@dataclass(frozen=True)
class Overload:
    """A hub-week whose existing allocations already exceed its capacity; the run planned around it."""

    hub: str
    week: int
    label: str
    load_t: float
    capacity_t: float


def overloaded(instance: dict[str, Any], plan: dict[str, Any] | None) -> list[Overload]:
    """The plan's ``stats["overloaded"]`` hub-weeks, with the Monday each week starts."""
    start = dt.date.fromisoformat(instance["start_date"]) if instance.get("start_date") else None
    rows = ((plan or {}).get("stats") or {}).get("overloaded") or []
    return [Overload(str(r["hub"]), int(r["week"]), _week_label(start, int(r["week"])), float(r["load_t"]),
                     float(r["capacity_t"])) for r in rows]


def fallback(plan: dict[str, Any] | None) -> str:
    """The reason the optimal method failed and the greedy plan stands in; empty when it did not."""
    return str(((plan or {}).get("stats") or {}).get("fallback") or "")
