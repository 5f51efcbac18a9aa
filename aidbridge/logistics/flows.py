"""What the shipment records say about each allocation line: planned, shipped, received, lost, still moving.

Planning uses it to find units not yet on a shipment; ``aidbridge ledger verify`` uses the same sums as SQL
(:func:`flow_sql`) to re-derive the allocation counters (in transit, delivered, lost) from shipments and receipts in
the database, independently of the services that keep them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum

from aidbridge.allocation.models import AllocationLine
from aidbridge.logistics.models import ReceiptLine, Shipment, ShipmentLine, StockMovement, delta_expression

# Flow's fields, in the order :func:`flow_sql` gives them after the allocation line's id.
FIELDS = ("inbound_planned", "outbound_planned", "shipped", "outbound_shipped", "inbound_good", "inbound_damaged",
          "inbound_lost", "delivered", "outbound_damaged", "outbound_lost", "hub_losses")


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


def flow_sql() -> str:
    """:func:`flows` over every line as one SQL query, for SQLite and PostgreSQL alike: a row per allocation line that
    any shipment, receipt or attributed write-off names (``allocation_line_id``, then :data:`FIELDS`), the same sums
    as :func:`flows` makes, so that a query can join it to the allocation lines without reading them into Python."""
    q = connection.ops.quote_name
    lines, shipments = q(ShipmentLine._meta.db_table), q(Shipment._meta.db_table)
    receipts, movements = q(ReceiptLine._meta.db_table), q(StockMovement._meta.db_table)
    allocations = q(AllocationLine._meta.db_table)
    inbound, planned = Shipment.Leg.INBOUND.value, Shipment.Status.PLANNED.value
    write_off = StockMovement.Kind.WRITE_OFF.value

    def on(leg: str, value: str) -> str:
        return f"CASE WHEN s.leg {leg} '{inbound}' THEN {value} ELSE 0 END"

    moving = f"CASE WHEN s.status <> '{planned}' THEN l.quantity ELSE 0 END"
    parts = {  # each summed on its own, so that a sum is only taken over the rows that feed it
        "p": (("inbound_planned", on("=", "l.quantity")), ("outbound_planned", on("<>", "l.quantity")),
              ("shipped", on("=", moving)), ("outbound_shipped", on("<>", moving))),
        "r": (("inbound_good", on("=", "r.good")), ("inbound_damaged", on("=", "r.damaged")),
              ("inbound_lost", on("=", "r.lost")), ("delivered", on("<>", "r.good")),
              ("outbound_damaged", on("<>", "r.damaged")), ("outbound_lost", on("<>", "r.lost"))),
        # a write-off's delta is -quantity, or +quantity when it reverses one: its hub_losses is minus that
        "w": (("hub_losses", "CASE WHEN reverses_id IS NULL THEN quantity ELSE -quantity END"),),
    }
    sources = {
        "p": (f"FROM {lines} l JOIN {shipments} s ON s.id = l.shipment_id "
              f"WHERE s.status <> '{Shipment.Status.CANCELLED.value}'"),
        "r": (f"FROM {receipts} r JOIN {lines} l ON l.id = r.shipment_line_id "
              f"JOIN {shipments} s ON s.id = l.shipment_id"),
        "w": (f"FROM {movements} WHERE kind = '{write_off}' AND shipment_id IS NULL "
              "AND allocation_line_id IS NOT NULL"),
    }
    column = {field: f"COALESCE({name}.{field}, 0)" for name, sums in parts.items() for field, _ in sums}
    joins = " ".join(
        f"LEFT JOIN (SELECT allocation_line_id, {', '.join(f'SUM({value}) AS {field}' for field, value in sums)} "
        f"{sources[name]} GROUP BY allocation_line_id) AS {name} ON {name}.allocation_line_id = a.id"
        for name, sums in parts.items())
    named = " OR ".join(f"{name}.allocation_line_id IS NOT NULL" for name in parts)
    return (f"SELECT a.id AS allocation_line_id, {', '.join(f'{column[f]} AS {f}' for f in FIELDS)} "
            f"FROM {allocations} a {joins} WHERE {named}")
