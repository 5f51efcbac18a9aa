"""What the shipment records say about each allocation line: planned, shipped, received, lost, still moving.

Planning uses it to find units not yet on a shipment; ``aidbridge ledger verify`` uses it to re-derive the
allocation counters (in transit, delivered, lost) from shipments and receipts, independently of the services
that keep them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Sum

from aidbridge.logistics.models import ReceiptLine, Shipment, ShipmentLine, StockMovement, delta_expression


@dataclass
class Flow:
    inbound_planned: int = 0  # on inbound legs that are not cancelled, planned ones included
    outbound_planned: int = 0
    shipped: int = 0  # left the donor on an inbound leg
    outbound_shipped: int = 0  # left the hub on an outbound leg
    inbound_good: int = 0
    inbound_damaged: int = 0
    inbound_lost: int = 0
    delivered: int = 0  # received good at the destination
    outbound_damaged: int = 0
    outbound_lost: int = 0
    hub_losses: int = 0  # written off at the hub against this allocation, outside any receipt

    @property
    def managed(self) -> bool:
        """The allocation travels by shipment, so its counters must match this record exactly."""
        return bool(self.inbound_planned or self.outbound_planned)

    @property
    def damaged(self) -> int:
        return self.inbound_damaged + self.outbound_damaged

    @property
    def lost(self) -> int:
        return self.inbound_lost + self.outbound_lost + self.hub_losses

    @property
    def inbound_losses(self) -> int:
        return self.inbound_damaged + self.inbound_lost + self.hub_losses

    @property
    def at_hub(self) -> int:
        """Units of the allocation in its hub's stock: counted in good, not yet sent on or written off there."""
        return self.inbound_good - self.outbound_shipped - self.hub_losses

    @property
    def outbound_waiting(self) -> int:
        """Units on planned outbound legs, still in the hub's stock until those legs are dispatched."""
        return self.outbound_planned - self.outbound_shipped

    @property
    def in_transit(self) -> int:
        """Shipped and neither delivered nor written off: on a lorry or in a hub's stock."""
        return self.shipped - self.delivered - self.damaged - self.lost


def flows(line_ids: Iterable[int] | None = None) -> dict[int, Flow]:
    """Per allocation line id, summed over every shipment, receipt and attributed write-off (4 queries)."""
    result: dict[int, Flow] = defaultdict(Flow)
    ids = None if line_ids is None else list(line_ids)

    lines = ShipmentLine.objects.exclude(shipment__status=Shipment.Status.CANCELLED)
    receipts = ReceiptLine.objects.all()
    write_offs = StockMovement.objects.filter(kind=StockMovement.Kind.WRITE_OFF, shipment__isnull=True,
                                              allocation_line__isnull=False)
    if ids is not None:
        lines = lines.filter(allocation_line_id__in=ids)
        receipts = receipts.filter(shipment_line__allocation_line_id__in=ids)
        write_offs = write_offs.filter(allocation_line_id__in=ids)

    planned = lines.order_by().values("allocation_line_id", "shipment__leg", "shipment__status")
    for row in planned.annotate(q=Sum("quantity")):
        flow = result[row["allocation_line_id"]]
        moving = row["shipment__status"] != Shipment.Status.PLANNED
        if row["shipment__leg"] == Shipment.Leg.INBOUND:
            flow.inbound_planned += row["q"]
            flow.shipped += row["q"] if moving else 0
        else:
            flow.outbound_planned += row["q"]
            flow.outbound_shipped += row["q"] if moving else 0

    received = receipts.order_by().values("shipment_line__allocation_line_id", "shipment_line__shipment__leg").annotate(
        g=Sum("good"), d=Sum("damaged"), lo=Sum("lost"))
    for count in received:
        flow = result[count["shipment_line__allocation_line_id"]]
        if count["shipment_line__shipment__leg"] == Shipment.Leg.INBOUND:
            flow.inbound_good += count["g"]
            flow.inbound_damaged += count["d"]
            flow.inbound_lost += count["lo"]
        else:
            flow.delivered += count["g"]
            flow.outbound_damaged += count["d"]
            flow.outbound_lost += count["lo"]

    for loss in write_offs.order_by().values("allocation_line_id").annotate(net=Sum(delta_expression())):
        result[loss["allocation_line_id"]].hub_losses += -loss["net"]
    return dict(result)


def flow_of(line_id: int) -> Flow:
    return flows([line_id]).get(line_id, Flow())
