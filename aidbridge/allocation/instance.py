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

from django.db.models import Q

from aidbridge.allocation.models import AllocationLine
from aidbridge.catalogue.models import Item
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
    """The docs/allocation.md instance (as a dict) for the database's current inputs.

    Linear in the data: each table is read once, as column tuples (no model instances), filtered by joins
    rather than by lists of ids, and every lookup afterwards is a dict or set held once.
    """
    start = monday(start_date)
    hubs = list(Hub.objects.filter(active=True).order_by("code").values_list("pk", "code", "capacity_t_per_week"))
    hub_codes = {pk: code for pk, code, _ in hubs}
    lead_in: dict[str, dict[str, int]] = defaultdict(dict)
    cost_in: dict[str, dict[str, float]] = defaultdict(dict)
    for origin, hub_id, lead, cost in (InboundLeadTime.objects.filter(hub__active=True)
                                       .order_by("origin_country", "hub__code")
                                       .values_list("origin_country", "hub_id", "weeks", "cost_per_t")):
        lead_in[origin][hub_codes[hub_id]] = lead
        if cost:
            cost_in[origin][hub_codes[hub_id]] = float(cost)
    lead_out: dict[str, dict[str, int]] = defaultdict(dict)
    for hub_id, unlocode, lead in (OutboundLeadTime.objects.filter(hub__active=True).order_by("pk")
                                   .values_list("hub_id", "destination__unlocode", "weeks")):
        lead_out[hub_codes[hub_id]][unlocode.replace(" ", "-")] = lead

    validated = Q(requirement__status=Requirement.Status.VALIDATED)
    plannable = Q(pledge__status__in=PLANNABLE_PLEDGE_STATUSES)
    # pk, item, quantity, priority, due date, destination, package
    requirements = list(
        Requirement.objects.filter(status=Requirement.Status.VALIDATED).order_by("pk")
        .values_list("pk", "item_id", "quantity", "priority", "due_date", "destination__unlocode", "package")
    )
    # pk, donor, origin, item, quantity, available from
    pledges = list(
        Pledge.objects.filter(status__in=PLANNABLE_PLEDGE_STATUSES).order_by("pk")
        .values_list("pk", "donor_id", "origin_country", "item_id", "quantity", "available_from")
    )
    req_dest = {r[0]: r[5].replace(" ", "-") for r in requirements}
    pledge_by_pk = {p[0]: p for p in pledges}
    pledge_qty = {p[0]: p[4] for p in pledges}
    req_qty = {r[0]: r[2] for r in requirements}
    fixed: list[tuple[int, dict[str, Any]]] = []

    lines = (AllocationLine.objects.filter(plannable).order_by("pk")
             .values_list("pk", "pledge_id", "requirement_id", "hub_id", "dispatch_week", "quantity",
                          "in_transit_quantity", "delivered_quantity", "lost_quantity"))
    for pk, pledge_id, requirement_id, hub_id, dispatch_week, quantity, moving, delivered, lost in lines.iterator():
        pledge = pledge_by_pk[pledge_id]
        dest = req_dest.get(requirement_id)
        flow = None
        if dest is not None and not (moving or delivered or lost):
            flow = _as_fixed_flow(pledge, requirement_id, dest, hub_id, dispatch_week, quantity, start, weeks,
                                  hub_codes, lead_in, lead_out)
        if flow is not None:
            fixed.append((pk, flow))
        else:
            pledge_qty[pledge_id] -= quantity
            if dest is not None:
                req_qty[requirement_id] -= quantity
    # Requirements filled by pledges no longer plannable (delivered, withdrawn) are netted off too.
    for requirement_id, quantity in (AllocationLine.objects.filter(validated).exclude(plannable).order_by()
                                     .values_list("requirement_id", "quantity").iterator()):
        req_qty[requirement_id] -= quantity

    used_items: set[int] = set()
    instance_pledges: list[dict[str, Any]] = []
    for pk, donor_id, origin, item_id, _quantity, available_from in pledges:
        if pledge_qty[pk] <= 0 or origin not in lead_in:
            continue
        used_items.add(item_id)
        instance_pledges.append({
            "id": pledge_key(pk), "donor": str(donor_id), "origin": origin, "item": item_id,
            "quantity": pledge_qty[pk], "available_week": max(0, week_of(available_from, start)),
        })
    destinations = {d for table in lead_out.values() for d in table}
    instance_requirements: list[dict[str, Any]] = []
    packages: dict[str, list[str]] = defaultdict(list)
    for pk, item_id, _quantity, priority, due_date, _unlocode, package in requirements:
        dest = req_dest[pk]
        if req_qty[pk] <= 0 or dest not in destinations:
            continue
        used_items.add(item_id)
        instance_requirements.append({
            "id": requirement_key(pk), "item": item_id, "quantity": req_qty[pk],
            # Overdue requirements are planned as due now: the earliest delivery is what matters for them.
            "priority": int(priority), "due_week": max(0, week_of(due_date, start)), "destination": dest,
        })
        if package:
            packages[package].append(requirement_key(pk))
    items = {pk: (code, weight) for pk, code, weight in
             Item.objects.filter(pk__in=used_items).values_list("pk", "code", "weight_t")}
    for row in (*instance_pledges, *instance_requirements):
        row["item"] = items[row["item"]][0]
    reachable_hubs = {h for table in lead_in.values() for h in table} & set(lead_out)
    kept_hubs = [(pk, code, capacity) for pk, code, capacity in hubs if code in reachable_hubs]
    kept = {code for _, code, _ in kept_hubs}
    planned_pledges = {p["id"] for p in instance_pledges}
    planned_requirements = {r["id"] for r in instance_requirements}
    fixed_flows, fixed_lines = [], set()
    for line_pk, f in fixed:
        if f["pledge"] in planned_pledges and f["requirement"] in planned_requirements:
            fixed_flows.append(f)
            fixed_lines.add(line_pk)
    # Every other allocation line dispatching through a hub in the horizon (goods already moving, pledges
    # delivered or no longer plannable) still takes that hub-week's capacity, as the allocate service counts it.
    reserved: dict[str, dict[str, float]] = defaultdict(dict)
    others = (AllocationLine.objects.filter(hub_id__in=[pk for pk, _, _ in kept_hubs], dispatch_week__gte=start,
                                            dispatch_week__lt=week_start(start, weeks))
              .values_list("pk", "hub_id", "dispatch_week", "quantity", "pledge__item__weight_t").order_by("pk"))
    for pk, hub_id, dispatch_week, quantity, weight_t in others.iterator():
        if pk in fixed_lines or dispatch_week is None:
            continue
        by_week = reserved[hub_codes[hub_id]]
        key = str(week_of(dispatch_week, start))
        by_week[key] = round(by_week.get(key, 0.0) + float(quantity * weight_t), 6)
    return {
        "schema": "aidbridge.allocation-instance/1",
        "weeks": weeks,
        "start_date": start.isoformat(),
        "items": [{"id": code, "weight_t": float(weight)} for code, weight in sorted(items.values())],
        "hubs": [{"id": code, "capacity_t_per_week": float(capacity)} for _, code, capacity in kept_hubs],
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
    pledge: tuple[Any, ...], requirement_id: int, dest: str, hub_id: int, dispatch_week: dt.date | None,
    quantity: int, start: dt.date, weeks: int, hub_codes: dict[int, str], lead_in: dict[str, dict[str, int]],
    lead_out: dict[str, dict[str, int]],
) -> dict[str, Any] | None:
    """An approved line not yet moving, as a fixed flow of the instance; ``None`` when it cannot be one."""
    pledge_pk, _donor, origin, _item, _quantity, available_from = pledge
    hub = hub_codes.get(hub_id)
    if dispatch_week is None or hub is None or hub not in lead_in.get(origin, {}) or dest not in lead_out.get(hub, {}):
        return None
    ship = max(0, week_of(available_from, start))
    dispatch = week_of(dispatch_week, start)
    if dispatch < 0 or ship + lead_in[origin][hub] > dispatch:
        return None
    if dispatch + lead_out[hub][dest] > weeks - 1:
        return None
    return {"pledge": pledge_key(pledge_pk), "requirement": requirement_key(requirement_id), "hub": hub,
            "ship_week": ship, "dispatch_week": dispatch, "quantity": quantity}


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


