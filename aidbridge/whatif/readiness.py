"""Capability readiness in a scenario, against the baseline (docs/whatif.md, "Readiness").

A scenario changes readiness two ways:

- **equipment**: each requirement's planned arrival is that of its plan, baseline or scenario: the arrival of
  the last unit when the plan fills what is left of the requirement, none when it does not (the equipment
  will not all arrive within the horizon). A requirement with nothing left to plan keeps its planned arrival
  from the database.
- **crews**: a donor that withdraws takes its course seats with it: seats planned on its courses no longer
  count (trainees who completed its courses still do).

Both sides go through :func:`aidbridge.training.readiness.assess`, the rules the readiness pages use.
Like the instance, this reads the database unscoped: only coordinators and auditors see scenario results.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any

from aidbridge.allocation.solver import Instance
from aidbridge.requirements.models import Requirement
from aidbridge.training.instance import arrival_for
from aidbridge.training.models import TrainingRequest
from aidbridge.training.readiness import STATUSES, Capability, Readiness, assess, capabilities


def planned_arrivals(inst: Instance, flows: Iterable[Mapping[str, Any]], start: dt.date) -> dict[str, dt.date | None]:
    """Requirement id (``REQ-…``) → the arrival of its last planned unit when the flows fill it, else None."""
    units: dict[str, int] = defaultdict(int)
    last: dict[str, int] = {}
    for f in flows:
        r = inst.requirement_by_id[f["requirement"]]
        week = f["dispatch_week"] + inst.lead_out_weeks[f["hub"]][r.destination]
        units[r.id] += int(f["quantity"])
        last[r.id] = max(last.get(r.id, week), week)
    return {r.id: (arrival_for(start, last[r.id]) if units[r.id] >= r.quantity and r.id in last else None)
            for r in inst.requirements}


def _with_arrivals(caps: list[Capability], arrivals: Mapping[str, dt.date | None]) -> list[Capability]:
    return [replace(c, planned_arrival=arrivals[c.key]) if c.key in arrivals else c for c in caps]


def _counts(rows: list[Readiness]) -> dict[str, int]:
    counts = Counter(r.status for r in rows)
    return {s: counts.get(s, 0) for s in STATUSES}


def _day(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def compare(*, inst: Instance, start: dt.date, base_flows: Iterable[Mapping[str, Any]],
            scen_inst: Instance, scen_flows: Iterable[Mapping[str, Any]],
            withdrawn: Collection[str]) -> dict[str, Any]:
    """The ``readiness`` part of a run's result: counts by status, baseline against scenario, and the capabilities
    whose status or ready date changes."""
    req_qs, request_qs = Requirement.objects.all(), TrainingRequest.objects.all()
    base_caps = capabilities(req_qs, request_qs)
    donors = {int(d) for d in withdrawn if str(d).isdigit()}  # the instance names donors by organisation id
    scen_caps = capabilities(req_qs, request_qs, without_providers=donors) if donors else base_caps
    base_rows, base_pkgs = assess(_with_arrivals(base_caps, planned_arrivals(inst, base_flows, start)))
    scen_rows, scen_pkgs = assess(_with_arrivals(scen_caps, planned_arrivals(scen_inst, scen_flows, start)))
    changed = []
    for b, s in zip(base_rows, scen_rows, strict=True):
        if (b.status, b.ready_date, b.crews_planned) != (s.status, s.ready_date, s.crews_planned):
            changed.append({"key": b.key, "label": b.label, "priority": b.priority, "package": b.package,
                            "baseline": b.status, "scenario": s.status,
                            "baseline_ready": _day(b.ready_date), "scenario_ready": _day(s.ready_date),
                            "crews_planned_baseline": b.crews_planned, "crews_planned_scenario": s.crews_planned,
                            "crews_needed": b.crews_needed})
    seats_lost = sum(b.crews_planned - s.crews_planned for b, s in zip(base_rows, scen_rows, strict=True))
    return {"baseline": _counts(base_rows), "scenario": _counts(scen_rows),
            "packages_baseline": _counts(base_pkgs), "packages_scenario": _counts(scen_pkgs),
            "crews_lost": max(0, seats_lost), "changed": changed}
