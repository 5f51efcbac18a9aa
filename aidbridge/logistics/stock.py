"""The hub stock ledger: the one path that appends movements, and the services for issues and corrections.

Every movement locks the hub's :class:`StockBalance` row for that item (``SELECT … FOR UPDATE``), checks the
new figure under the lock, and writes the movement and the new balance in the same transaction. Two operators
issuing the last units at the same moment therefore run one after the other, and the second is refused:
stock never goes negative. Nothing is ever edited or deleted; a mistake is corrected by a reversing entry.

Units at a hub that belong to an allocation (received on its inbound leg) are *reserved*: they wait for the
outbound leg that takes them to their requirement. The rest is *free*. An issue by hand takes free stock; taking
reserved units needs an override that says why, kept on the movement and in its audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.services import record_event, snapshot
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.core.errors import Conflict, ServiceError, busy_as_conflict
from aidbridge.locations.models import Hub
from aidbridge.logistics.access import require_hub
from aidbridge.logistics.models import Shipment, ShipmentLine, StockBalance, StockMovement
from aidbridge.logistics.rearranging import Trims, hold_planned_outbound, record_trims, trim_planned_outbound

Kind = StockMovement.Kind
Reason = StockMovement.Reason


def lock_balance(hub: Hub, item: Item) -> StockBalance:
    """The (hub, item) balance row, locked until the transaction ends; created on first use.

    Two first movements may race to create the row: the loser's INSERT fails on the unique constraint (inside
    a savepoint, so its transaction survives) and it then waits for, and locks, the winner's row.
    """
    rows = StockBalance.objects.select_for_update()
    try:
        return rows.get(hub=hub, item=item)
    except StockBalance.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return StockBalance.objects.create(hub=hub, item=item, on_hand=0)
    except IntegrityError:
        return rows.get(hub=hub, item=item)


def units_at_hub(line: AllocationLine) -> int:
    """Units of one allocation now in its hub's stock: received good, less issued and written off for it."""
    moves = StockMovement.objects.filter(hub_id=line.hub_id, allocation_line=line)
    return int(moves.aggregate(total=Sum(StockMovement.objects.delta()))["total"] or 0)


def reserved_at_hub(hub: Hub, item: Item) -> int:
    """Units of ``item`` at ``hub`` that belong to allocations still to be sent on (free = on hand − reserved)."""
    moves = StockMovement.objects.filter(hub=hub, item=item, allocation_line__isnull=False)
    return int(moves.aggregate(total=Sum(StockMovement.objects.delta()))["total"] or 0)


def _positive(quantity: Any, field: str = "quantity") -> int:
    try:
        value = int(quantity)
    except (TypeError, ValueError):
        raise ServiceError(_("Enter a whole number of units."), field=field) from None
    if value < 1:
        raise ServiceError(_("Enter a whole number of units, at least one."), field=field)
    return value


def post_movement(
    *,
    actor: Any,
    hub: Hub,
    item: Item,
    kind: str,
    quantity: int,
    reason: str = "",
    note: str = "",
    shipment: Shipment | None = None,
    shipment_line: ShipmentLine | None = None,
    allocation_line: AllocationLine | None = None,
    reverses: StockMovement | None = None,
    at: dt.datetime | None = None,
    override_reason: str = "",
) -> StockMovement:
    """Append one movement and move the balance with it. Writes no audit event: the calling service does."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post_movement must run inside the calling service's transaction")
    balance = lock_balance(hub, item)
    movement = StockMovement(
        hub=hub, item=item, kind=kind, quantity=quantity, reason=reason, note=note[:300], shipment=shipment,
        shipment_line=shipment_line, allocation_line=allocation_line, reverses=reverses,
        actor=actor if getattr(actor, "pk", None) else None, at=at or clock.now(),
        override_reason=override_reason[:300],
    )
    if balance.on_hand + movement.delta < 0:
        raise Conflict(
            _("Only %(units)s %(unit)s of %(item)s on hand at %(hub)s; cannot take out %(out)s.")
            % {"units": balance.on_hand, "unit": item.get_unit_display(), "item": item.code, "hub": hub.code,
               "out": -movement.delta},
            field="quantity",
        )
    movement.save()
    balance.on_hand += movement.delta
    balance.save(update_fields=["on_hand"])
    return movement


def _audit(actor: Any, action: str, movement: StockMovement, **extra: Any) -> StockMovement:
    record_event(actor=actor, action=action, obj=movement,
                 after={**snapshot(movement), "delta": movement.delta, **extra})
    return movement


def audit_movements(*, actor: Any, action: str, movements: list[StockMovement]) -> None:
    """One event per movement a shipment service posted, with the movement's full content.

    ``aidbridge ledger verify`` replays these events to recompute every balance, so each movement needs its own.
    """
    for movement in movements:
        _audit(actor, action, movement)


@busy_as_conflict
@transaction.atomic
def issue_stock(
    *, actor: Any, hub: Hub, item: Item, quantity: int, note: str = "", override_reason: str = "",
) -> StockMovement:
    """Take units out of a hub's stock other than on a shipment (for example, handed to a unit on site).

    Free stock only, unless ``override_reason`` says why reserved units must go: the override and its reason are
    kept on the movement and in the ``stock.issue`` event, with the reserved and free figures it overrode. A
    reason given when only free units are taken is not an override and is not recorded as one.
    """
    require_hub(actor, hub, _("issue stock"))
    quantity = _positive(quantity)
    override_reason = (override_reason or "").strip()
    balance = lock_balance(hub, item)  # reserved and free are read under the lock that serialises issues
    held = reserved_at_hub(hub, item)
    free = max(0, balance.on_hand - held)
    taken_from_reserve = quantity - free if free < quantity <= balance.on_hand else 0
    if taken_from_reserve and not override_reason:
        raise Conflict(
            _("Only %(free)s %(unit)s of %(item)s at %(hub)s are free: %(on_hand)s on hand, %(held)s reserved for "
              "allocations still to be sent on. To issue reserved stock, give the reason for the override.")
            % {"free": free, "unit": item.get_unit_display(), "item": item.code, "hub": hub.code,
               "on_hand": balance.on_hand, "held": held},
            field="override_reason",
        )
    movement = post_movement(actor=actor, hub=hub, item=item, kind=Kind.ISSUE, quantity=quantity, note=note,
                             override_reason=override_reason if taken_from_reserve else "")
    stock: dict[str, Any] = {"on_hand_before": balance.on_hand, "reserved": held, "free_before": free}
    if taken_from_reserve:
        stock["override"] = {"reason": override_reason, "reserved_units_taken": taken_from_reserve}
    return _audit(actor, "stock.issue", movement, stock=stock)


@busy_as_conflict
@transaction.atomic
def adjust_stock(*, actor: Any, hub: Hub, item: Item, quantity: int, reason: str, note: str = "") -> StockMovement:
    """Correct the on-hand figure after a count: ``quantity`` is signed (+ found, − missing)."""
    require_hub(actor, hub, _("adjust stock"))
    if reason not in Reason.values:
        raise ServiceError(_("Choose a reason for the adjustment."), field="reason")
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise ServiceError(_("Enter a whole number of units."), field="quantity") from None
    if quantity == 0:
        raise ServiceError(_("An adjustment changes stock by at least one unit."), field="quantity")
    movement = post_movement(actor=actor, hub=hub, item=item, kind=Kind.ADJUSTMENT, quantity=quantity,
                             reason=reason, note=note)
    return _audit(actor, "stock.adjust", movement)


@busy_as_conflict
@transaction.atomic
def write_off_stock(
    *, actor: Any, hub: Hub, item: Item, quantity: int, reason: str, note: str = "",
    allocation_line: AllocationLine | None = None,
) -> StockMovement:
    """Write off damaged, lost or expired stock at a hub.

    Naming the ``allocation_line`` whose units were destroyed also counts them as lost on that allocation,
    so the pledge's books still balance (shipped = good + damaged + lost + in transit).
    """
    require_hub(actor, hub, _("write off stock"))
    quantity = _positive(quantity)
    if reason not in StockMovement.WRITE_OFF_REASONS:
        raise ServiceError(_("A write-off is damaged, lost, expired or other."), field="reason")
    if allocation_line is not None:
        allocation_line = AllocationLine.objects.select_related("pledge").get(pk=allocation_line.pk)
        if allocation_line.hub_id != hub.pk or allocation_line.pledge.item_id != item.pk:
            raise ServiceError(_("That allocation does not hold %(item)s at %(hub)s.")
                               % {"item": item.code, "hub": hub.code}, field="allocation_line")
        hold_planned_outbound(allocation_line)  # shipments before the balance, as every service locks them
    movement = post_movement(actor=actor, hub=hub, item=item, kind=Kind.WRITE_OFF, quantity=quantity,
                             reason=reason, note=note, allocation_line=allocation_line)
    trimmed: Trims = {}
    if allocation_line is not None:
        # Checked after the balance lock, which serialises every movement of this item at this hub.
        if units_at_hub(allocation_line) < 0:
            raise Conflict(_("Only %(units)s units of that allocation are at %(hub)s.")
                           % {"units": units_at_hub(allocation_line) + quantity, "hub": hub.code}, field="quantity")
        # A planned outbound leg cannot carry what was destroyed: it takes fewer units, so that it can still leave.
        trimmed = trim_planned_outbound(actor=actor, line=allocation_line,
                                        note=f"written off at {hub.code} ({movement.get_reason_display().lower()}).")
        allocation.move_units(actor=actor, line=allocation_line, lost=quantity, action="allocation.lose")
    _audit(actor, "stock.write_off", movement, **({"trimmed_shipments": sorted(trimmed)} if trimmed else {}))
    record_trims(actor=actor, trimmed=trimmed)
    return movement


@busy_as_conflict
@transaction.atomic
def reverse_movement(*, actor: Any, movement: StockMovement, note: str) -> StockMovement:
    """Cancel a mistaken entry by appending its mirror image; the original stays in the ledger.

    Entries made by shipments and receipts are corrected on the shipment instead, so that the ledger and the
    shipment records can never tell different stories.
    """
    require_hub(actor, movement.hub, _("correct the stock ledger"))
    if not (note or "").strip():
        raise ServiceError(_("Say why the entry is being reversed."), field="note")
    if movement.shipment_id or movement.allocation_line_id:
        raise ServiceError(_("This entry belongs to a shipment or an allocation; correct it there."), field="movement")
    if movement.reverses_id:
        raise ServiceError(_("A reversing entry cannot itself be reversed; record a new movement."), field="movement")
    lock_balance(movement.hub, movement.item)  # serialises with any other reversal of this entry
    if StockMovement.objects.filter(reverses=movement).exists():
        raise Conflict(_("This entry has already been reversed."), field="movement")
    reversal = post_movement(actor=actor, hub=movement.hub, item=movement.item, kind=movement.kind,
                             quantity=movement.quantity, reason=movement.reason, note=note, reverses=movement)
    return _audit(actor, "stock.reverse", reversal)
