"""Planning shipments from approved allocations, by leg, and by hand.

Inbound legs (donor → hub) are grouped by donor, origin country, hub and dispatch week. That week is the
allocation's hub dispatch week less the inbound lead time, and never before the pledge is available; an
allocation without a dispatch week leaves when the pledge becomes available.

Outbound legs (hub → destination) carry only units that are at the hub: counted in good and not yet on another
outbound leg. A shipment that waited for goods still on the road could not leave (the hub cannot issue what
it does not hold), so units that have not arrived wait, and are planned onward when they are counted in
(:func:`plan_onward`, called by the hub receipt) or when planning runs again. Outbound legs are grouped by hub,
destination and dispatch week: the allocation's hub dispatch week, or the week the goods are ready if later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aidbridge.accounts.principal import principal
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.services import snapshot
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.clock import monday
from aidbridge.core.errors import ServiceError, busy_as_conflict
from aidbridge.locations.models import Hub, InboundLeadTime, Location, OutboundLeadTime
from aidbridge.logistics import lifecycle
from aidbridge.logistics.access import operates, require_coordinator
from aidbridge.logistics.flows import Flow, flows
from aidbridge.logistics.models import Shipment, ShipmentLine
from aidbridge.pledges.models import Pledge

Leg = Shipment.Leg


def expected_arrival(week: dt.date, lead_weeks: int) -> dt.date:
    return week + dt.timedelta(weeks=lead_weeks, days=4)  # the Friday of the week it should arrive


def _lead_in(hub_id: int, country: str) -> int:
    weeks = InboundLeadTime.objects.filter(hub_id=hub_id, origin_country=country).values_list("weeks", flat=True)
    return int(weeks.first() or 0)


def _lead_out(hub_id: int, destination_id: int) -> int:
    weeks = OutboundLeadTime.objects.filter(hub_id=hub_id, destination_id=destination_id).values_list(
        "weeks", flat=True)
    return int(weeks.first() or 0)


def lead_weeks(shipment: Shipment) -> int:
    """The lead time of a shipment's leg, from its hub's lead-time tables."""
    if shipment.leg == Leg.INBOUND:
        return _lead_in(shipment.hub_id, shipment.origin_country)
    assert shipment.destination_id is not None  # an outbound leg always has one (shipment_leg_endpoints)
    return _lead_out(shipment.hub_id, shipment.destination_id)


def inbound_week(line: AllocationLine) -> dt.date:
    available = monday(line.pledge.available_from)
    if line.dispatch_week is None:
        return available
    lead = _lead_in(line.hub_id, line.pledge.origin_country)
    return max(available, monday(line.dispatch_week - dt.timedelta(weeks=lead)))


def outbound_week(line: AllocationLine) -> dt.date:
    week_in = inbound_week(line)
    arrives = monday(week_in + dt.timedelta(weeks=_lead_in(line.hub_id, line.pledge.origin_country)))
    return max(arrives, monday(line.dispatch_week)) if line.dispatch_week else arrives


def moved_directly(line: AllocationLine, flow: Flow) -> bool:
    """Goods recorded on the allocation without shipments (``allocation.dispatch_allocation``) stay off them."""
    return not flow.managed and line.moved > 0


def inbound_remaining(line: AllocationLine, flow: Flow) -> int:
    if moved_directly(line, flow) or line.pledge.status == Pledge.Status.WITHDRAWN:
        return 0
    return max(0, line.quantity - flow.inbound_planned)


def outbound_remaining(line: AllocationLine, flow: Flow) -> int:
    """Units still to be planned outbound, arrived or not (what was lost on the way in never will be)."""
    if moved_directly(line, flow):
        return 0
    return max(0, line.quantity - flow.outbound_planned - flow.inbound_losses)


def outbound_ready(line: AllocationLine, flow: Flow) -> int:
    """Units that an outbound leg may carry now: at the hub and not yet on an outbound leg."""
    if moved_directly(line, flow):
        return 0
    return max(0, min(flow.at_hub - flow.outbound_waiting, outbound_remaining(line, flow)))


def _locked_lines(lines: Iterable[AllocationLine] | None) -> list[AllocationLine]:
    # Locked in id order, so that two planners (or a planner and a dispatcher) never both cover the same units.
    rows = AllocationLine.objects.select_for_update(of=("self",)).select_related(
        "pledge", "pledge__item", "requirement", "hub")
    if lines is not None:
        rows = rows.filter(pk__in=[line.pk for line in lines])
    else:
        rows = rows.filter(pledge__status__in=[Pledge.Status.ALLOCATED, Pledge.Status.SHIPPED])
    return list(rows.order_by("pk"))


Touched = dict[int, tuple[Shipment, dict[str, Any] | None]]  # shipment id → (shipment, snapshot before)


@busy_as_conflict
@transaction.atomic
def generate_shipments(
    *, actor: Any, lines: Iterable[AllocationLine] | None = None, at: dt.datetime | None = None
) -> list[Shipment]:
    """Plan shipments for every unit of ``lines`` (default: all allocations) not yet on one. Idempotent.

    Inbound, every unit still at the donor; outbound, only units that are at the hub (:func:`outbound_ready`).
    Units join a planned, generated shipment with the same leg, parties and week if there is one, so running
    this again after new approvals tops up this week's lorries instead of adding new ones. ``at`` back-dates
    the planning (for importers and the seed scenario); by default it is now.
    """
    require_coordinator(actor, _("plan shipments"))
    touched = _plan(actor, _locked_lines(lines), at=at, inbound=True, note="Planned from approved allocations.")
    return record_plans(actor=actor, touched=touched)


def plan_onward(*, actor: Any, lines: Iterable[AllocationLine], at: dt.datetime | None = None) -> Touched:
    """Plan the outbound leg of units of ``lines`` that have just been counted in at their hub.

    Runs inside the calling service's transaction (the hub receipt), which has checked the actor. It locks the
    allocation lines and writes shipments but no audit event: the caller passes the result to
    :func:`record_plans` after its own last row lock, as the lock order of ``services`` requires.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("plan_onward must run inside the calling service's transaction")
    return _plan(actor, _locked_lines(list(lines)), at=at, inbound=False,
                 note="Planned onward: the goods are at the hub.")


def record_plans(*, actor: Any, touched: Touched) -> list[Shipment]:
    """One audit event per shipment planned (``shipment.plan``) or topped up (``shipment.extend``)."""
    result = []
    for shipment, before in touched.values():
        lifecycle.audit(actor=actor, action="shipment.plan" if before is None else "shipment.extend",
                        shipment=shipment, before=before, lines=lifecycle.lines_payload(shipment))
        result.append(shipment)
    return result


def _plan(actor: Any, candidates: list[AllocationLine], *, at: dt.datetime | None, inbound: bool,
          note: str) -> Touched:
    known = flows(line.pk for line in candidates)
    ready_week = monday(at.date() if at else clock.today())  # an outbound leg cannot leave in a past week
    touched: Touched = {}
    for line in candidates:
        flow = known.get(line.pk, Flow())
        units = inbound_remaining(line, flow) if inbound else 0
        if units:
            week = inbound_week(line)
            key = dict(leg=Leg.INBOUND, donor_id=line.pledge.donor_id, origin_country=line.pledge.origin_country,
                       hub_id=line.hub_id, week=week)
            lead = _lead_in(line.hub_id, line.pledge.origin_country)
            _add(actor, touched, key, expected_arrival(week, lead), line, units, at, note)
        units = outbound_ready(line, flow)
        if units:
            week = max(outbound_week(line), ready_week)
            key = dict(leg=Leg.OUTBOUND, hub_id=line.hub_id, destination_id=line.requirement.destination_id,
                       week=week)
            lead = _lead_out(line.hub_id, line.requirement.destination_id)
            _add(actor, touched, key, expected_arrival(week, lead), line, units, at, note)
    return touched


def _add(actor: Any, touched: Touched, key: dict[str, Any], arrival: dt.date, line: AllocationLine, quantity: int,
         at: dt.datetime | None, note: str) -> None:
    # SKIP LOCKED: a shipment being dispatched right now holds its row lock and is waiting for our allocation
    # locks; waiting for it in turn would dead-lock, so the units go on a new shipment instead.
    shipment = (Shipment.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Shipment.Status.PLANNED, generated=True, **key).order_by("pk").first())
    if shipment is None:
        shipment = Shipment.objects.create(generated=True, expected_arrival=arrival, created_at=at or clock.now(),
                                           created_by=actor if getattr(actor, "pk", None) else None, **key)
        lifecycle.timeline(actor=actor, shipment=shipment, at=at, note=note)
        touched[shipment.pk] = (shipment, None)
    elif shipment.pk not in touched:
        touched[shipment.pk] = (shipment, snapshot(shipment))
    existing = ShipmentLine.objects.filter(shipment=shipment, allocation_line=line).first()
    if existing is None:
        ShipmentLine.objects.create(shipment=shipment, allocation_line=line, item_id=line.pledge.item_id,
                                    quantity=quantity)
    else:
        existing.quantity += quantity
        existing.save(update_fields=["quantity"])


@busy_as_conflict
@transaction.atomic
def create_shipment(
    *,
    actor: Any,
    leg: str,
    hub: Hub,
    lines: Sequence[tuple[AllocationLine, int]],
    destination: Location | None = None,
    origin: Location | None = None,
    origin_text: str = "",
    week: dt.date | None = None,
    expected: dt.date | None = None,
    carrier: str = "",
    tracking_reference: str = "",
    notes: str = "",
) -> Shipment:
    """Plan one shipment by hand: ``lines`` are (allocation line, units) pairs, all routed through ``hub``.

    Coordinators may plan any leg; a donor may plan inbound legs of its own pledges, and a hub operator the
    outbound legs leaving its hub.
    """
    if leg not in Leg.values:
        raise ServiceError(_("Choose inbound or outbound."), field="leg")
    if not lines:
        raise ServiceError(_("Put at least one allocation on the shipment."), field="lines")
    locked = {line.pk: line for line in _locked_lines([line for line, _ in lines])}
    known = flows(locked)
    wanted: dict[int, int] = {}
    for line, quantity in lines:
        if line.pk in wanted:
            raise ServiceError(_("%(pledge)s → %(requirement)s is listed twice.")
                               % {"pledge": line.pledge.reference, "requirement": line.requirement.reference},
                               field="lines")
        wanted[line.pk] = int(quantity)
    rows = [locked[pk] for pk in wanted]
    misrouted = [_("%(pledge)s → %(requirement)s is routed through %(routed)s, not %(hub)s.")
                 % {"pledge": line.pledge.reference, "requirement": line.requirement.reference,
                    "routed": line.hub.code, "hub": hub.code} for line in rows if line.hub_id != hub.pk]
    if misrouted:
        raise ServiceError({"lines": misrouted})
    p = principal(actor)
    if leg == Leg.INBOUND:
        donors = {line.pledge.donor_id for line in rows}
        countries = {line.pledge.origin_country for line in rows}
        if len(donors) > 1 or len(countries) > 1:
            raise ServiceError(_("An inbound shipment carries one donor's goods from one country."), field="lines")
        donor_id = donors.pop()
        core.require(p.is_coordinator_editor or p.writes_for(donor_id),
                     _("Only coordinators and the donor may plan an inbound shipment."))
        fields: dict[str, Any] = dict(donor_id=donor_id, origin_country=countries.pop())
        week = week or min(inbound_week(line) for line in rows)
        lead = _lead_in(hub.pk, fields["origin_country"])
    else:
        core.require(operates(p, hub), _("Only coordinators and the operator of %(hub)s may plan this shipment.")
                     % {"hub": hub.code})
        destinations = {line.requirement.destination_id for line in rows}
        if len(destinations) > 1 or (destination is not None and destinations != {destination.pk}):
            raise ServiceError(_("An outbound shipment goes to one destination, the requirements' own."),
                               field="destination")
        fields = dict(destination_id=destinations.pop())
        week = week or min(outbound_week(line) for line in rows)
        lead = _lead_out(hub.pk, fields["destination_id"])
    errors: list[str] = []
    for line in rows:
        label = f"{line.pledge.reference} → {line.requirement.reference}"
        flow = known.get(line.pk, Flow())
        if leg == Leg.INBOUND:
            left = inbound_remaining(line, flow)
            if not 1 <= wanted[line.pk] <= left:
                errors.append(_("%(line)s: between 1 and %(units)s units can still be planned on the inbound leg.")
                              % {"line": label, "units": left} if left else
                              _("%(line)s: no units are left to plan on the inbound leg.") % {"line": label})
        elif not 1 <= wanted[line.pk] <= (left := outbound_ready(line, flow)):
            errors.append(_("%(line)s: between 1 and %(units)s units are at %(hub)s and not yet on an outbound "
                            "shipment.") % {"line": label, "units": left, "hub": hub.code} if left else
                          _("%(line)s: no units are at %(hub)s waiting to go on; an outbound leg carries only goods "
                            "that have arrived.") % {"line": label, "hub": hub.code})
    if errors:
        raise ServiceError({"lines": errors})
    shipment = Shipment(leg=leg, hub=hub, origin=origin, origin_text=origin_text, week=monday(week),
                        expected_arrival=expected or expected_arrival(monday(week), lead), carrier=carrier,
                        tracking_reference=tracking_reference, notes=notes,
                        created_by=actor if getattr(actor, "pk", None) else None, **fields)
    lifecycle.full(shipment)
    shipment.save()
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, allocation_line=line, item_id=line.pledge.item_id, quantity=wanted[line.pk])
        for line in rows
    )
    lifecycle.timeline(actor=actor, shipment=shipment, carrier=carrier, tracking_reference=tracking_reference,
                       note="Planned by hand.")
    lifecycle.audit(actor=actor, action="shipment.create", shipment=shipment, before=None,
                    lines=lifecycle.lines_payload(shipment))
    return shipment
