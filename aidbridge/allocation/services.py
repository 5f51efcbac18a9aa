"""Allocation lines: the one path that assigns pledge units to requirements and tracks their movement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aidbridge.accounts.principal import principal
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit import writes
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import Conflict, InvalidTransition, ServiceError
from aidbridge.locations.models import Hub, InboundLeadTime, OutboundLeadTime
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement


def _require_coordinator(actor: Any, message: str) -> None:
    p = principal(actor)
    core.require(p.is_coordinator_editor, message)


def _allocated(**filters: Any) -> int:
    return int(AllocationLine.objects.filter(**filters).aggregate(s=Sum("quantity"))["s"] or 0)


# Plans are checked in floating point; a hub-week the solver filled to the brim must not be refused here.
CAPACITY_TOLERANCE_T = Decimal("0.000001")


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _week(day: dt.date) -> str:
    return _("the week of %(day)s") % {"day": _day(day)}


def _day(day: dt.date) -> str:
    return date_format(day, "d M Y")


def hub_week_load_t(hub: Hub, week: dt.date) -> Decimal:
    """Tonnes already planned through ``hub`` in the dispatch week starting ``week`` (every allocation line)."""
    rows = AllocationLine.objects.filter(hub=hub, dispatch_week=week).values_list("quantity", "pledge__item__weight_t")
    return sum((Decimal(q) * Decimal(w) for q, w in rows), Decimal(0))


def _tonnes(value: Decimal) -> str:
    return _("%(tonnes)s t") % {"tonnes": number_format(value.quantize(Decimal("0.1")), 1, force_grouping=True)}


def _check_dispatch_week(pledge: Pledge, hub: Hub, week: dt.date, lead_weeks: int) -> None:
    """Refuse a week the goods cannot be at the hub in: before the pledge is available plus the lead time."""
    if week.weekday() != 0:
        raise ServiceError(_("%(day)s is a %(weekday)s; give the Monday of the dispatch week.")
                           % {"day": _day(week), "weekday": date_format(week, "l")}, field="dispatch_week")
    available = _monday(pledge.available_from)
    if week < available:
        raise ServiceError(
            _("%(reference)s is available from %(day)s; it cannot be dispatched from the hub in %(week)s.")
            % {"reference": pledge.reference, "day": _day(pledge.available_from), "week": _week(week)},
            field="dispatch_week")
    earliest = available + dt.timedelta(weeks=lead_weeks)
    if week < earliest:
        raise ServiceError(
            ngettext("Goods from %(origin)s take %(weeks)s week to reach hub %(hub)s, so %(reference)s can be "
                     "dispatched from %(earliest)s at the earliest, not %(week)s.",
                     "Goods from %(origin)s take %(weeks)s weeks to reach hub %(hub)s, so %(reference)s can be "
                     "dispatched from %(earliest)s at the earliest, not %(week)s.", lead_weeks)
            % {"origin": pledge.origin_country, "weeks": lead_weeks, "hub": hub.code, "reference": pledge.reference,
               "earliest": _week(earliest), "week": _week(week)}, field="dispatch_week")
    this_week = _monday(clock.today())
    if week < this_week:
        raise ServiceError(_("The week of %(day)s is in the past; the earliest dispatch week is %(week)s.")
                           % {"day": _day(week), "week": _week(this_week)}, field="dispatch_week")


def _check_capacity(
    hub: Hub, week: dt.date, tonnes: Decimal, override: bool, reason: str
) -> dict[str, Any] | None:
    """Refuse a line that would push the hub's dispatch week over capacity, unless overridden with a reason.

    Returns what the audit event records about an override, or ``None`` when the line fits.
    """
    load = hub_week_load_t(hub, week)
    capacity = Decimal(hub.capacity_t_per_week)
    if load + tonnes <= capacity + CAPACITY_TOLERANCE_T:
        return None
    if not override:
        raise Conflict(
            _("Hub %(hub)s can dispatch %(capacity)s in %(week)s; %(load)s are already planned and this "
              "allocation adds %(tonnes)s (%(total)s in all). Choose another week or hub, or override the capacity "
              "with a reason.")
            % {"hub": hub.code, "capacity": _tonnes(capacity), "week": _week(week), "load": _tonnes(load),
               "tonnes": _tonnes(tonnes), "total": _tonnes(load + tonnes)}, field="dispatch_week")
    if not reason:
        raise ServiceError(_("Give the reason for overriding the hub's weekly capacity."), field="override_reason")
    return {"capacity_override": True, "override_reason": reason, "capacity_t": round(float(capacity), 3),
            "load_before_t": round(float(load), 3), "load_after_t": round(float(load + tonnes), 3)}


@transaction.atomic
def allocate(
    *, actor: Any, pledge: Pledge, requirement: Requirement, hub: Hub, quantity: int, dispatch_week: Any = None,
    override_capacity: bool = False, override_reason: str = "",
) -> AllocationLine:
    """Assign ``quantity`` units of ``pledge`` to ``requirement`` through ``hub``.

    The hub row, then the pledge row, then the requirement row, are locked first (always in that order, the
    order ``approve_run`` uses too, so two coordinators cannot dead-lock), and the totals are re-read under
    the lock: no pledge is ever over-allocated, no requirement over-filled and no hub-week over capacity
    (unless a coordinator overrides it, with a reason the audit event records), however many approvals run
    at once.

    A dispatch week, when given, is a Monday no earlier than the week the pledge is available plus the
    inbound lead time from its origin to the hub, and not in the past. Without one the line is unscheduled
    and uses no week's capacity until it is planned.
    """
    _require_coordinator(actor, _("Only coordinator editors may allocate pledges."))
    override_reason = (override_reason or "").strip()
    hub = core.lock(hub)
    pledge = core.lock(pledge)
    requirement = core.lock(requirement)
    if quantity is None or int(quantity) < 1:
        raise ServiceError(_("Allocate at least one unit."), field="quantity")
    quantity = int(quantity)
    if pledge.status not in (Pledge.Status.COMMITTED, Pledge.Status.ALLOCATED, Pledge.Status.SHIPPED):
        raise InvalidTransition(
            _("%(reference)s is %(status)s; only committed pledges can be allocated.")
            % {"reference": pledge.reference, "status": pledge.get_status_display().lower()},
            field="pledge",
        )
    if requirement.status != Requirement.Status.VALIDATED:
        raise InvalidTransition(
            _("%(reference)s is %(status)s; only validated requirements can be filled.")
            % {"reference": requirement.reference, "status": requirement.get_status_display().lower()},
            field="requirement",
        )
    if pledge.item_id != requirement.item_id:
        raise ServiceError(
            _("%(pledge)s offers %(offered)s but %(requirement)s needs %(needed)s.")
            % {"pledge": pledge.reference, "offered": pledge.item.code, "requirement": requirement.reference,
               "needed": requirement.item.code},
            field="requirement",
        )
    if not hub.active:
        raise ServiceError(_("Hub %(hub)s is not active.") % {"hub": hub.code}, field="hub")
    inbound = InboundLeadTime.objects.filter(hub=hub, origin_country=pledge.origin_country).first()
    if inbound is None:
        raise ServiceError(_("Hub %(hub)s cannot be reached from %(origin)s.")
                           % {"hub": hub.code, "origin": pledge.origin_country}, field="hub")
    if not OutboundLeadTime.objects.filter(hub=hub, destination_id=requirement.destination_id).exists():
        raise ServiceError(_("Hub %(hub)s does not serve %(destination)s.")
                           % {"hub": hub.code, "destination": requirement.destination.unlocode}, field="hub")
    pledge_left = pledge.quantity - _allocated(pledge=pledge)
    if quantity > pledge_left:
        raise Conflict(_("%(reference)s has only %(units)s units left to allocate.")
                       % {"reference": pledge.reference, "units": pledge_left}, field="quantity")
    requirement_left = requirement.quantity - _allocated(requirement=requirement)
    if quantity > requirement_left:
        raise Conflict(_("%(reference)s needs only %(units)s more units.")
                       % {"reference": requirement.reference, "units": requirement_left}, field="quantity")
    override = None
    if dispatch_week is not None:
        _check_dispatch_week(pledge, hub, dispatch_week, inbound.weeks)
        override = _check_capacity(hub, dispatch_week, Decimal(quantity) * Decimal(pledge.item.weight_t),
                                   bool(override_capacity), override_reason)
    line = AllocationLine(
        pledge=pledge, requirement=requirement, hub=hub, quantity=quantity, dispatch_week=dispatch_week,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    line.save()
    record_event(actor=actor, action="allocation.create", obj=line, after={**snapshot(line), **(override or {})})
    if pledge.status == Pledge.Status.COMMITTED:
        writes.transition(actor=actor, obj=pledge, to=Pledge.Status.ALLOCATED, action="pledge.allocate")
    return line


def release_unmoved(*, actor: Any, lines: Any) -> None:
    """Give back allocated units that have not started moving; units already moving stay allocated.

    Used when a pledge is withdrawn or a requirement cancelled. Runs inside the caller's transaction.
    """
    for line in lines.select_for_update().order_by("pk"):
        if line.moved == line.quantity:
            continue
        before = snapshot(line)
        if line.moved == 0:
            record_event(actor=actor, action="allocation.release", obj=line, before=before)
            line.delete()
        else:
            line.quantity = line.moved
            line.save(update_fields=["quantity"])
            record_event(actor=actor, action="allocation.trim", obj=line, before=before, after=snapshot(line))


# --- consequences of withdrawals and cancellations (attached to the hooks in pledges and requirements) ---------

def lock_pledge_lines(*, pledge: Any) -> None:
    """``pledges.services.pledge_withdrawing``: lock the pledge's lines, in id order, before the pledge."""
    list(AllocationLine.objects.filter(pledge=pledge).select_for_update().order_by("pk").values_list("pk", flat=True))


def release_withdrawn_pledge(*, actor: Any, pledge: Any) -> None:
    """``pledges.services.pledge_withdrawn``: release what was promised from the pledge and is not moving."""
    release_unmoved(actor=actor, lines=AllocationLine.objects.filter(pledge=pledge))


def release_cancelled_requirement(*, actor: Any, requirement: Any) -> None:
    """``requirements.services.requirement_cancelled``: give the units promised to it back to their pledges."""
    release_unmoved(actor=actor, lines=AllocationLine.objects.filter(requirement=requirement))


@transaction.atomic
def release_allocation(*, actor: Any, line: AllocationLine) -> None:
    """Undo an allocation whose goods have not started moving."""
    _require_coordinator(actor, _("Only coordinator editors may release allocations."))
    line = core.lock(line)
    if line.moved:
        raise InvalidTransition(_("Goods on this allocation are already moving; it cannot be released."), field="line")
    pledge = line.pledge
    record_event(actor=actor, action="allocation.release", obj=line, before=snapshot(line))
    line.delete()
    if pledge.status == Pledge.Status.ALLOCATED and not AllocationLine.objects.filter(pledge=pledge).exists():
        writes.transition(actor=actor, obj=pledge, to=Pledge.Status.COMMITTED, action="pledge.unallocate")


def _require_direct(line: AllocationLine) -> None:
    # Once an allocation travels by shipment, its counters are driven by the shipment services alone, so that
    # ``aidbridge ledger verify`` can re-derive them from shipments and receipts.
    if line.shipment_lines.exclude(shipment__status="cancelled").exists():
        raise InvalidTransition(_("This allocation travels by shipment; record dispatches and receipts on its "
                                  "shipments."), field="line")


@transaction.atomic
def move_units(
    *, actor: Any, line: AllocationLine, dispatched: int = 0, delivered: int = 0, lost: int = 0, action: str
) -> AllocationLine:
    """Move units of an allocation along: dispatched from the donor, delivered good, or damaged/lost on the way.

    The one place that changes the movement counters and walks the pledge to “shipped” (first dispatch) and
    “delivered” (every allocated unit delivered or written off). Callers check the actor's rights. Locks the
    line, then the pledge, before writing any audit event, so that the lock order matches the other services.
    """
    line = core.lock(line)
    pledge = core.lock(line.pledge)
    if min(dispatched, delivered, lost) < 0 or not (dispatched or delivered or lost):
        raise ServiceError(_("Move at least one unit."), field="quantity")
    unmoved = line.quantity - line.moved
    if dispatched > unmoved:
        raise Conflict(_("Only %(units)s units of this allocation are still to be dispatched.") % {"units": unmoved},
                       field="quantity")
    if delivered + lost > line.in_transit_quantity + dispatched:
        raise Conflict(_("Only %(units)s units of this allocation are in transit.")
                       % {"units": line.in_transit_quantity + dispatched}, field="quantity")
    before = snapshot(line)
    line.in_transit_quantity += dispatched - delivered - lost
    line.delivered_quantity += delivered
    line.lost_quantity += lost
    line.save(update_fields=["in_transit_quantity", "delivered_quantity", "lost_quantity"])
    record_event(actor=actor, action=action, obj=line, before=before, after=snapshot(line))
    if dispatched and pledge.status == Pledge.Status.ALLOCATED:
        pledge = writes.transition(actor=actor, obj=pledge, to=Pledge.Status.SHIPPED, action="pledge.ship")
    if pledge.status == Pledge.Status.SHIPPED:
        totals = AllocationLine.objects.filter(pledge=pledge).aggregate(
            q=Sum("quantity"), done=Sum("delivered_quantity") + Sum("lost_quantity"))
        if totals["q"] == totals["done"]:
            writes.transition(actor=actor, obj=pledge, to=Pledge.Status.DELIVERED, action="pledge.deliver")
    line.pledge = pledge
    return line


@transaction.atomic
def dispatch_allocation(*, actor: Any, line: AllocationLine, quantity: int) -> AllocationLine:
    """Record units of an allocation leaving the donor without a shipment: they are now in transit."""
    line = core.lock(line)
    p = principal(actor)
    core.require(
        p.is_superuser or (p.can_write and (p.is_coordinator or p.organisation_id in (
            line.hub.operator_id, line.pledge.donor_id))),
        _("Only coordinators, the donor or the hub operator may record a dispatch."),
    )
    _require_direct(line)
    if line.pledge.status == Pledge.Status.WITHDRAWN:
        raise InvalidTransition(_("%(reference)s was withdrawn.") % {"reference": line.pledge.reference},
                                field="pledge")
    remaining = line.quantity - line.moved
    if quantity < 1 or quantity > remaining:
        raise ServiceError(_("Between 1 and %(units)s units of this allocation can still be dispatched.")
                           % {"units": remaining}, field="quantity")
    return move_units(actor=actor, line=line, dispatched=quantity, action="allocation.dispatch")


@transaction.atomic
def confirm_delivery(*, actor: Any, line: AllocationLine, quantity: int) -> AllocationLine:
    """Record units in transit as delivered to the requirement's destination, without a shipment."""
    line = core.lock(line)
    p = principal(actor)
    core.require(
        p.is_superuser or (p.can_write and (p.is_coordinator or p.organisation_id == line.requirement.recipient_id)),
        _("Only the recipient or coordinators may confirm a delivery."),
    )
    _require_direct(line)
    if quantity < 1 or quantity > line.in_transit_quantity:
        raise ServiceError(_("Between 1 and %(units)s units are in transit on this allocation.")
                           % {"units": line.in_transit_quantity}, field="quantity")
    return move_units(actor=actor, line=line, delivered=quantity, action="allocation.deliver")
