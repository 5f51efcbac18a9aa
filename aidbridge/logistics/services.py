"""Logistics writes: the one path for shipments, receipts, proof of delivery and the hub stock ledger.

Every function here is keyword-only, atomic, checks the actor, validates before writing, and appends one
audit event for what it did (the shipment or stock movement, with the rows it wrote). Side effects on other
apps' records keep their own events: allocation counters (``allocation.dispatch``/``deliver``/``lose``) and
pledge status (``pledge.ship``/``pledge.deliver``), exactly as when the allocation app moves them itself.

Locks are always taken in one order: shipment → stock balances (by item) → allocation lines → pledges → the
audit chain head. Every audit event is written after the last row lock, so two services never wait on each
other in a cycle. Two refinements keep it so: planning onward at a receipt and trimming planned legs at a
write-off reach other shipments after these locks only with SKIP LOCKED, never waiting; and a service that
writes rows referencing allocation lines locks those lines first, because PostgreSQL checks the (deferred)
foreign keys only at COMMIT, when the audit chain head is already held.

Under SQLite a writer that loses the database lock gets ``Conflict("The database is busy; try again.")`` (see
:func:`busy_as_conflict`).

Planning lives in :mod:`.planning`, splitting and taking lines off planned shipments in :mod:`.rearranging`,
receipts and proof of delivery in :mod:`.receiving`, the ledger in :mod:`.stock`; they are re-exported here so
that callers need only this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aidbridge.accounts.principal import principal
from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.services import snapshot
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import Conflict, InvalidTransition, ServiceError, busy_as_conflict
from aidbridge.locations.models import Location
from aidbridge.logistics import lifecycle
from aidbridge.logistics.access import (
    receiver_ok,
    require_coordinator,
    require_sender,
    sender_ok,
)
from aidbridge.logistics.models import Shipment, StockMovement
from aidbridge.logistics.planning import create_shipment, generate_shipments
from aidbridge.logistics.rearranging import remove_shipment_lines, split_shipment
from aidbridge.logistics.receiving import (
    Received,
    attach_proof_document,
    receive_shipment,
    record_proof_of_delivery,
)
from aidbridge.logistics.stock import (
    adjust_stock,
    audit_movements,
    issue_stock,
    lock_balance,
    post_movement,
    reverse_movement,
    units_at_hub,
    write_off_stock,
)
from aidbridge.pledges.models import Pledge

__all__ = [
    "Received", "adjust_stock", "attach_proof_document", "busy_as_conflict", "cancel_shipment", "create_shipment",
    "dispatch_shipment", "generate_shipments", "issue_stock", "mark_arrived", "receive_shipment",
    "record_proof_of_delivery", "remove_shipment_lines", "report_in_transit", "reverse_movement", "split_shipment",
    "write_off_stock",
]

Status = Shipment.Status
Leg = Shipment.Leg


@busy_as_conflict
@transaction.atomic
def dispatch_shipment(
    *,
    actor: Any,
    shipment: Shipment,
    at: dt.datetime | None = None,
    carrier: str = "",
    tracking_reference: str = "",
    location: Location | None = None,
    place: str = "",
    note: str = "",
) -> Shipment:
    """Hand a planned shipment to its carrier.

    Inbound: the donor's units are now in transit (the pledge becomes "shipped" at its first dispatch).
    Outbound: the units are issued from the hub's stock, which must hold them, and every unit must already
    have arrived at the hub for that allocation: a shipment cannot carry goods that are still on the road.
    """
    shipment = lifecycle.lock(shipment)
    require_sender(actor, shipment, _("dispatch %(reference)s") % {"reference": shipment.reference})
    lifecycle.check_transition(shipment, Status.DISPATCHED)
    lines = list(shipment.lines.select_related("item", "allocation_line__pledge", "allocation_line__requirement")
                 .order_by("item_id", "pk"))
    if not lines:
        raise ServiceError(_("%(reference)s carries nothing; add allocations or cancel it.")
                           % {"reference": shipment.reference}, field="lines")
    at = at or clock.now()
    before = snapshot(shipment)
    movements: list[StockMovement] = []
    if shipment.leg == Leg.OUTBOUND:
        for item_id in sorted({line.item_id for line in lines}):  # balances locked in item order
            lock_balance(shipment.hub, next(line.item for line in lines if line.item_id == item_id))
        # The issues reference the allocations, which PostgreSQL checks (FOR KEY SHARE) only at COMMIT, after our
        # audit event holds the chain head; a planner holding them and waiting for the chain head would dead-lock
        # with us. Lock them now, in the services' order (shipment → balances → allocation lines).
        _lock_allocations(lines)
        _check_units_at_hub(shipment, lines)
        for line in lines:
            movements.append(post_movement(
                actor=actor, hub=shipment.hub, item=line.item, kind=StockMovement.Kind.ISSUE,
                quantity=line.quantity, shipment=shipment, shipment_line=line, allocation_line=line.allocation_line,
                note=f"Dispatched on {shipment.reference}", at=at,
            ))
    else:
        allocations = _lock_allocations(lines)
        for line in lines:
            alloc = allocations[line.allocation_line_id]
            if alloc.pledge.status == Pledge.Status.WITHDRAWN:
                raise InvalidTransition(_("%(pledge)s was withdrawn; take it off %(shipment)s by cancelling the "
                                          "shipment.") % {"pledge": alloc.pledge.reference,
                                                          "shipment": shipment.reference}, field="lines")
            if line.quantity > alloc.quantity - alloc.moved:
                raise Conflict(_("%(pledge)s → %(requirement)s: only %(units)s units are still to leave the donor.")
                               % {"pledge": alloc.pledge.reference, "requirement": alloc.requirement.reference,
                                  "units": alloc.quantity - alloc.moved}, field="lines")
        for line in sorted(lines, key=lambda line: line.allocation_line_id):
            allocation.move_units(actor=actor, line=allocations[line.allocation_line_id], dispatched=line.quantity,
                                  action="allocation.dispatch")
    lifecycle.advance(shipment, Status.DISPATCHED, dispatched_at=at, carrier=carrier or shipment.carrier,
                      tracking_reference=tracking_reference or shipment.tracking_reference)
    origin = shipment.hub.location if shipment.leg == Leg.OUTBOUND else shipment.origin
    lifecycle.timeline(actor=actor, shipment=shipment, at=at, location=location or origin,
                       place=place or shipment.origin_text, carrier=shipment.carrier,
                       tracking_reference=shipment.tracking_reference, note=note)
    audit_movements(actor=actor, action="stock.dispatch", movements=movements)
    lifecycle.audit(actor=actor, action="shipment.dispatch", shipment=shipment, before=before,
                    lines=lifecycle.lines_payload(shipment), movements=[m.pk for m in movements])
    return shipment


def _lock_allocations(lines: list[Any]) -> dict[int, AllocationLine]:
    """Lock the allocations on board, in id order (the order ``withdraw_pledge`` uses too).

    An allocation released while we waited for its lock (its pledge was withdrawn, say) is gone: the shipment
    changed under the sender's feet, so the dispatch is refused with the pledge named, never a crash.
    """
    rows = (AllocationLine.objects.select_for_update(of=("self",)).select_related("pledge", "requirement")
            .filter(pk__in={line.allocation_line_id for line in lines}).order_by("pk"))
    locked = {row.pk: row for row in rows}
    gone = sorted({line.allocation_line.pledge.reference for line in lines if line.allocation_line_id not in locked})
    if gone:
        raise Conflict(_("%(pledges)s was withdrawn or released while this shipment was being dispatched; nothing "
                         "was dispatched. Reload the shipment.") % {"pledges": ", ".join(gone)}, field="lines")
    return locked


def _check_units_at_hub(shipment: Shipment, lines: list[Any]) -> None:
    problems = []
    for line in lines:
        here = units_at_hub(line.allocation_line)
        if line.quantity > here:
            alloc = line.allocation_line
            problems.append(_("%(pledge)s → %(requirement)s: %(units)s units to ship but only %(here)s have arrived "
                              "at %(hub)s.") % {"pledge": alloc.pledge.reference,
                                                "requirement": alloc.requirement.reference, "units": line.quantity,
                                                "here": here, "hub": shipment.hub.code})
    if problems:
        raise Conflict({"lines": problems})


@busy_as_conflict
@transaction.atomic
def report_in_transit(
    *,
    actor: Any,
    shipment: Shipment,
    at: dt.datetime | None = None,
    location: Location | None = None,
    place: str = "",
    carrier: str = "",
    tracking_reference: str = "",
    note: str = "",
) -> Shipment:
    """Report a dispatched shipment under way; later reports while in transit add tracking points."""
    shipment = lifecycle.lock(shipment)
    p = principal(actor)
    core.require(sender_ok(p, shipment) or receiver_ok(p, shipment),
                 _("Only coordinators, the sender or the receiver may report %(reference)s under way.")
                 % {"reference": shipment.reference})
    if shipment.status not in (Status.DISPATCHED, Status.IN_TRANSIT):
        lifecycle.check_transition(shipment, Status.IN_TRANSIT)
    before = snapshot(shipment)
    lifecycle.advance(shipment, Status.IN_TRANSIT, carrier=carrier or shipment.carrier,
                      tracking_reference=tracking_reference or shipment.tracking_reference)
    lifecycle.timeline(actor=actor, shipment=shipment, at=at, location=location, place=place,
                       carrier=shipment.carrier, tracking_reference=shipment.tracking_reference, note=note)
    lifecycle.audit(actor=actor, action="shipment.track", shipment=shipment, before=before)
    return shipment


@busy_as_conflict
@transaction.atomic
def mark_arrived(*, actor: Any, shipment: Shipment, at: dt.datetime | None = None, note: str = "") -> Shipment:
    """The shipment is at its hub or destination and waits to be unloaded and counted."""
    shipment = lifecycle.lock(shipment)
    p = principal(actor)
    core.require(sender_ok(p, shipment) or receiver_ok(p, shipment),
                 _("Only coordinators, the sender or the receiver may report %(reference)s arrived.")
                 % {"reference": shipment.reference})
    lifecycle.check_transition(shipment, Status.ARRIVED)  # arriving twice is a mistake, not a no-op
    at = at or clock.now()
    before = snapshot(shipment)
    lifecycle.advance(shipment, Status.ARRIVED, arrived_at=at)
    where = shipment.hub.location if shipment.leg == Leg.INBOUND else shipment.destination
    lifecycle.timeline(actor=actor, shipment=shipment, at=at, location=where, carrier=shipment.carrier,
                       tracking_reference=shipment.tracking_reference, note=note)
    lifecycle.audit(actor=actor, action="shipment.arrive", shipment=shipment, before=before)
    return shipment


@busy_as_conflict
@transaction.atomic
def cancel_shipment(*, actor: Any, shipment: Shipment, reason: str) -> Shipment:
    """Cancel a planned shipment; its units become free to plan again. Goods already moving cannot be."""
    shipment = lifecycle.lock(shipment)
    p = principal(actor)
    if not sender_ok(p, shipment):
        require_coordinator(actor, _("cancel %(reference)s") % {"reference": shipment.reference})
    if not (reason or "").strip():
        raise ServiceError(_("Say why the shipment is cancelled."), field="reason")
    before = snapshot(shipment)
    lifecycle.advance(shipment, Status.CANCELLED)
    lifecycle.timeline(actor=actor, shipment=shipment, note=reason)
    lifecycle.audit(actor=actor, action="shipment.cancel", shipment=shipment, before=before, reason=reason)
    return shipment
