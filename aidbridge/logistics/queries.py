"""Read helpers for the logistics views: stock on hand, hub load per week, overdue shipments, discrepancies,
and a pledge's chain of custody. Each one starts from ``for_user`` so that visibility is applied once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.core.clock import monday
from aidbridge.locations.models import Hub
from aidbridge.logistics.models import (
    ReceiptLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    StockBalance,
    StockMovement,
)
from aidbridge.logistics.visibility import sees_hub_stock
from aidbridge.pledges.models import Pledge


@dataclass(frozen=True)
class StockRow:
    """One item at a hub: on hand, of which reserved for allocations still to be sent on; the rest is free."""

    item: Item
    on_hand: int
    reserved: int = 0

    @property
    def free(self) -> int:
        """Negative when reserved units are missing: issued by override, or short on a count."""
        return self.on_hand - self.reserved

    @property
    def shortfall(self) -> int:
        return max(0, -self.free)

    @property
    def tonnes(self) -> Decimal:
        return self.item.weight_t * self.on_hand


def reserved_by_item(hub: Hub) -> dict[int, int]:
    """Item id → units at ``hub`` belonging to allocations still to be sent on (one query)."""
    rows = (StockMovement.objects.filter(hub=hub, allocation_line__isnull=False).order_by().values("item_id")
            .annotate(units=Sum(StockMovement.objects.delta())))
    return {row["item_id"]: row["units"] for row in rows if row["units"]}


def stock_on_hand(hub: Hub, *, user: Any = None) -> list[StockRow]:
    """On hand, reserved and free per item at ``hub``, by item code. ``user=None`` is the command line (sees all).

    A hub's whole ledger is for coordinators, auditors and its operator; anyone else gets an empty list.
    """
    if user is not None and not sees_hub_stock(user, hub):
        return []
    reserved = reserved_by_item(hub)
    balances = StockBalance.objects.filter(hub=hub).select_related("item").order_by("item__code")
    return [StockRow(item=b.item, on_hand=b.on_hand, reserved=reserved.get(b.item_id, 0)) for b in balances]


@dataclass(frozen=True)
class HubWeek:
    week: dt.date  # Monday
    inbound_t: Decimal
    outbound_t: Decimal
    capacity_t: Decimal

    @property
    def load_t(self) -> Decimal:
        return self.inbound_t + self.outbound_t

    @property
    def over_capacity(self) -> bool:
        return self.load_t > self.capacity_t


def weekly_tonnes(hub: Hub, *, user: Any, start: dt.date, weeks: int) -> list[HubWeek]:
    """Tonnes arriving at and leaving ``hub`` per week, against its weekly capacity (for a chart).

    An inbound leg counts in the week it arrived, or is expected to; an outbound leg in the week it left, or
    is planned to. Cancelled shipments count nowhere. Only the shipment lines ``user`` may see are summed.

    Summed in the database, per leg and week, over the chart's weeks only (two grouped queries of at most
    ``weeks`` rows each): the hub's whole history is never loaded.
    """
    first = monday(start)
    end = first + dt.timedelta(weeks=weeks)
    # Only the lines the viewer may see: a donor's chart never adds the other donors' goods on a shared lorry.
    lines = (ShipmentLine.objects.for_user(user).filter(shipment__hub=hub)
             .exclude(shipment__status=Shipment.Status.CANCELLED).order_by())
    tonnes = Sum(F("quantity") * F("item__weight_t"), output_field=DecimalField(max_digits=24, decimal_places=6))
    days = {
        Shipment.Leg.INBOUND: Coalesce(TruncDate("shipment__arrived_at", tzinfo=dt.UTC),
                                       "shipment__expected_arrival"),
        Shipment.Leg.OUTBOUND: Coalesce(TruncDate("shipment__dispatched_at", tzinfo=dt.UTC), "shipment__week"),
    }
    totals: dict[str, dict[dt.date, Decimal]] = {}
    for leg, day in days.items():
        rows = (lines.filter(shipment__leg=leg).annotate(day=day).filter(day__gte=first, day__lt=end)
                .values("day").annotate(t=tonnes).values_list("day", "t"))
        per_week: dict[dt.date, Decimal] = defaultdict(Decimal)
        for day_value, t in rows:
            per_week[monday(day_value)] += t or Decimal(0)
        totals[leg] = per_week
    result = []
    for n in range(weeks):
        week = first + dt.timedelta(weeks=n)
        result.append(HubWeek(week=week, inbound_t=totals[Shipment.Leg.INBOUND][week],
                              outbound_t=totals[Shipment.Leg.OUTBOUND][week], capacity_t=hub.capacity_t_per_week))
    return result


def overdue_shipments(*, user: Any, today: dt.date | None = None) -> QuerySet[Shipment]:
    """Planned, dispatched or in-transit shipments whose expected arrival has passed, oldest first."""
    today = today or clock.today()
    return (Shipment.objects.for_user(user).filter(status__in=Shipment.OPEN, expected_arrival__lt=today)
            .select_related("hub", "donor", "destination").order_by("expected_arrival", "pk"))


def discrepancy_report(*, user: Any) -> QuerySet[ReceiptLine]:
    """Receipt lines with damaged or lost units: seen by coordinators, auditors, the pledge's donor, the hub
    operator and, for the last leg, the recipient."""
    return (ReceiptLine.objects.for_user(user).discrepancies()
            .select_related("receipt", "receipt__received_by", "shipment_line__shipment", "shipment_line__item",
                            "shipment_line__allocation_line__pledge__donor")
            .order_by("-receipt__received_at", "pk"))


@dataclass(frozen=True)
class Handover:
    """One change of hands of a pledge's goods."""

    at: dt.datetime
    event: str  # dispatched | received | signed
    shipment: Shipment
    from_party: str
    to_party: str
    where: str
    person: str  # who recorded it, or who signed
    quantity: int  # dispatched: units loaded; received and signed: units good
    damaged: int = 0
    lost: int = 0
    carrier: str = ""
    tracking_reference: str = ""


def chain_of_custody(pledge: Pledge, *, user: Any) -> list[Handover]:
    """Every handover of ``pledge``'s goods from the donor to the recipient, in time order.

    Donor → carrier at inbound dispatch, carrier → hub at the hub receipt, hub → carrier at outbound dispatch,
    carrier → recipient at the destination receipt, and the recipient's signature on the proof of delivery.
    Only shipments that ``user`` may see, and only this pledge's units on them, are listed.
    """
    lines = list(ShipmentLine.objects.for_user(user).filter(allocation_line__pledge=pledge)
                 .exclude(shipment__status__in=[Shipment.Status.PLANNED, Shipment.Status.CANCELLED])
                 .select_related("shipment__hub__operator", "shipment__hub__location", "shipment__destination",
                                 "shipment__donor", "allocation_line__requirement__recipient"))
    by_shipment: dict[int, list[ShipmentLine]] = defaultdict(list)
    for line in lines:
        by_shipment[line.shipment_id].append(line)
    withheld = set(Shipment.objects.filter(pk__in=by_shipment).origin_withheld(user).values_list("pk", flat=True))
    dispatches = {e.shipment_id: e for e in ShipmentEvent.objects.filter(
        shipment_id__in=by_shipment, status=Shipment.Status.DISPATCHED).select_related("recorded_by", "location")}
    result: list[Handover] = []
    for shipment_lines in by_shipment.values():
        s = shipment_lines[0].shipment
        inbound = s.leg == Shipment.Leg.INBOUND
        hub_party = f"{s.hub.operator.name} ({s.hub.code})"
        sender = (s.donor.name if s.donor else _("donor")) if inbound else hub_party
        receiver = hub_party if inbound else shipment_lines[0].allocation_line.requirement.recipient.name
        carrier = s.carrier or _("carrier")
        event = dispatches.get(s.pk)
        result.append(Handover(
            at=s.dispatched_at or s.created_at, event="dispatched", shipment=s, from_party=sender, to_party=carrier,
            where=(event.where if event else "") or s.origin_text or ("" if s.pk in withheld else s.origin_country),
            person=_name(event.recorded_by if event else None), quantity=sum(line.quantity for line in shipment_lines),
            carrier=s.carrier, tracking_reference=s.tracking_reference,
        ))
        receipt_lines = (ReceiptLine.objects.filter(shipment_line__in=shipment_lines)
                         .select_related("receipt__received_by", "receipt__location").order_by("receipt_id"))
        receipts: dict[int, list[ReceiptLine]] = defaultdict(list)
        for row in receipt_lines:
            receipts[row.receipt_id].append(row)
        for rows in receipts.values():
            r = rows[0].receipt
            result.append(Handover(
                at=r.received_at, event="received", shipment=s, from_party=carrier, to_party=receiver,
                where=str(r.location), person=_name(r.received_by), quantity=sum(x.good for x in rows),
                damaged=sum(x.damaged for x in rows), lost=sum(x.lost for x in rows), carrier=s.carrier,
                tracking_reference=s.tracking_reference,
            ))
        proof = getattr(s, "proof_of_delivery", None) if not inbound else None
        if proof is not None:
            # The signature covers what was counted off good, never what was loaded: the same figures as the
            # receipts above it on the page.
            counted = [row for rows in receipts.values() for row in rows]
            result.append(Handover(
                at=proof.received_at, event="signed", shipment=s, from_party=carrier, to_party=receiver,
                where=str(s.destination), person=proof.signatory, quantity=sum(x.good for x in counted),
                damaged=sum(x.damaged for x in counted), lost=sum(x.lost for x in counted),
            ))
    return sorted(result, key=lambda h: (h.at, h.shipment.pk, h.event))


def _name(user: Any) -> str:
    if user is None:
        return _("system")
    return user.get_full_name() or user.username


def received_good(shipment: Shipment) -> int:
    """What a proof of delivery signs for: the units counted off the shipment good (not what was shipped)."""
    return int(ReceiptLine.objects.filter(shipment_line__shipment=shipment).aggregate(n=Sum("good"))["n"] or 0)
