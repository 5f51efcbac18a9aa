"""Build a solver instance from the database, and fingerprint it so a stale plan can be recognised.

Week 0 is the Monday of the run's start date. Inputs:

- validated requirements (full quantity; units already allocated become fixed flows or are netted off),
- committed, allocated and shipped pledges with units not yet allocated,
- active hubs with their weekly capacity, and the inbound/outbound lead-time tables,
- existing allocation lines: approved or shipped allocations are fixed inputs. A line that can still be
  expressed in the horizon (its dispatch week is ahead and reachable) is passed as a fixed flow, so it keeps
  using hub capacity; a line whose goods are already moving, or whose week has passed, is netted off the
  pledge and the requirement instead (the requirement's remainder is then planned as a requirement of
  that size).
- requirements already overdue are planned as due in week 0 (as soon as possible).
- every other allocation line that dispatches through a hub within the horizon (its goods already moving, or
  its pledge delivered or no longer plannable) still takes capacity there: its tonnes go in ``reserved_t``.

Pledges and requirements are named by their references (``PLG-00431``, ``REQ-00031``); :func:`key_pk` maps
an id back to the database id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from typing import Any

from aidbridge.allocation.models import AllocationLine
from aidbridge.locations.models import Hub, InboundLeadTime, OutboundLeadTime
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement

PRIORITY_VALUE = {"1": 1000, "2": 100, "3": 10, "4": 1}
LATENESS_DECAY_PER_WEEK = 0.1
PLANNABLE_PLEDGE_STATUSES = (Pledge.Status.COMMITTED, Pledge.Status.ALLOCATED, Pledge.Status.SHIPPED)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_of(day: dt.date, start: dt.date) -> int:
    return (day - start).days // 7


def week_start(start: dt.date, week: int) -> dt.date:
    return start + dt.timedelta(weeks=week)


def pledge_key(pk: int) -> str:
    """A pledge's id in the instance and plan: its reference, e.g. ``PLG-00431`` (as ``Pledge.reference``)."""
    return f"PLG-{pk:05d}"


def requirement_key(pk: int) -> str:
    """A requirement's id in the instance and plan: its reference, e.g. ``REQ-00031``."""
    return f"REQ-{pk:05d}"


def key_pk(key: str) -> int:
    """The database id behind an instance id: ``PLG-00431`` -> 431, ``REQ-00031`` -> 31. Plans stored before
    ids became references (``P431``, ``R31``) are read the same way."""
    match = re.fullmatch(r"(?:PLG-|REQ-|P|R)(\d+)", key)
    if match is None:
        raise ValueError(f"{key!r} is not a pledge or requirement reference")
    return int(match.group(1))


def build_instance(*, start_date: dt.date, weeks: int = 26) -> dict[str, Any]:
    """The docs/allocation.md instance (as a dict) for the database's current inputs."""
    start = monday(start_date)
    hubs = list(Hub.objects.filter(active=True).order_by("code"))
    hub_codes = {h.pk: h.code for h in hubs}
    lead_in: dict[str, dict[str, int]] = defaultdict(dict)
    cost_in: dict[str, dict[str, float]] = defaultdict(dict)
    for row in InboundLeadTime.objects.filter(hub__in=hubs).order_by("origin_country", "hub__code"):
        lead_in[row.origin_country][hub_codes[row.hub_id]] = row.weeks
        if row.cost_per_t:
            cost_in[row.origin_country][hub_codes[row.hub_id]] = float(row.cost_per_t)
    lead_out: dict[str, dict[str, int]] = defaultdict(dict)
    for out in OutboundLeadTime.objects.filter(hub__in=hubs).select_related("destination").order_by("pk"):
        lead_out[hub_codes[out.hub_id]][out.destination.unlocode.replace(" ", "-")] = out.weeks

    requirements = list(
        Requirement.objects.filter(status=Requirement.Status.VALIDATED).select_related("item", "destination")
        .order_by("pk")
    )
    pledges = list(
        Pledge.objects.filter(status__in=PLANNABLE_PLEDGE_STATUSES).select_related("item").order_by("pk")
    )
    req_by_pk = {r.pk: r for r in requirements}
    pledge_by_pk = {p.pk: p for p in pledges}
    pledge_qty = {p.pk: p.quantity for p in pledges}
    req_qty = {r.pk: r.quantity for r in requirements}
    fixed: list[dict[str, Any]] = []
    fixed_pledges: dict[int, int] = defaultdict(int)
    fixed_reqs: dict[int, int] = defaultdict(int)

    lines = AllocationLine.objects.filter(pledge__in=pledges).order_by("pk")
    for line in lines:
        pledge = pledge_by_pk[line.pledge_id]
        requirement = req_by_pk.get(line.requirement_id)
        flow = _as_fixed_flow(line, pledge, requirement, start, weeks, hub_codes, lead_in, lead_out)
        if flow is not None and requirement is not None:
            flow["line"] = line.pk
            fixed.append(flow)
            fixed_pledges[pledge.pk] += line.quantity
            fixed_reqs[requirement.pk] += line.quantity
        else:
            pledge_qty[pledge.pk] -= line.quantity
            if requirement is not None:
                req_qty[requirement.pk] -= line.quantity
    # Requirements filled by pledges no longer plannable (delivered, withdrawn) are netted off too.
    for line in AllocationLine.objects.filter(requirement__in=requirements).exclude(pledge__in=pledges):
        req_qty[line.requirement_id] -= line.quantity

    used_items: set[int] = set()
    instance_pledges = []
    for p in pledges:
        if pledge_qty[p.pk] <= 0 or p.origin_country not in lead_in:
            continue
        used_items.add(p.item_id)
        instance_pledges.append({
            "id": pledge_key(p.pk), "donor": str(p.donor_id), "origin": p.origin_country, "item": p.item.code,
            "quantity": pledge_qty[p.pk], "available_week": max(0, week_of(p.available_from, start)),
        })
    destinations = {d for table in lead_out.values() for d in table}
    instance_requirements = []
    packages: dict[str, list[str]] = defaultdict(list)
    for r in requirements:
        dest = r.destination.unlocode.replace(" ", "-")
        if req_qty[r.pk] <= 0 or dest not in destinations:
            continue
        used_items.add(r.item_id)
        instance_requirements.append({
            "id": requirement_key(r.pk), "item": r.item.code, "quantity": req_qty[r.pk],
            # Overdue requirements are planned as due now: the earliest delivery is what matters for them.
            "priority": int(r.priority), "due_week": max(0, week_of(r.due_date, start)), "destination": dest,
        })
        if r.package:
            packages[r.package].append(requirement_key(r.pk))
    items = {p.item for p in pledges if p.item_id in used_items} | {r.item for r in requirements
                                                                   if r.item_id in used_items}
    reachable_hubs = {h for table in lead_in.values() for h in table} & set(lead_out)
    kept_hubs = [h for h in hubs if h.code in reachable_hubs]
    kept = {h.code for h in kept_hubs}
    planned_pledges = {p["id"] for p in instance_pledges}
    planned_requirements = {r["id"] for r in instance_requirements}
    fixed_flows, fixed_lines = [], set()
    for f in fixed:
        line_pk = f.pop("line")
        if f["pledge"] in planned_pledges and f["requirement"] in planned_requirements:
            fixed_flows.append(f)
            fixed_lines.add(line_pk)
    # Every other allocation line dispatching through a hub in the horizon (goods already moving, pledges
    # delivered or no longer plannable) still takes that hub-week's capacity, as the allocate service counts it.
    reserved: dict[str, dict[str, float]] = defaultdict(dict)
    others = (AllocationLine.objects.filter(hub__in=kept_hubs, dispatch_week__gte=start,
                                            dispatch_week__lt=week_start(start, weeks))
              .exclude(pk__in=fixed_lines).values_list("hub_id", "dispatch_week", "quantity", "pledge__item__weight_t")
              .order_by("pk"))
    for hub_id, dispatch_week, quantity, weight_t in others:
        if dispatch_week is None:  # pragma: no cover - the filter on dispatch_week excludes lines without one
            continue
        by_week = reserved[hub_codes[hub_id]]
        key = str(week_of(dispatch_week, start))
        by_week[key] = round(by_week.get(key, 0.0) + float(quantity * weight_t), 6)
    return {
        "schema": "aidbridge.allocation-instance/1",
        "weeks": weeks,
        "start_date": start.isoformat(),
        "items": [{"id": i.code, "weight_t": float(i.weight_t)} for i in sorted(items, key=lambda i: i.code)],
        "hubs": [{"id": h.code, "capacity_t_per_week": float(h.capacity_t_per_week)} for h in kept_hubs],
        "lead_in_weeks": {o: {h: w for h, w in t.items() if h in kept} for o, t in sorted(lead_in.items())},
        "lead_out_weeks": {h: t for h, t in sorted(lead_out.items()) if h in kept},
        "cost_in_per_t": {o: {h: c for h, c in t.items() if h in kept} for o, t in sorted(cost_in.items())},
        "pledges": instance_pledges,
        "requirements": instance_requirements,
        "packages": [{"id": k, "requirements": v} for k, v in sorted(packages.items()) if len(v) > 1],
        "priority_value": PRIORITY_VALUE,
        "lateness_decay_per_week": LATENESS_DECAY_PER_WEEK,
        "fixed_flows": fixed_flows,
        "reserved_t": {h: dict(sorted(w.items(), key=lambda kv: int(kv[0]))) for h, w in sorted(reserved.items())},
    }


def _as_fixed_flow(
    line: AllocationLine, pledge: Pledge, requirement: Requirement | None, start: dt.date, weeks: int,
    hub_codes: dict[int, str], lead_in: dict[str, dict[str, int]], lead_out: dict[str, dict[str, int]],
) -> dict[str, Any] | None:
    if requirement is None or line.moved or line.dispatch_week is None:
        return None
    hub = hub_codes.get(line.hub_id)
    dest = requirement.destination.unlocode.replace(" ", "-")
    if hub is None or hub not in lead_in.get(pledge.origin_country, {}) or dest not in lead_out.get(hub, {}):
        return None
    ship = max(0, week_of(pledge.available_from, start))
    dispatch = week_of(line.dispatch_week, start)
    if dispatch < 0 or ship + lead_in[pledge.origin_country][hub] > dispatch:
        return None
    if dispatch + lead_out[hub][dest] > weeks - 1:
        return None
    return {"pledge": pledge_key(pledge.pk), "requirement": requirement_key(requirement.pk), "hub": hub,
            "ship_week": ship, "dispatch_week": dispatch, "quantity": line.quantity}


def fingerprint(instance: dict[str, Any]) -> str:
    """A digest of everything the plan depends on; any change to an input changes it."""
    text = json.dumps(instance, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_for_solver(instance: dict[str, Any]) -> dict[str, Any]:
    """Drop keys the solver's schema does not know (``start_date``) and empty optional tables."""
    data = {k: v for k, v in instance.items() if k != "start_date"}
    if not data.get("fixed_flows"):
        data.pop("fixed_flows", None)
    if not data.get("packages"):
        data.pop("packages", None)
    if not data.get("reserved_t"):
        data.pop("reserved_t", None)
    return data


