"""What the shipment records say about each allocation line: planned, shipped, received, lost, still moving.

Planning uses it to find units not yet on a shipment; ``aidbridge ledger verify`` joins the same query
(:func:`flow_sql`) to the allocation lines to re-derive their counters (in transit, delivered, lost) from shipments
and receipts in the database, independently of the services that keep them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from aidbridge.allocation.models import AllocationLine
from aidbridge.logistics.models import ReceiptLine, Shipment, ShipmentLine, StockMovement

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
    """Per allocation line id (of ``line_ids``, or all), summed over every shipment, receipt and attributed
    write-off: :func:`flow_sql`, one query."""
    ids = None if line_ids is None else list(dict.fromkeys(line_ids))
    if ids == []:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(flow_sql(None if ids is None else len(ids)), ids)
        return {row[0]: Flow(**dict(zip(FIELDS, row[1:], strict=True))) for row in cursor.fetchall()}


def flow_of(line_id: int) -> Flow:
    return flows([line_id]).get(line_id, Flow())


def flow_sql(chosen: int | None = None) -> str:
    """The flows as one SQL query, for SQLite and PostgreSQL alike: a row per allocation line that any shipment,
    receipt or attributed write-off names (``allocation_line_id``, then :data:`FIELDS`), so that a query can join
    it to the allocation lines without reading them into Python (``ledger verify``). With ``chosen``, only the
    lines whose ids are the query's ``chosen`` parameters, each summed over its own rows only (planning)."""
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
    sources = {  # (the rows, the condition on them, the column naming their allocation line)
        "p": (f"{lines} l JOIN {shipments} s ON s.id = l.shipment_id",
              f"s.status <> '{Shipment.Status.CANCELLED.value}'", "l.allocation_line_id"),
        "r": (f"{receipts} r JOIN {lines} l ON l.id = r.shipment_line_id JOIN {shipments} s ON s.id = l.shipment_id",
              "", "l.allocation_line_id"),
        "w": (movements, f"kind = '{write_off}' AND shipment_id IS NULL AND allocation_line_id IS NOT NULL",
              "allocation_line_id"),
    }
    with_chosen, chosen_only = "", "{} IN (SELECT id FROM chosen)"
    if chosen is not None:
        with_chosen = f"WITH chosen (id) AS (VALUES {', '.join(['(CAST(%s AS BIGINT))'] * chosen)}) "

    def where(*conditions: str) -> str:
        kept = [c for c in conditions if c]
        return f" WHERE {' AND '.join(kept)}" if kept else ""

    column = {field: f"COALESCE({name}.{field}, 0)" for name, sums in parts.items() for field, _ in sums}
    joins = " ".join(
        f"LEFT JOIN (SELECT {sources[name][2]} AS allocation_line_id, "
        f"{', '.join(f'SUM({value}) AS {field}' for field, value in sums)} FROM {sources[name][0]}"
        f"{where(sources[name][1], chosen_only.format(sources[name][2]) if with_chosen else '')} "
        f"GROUP BY {sources[name][2]}) AS {name} ON {name}.allocation_line_id = a.id"
        for name, sums in parts.items())
    named = " OR ".join(f"{name}.allocation_line_id IS NOT NULL" for name in parts)
    return (f"{with_chosen}SELECT a.id AS allocation_line_id, {', '.join(f'{column[f]} AS {f}' for f in FIELDS)} "
            f"FROM {allocations} a {joins}{where(f'({named})', chosen_only.format('a.id') if with_chosen else '')}")
