"""Receipts (good, damaged and lost per line) and proof of delivery.

A receipt at a hub (inbound leg) writes to the hub's ledger: one *receipt* of everything that physically
arrived (good + damaged), then a *write-off* of the damaged units with reason "damaged". Lost units never
arrived, so they never enter the ledger. The hub's identity therefore reads: received (good + damaged) =
on hand + issued + written off (damaged included), and the damaged goods stay visible in the hub's books.

On the allocation, damaged and lost units are counted as lost wherever they happen; good units received at
the destination (outbound leg) count as delivered. So for every pledge and shipment:
shipped = good + damaged + lost + still in transit.

Good units counted in at a hub are planned onward at once (:func:`.planning.plan_onward`): outbound legs carry
only goods that have arrived, so this is the moment they can be planned.

A proof of delivery states what the recipient signed for: the units received good on that shipment. The scan
of the signed note may follow the signature (:func:`attach_proof_document`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import clock
from aidbridge.core.errors import Conflict, ServiceError, busy_as_conflict
from aidbridge.logistics import lifecycle
from aidbridge.logistics.access import require_receiver
from aidbridge.logistics.models import (
    DiscrepancyReason,
    ProofOfDelivery,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
    StockMovement,
)
from aidbridge.logistics.planning import Touched, plan_onward, record_plans
from aidbridge.logistics.queries import received_good
from aidbridge.logistics.stock import audit_movements, post_movement
from aidbridge.pledges.services import check_upload, stored_name

Status = Shipment.Status
Kind = StockMovement.Kind


@dataclass(frozen=True)
class Received:
    """What was counted off one shipment line."""

    line: ShipmentLine
    good: int = 0
    damaged: int = 0
    lost: int = 0
    reason: str = ""
    note: str = ""


def _normalise(entries: Sequence[Received | tuple[Any, ...]]) -> list[Received]:
    return [entry if isinstance(entry, Received) else Received(*entry) for entry in entries]


def _label(line: ShipmentLine) -> str:
    return _("%(item)s of %(pledge)s") % {"item": line.item.code, "pledge": line.allocation_line.pledge.reference}


def _already_received(shipment: Shipment) -> dict[int, int]:
    rows = (ReceiptLine.objects.filter(shipment_line__shipment=shipment).values("shipment_line_id")
            .annotate(g=Sum("good"), d=Sum("damaged"), lo=Sum("lost")))
    return {row["shipment_line_id"]: row["g"] + row["d"] + row["lo"] for row in rows}


def _validate(shipment: Shipment, entries: list[Received], lines: dict[int, ShipmentLine]) -> None:
    """Every problem at once, by line, before anything is written."""
    if not entries:
        raise ServiceError(_("Count at least one line."), field="lines")
    done = _already_received(shipment)
    errors: list[str] = []
    seen: set[int] = set()
    for entry in entries:
        line = lines.get(entry.line.pk)
        if line is None:
            errors.append(_("Line %(line)s is not on %(reference)s.")
                          % {"line": entry.line.pk, "reference": shipment.reference})
            continue
        label = _label(line)
        if line.pk in seen:
            errors.append(_("%(line)s is counted twice in one receipt.") % {"line": label})
        seen.add(line.pk)
        counts = (entry.good, entry.damaged, entry.lost)
        if any(not isinstance(n, int) or n < 0 for n in counts) or sum(counts) == 0:
            errors.append(_("%(line)s: give whole numbers of good, damaged and lost units, at least one in all.")
                          % {"line": label})
            continue
        outstanding = line.quantity - done.get(line.pk, 0)
        if sum(counts) > outstanding:
            errors.append(_("%(line)s: %(counted)s units counted but only %(outstanding)s of the %(shipped)s shipped "
                            "are still to be received.") % {"line": label, "counted": sum(counts),
                                                            "outstanding": outstanding, "shipped": line.quantity})
        if (entry.damaged or entry.lost) and entry.reason not in DiscrepancyReason.values:
            errors.append(_("%(line)s: give a reason for the damaged or lost units.") % {"line": label})
    if errors:
        raise ServiceError({"lines": errors})


@busy_as_conflict
@transaction.atomic
def receive_shipment(
    *,
    actor: Any,
    shipment: Shipment,
    lines: Sequence[Received | tuple[Any, ...]],
    received_at: dt.datetime | None = None,
    note: str = "",
) -> Receipt:
    """Count goods off a shipment at its hub or destination. Partial receipts are allowed.

    The shipment becomes "partially received", then "received" once every unit shipped is accounted for as
    good, damaged or lost. Counting more than is outstanding on a line is refused, and nothing is written.
    """
    shipment = lifecycle.lock(shipment)
    require_receiver(actor, shipment, _("receive %(reference)s") % {"reference": shipment.reference})
    if shipment.status not in Shipment.MOVING:
        lifecycle.check_transition(shipment, Status.RECEIVED)
    on_board = {line.pk: line for line in shipment.lines.select_related(
        "item", "allocation_line__pledge", "allocation_line__requirement")}
    entries = _normalise(lines)
    _validate(shipment, entries, on_board)
    at = received_at or clock.now()
    inbound = shipment.leg == Shipment.Leg.INBOUND
    where = shipment.hub.location if inbound else shipment.destination
    assert where is not None  # an outbound leg always has a destination (shipment_leg_endpoints)
    before = snapshot(shipment)
    receipt = Receipt.objects.create(shipment=shipment, received_by=actor if getattr(actor, "pk", None) else None,
                                     received_at=at, location=where, note=note)
    rows = [ReceiptLine(receipt=receipt, shipment_line=on_board[e.line.pk], good=e.good, damaged=e.damaged,
                        lost=e.lost, reason=e.reason if (e.damaged or e.lost) else "", note=e.note[:300])
            for e in entries]
    ReceiptLine.objects.bulk_create(rows)
    movements: list[StockMovement] = []
    onward: Touched = {}
    if inbound:
        for row in sorted(rows, key=lambda r: (r.shipment_line.item_id, r.shipment_line.pk)):
            movements.extend(_into_stock(actor, shipment, row, at))
        # Before any audit event: planning locks the allocation lines (in id order, as _move_allocations does).
        onward = plan_onward(actor=actor, lines=[row.shipment_line.allocation_line for row in rows if row.good],
                             at=at)
    _move_allocations(actor, rows, inbound=inbound)
    complete = not any(line.quantity > n for line, n in _accounted(shipment, on_board))
    lifecycle.advance(shipment, Status.RECEIVED if complete else Status.PARTIALLY_RECEIVED,
                      arrived_at=shipment.arrived_at or at, received_at=at if complete else None)
    lifecycle.timeline(actor=actor, shipment=shipment, at=at, location=where, carrier=shipment.carrier,
                       tracking_reference=shipment.tracking_reference, note=note)
    audit_movements(actor=actor, action="stock.receive", movements=movements)
    lifecycle.audit(
        actor=actor, action="shipment.receive", shipment=shipment, before=before, receipt=receipt.pk,
        lines=[[r.shipment_line_id, r.good, r.damaged, r.lost, r.reason] for r in rows],
        movements=[m.pk for m in movements], planned_onward=sorted(onward),
    )
    record_plans(actor=actor, touched=onward)
    return receipt


def _into_stock(actor: Any, shipment: Shipment, row: ReceiptLine, at: dt.datetime) -> list[StockMovement]:
    line = row.shipment_line
    common = dict(actor=actor, hub=shipment.hub, item=line.item, shipment=shipment, shipment_line=line,
                  allocation_line=line.allocation_line, at=at)
    written = []
    if row.good + row.damaged:
        written.append(post_movement(kind=Kind.RECEIPT, quantity=row.good + row.damaged,
                                     note=f"Received from {shipment.reference}", **common))
    if row.damaged:
        written.append(post_movement(kind=Kind.WRITE_OFF, quantity=row.damaged, reason=StockMovement.Reason.DAMAGED,
                                     note=f"Damaged on {shipment.reference}", **common))
    return written


def _move_allocations(actor: Any, rows: list[ReceiptLine], *, inbound: bool) -> None:
    ids = sorted({row.shipment_line.allocation_line_id for row in rows})
    locked = {a.pk: a for a in AllocationLine.objects.select_for_update(of=("self",)).filter(pk__in=ids)
              .order_by("pk")}
    for alloc_id in ids:
        mine = [row for row in rows if row.shipment_line.allocation_line_id == alloc_id]
        delivered = 0 if inbound else sum(row.good for row in mine)
        lost = sum(row.damaged + row.lost for row in mine)
        if delivered or lost:
            allocation.move_units(actor=actor, line=locked[alloc_id], delivered=delivered, lost=lost,
                                  action="allocation.deliver" if delivered else "allocation.lose")


def _accounted(shipment: Shipment, on_board: dict[int, ShipmentLine]) -> list[tuple[ShipmentLine, int]]:
    done = _already_received(shipment)
    return [(line, done.get(pk, 0)) for pk, line in on_board.items()]


@busy_as_conflict
@transaction.atomic
def record_proof_of_delivery(
    *,
    actor: Any,
    shipment: Shipment,
    signatory: str,
    received_at: dt.datetime | None = None,
    content: bytes | None = None,
    filename: str = "",
) -> ProofOfDelivery:
    """Close the last leg: the recipient signs for a fully received outbound shipment.

    An optional scan of the signed delivery note is stored with its SHA-256, its size checked against
    ``MAX_UPLOAD_BYTES`` and its type recognised from its first bytes (PDF, PNG, JPEG or plain text).
    """
    shipment = lifecycle.lock(shipment)
    if shipment.leg != Shipment.Leg.OUTBOUND:
        raise ServiceError(_("Proof of delivery closes the outbound leg; an inbound leg ends with its hub receipt."),
                           field="shipment")
    require_receiver(actor, shipment, _("sign for %(reference)s") % {"reference": shipment.reference})
    if shipment.status != Status.RECEIVED:
        raise ServiceError(_("%(reference)s is %(status)s; count every line before signing for it.")
                           % {"reference": shipment.reference, "status": shipment.get_status_display().lower()},
                           field="shipment")
    if ProofOfDelivery.objects.filter(shipment=shipment).exists():
        raise Conflict(_("%(reference)s already has a proof of delivery.") % {"reference": shipment.reference},
                       field="shipment")
    signatory = (signatory or "").strip()
    if not signatory:
        raise ServiceError(_("Give the name of the person who signed."), field="signatory")
    good = received_good(shipment)
    proof = ProofOfDelivery(shipment=shipment, received_by=actor if getattr(actor, "pk", None) else None,
                            received_at=received_at or clock.now(), signatory=signatory[:200])
    if content is not None:
        _attach(proof, content, filename)
    proof.save()
    lifecycle.timeline(actor=actor, shipment=shipment, at=proof.received_at, location=shipment.destination,
                       # Not the units: a donor on a shared lorry reads this timeline too (the history has them).
                       note=f"Proof of delivery signed by {signatory}.")
    record_event(actor=actor, action="shipment.proof_of_delivery", obj=proof,
                 after={**snapshot(proof), "received_good": good})
    return proof


@busy_as_conflict
@transaction.atomic
def attach_proof_document(
    *, actor: Any, shipment: Shipment, content: bytes, filename: str = "", at: dt.datetime | None = None,
) -> ProofOfDelivery:
    """Attach the scan of the signed delivery note to a proof of delivery recorded without one.

    The signature often comes first and the scan later. A scan once attached is evidence and is never replaced.
    ``at`` back-dates the timeline row (for importers and the seed scenario); by default it is now.
    """
    shipment = lifecycle.lock(shipment)
    require_receiver(actor, shipment, _("attach the signed delivery note of %(reference)s")
                     % {"reference": shipment.reference})
    proof = ProofOfDelivery.objects.select_for_update().filter(shipment=shipment).first()
    if proof is None:
        raise ServiceError(_("%(reference)s has no proof of delivery yet; record the signature first.")
                           % {"reference": shipment.reference}, field="shipment")
    if proof.document:
        raise Conflict(_("The proof of delivery of %(reference)s already has its signed scan (SHA-256 %(sha)s…); a "
                         "scan is never replaced.") % {"reference": shipment.reference, "sha": proof.sha256[:16]},
                       field="document")
    if content is None:
        raise ServiceError(_("Choose the scanned file."), field="document")
    before = snapshot(proof)
    _attach(proof, content, filename)
    proof.save(update_fields=["document", "original_name", "content_type", "size", "sha256"])
    lifecycle.timeline(actor=actor, shipment=shipment, at=at, location=shipment.destination,
                       note=f"Signed delivery note attached: {proof.original_name} (SHA-256 {proof.sha256[:16]}…).")
    record_event(actor=actor, action="shipment.proof_document", obj=proof, before=before, after=snapshot(proof))
    return proof


def _attach(proof: ProofOfDelivery, content: bytes, filename: str) -> None:
    content_type, proof.original_name = check_upload(content, filename, field="document",
                                                     default="proof-of-delivery")
    proof.sha256 = hashlib.sha256(content).hexdigest()
    proof.size = len(content)
    proof.content_type = content_type
    proof.document.save(stored_name(proof.sha256, content_type), ContentFile(content), save=False)
