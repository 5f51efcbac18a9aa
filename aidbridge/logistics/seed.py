"""Logistics history for the demo scenario, written through the logistics services.

``load_logistics_history(rng)`` runs after the seed scenario (``aidbridge.seed``) has loaded. It takes the
allocations that have not started moving, plans their shipments, and walks them through their lives as the
people involved would: donors dispatch inbound legs, hubs count them in (a few units arrive damaged or go
missing) and so plan them onward, hub operators split a lorry and hold a line back, hubs send the outbound legs
on, and the recipient counts them off and signs proofs of delivery (some scans follow the signature).
Shipments end up in every status, and events are dated in the past relative to each shipment's week, so
that overdue lists and hub charts look like a running operation. Allocations the scenario already moved
directly (without shipments) are left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max

from aidbridge.accounts.models import Membership, Organisation
from aidbridge.allocation.models import AllocationLine
from aidbridge.core import clock
from aidbridge.locations.models import Hub
from aidbridge.logistics import services
from aidbridge.logistics.models import (
    DiscrepancyReason,
    ProofOfDelivery,
    Receipt,
    ReceiptLine,
    Shipment,
    StockMovement,
)
from aidbridge.logistics.stock import units_at_hub

Status = Shipment.Status
CARRIERS = ("DB Schenker", "DSV Road", "Kuehne+Nagel", "DHL Freight", "Raben Logistics", "Maersk", "PKP Cargo")
BORDER_POINTS = ("Korczowa–Krakovets crossing", "Medyka–Shehyni crossing", "Siret–Porubne crossing",
                 "A4 near Kraków", "E85 near Bacău", "Hrebenne–Rava-Ruska crossing")
SIGNATORIES = ("Capt. Olena Kovalenko", "Maj. Andrii Melnyk", "Lt. Iryna Shevchenko", "Sgt. Taras Bondarenko",
               "Col. Dmytro Tkachenko", "Lt. Col. Nataliia Savchenko")
REASONS = (DiscrepancyReason.HANDLING, DiscrepancyReason.ACCIDENT, DiscrepancyReason.THEFT,
           DiscrepancyReason.SPOILAGE, DiscrepancyReason.UNKNOWN)
# How far each leg gets. Inbound legs that should have arrived days ago mostly have; recent ones are
# spread along the way. Every status is also guaranteed at least once (see _fates).
Fates = dict[str, int]
INBOUND_LONG_AGO: Fates = {Status.RECEIVED: 88, Status.PARTIALLY_RECEIVED: 4, Status.ARRIVED: 2,
                           Status.IN_TRANSIT: 2, Status.PLANNED: 2, Status.CANCELLED: 2}
INBOUND_RECENT: Fates = {Status.RECEIVED: 20, Status.PARTIALLY_RECEIVED: 10, Status.ARRIVED: 15,
                         Status.IN_TRANSIT: 20, Status.DISPATCHED: 20, Status.PLANNED: 10, Status.CANCELLED: 5}
INBOUND_FATES: Fates = {**INBOUND_RECENT, **INBOUND_LONG_AGO}  # every status an inbound leg can end in
OUTBOUND_FATES: Fates = {Status.RECEIVED: 60, Status.PARTIALLY_RECEIVED: 8, Status.ARRIVED: 8,
                         Status.IN_TRANSIT: 12, Status.DISPATCHED: 12}


@dataclass
class Cast:
    coordinator: Any
    recipient: Any
    donors: dict[int, Any]  # organisation id → a liaison who may write
    hubs: dict[int, Any]  # hub id → its operator's editor, or the coordinator
    # The demo must show both kinds of discrepancy whatever the dice say: the first full counts take these.
    owed: list[str] = field(default_factory=lambda: ["damaged", "lost"])
    owed_scan: bool = True  # and a scan attached after the signature


def _editor(organisation_id: int | None) -> Any:
    if organisation_id is None:
        return None
    membership = (Membership.objects.filter(organisation_id=organisation_id, role__in=[
        Membership.Role.EDITOR, Membership.Role.ADMIN], user__is_active=True).select_related("user")
        .order_by("user__username").first())
    return membership.user if membership else None


def _cast() -> Cast:
    cell = Organisation.objects.filter(kind=Organisation.Kind.COORDINATOR, in_coalition=True).order_by("pk").first()
    recipient = Organisation.objects.filter(kind=Organisation.Kind.RECIPIENT).order_by("pk").first()
    coordinator = _editor(cell.pk if cell else None)
    if coordinator is None:
        raise RuntimeError("Load the seed scenario first: no coordinator editor found.")
    donors = {org.pk: _editor(org.pk) or coordinator for org in Organisation.objects.filter(kind="donor")}
    hubs = {hub.pk: _editor(hub.operator_id) or coordinator for hub in Hub.objects.all()}
    return Cast(coordinator, _editor(recipient.pk if recipient else None) or coordinator, donors, hubs)


class Clock:
    """Event times for one shipment: from its planned week (and after ``not_before``), in order, never in the future."""

    def __init__(self, rng: random.Random, week: dt.date, now: dt.datetime,
                 not_before: dt.datetime | None = None) -> None:
        start = dt.datetime.combine(week, dt.time(7), tzinfo=dt.UTC) + dt.timedelta(hours=rng.randint(0, 72))
        latest = now - dt.timedelta(days=2)
        if not_before is not None:  # an outbound leg leaves after its goods were counted in
            floor = not_before + dt.timedelta(hours=rng.randint(2, 20))
            start = max(start, floor)
            latest = max(latest, min(floor, now - dt.timedelta(minutes=30)))
        self.rng, self.now, self.t = rng, now, min(start, latest)

    def after(self, hours: tuple[int, int]) -> dt.datetime:
        self.t = min(self.t + dt.timedelta(hours=self.rng.randint(*hours)), self.now - dt.timedelta(minutes=5))
        return self.t


def _weights(shipment: Shipment, weights: dict[str, int], now: dt.datetime) -> dict[str, int]:
    if shipment.leg == Shipment.Leg.INBOUND:
        long_ago = shipment.expected_arrival < now.date() - dt.timedelta(days=2)
        return INBOUND_LONG_AGO if long_ago else INBOUND_RECENT
    return weights


def _fates(rng: random.Random, shipments: list[Shipment], weights: dict[str, int], now: dt.datetime,
           completed: int) -> dict[int, str]:
    """A fate per shipment: the ``completed`` oldest are received (so that the demo has whole chains of
    custody to show), then the dice, then every status in ``weights`` at least once."""
    fates = {s.pk: Status.RECEIVED.value for s in shipments[:completed]}
    for s in shipments[completed:]:
        mine = _weights(s, weights, now)
        fates[s.pk] = rng.choices(list(mine), weights=list(mine.values()))[0]
    missing = [status for status in weights if status not in fates.values()]
    spare = shipments[completed:] or shipments
    for shipment, status in zip(rng.sample(spare, min(len(missing), len(spare))), missing, strict=False):
        fates[shipment.pk] = status
    return fates


def _counts(rng: random.Random, quantity: int, owed: list[str]) -> tuple[int, int, int, str]:
    roll = rng.random()
    if quantity >= 2 and owed:
        roll = 0.0 if owed.pop(0) == "damaged" else 0.1
    if quantity >= 2 and roll < 0.07:
        damaged = rng.randint(1, max(1, quantity // 5))
        return quantity - damaged, damaged, 0, rng.choice(REASONS)
    if quantity >= 2 and roll < 0.11:
        lost = rng.randint(1, max(1, quantity // 8))
        return quantity - lost, 0, lost, rng.choice(REASONS)
    return quantity, 0, 0, ""


def _walk(rng: random.Random, cast: Cast, shipment: Shipment, fate: str, now: dt.datetime) -> None:
    """Take one planned shipment to ``fate`` through the services, as its sender and receiver would."""
    inbound = shipment.leg == Shipment.Leg.INBOUND
    sender = cast.donors.get(shipment.donor_id or 0, cast.coordinator) if inbound else cast.hubs[shipment.hub_id]
    receiver = cast.hubs[shipment.hub_id] if inbound else cast.recipient
    clock = Clock(rng, shipment.week, now, None if inbound else _goods_arrived(shipment))
    if fate == Status.CANCELLED:
        services.cancel_shipment(actor=cast.coordinator, shipment=shipment, reason="Consolidated with a later load.")
        return
    if fate == Status.PLANNED:
        return
    carrier = rng.choice(CARRIERS) if inbound else rng.choice(("UZ rail freight", "Nova Poshta Cargo", "MoD convoy"))
    services.dispatch_shipment(actor=sender, shipment=shipment, at=clock.after((0, 4)), carrier=carrier,
                               tracking_reference=f"{carrier[:3].upper()}-{rng.randint(100000, 999999)}",
                               place="" if not inbound else f"Depot, {shipment.origin_country}")
    if fate == Status.DISPATCHED:
        return
    services.report_in_transit(actor=sender, shipment=shipment, at=clock.after((6, 30)),
                               place=rng.choice(BORDER_POINTS))
    if fate == Status.IN_TRANSIT:
        return
    services.mark_arrived(actor=receiver, shipment=shipment, at=clock.after((6, 48)))
    if fate == Status.ARRIVED:
        return
    lines = list(shipment.lines.order_by("pk"))
    if fate == Status.PARTIALLY_RECEIVED:
        first = lines[0]
        if len(lines) > 1:
            counted = [_received(rng, cast, line, line.quantity) for line in lines[: len(lines) // 2 or 1]]
        else:
            counted = [_received(rng, cast, first, max(1, first.quantity // 2))] if first.quantity > 1 else []
        if counted:
            services.receive_shipment(actor=receiver, shipment=shipment, lines=counted, received_at=clock.after((1, 6)))
        return
    services.receive_shipment(actor=receiver, shipment=shipment, received_at=clock.after((1, 6)),
                              lines=[_received(rng, cast, line, line.quantity) for line in lines])
    if not inbound:
        signatory = rng.choice(SIGNATORIES)
        scan = f"%PDF-1.4\n% Delivery note {shipment.reference}, signed by {signatory}\n%%EOF\n".encode()
        filename = f"{shipment.reference}-delivery-note.pdf"
        roll = rng.random()
        services.record_proof_of_delivery(actor=receiver, shipment=shipment, signatory=signatory,
                                          received_at=clock.after((0, 2)), content=scan if roll < 0.35 else None,
                                          filename=filename)
        if 0.35 <= roll < 0.6 or (roll >= 0.35 and cast.owed_scan):  # the note signed at the gate, scanned later
            cast.owed_scan = False
            services.attach_proof_document(actor=receiver, shipment=shipment, content=scan, filename=filename,
                                           at=clock.after((2, 30)))


def _received(rng: random.Random, cast: Cast, line: Any, quantity: int) -> services.Received:
    full = quantity == line.quantity
    good, damaged, lost, reason = _counts(rng, quantity, cast.owed) if full else (quantity, 0, 0, "")
    return services.Received(line, good=good, damaged=damaged, lost=lost, reason=reason)


def _goods_arrived(shipment: Shipment) -> dt.datetime | None:
    """When the last of an outbound leg's goods was counted in at its hub, or the leg last rearranged."""
    receipts = Receipt.objects.filter(shipment__leg=Shipment.Leg.INBOUND, shipment__hub_id=shipment.hub_id,
                                      lines__shipment_line__allocation_line__shipment_lines__shipment=shipment)
    times = [receipts.aggregate(last=Max("received_at"))["last"], shipment.events.aggregate(last=Max("at"))["last"]]
    return max((t for t in times if t is not None), default=None)


@transaction.atomic
def load_logistics_history(rng: random.Random, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Plan and move the scenario's unmoved allocations; return shipment counts by status and a few totals."""
    now = now or clock.now()
    cast = _cast()
    unmoved = [line for line in AllocationLine.objects.filter(
        in_transit_quantity=0, delivered_quantity=0, lost_quantity=0, shipment_lines__isnull=True,
        pledge__status__in=["allocated", "shipped"]).order_by("pk")]
    if not unmoved:
        return _summary()
    earliest = min(line.pledge.available_from for line in unmoved)
    planned_at = dt.datetime.combine(earliest, dt.time(9), tzinfo=dt.UTC) - dt.timedelta(days=14)
    # Inbound legs only: nothing is at the hubs yet, and an outbound leg carries only goods that have arrived.
    services.generate_shipments(actor=cast.coordinator, lines=unmoved, at=min(planned_at, now))
    inbound = list(Shipment.objects.filter(leg="inbound", status=Status.PLANNED).order_by("week", "pk"))
    # Legs whose week is still weeks ahead stay planned; the rest have had time to happen.
    due = [s for s in inbound if s.week <= now.date() + dt.timedelta(days=7)]
    _move_all(rng, cast, due, INBOUND_FATES, now, completed=len(due) // 2)
    # Each hub receipt planned its good units onward. Operators rearrange a few lorries by hand, then send on
    # what is due; every planned outbound leg carries only goods at the hub, so none is refused.
    _rearrange(rng, cast, now)
    outbound = Shipment.objects.filter(leg="outbound", status=Status.PLANNED).order_by("week", "pk")
    ready = [s for s in outbound if s.week <= now.date() + dt.timedelta(days=7)]
    _move_all(rng, cast, ready, OUTBOUND_FATES, now, completed=len(ready) // 2)
    # Whatever was taken off a lorry or cancelled above is planned again, after the moves so as not to top up a
    # lorry that is about to leave.
    services.generate_shipments(actor=cast.coordinator, lines=unmoved, at=now - dt.timedelta(days=1))
    _hub_housekeeping(rng, cast, now)
    return _summary()


def _rearrange(rng: random.Random, cast: Cast, now: dt.datetime) -> None:
    """At each hub, the operator splits the fullest planned lorry and holds one line of another back, a few hours
    after the goods were planned onward."""

    def soon_after(shipment: Shipment) -> dt.datetime:
        last = shipment.events.aggregate(last=Max("at"))["last"] or now
        return min(last + dt.timedelta(hours=rng.randint(1, 8)), now - dt.timedelta(minutes=30))

    for hub in Hub.objects.order_by("code"):
        operator = cast.hubs[hub.pk]
        planned = [s for s in Shipment.objects.filter(leg="outbound", status=Status.PLANNED, hub=hub)
                   .order_by("week", "pk") if s.lines.count() >= 2]
        if not planned:
            continue
        fullest = max(planned, key=lambda s: (s.lines.count(), -s.pk))
        lines = list(fullest.lines.order_by("pk"))
        moving = [(line, line.quantity) for line in lines[len(lines) // 2:]]
        if moving[0][0].quantity >= 2:
            moving[0] = (moving[0][0], moving[0][0].quantity // 2)  # part of a line moves, the rest stays
        services.split_shipment(actor=operator, shipment=fullest, lines=moving, at=soon_after(fullest),
                                note="Over the weight limit for one lorry: a second lorry takes the rest.")
        others = [s for s in planned if s.pk != fullest.pk]
        if others:
            held = rng.choice(others)
            line = rng.choice(list(held.lines.order_by("pk")))
            services.remove_shipment_lines(actor=operator, shipment=held, lines=[(line, line.quantity)],
                                           reason="Pallets held back for a quality check.", at=soon_after(held))


def _move_all(rng: random.Random, cast: Cast, shipments: list[Shipment], weights: dict[str, int],
              now: dt.datetime, completed: int) -> None:
    fates = _fates(rng, shipments, weights, now, completed) if shipments else {}
    for shipment in shipments:
        _walk(rng, cast, shipment, fates[shipment.pk], now)


def _hub_housekeeping(rng: random.Random, cast: Cast, now: dt.datetime) -> None:
    """A stock count that found a pallet, keyed twice and reversed; and a forklift accident at a hub."""
    for hub in Hub.objects.order_by("code"):
        held = list(AllocationLine.objects.filter(hub=hub, stock_movements__isnull=False).distinct().order_by("pk"))
        held = [line for line in held if units_at_hub(line) >= 2]
        if not held:
            continue
        operator = cast.hubs[hub.pk]
        line = rng.choice(held)
        item = line.pledge.item
        found = services.adjust_stock(actor=operator, hub=hub, item=item, quantity=1, reason="count",
                                      note="Monthly stock count")
        services.reverse_movement(actor=operator, movement=found, note="Counted twice; the pallet was booked in.")
        services.write_off_stock(actor=operator, hub=hub, item=item, quantity=1, reason="damaged",
                                 note="Forklift accident in bay 3", allocation_line=line)


def _summary() -> dict[str, int]:
    by_status = Counter(Shipment.objects.values_list("status", flat=True))
    return {
        **{f"shipments_{status}": by_status.get(status, 0) for status in Status.values},
        "shipments": sum(by_status.values()),
        "proofs_of_delivery": ProofOfDelivery.objects.count(),
        "discrepancies": ReceiptLine.objects.discrepancies().count(),
        "stock_movements": StockMovement.objects.count(),
    }
