"""Rearranging planned shipments by hand: splitting one into two, and taking lines off one.

A hub operator knows what fits on a lorry and what must wait; planning does not. Both services work on planned
shipments only (nothing has moved, so no stock or allocation counter changes), check that the actor operates the
shipment's hub or coordinates, and write one audit event per shipment they change. A shipment rearranged by hand
is no longer topped up by planning (``generated`` goes off): newly planned units get a lorry of their own
instead of undoing the operator's arrangement. Units taken off become unplanned; planning picks them up again
(outbound: only while they are at the hub).

A write-off at a hub against an allocation also takes the destroyed units off its planned outbound legs
(:func:`trim_planned_outbound`), so that those legs can still leave.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.services import snapshot
from aidbridge.core import clock
from aidbridge.core.clock import monday
from aidbridge.core.errors import InvalidTransition, ServiceError, busy_as_conflict
from aidbridge.logistics import lifecycle
from aidbridge.logistics.access import require_hub
from aidbridge.logistics.flows import flow_of
from aidbridge.logistics.models import Shipment, ShipmentLine
from aidbridge.logistics.planning import expected_arrival, lead_weeks

Status = Shipment.Status
Entries = Sequence[tuple[ShipmentLine, int]]  # (line on the shipment, units of it)


def _on_board(shipment: Shipment) -> dict[int, ShipmentLine]:
    lines = shipment.lines.select_related("item", "allocation_line__pledge").order_by("pk")
    return {line.pk: line for line in lines}


def _require_planned(shipment: Shipment, what: str) -> None:
    if shipment.status != Status.PLANNED:
        raise InvalidTransition(what % {"reference": shipment.reference,
                                        "status": shipment.get_status_display().lower()}, field="status")


def _chosen(shipment: Shipment, on_board: dict[int, ShipmentLine], entries: Entries) -> dict[int, int]:
    """Shipment line id → units, every problem at once, by line, before anything is written."""
    if not entries:
        raise ServiceError(_("Choose at least one line and how many of its units."), field="lines")
    chosen: dict[int, int] = {}
    seen: set[int] = set()
    errors: list[str] = []
    for line, quantity in entries:
        mine = on_board.get(getattr(line, "pk", None) or 0)
        if mine is None:
            errors.append(_("Line %(line)s is not on %(reference)s.")
                          % {"line": getattr(line, "pk", line), "reference": shipment.reference})
            continue
        label = _("%(item)s of %(pledge)s") % {"item": mine.item.code, "pledge": mine.allocation_line.pledge.reference}
        if mine.pk in seen:
            errors.append(_("%(line)s is listed twice.") % {"line": label})
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= mine.quantity:
            errors.append(_("%(line)s: choose between 1 and %(units)s units.")
                          % {"line": label, "units": mine.quantity})
        else:
            chosen[mine.pk] = quantity
        seen.add(mine.pk)
    if errors:
        raise ServiceError({"lines": errors})
    return chosen


def _take_off(on_board: dict[int, ShipmentLine], chosen: dict[int, int],
              onto: Shipment | None = None) -> list[list[int]]:
    """Take the chosen units off their lines (onto ``onto``, or out of every shipment); [[allocation, units]]."""
    moved = []
    for pk, quantity in sorted(chosen.items()):
        line = on_board[pk]
        whole = quantity == line.quantity
        if onto is not None and whole:
            line.shipment = onto  # the line keeps its id: it is the same units, on another lorry
            line.save(update_fields=["shipment"])
        else:
            if onto is not None:
                ShipmentLine.objects.create(shipment=onto, allocation_line_id=line.allocation_line_id,
                                            item_id=line.item_id, quantity=quantity)
            if whole:
                line.delete()  # a planned line has no receipts or stock movements yet
            else:
                line.quantity -= quantity
                line.save(update_fields=["quantity"])
        moved.append([line.allocation_line_id, quantity])
    return moved


def _arranged_by_hand(shipment: Shipment) -> None:
    if shipment.generated:
        shipment.generated = False
        shipment.save(update_fields=["generated", "updated_at"])


@busy_as_conflict
@transaction.atomic
def split_shipment(
    *, actor: Any, shipment: Shipment, lines: Entries, week: dt.date | None = None, note: str = "",
    at: dt.datetime | None = None,
) -> Shipment:
    """Move ``lines`` — (shipment line, units) pairs — of a planned shipment onto a new planned shipment.

    The new shipment has the same leg, hub and parties, and the same week unless ``week`` says otherwise (then
    its expected arrival follows the leg's lead time). Part of a line may move; at least one unit stays behind.
    ``at`` back-dates the timeline rows (for importers and the seed scenario). Returns the new shipment.
    """
    shipment = lifecycle.lock(shipment)
    require_hub(actor, shipment.hub, _("split %(reference)s") % {"reference": shipment.reference})
    _require_planned(shipment, _("%(reference)s is %(status)s; only a planned shipment can be split."))
    on_board = _on_board(shipment)
    chosen = _chosen(shipment, on_board, lines)
    if sum(chosen.values()) >= sum(line.quantity for line in on_board.values()):
        raise ServiceError(_("A split leaves at least one unit on %(reference)s; move fewer units.")
                           % {"reference": shipment.reference}, field="lines")
    try:
        new_week = monday(week) if week else shipment.week
        arrival = (shipment.expected_arrival if new_week == shipment.week
                   else expected_arrival(new_week, lead_weeks(shipment)))
    except OverflowError:
        raise ServiceError(_("Choose a week in the calendar."), field="week") from None
    if shipment.leg == Shipment.Leg.INBOUND:
        early = sorted({on_board[pk].allocation_line.pledge.reference for pk in chosen
                        if monday(on_board[pk].allocation_line.pledge.available_from) > new_week})
        if early:
            raise ServiceError(_("%(pledges)s is not available in the week of %(week)s.")
                               % {"pledges": ", ".join(early), "week": date_format(new_week, "d M Y")}, field="week")
    note = (note or "").strip()
    # The new lines reference their allocations, which PostgreSQL checks (FOR KEY SHARE) only at COMMIT, after
    # our audit events hold the chain head. Lock them now, in the services' order, or a planner holding them
    # and waiting for the chain head would dead-lock with us.
    list(AllocationLine.objects.select_for_update().filter(
        pk__in={on_board[pk].allocation_line_id for pk in chosen}).order_by("pk").values_list("pk"))
    before = snapshot(shipment)
    new = Shipment(
        leg=shipment.leg, hub=shipment.hub, donor_id=shipment.donor_id, origin_country=shipment.origin_country,
        origin_id=shipment.origin_id, origin_text=shipment.origin_text, destination_id=shipment.destination_id,
        week=new_week, carrier=shipment.carrier, generated=False,
        expected_arrival=arrival,
        notes="Split off another shipment." + (f" {note}" if note else ""),
        created_by=actor if getattr(actor, "pk", None) else None, created_at=at or clock.now(),
    )
    lifecycle.full(new)
    new.save()
    moved = _take_off(on_board, chosen, onto=new)
    _arranged_by_hand(shipment)
    # The timeline is read by everyone who sees the shipment, a donor on a shared lorry too: it names no units
    # and no other shipment. Which lines moved, how many units and where to is in the history, per viewer.
    lifecycle.timeline(actor=actor, shipment=shipment, at=at, note="Split: units moved to a new shipment."
                       + (f" {note}" if note else ""))
    lifecycle.timeline(actor=actor, shipment=new, at=at, note="Split off another shipment."
                       + (f" {note}" if note else ""))
    lifecycle.audit(actor=actor, action="shipment.split", shipment=shipment, before=before,
                    lines=lifecycle.lines_payload(shipment), moved=moved, into=new.pk, note=note)
    lifecycle.audit(actor=actor, action="shipment.create", shipment=new, before=None,
                    lines=lifecycle.lines_payload(new), split_from=shipment.pk, note=note)
    return new


@busy_as_conflict
@transaction.atomic
def remove_shipment_lines(
    *, actor: Any, shipment: Shipment, lines: Entries, reason: str, at: dt.datetime | None = None,
) -> Shipment:
    """Take ``lines`` — (shipment line, units) pairs — off a planned shipment; those units become unplanned.

    Taking everything off is refused: that is cancelling the shipment, which says so on its timeline. ``at``
    back-dates the timeline row (for importers and the seed scenario).
    """
    shipment = lifecycle.lock(shipment)
    require_hub(actor, shipment.hub, _("change %(reference)s") % {"reference": shipment.reference})
    _require_planned(shipment, _("%(reference)s is %(status)s; only a planned shipment can be changed."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the units are taken off."), field="reason")
    on_board = _on_board(shipment)
    chosen = _chosen(shipment, on_board, lines)
    if sum(chosen.values()) >= sum(line.quantity for line in on_board.values()):
        raise ServiceError(_("That would leave %(reference)s empty; cancel it instead.")
                           % {"reference": shipment.reference}, field="lines")
    before = snapshot(shipment)
    removed = _take_off(on_board, chosen)
    _arranged_by_hand(shipment)
    lifecycle.timeline(actor=actor, shipment=shipment, at=at,
                       note=f"Units taken off. {reason}")  # how many: in the history, per viewer
    lifecycle.audit(actor=actor, action="shipment.remove_lines", shipment=shipment, before=before,
                    lines=lifecycle.lines_payload(shipment), removed=removed, reason=reason)
    return shipment


@dataclass
class Trim:
    shipment: Shipment
    before: dict[str, Any]
    removed: list[list[int]] = field(default_factory=list)
    note: str = ""


Trims = dict[int, Trim]  # shipment id → what came off it


def hold_planned_outbound(line: AllocationLine) -> None:
    """Lock the planned outbound legs carrying ``line``, in id order, before the caller takes a balance lock.

    That is the services' lock order (shipment → stock balance), so a write-off and a dispatch of the same goods
    run one after the other: the dispatch leaves with what is there, or the write-off trims the lorry first.
    """
    carrying = ShipmentLine.objects.filter(allocation_line=line).values("shipment_id")
    list(Shipment.objects.select_for_update().filter(pk__in=carrying, status=Status.PLANNED,
                                                      leg=Shipment.Leg.OUTBOUND).order_by("pk").values_list("pk"))


def trim_planned_outbound(*, actor: Any, line: AllocationLine, note: str) -> Trims:
    """Take units of ``line`` that are no longer at its hub off its planned outbound legs, latest week first.

    Runs inside the calling service's transaction (a write-off), after its balance lock, and writes no audit
    event: pass the result to :func:`record_trims` afterwards. A shipment left empty is cancelled. The caller
    holds the legs it knew of (:func:`hold_planned_outbound`); one planned meanwhile and locked by another
    transaction is skipped, since waiting for it under the balance lock could dead-lock.
    """
    flow = flow_of(line.pk)
    excess = flow.outbound_waiting - flow.at_hub
    if excess <= 0:
        return {}
    rows = list(ShipmentLine.objects.filter(allocation_line=line, shipment__status=Status.PLANNED,
                                            shipment__leg=Shipment.Leg.OUTBOUND)
                .order_by("-shipment__week", "-shipment_id"))
    locked = {s.pk: s for s in Shipment.objects.select_for_update(skip_locked=True, of=("self",))
              .select_related("hub").filter(pk__in={row.shipment_id for row in rows})}
    trims: Trims = {}
    for row in rows:
        if excess <= 0:
            break
        shipment = locked.get(row.shipment_id)
        if shipment is None:
            continue
        quantity = min(excess, row.quantity)
        trim = trims.setdefault(shipment.pk, Trim(shipment, snapshot(shipment)))
        trim.removed.extend(_take_off({row.pk: row}, {row.pk: quantity}))
        excess -= quantity
    for trim in trims.values():
        shipment = trim.shipment
        # No unit counts: the timeline is shared by every viewer of the shipment (see split_shipment).
        if shipment.lines.exists():
            trim.note = f"Units taken off, {note}"
        else:
            lifecycle.advance(shipment, Status.CANCELLED)
            trim.note = f"Cancelled: its units were {note}"
        lifecycle.timeline(actor=actor, shipment=shipment, note=trim.note)
    return trims


def record_trims(*, actor: Any, trimmed: Trims) -> None:
    for trim in trimmed.values():
        cancelled = trim.shipment.status == Status.CANCELLED
        lifecycle.audit(actor=actor, action="shipment.cancel" if cancelled else "shipment.remove_lines",
                        shipment=trim.shipment, before=trim.before, lines=lifecycle.lines_payload(trim.shipment),
                        removed=trim.removed, reason=trim.note)
