"""Re-check every logistics invariant over the whole database (``aidbridge ledger verify``).

Each check recomputes from the primary records (ledger rows, shipment lines, receipts) and compares with what
the services keep (stock balances, allocation counters, statuses), so that a bug in a service, or a row
changed behind the application's back, shows up as a named violation:

- the hub ledger balances: receipts − issues − write-offs ± adjustments = on hand, and never below zero;
- reversing entries mirror the entry they reverse;
- per shipment line: good + damaged + lost never exceeds what was shipped, the status matches the count,
  and the ledger agrees with the receipts and dispatches;
- per allocation travelling by shipment: its in-transit, delivered and lost counters are what the shipments
  say, so per pledge: shipped = good + damaged + lost + still in transit;
- no fill level exceeds 100%: no requirement or pledge is allocated beyond its quantity, no allocation moved
  beyond its own;
- the tables agree with the audit log: every movement, allocation line and receipt line is what its latest audit
  event says (a row without an event was inserted, an event without a row names a deleted row, a difference an
  edit, shown as "table X vs log Y"), and every balance recomputed from the logged movements is the one kept.

Each check is a query that returns only the rows breaking its invariant, named then in Python: the same SQL on
SQLite and PostgreSQL, except the comparison with the log, done with PostgreSQL's JSON operators there and by
replaying the log in Python elsewhere. On PostgreSQL, outside a transaction, the checks run side by side in
threads, each on a connection of its own.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import connection
from django.db.models import CharField, F

from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue.models import Item
from aidbridge.core.parallel import THREADS, on_own_connections
from aidbridge.locations.models import Hub
from aidbridge.logistics.flows import flow_sql
from aidbridge.logistics.models import (
    ProofOfDelivery,
    ReceiptLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    StockBalance,
    StockMovement,
)
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement

Kind = StockMovement.Kind
Status = Shipment.Status
CHUNK = 5000  # rows a streamed cursor fetches at a time


@dataclass
class Report:
    hubs: int = 0
    items: int = 0
    shipments: int = 0
    events: int = 0  # audit events replayed against the tables
    seconds: float = 0.0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def per_second(self) -> float:
        """Audit events replayed per second of the whole verification (0 when it took no measurable time)."""
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def summary(self) -> str:
        return (f"{self.hubs} hubs, {self.items} items, {self.shipments} shipments verified against "
                f"{self.events} audit events ({self.seconds:.1f} s, {self.per_second:,.0f} events/s)")


#: On PostgreSQL, outside a transaction, the checks run in this many threads, each on a connection of its own.
PARALLEL = THREADS


def verify() -> Report:
    """Every check, each a query that returns only the rows that break an invariant: memory holds the violations
    (and the hubs' and items' codes to name them), not the tables; only the comparison with the log off
    PostgreSQL replays the log in Python."""
    began = time.perf_counter()
    hubs = dict(Hub.objects.values_list("pk", "code"))
    codes = dict(Item.objects.values_list("pk", "code"))
    report = Report(hubs=len(hubs), shipments=Shipment.objects.count())
    report.items = len(set(StockMovement.objects.order_by().values_list("item_id", flat=True).distinct())
                       | set(StockBalance.objects.order_by().values_list("item_id", flat=True).distinct()))
    checks: list[Callable[[], list[str]]] = [
        partial(_ledger, hubs, codes), partial(_dips, hubs, codes), _reversals, _shipment_lines,
        partial(_shipment_ledger, hubs), _shipment_status, _allocations, _fill,
        *_against_log(hubs, codes)]
    *found, report.events = _run([*checks, _replayed])
    for violations in found:
        report.violations.extend(violations)
    report.seconds = time.perf_counter() - began
    return report


def _run(checks: list[Callable[[], Any]]) -> list[Any]:
    """Each check's result (its violations), in the order of the checks: in parallel threads on PostgreSQL, unless
    inside a transaction (other connections would not see what it wrote); one after the other elsewhere."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or PARALLEL < 2:
        return [check() for check in checks]
    # The last checks (the comparisons with the log) are the longest: started first, they finish with the rest.
    return on_own_connections(checks[::-1], threads=PARALLEL, prepare=_PLANNING)[::-1]


# A check's own transaction plans for data in memory: random reads costed as sequential ones nearly (so that the
# latest events come through ``audit_ledger_latest_idx`` in order, not from a sort after a scan of the whole trail),
# and room to sort and hash a few hundred thousand rows without spilling to disk.
_PLANNING = "SET LOCAL random_page_cost = 1.1; SET LOCAL work_mem = '32MB'"


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {name: q(model._meta.db_table) for name, model in (
        ("movements", StockMovement), ("balances", StockBalance), ("lines", ShipmentLine), ("shipments", Shipment),
        ("receipt_lines", ReceiptLine), ("timeline", ShipmentEvent), ("proofs", ProofOfDelivery),
        ("allocations", AllocationLine), ("pledges", Pledge), ("requirements", Requirement))}


def _query(sql: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql``, its ``{table}`` names filled in."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()))
        return cursor.fetchall()


# The SQL below runs as it is on SQLite and PostgreSQL. StockMovement.delta: receipts and adjustments add, issues and
# write-offs subtract, a reversing entry the opposite of the kind it reverses.
_DELTA = (f"(CASE WHEN kind IN ('{Kind.ISSUE.value}', '{Kind.WRITE_OFF.value}') THEN -quantity ELSE quantity END "
          "* CASE WHEN reverses_id IS NULL THEN 1 ELSE -1 END)")
# Per shipment line: good, damaged and lost over its receipt lines.
_COUNTED = ("SELECT shipment_line_id, SUM(good) AS good, SUM(damaged) AS damaged, SUM(lost) AS lost "
            "FROM {receipt_lines} GROUP BY shipment_line_id")


def _kind_sum(kind: str) -> str:
    return f"SUM(CASE WHEN kind = '{kind}' THEN d ELSE 0 END)"


def _ledger(hubs: dict[int, str], codes: dict[int, str]) -> list[str]:
    found = []
    for hub_id, item_id, on_hand, received, issued, written_off, adjusted in _query(
            f"WITH parts AS (SELECT hub_id, item_id, {_kind_sum(Kind.RECEIPT)} AS received, "
            f"-{_kind_sum(Kind.ISSUE)} AS issued, -{_kind_sum(Kind.WRITE_OFF)} AS written_off, "
            f"{_kind_sum(Kind.ADJUSTMENT)} AS adjusted "
            f"FROM (SELECT hub_id, item_id, kind, {_DELTA} AS d FROM {{movements}}) AS m GROUP BY hub_id, item_id), "
            "keyed AS (SELECT hub_id, item_id FROM parts UNION SELECT hub_id, item_id FROM {balances}), "
            "compared AS (SELECT k.hub_id, k.item_id, COALESCE(b.on_hand, 0) AS on_hand, "
            "COALESCE(p.received, 0) AS received, COALESCE(p.issued, 0) AS issued, "
            "COALESCE(p.written_off, 0) AS written_off, COALESCE(p.adjusted, 0) AS adjusted "
            "FROM keyed k LEFT JOIN parts p ON p.hub_id = k.hub_id AND p.item_id = k.item_id "
            "LEFT JOIN {balances} b ON b.hub_id = k.hub_id AND b.item_id = k.item_id) "
            "SELECT * FROM compared WHERE on_hand <> received - issued - written_off + adjusted "
            "OR received - issued - written_off + adjusted < 0 OR on_hand < 0 ORDER BY hub_id, item_id"):
        ledger = received - issued - written_off + adjusted
        where = f"{codes.get(item_id, item_id)} at {hubs.get(hub_id, hub_id)}"
        if on_hand != ledger:
            found.append(f"Ledger: {where}: the balance says {on_hand} on hand but the ledger gives "
                         f"{ledger} (received {received} − issued {issued} − written off {written_off} "
                         f"± adjusted {adjusted}).")
        if ledger < 0 or on_hand < 0:
            found.append(f"Ledger: {where}: stock is negative ({ledger}).")
    return found


def _dips(hubs: dict[int, str], codes: dict[int, str]) -> list[str]:
    """The first movement, in the order written, at which each hub's stock of an item went below zero."""
    return [f"Ledger: {codes.get(item_id)} at {hubs.get(hub_id)} went below zero at movement #{pk}."
            for hub_id, item_id, pk in _query(
                f"SELECT hub_id, item_id, MIN(id) FROM (SELECT id, hub_id, item_id, SUM({_DELTA}) OVER "
                "(PARTITION BY hub_id, item_id ORDER BY id) AS running FROM {movements}) AS r WHERE running < 0 "
                "GROUP BY hub_id, item_id ORDER BY 3")]


def _reversals() -> list[str]:
    reversals = StockMovement.objects.filter(reverses__isnull=False)
    bad = reversals.exclude(hub=F("reverses__hub"), item=F("reverses__item"), kind=F("reverses__kind"),
                            quantity=F("reverses__quantity")).values_list("pk", flat=True)
    chained = reversals.filter(reverses__reverses__isnull=False).values_list("pk", flat=True)
    return ([f"Ledger: movement #{pk} does not mirror the entry it reverses." for pk in bad]
            + [f"Ledger: movement #{pk} reverses a reversing entry." for pk in chained])


def _shipment_lines() -> list[str]:
    return [f"{_shipment(shipment_id)} line {pk}: shipped {quantity} < good {good} + damaged {damaged} + lost {lost}."
            for pk, quantity, shipment_id, good, damaged, lost in _query(
                "SELECT l.id, l.quantity, l.shipment_id, c.good, c.damaged, c.lost "
                f"FROM {{lines}} l JOIN ({_COUNTED}) AS c ON c.shipment_line_id = l.id "
                "WHERE c.good + c.damaged + c.lost > l.quantity ORDER BY l.shipment_id, l.id")]


def _shipment_ledger(hubs: dict[int, str]) -> list[str]:
    """Hub receipts and write-offs match the inbound counts; issues match what left on outbound legs."""
    found = []
    kinds = (Kind.RECEIPT, Kind.WRITE_OFF, Kind.ISSUE)
    inbound, idle = Shipment.Leg.INBOUND.value, f"'{Status.PLANNED.value}', '{Status.CANCELLED.value}'"
    held = ", ".join(f"ABS(SUM(CASE WHEN kind = '{kind}' THEN d END)) AS {kind}" for kind in kinds)
    compared = " OR ".join(f"COALESCE(m.{kind}, 0) <> {kind}_expected" for kind in kinds)
    for pk, shipment_id, hub_id, *amounts in _query(
            f"WITH m AS (SELECT shipment_line_id, {held} FROM (SELECT shipment_line_id, kind, {_DELTA} AS d "
            "FROM {movements} WHERE shipment_line_id IS NOT NULL) AS x GROUP BY shipment_line_id), "
            "e AS (SELECT l.id, l.shipment_id, s.hub_id, "
            f"CASE WHEN s.leg = '{inbound}' THEN COALESCE(c.good, 0) + COALESCE(c.damaged, 0) ELSE 0 END "
            f"AS receipt_expected, CASE WHEN s.leg = '{inbound}' THEN COALESCE(c.damaged, 0) ELSE 0 END "
            f"AS write_off_expected, CASE WHEN s.leg = '{inbound}' OR s.status IN ({idle}) THEN 0 ELSE l.quantity "
            "END AS issue_expected FROM {lines} l JOIN {shipments} s ON s.id = l.shipment_id "
            f"LEFT JOIN ({_COUNTED}) AS c ON c.shipment_line_id = l.id) "
            f"SELECT e.id, e.shipment_id, e.hub_id, {', '.join(f'COALESCE(m.{k}, 0), e.{k}_expected' for k in kinds)} "
            f"FROM e LEFT JOIN m ON m.shipment_line_id = e.id WHERE {compared} ORDER BY e.id"):
        for kind, held_units, quantity in zip(kinds, amounts[::2], amounts[1::2], strict=True):
            if held_units != quantity:
                found.append(f"{_shipment(shipment_id)} line {pk}: the ledger holds {held_units} "
                             f"{kind.replace('_', '-')} units at {hubs.get(hub_id)}, the shipment says {quantity}.")
    return found


def _shipment(pk: int) -> str:
    """A shipment's reference from its id, for a violation's message."""
    return Shipment(pk=pk).reference


def _shipment_status() -> list[str]:
    found = []
    labels = dict(Status.choices)
    before_receipt = ", ".join(f"'{s}'" for s in (Status.PLANNED, Status.CANCELLED, Status.DISPATCHED,
                                                   Status.IN_TRANSIT, Status.ARRIVED))
    # A line is counted when its receipts name any unit, complete when they account for every unit shipped; a
    # shipment's timeline ends at the event written last (by id, not as dated).
    for pk, status, leg, any_counted, complete, last, proof in _query(
            f"WITH c AS ({_COUNTED}), "
            "per AS (SELECT l.shipment_id, COUNT(*) AS n, "
            "SUM(CASE WHEN COALESCE(c.good + c.damaged + c.lost, 0) <> 0 THEN 1 ELSE 0 END) AS counted, "
            "SUM(CASE WHEN COALESCE(c.good + c.damaged + c.lost, 0) = l.quantity THEN 1 ELSE 0 END) AS complete "
            "FROM {lines} l LEFT JOIN c ON c.shipment_line_id = l.id GROUP BY l.shipment_id), "
            "latest AS (SELECT shipment_id, MAX(id) AS id FROM {timeline} GROUP BY shipment_id), "
            "flags AS (SELECT s.id, s.status, s.leg, COALESCE(per.counted, 0) > 0 AS any_counted, "
            "COALESCE(per.n, 0) > 0 AND per.complete = per.n AS complete, t.status AS last, "
            "p.shipment_id IS NOT NULL AS proof FROM {shipments} s LEFT JOIN per ON per.shipment_id = s.id "
            "LEFT JOIN latest ON latest.shipment_id = s.id LEFT JOIN {timeline} t ON t.id = latest.id "
            "LEFT JOIN {proofs} p ON p.shipment_id = s.id) "
            f"SELECT * FROM flags WHERE (status IN ({before_receipt}) AND any_counted) "
            f"OR (status = '{Status.PARTIALLY_RECEIVED.value}' AND (complete OR NOT any_counted)) "
            f"OR (status = '{Status.RECEIVED.value}' AND NOT complete) OR last IS NULL OR last <> status "
            f"OR (proof AND (leg <> '{Shipment.Leg.OUTBOUND.value}' OR status <> '{Status.RECEIVED.value}')) "
            "ORDER BY id"):
        reference, expected = _shipment(pk), None
        if status in (Status.PLANNED, Status.CANCELLED, Status.DISPATCHED, Status.IN_TRANSIT, Status.ARRIVED):
            expected = "no receipts" if any_counted else None
        elif status == Status.PARTIALLY_RECEIVED and (complete or not any_counted):
            expected = "some lines still to count"
        elif status == Status.RECEIVED and not complete:
            expected = "every unit accounted for"
        if expected:
            found.append(f"{reference} is {str(labels.get(status, status)).lower()} but that needs {expected}.")
        if last != status:
            found.append(f"{reference}: its timeline ends at “{last}” but its status is “{status}”.")
        if proof and (leg != Shipment.Leg.OUTBOUND or status != Status.RECEIVED):
            found.append(f"{reference} has a proof of delivery but is not a received outbound leg.")
    return found


# Per allocation line: its counters, what its shipments say of them (flows.flow_sql, the sums flows() makes) and its
# units in the hub ledger. A line that no shipment plans is "managed" by none: it moves directly.
_PER_LINE = """WITH f AS ({flows}),
h AS (SELECT allocation_line_id, SUM({delta}) AS net FROM {{movements}} WHERE allocation_line_id IS NOT NULL
      GROUP BY allocation_line_id),
x AS (SELECT a.id, a.pledge_id, a.quantity, a.in_transit_quantity AS in_transit, a.delivered_quantity AS delivered,
      a.lost_quantity AS lost, COALESCE(h.net, 0) AS here,
      COALESCE(f.inbound_planned, 0) <> 0 OR COALESCE(f.outbound_planned, 0) <> 0 AS managed,
      COALESCE(f.shipped, 0) AS shipped,
      COALESCE(f.shipped - f.delivered - f.inbound_damaged - f.outbound_damaged - f.inbound_lost - f.outbound_lost
               - f.hub_losses, 0) AS flow_in_transit,
      COALESCE(f.delivered, 0) AS flow_delivered,
      COALESCE(f.inbound_damaged + f.outbound_damaged + f.inbound_lost + f.outbound_lost + f.hub_losses, 0)
          AS flow_lost,
      COALESCE(f.inbound_good - f.outbound_shipped - f.hub_losses, 0) AS at_hub
      FROM {{allocations}} a LEFT JOIN f ON f.allocation_line_id = a.id
      LEFT JOIN h ON h.allocation_line_id = a.id)"""


def _per_line() -> str:
    return _PER_LINE.format(flows=flow_sql().replace("{", "{{").replace("}", "}}"), delta=_DELTA)


def _allocations() -> list[str]:
    """Per allocation line, its counters against its shipments and the hub ledger; then per pledge: shipped = good +
    damaged + lost + still in transit, where a line that travels by shipment has shipped what its shipments say, and
    one moved directly what its counters say. One query: the lines (part 0, by id), then the pledges (part 1)."""
    found = []
    pledges = []
    for part, pk, pledge_id, quantity, in_transit, delivered, lost, managed, *derived, here, at_hub in _query(
            f"{_per_line()}, p AS (SELECT pledge_id, SUM(CASE WHEN managed THEN shipped "
            "ELSE in_transit + delivered + lost END) AS shipped, SUM(delivered) AS good, SUM(lost) AS lost, "
            "SUM(in_transit) AS moving FROM x GROUP BY pledge_id) "
            "SELECT 0 AS part, id, pledge_id, quantity, in_transit, delivered, lost, managed, flow_in_transit, "
            "flow_delivered, flow_lost, here, at_hub FROM x WHERE in_transit + delivered + lost > quantity "
            "OR (managed AND (in_transit <> flow_in_transit OR delivered <> flow_delivered OR lost <> flow_lost "
            "OR at_hub < 0 OR here <> at_hub)) OR (NOT managed AND (lost <> 0 OR here <> 0)) "
            "UNION ALL SELECT 1, pledge_id, pledge_id, shipped, moving, good, lost, NULL, NULL, NULL, NULL, NULL, NULL "
            "FROM p WHERE shipped <> good + lost + moving ORDER BY 1, 2"):
        if part:  # quantity: shipped, in_transit: still moving
            pledges.append(f"{Pledge(pk=pledge_id).reference}: shipped {quantity} ≠ good {delivered} + "
                           f"damaged/lost {lost} + in transit {in_transit}.")
            continue
        moved = in_transit + delivered + lost  # AllocationLine.moved
        label = f"{Pledge(pk=pledge_id).reference} allocation {pk}"
        if moved > quantity:
            found.append(f"{label}: {moved} units moved of {quantity} allocated.")
        if managed:
            if (in_transit, delivered, lost) != tuple(derived):
                found.append(f"{label}: in transit/delivered/lost are {in_transit}/{delivered}/{lost} but its "
                             f"shipments say {derived[0]}/{derived[1]}/{derived[2]}.")
            if at_hub < 0 or here != at_hub:
                found.append(f"{label}: {here} units in the hub ledger but its shipments leave {at_hub} at the hub.")
        elif lost or here:
            found.append(f"{label}: losses or hub stock recorded without any shipment.")
    return found + pledges


def _fill() -> list[str]:
    """Requirements and pledges allocated beyond their quantity, and pledges whose status their lines contradict, by
    id: the allocation lines summed per requirement and per pledge, joined to those that have any."""
    found = [f"{Requirement(pk=pk).reference}: filled beyond 100% ({allocated} allocated, {delivered} delivered of "
             f"{quantity})."
             for pk, quantity, allocated, delivered in _query(
                 "SELECT r.id, r.quantity, a.allocated, a.delivered FROM (SELECT requirement_id, "
                 "SUM(quantity) AS allocated, SUM(delivered_quantity) AS delivered FROM {allocations} "
                 "GROUP BY requirement_id) AS a JOIN {requirements} r ON r.id = a.requirement_id "
                 "WHERE a.allocated > r.quantity OR a.delivered > r.quantity ORDER BY r.id")]
    statuses = []
    status = Pledge.Status
    for pk, state, quantity, q, moved, done in _query(
            "SELECT p.id, p.status, p.quantity, a.q, a.moved, a.done FROM (SELECT pledge_id, SUM(quantity) AS q, "
            "SUM(in_transit_quantity + delivered_quantity + lost_quantity) AS moved, "
            "SUM(delivered_quantity + lost_quantity) AS done FROM {allocations} GROUP BY pledge_id) AS a "
            "JOIN {pledges} p ON p.id = a.pledge_id WHERE a.q > p.quantity "
            f"OR (p.status = '{status.ALLOCATED.value}' AND a.moved <> 0) "
            f"OR (p.status = '{status.DELIVERED.value}' AND a.done <> a.q) "
            f"OR (p.status = '{status.SHIPPED.value}' AND a.q <> 0 AND a.done = a.q) ORDER BY p.id"):
        reference = Pledge(pk=pk).reference
        if q > quantity:
            found.append(f"{reference}: {q} units allocated of {quantity} pledged.")
        if state == status.ALLOCATED and moved:
            statuses.append(f"{reference} is allocated but {moved} units have left the donor; it should be shipped.")
        if state == status.DELIVERED and done != q:
            statuses.append(f"{reference} is delivered but only {done} of {q} units are delivered or written off.")
        if state == status.SHIPPED and q and done == q:
            statuses.append(f"{reference} is shipped but every unit is delivered or written off; it should be "
                            "delivered.")
    return found + statuses


MOVEMENT_FIELDS = ("hub_id", "item_id", "kind", "quantity", "reason", "shipment_id", "shipment_line_id",
                   "allocation_line_id", "reverses_id")
ALLOCATION_FIELDS = ("pledge_id", "requirement_id", "hub_id", "quantity", "in_transit_quantity",
                     "delivered_quantity", "lost_quantity")
Counts = dict[int, tuple[int, int, int]]  # shipment line id → good, damaged, lost


@dataclass
class Log:
    """The latest logged content of each ledger row, replayed from the audit events in chain order."""

    movements: dict[int, dict[str, Any]] = field(default_factory=dict)
    allocations: dict[int, dict[str, Any] | None] = field(default_factory=dict)  # None: released (deleted)
    receipts: dict[int, Counts] = field(default_factory=dict)  # receipt id → its lines


def replay() -> tuple[Log, int]:
    """The log, and how many audit events were replayed to build it."""
    log = Log()
    replayed = 0
    events = (AuditEvent.objects.filter(object_type__in=[_label(StockMovement), _label(AllocationLine)])
              | AuditEvent.objects.filter(object_type=_label(Shipment), action="shipment.receive"))
    rows = events.order_by("seq").values_list("object_type", "object_id", "after")
    for object_type, object_id, after in rows.iterator(chunk_size=CHUNK):
        replayed += 1
        if object_type == _label(StockMovement):
            if after is not None:
                log.movements[int(object_id)] = after
        elif object_type == _label(AllocationLine):
            log.allocations[int(object_id)] = after
        elif after is not None and "receipt" in after:
            counts: Counts = {}
            for shipment_line, good, damaged, lost, *_reason in after.get("lines", []):
                g, d, lo = counts.get(shipment_line, (0, 0, 0))
                counts[shipment_line] = (g + good, d + damaged, lo + lost)
            log.receipts[after["receipt"]] = counts
    return log, replayed


def _label(model: Any) -> str:
    return str(model._meta.label_lower)


def _differences(table: dict[str, Any], logged: dict[str, Any], fields: tuple[str, ...]) -> str:
    return "; ".join(f"{name.removesuffix('_id')}: table {table[name]} vs log {logged.get(name)}"
                     for name in fields if table[name] != logged.get(name))


def _in_database() -> bool:
    """Is the comparison with the log done by the database (PostgreSQL's JSON operators)?"""
    return connection.vendor == "postgresql"


def _movement_label(pk: int, row: dict[str, Any], hubs: dict[int, str], codes: dict[int, str]) -> str:
    item, hub = row.get("item_id"), row.get("hub_id")
    return (f"movement #{pk} ({str(row.get('kind', '?')).replace('_', '-')} of {row.get('quantity')} "
            f"{codes.get(item, item) if isinstance(item, int) else item} at "
            f"{hubs.get(hub, hub) if isinstance(hub, int) else hub})")


def _against_log(hubs: dict[int, str], codes: dict[int, str]) -> list[Callable[[], list[str]]]:
    """Each ledger row against its latest audit event, as checks that can run side by side: in the database on
    PostgreSQL (movements and balances, allocations, receipts), else one replay of the log in Python. Both give the same
    violations, in the same order."""
    if _in_database():
        return [partial(part, hubs, codes) for part in _LOG_PARTS]
    return [lambda: _against_log_in_python(hubs)[0]]


def _replayed() -> int:
    """How many audit events the log holds for the ledger rows: the events the comparison replays (two counts
    that the index on the object's type and id serves, rather than one that reads the whole trail)."""
    return (AuditEvent.objects.filter(object_type__in=[_label(StockMovement), _label(AllocationLine)]).count()
            + AuditEvent.objects.filter(object_type=_label(Shipment), action="shipment.receive").count())


def _against_log_in_python(hubs: dict[int, str]) -> tuple[list[str], int]:
    found: list[str] = []
    log, replayed_events = replay()
    codes = dict(Item.objects.values_list("pk", "code"))

    def movement_label(pk: int, row: dict[str, Any]) -> str:
        return _movement_label(pk, row, hubs, codes)

    logged = dict(log.movements)
    for row in StockMovement.objects.order_by("pk").values("pk", *MOVEMENT_FIELDS).iterator():
        entry = logged.pop(row["pk"], None)
        if entry is None:
            found.append(f"Audit log: {movement_label(row['pk'], row)} is in the ledger but has no audit event "
                         "(inserted).")
        elif diff := _differences(row, entry, MOVEMENT_FIELDS):
            found.append(f"Audit log: {movement_label(row['pk'], row)} was edited: {diff}.")
    for pk, entry in sorted(logged.items()):
        found.append(f"Audit log: {movement_label(pk, entry)} is in the audit log but not in the ledger (deleted).")

    replayed: dict[tuple[int, int], int] = defaultdict(int)
    for entry in log.movements.values():
        replayed[(entry["hub_id"], entry["item_id"])] += int(entry["delta"])
    balances = dict(((b["hub_id"], b["item_id"]), b["on_hand"])
                    for b in StockBalance.objects.values("hub_id", "item_id", "on_hand"))
    for key in sorted(set(replayed) | set(balances)):
        if balances.get(key, 0) != replayed.get(key, 0):
            found.append(f"Audit log: {codes.get(key[1], key[1])} at {hubs.get(key[0], key[0])}: on hand table "
                         f"{balances.get(key, 0)} vs log {replayed.get(key, 0)}.")

    allocations = dict(log.allocations)
    for row in AllocationLine.objects.order_by("pk").values("pk", *ALLOCATION_FIELDS).iterator():
        label = f"allocation {row['pk']}"
        if row["pk"] not in allocations:
            found.append(f"Audit log: {label} has no audit event (inserted).")
            continue
        entry = allocations.pop(row["pk"])
        if entry is None:
            found.append(f"Audit log: {label} was released in the audit log but is still in the table.")
        elif diff := _differences(row, entry, ALLOCATION_FIELDS):
            found.append(f"Audit log: {label} was edited: {diff.replace('_quantity', '')}.")
    for pk, entry in sorted(allocations.items()):
        if entry is not None:
            found.append(f"Audit log: allocation {pk} is in the audit log but not in the table (deleted).")

    table: dict[int, Counts] = defaultdict(dict)
    for line in ReceiptLine.objects.order_by("pk").values("receipt_id", "shipment_line_id", "good", "damaged",
                                                          "lost").iterator():
        mine = table[line["receipt_id"]]
        g, d, lo = mine.get(line["shipment_line_id"], (0, 0, 0))
        mine[line["shipment_line_id"]] = (g + line["good"], d + line["damaged"], lo + line["lost"])
    for receipt in sorted(set(table) | set(log.receipts)):
        kept, logged_counts = table.get(receipt, {}), log.receipts.get(receipt, {})
        for shipment_line in sorted(set(kept) | set(logged_counts)):
            a, b = kept.get(shipment_line), logged_counts.get(shipment_line)
            if a != b:
                found.append(f"Audit log: receipt #{receipt}, shipment line {shipment_line}: good/damaged/lost "
                             f"table {_counts(a)} vs log {_counts(b)}.")
    return found, replayed_events


def _counts(counts: tuple[int, int, int] | None) -> str:
    return "/".join(map(str, counts)) if counts is not None else "none"


# On PostgreSQL the log is not replayed in Python: each row's latest logged content is picked by the database
# (``DISTINCT ON`` the object, newest position first), compared there field by field as JSON values, and only the
# rows that differ come back, to be named by the same code as in Python. Memory holds the violations, not the log.
_LATEST_MOVEMENTS = """SELECT DISTINCT ON (object_id::bigint) object_id::bigint AS id, "after" AS entry
    FROM {events} WHERE object_type = %s AND NULLIF("after", 'null'::jsonb) IS NOT NULL
    ORDER BY object_id::bigint, seq DESC"""
_LATEST_ALLOCATIONS = """SELECT DISTINCT ON (object_id::bigint) object_id::bigint AS id,
    NULLIF("after", 'null'::jsonb) AS entry
    FROM {events} WHERE object_type = %s ORDER BY object_id::bigint, seq DESC"""


def _differ(alias: str, model: Any, fields: tuple[str, ...]) -> str:
    """SQL: may any of ``fields`` of the table row ``alias`` (of ``model``) differ from the logged entry (a missing
    key is null)? Each logged value is compared as text (``->>``), which is cheaper than building JSON from the row,
    and must be a JSON string where the column is text and no string where it is a number: a value that passes is
    the row's; one that fails but is equal after all (5.0 for 5) is not named, as :func:`_differences` finds
    nothing to name."""
    q = connection.ops.quote_name
    checks = []
    for name in fields:
        column, text = f"{alias}.{q(name)}", isinstance(model._meta.get_field(name), CharField)
        checks.append(f"(l.entry ->> '{name}') IS DISTINCT FROM {column}{'' if text else '::text'}")
        checks.append(f"jsonb_typeof(l.entry -> '{name}') {'<>' if text else '='} 'string'")
    return " OR ".join(checks)


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _json(raw: Any) -> Any:
    """A JSON value as the driver returns it (text through Django's loaders)."""
    return json.loads(raw) if isinstance(raw, str | bytes) else raw


def _against_log_in_database(hubs: dict[int, str]) -> tuple[list[str], int]:
    """The comparison in the database, its parts one after the other, and the number of events replayed."""
    codes = dict(Item.objects.values_list("pk", "code"))
    return [v for part in _LOG_PARTS for v in part(hubs, codes)], _replayed()


def _log_tables() -> tuple[str, ...]:
    q = connection.ops.quote_name
    return tuple(q(model._meta.db_table) for model in (AuditEvent, StockMovement, StockBalance, AllocationLine,
                                                       ReceiptLine))


def _movements_against_log(hubs: dict[int, str], codes: dict[int, str]) -> list[str]:
    """Each movement against its latest event (part 0), then each balance against the sum of the logged movements'
    deltas (part 1, hub, item and both figures as one JSON array): one query, so that the latest events are picked
    once (a ``MATERIALIZED`` CTE) for both comparisons."""
    found: list[str] = []
    balance_found: list[str] = []
    q = connection.ops.quote_name
    events, movements, balances, *_ = _log_tables()
    columns = ", ".join(f"m.{q(name)}" for name in MOVEMENT_FIELDS)
    padding = ", ".join("NULL" for _ in MOVEMENT_FIELDS)
    for part, pk, in_table, entry, *values in _rows(
            f"WITH l AS MATERIALIZED ({_LATEST_MOVEMENTS.format(events=events)}), "
            "r AS (SELECT (entry ->> 'hub_id')::bigint AS hub_id, (entry ->> 'item_id')::bigint AS item_id, "
            "SUM((entry ->> 'delta')::bigint)::bigint AS on_hand FROM l GROUP BY 1, 2), "
            "b AS (SELECT COALESCE(b.hub_id, r.hub_id) AS hub_id, COALESCE(b.item_id, r.item_id) AS item_id, "
            f"COALESCE(b.on_hand, 0) AS kept, COALESCE(r.on_hand, 0) AS replayed FROM {balances} b FULL JOIN r "
            "ON r.hub_id = b.hub_id AND r.item_id = b.item_id) "
            f"SELECT 0, COALESCE(m.id, l.id), m.id IS NOT NULL, l.entry, {columns}, "
            "(m.id IS NULL)::int AS k1, COALESCE(m.id, l.id) AS k2 "
            f"FROM {movements} m FULL JOIN l ON l.id = m.id "
            f"WHERE m.id IS NULL OR l.id IS NULL OR {_differ('m', StockMovement, MOVEMENT_FIELDS)} "
            f"UNION ALL SELECT 1, NULL, NULL, jsonb_build_array(hub_id, item_id, kept, replayed), {padding}, hub_id, "
            "item_id FROM b WHERE kept <> replayed ORDER BY 1, k1, k2", [_label(StockMovement)]):
        if part:
            hub_id, item_id, kept, replayed = _json(entry)
            balance_found.append(f"Audit log: {codes.get(item_id, item_id)} at {hubs.get(hub_id, hub_id)}: on hand "
                                 f"table {kept} vs log {replayed}.")
            continue
        row = dict(zip(MOVEMENT_FIELDS, values[:len(MOVEMENT_FIELDS)], strict=True))
        logged = _json(entry)
        if not in_table:
            found.append(f"Audit log: {_movement_label(pk, logged, hubs, codes)} is in the audit log but not in "
                         "the ledger (deleted).")
        elif logged is None:
            found.append(f"Audit log: {_movement_label(pk, row, hubs, codes)} is in the ledger but has no audit "
                         "event (inserted).")
        elif diff := _differences(row, logged, MOVEMENT_FIELDS):
            found.append(f"Audit log: {_movement_label(pk, row, hubs, codes)} was edited: {diff}.")
    return found + balance_found


def _allocations_against_log(hubs: dict[int, str], codes: dict[int, str]) -> list[str]:
    found: list[str] = []
    q = connection.ops.quote_name
    events, _, _, allocations, _ = _log_tables()
    columns = ", ".join(f"a.{q(name)}" for name in ALLOCATION_FIELDS)
    for pk, in_table, is_logged, entry, *values in _rows(
            f"WITH l AS ({_LATEST_ALLOCATIONS.format(events=events)}) "
            f"SELECT COALESCE(a.id, l.id), a.id IS NOT NULL, l.id IS NOT NULL, l.entry, {columns} "
            f"FROM {allocations} a FULL JOIN l ON l.id = a.id "
            "WHERE (a.id IS NULL AND l.entry IS NOT NULL) OR (a.id IS NOT NULL AND (l.id IS NULL "
            f"OR l.entry IS NULL OR {_differ('a', AllocationLine, ALLOCATION_FIELDS)})) "
            "ORDER BY a.id IS NULL, 1", [_label(AllocationLine)]):
        row = dict(zip(ALLOCATION_FIELDS, values, strict=True))
        logged = _json(entry)
        label = f"allocation {pk}"
        if not in_table:
            found.append(f"Audit log: allocation {pk} is in the audit log but not in the table (deleted).")
        elif not is_logged:
            found.append(f"Audit log: {label} has no audit event (inserted).")
        elif logged is None:
            found.append(f"Audit log: {label} was released in the audit log but is still in the table.")
        elif diff := _differences(row, logged, ALLOCATION_FIELDS):
            found.append(f"Audit log: {label} was edited: {diff.replace('_quantity', '')}.")
    return found


def _receipts_against_log(hubs: dict[int, str], codes: dict[int, str]) -> list[str]:
    found: list[str] = []
    events, *_, receipt_lines = _log_tables()
    for receipt, shipment_line, *counts in _rows(
            "WITH receives AS (SELECT DISTINCT ON ((\"after\" ->> 'receipt')::bigint) "
            "(\"after\" ->> 'receipt')::bigint AS receipt, COALESCE(\"after\" -> 'lines', '[]'::jsonb) AS lines "
            f"FROM {events} WHERE object_type = %s AND action = 'shipment.receive' "
            "AND NULLIF(\"after\", 'null'::jsonb) IS NOT NULL AND \"after\" ? 'receipt' "
            "ORDER BY (\"after\" ->> 'receipt')::bigint, seq DESC), "
            "l AS (SELECT receipt, (line ->> 0)::bigint AS shipment_line, SUM((line ->> 1)::bigint)::bigint AS good, "
            "SUM((line ->> 2)::bigint)::bigint AS damaged, SUM((line ->> 3)::bigint)::bigint AS lost "
            "FROM receives, jsonb_array_elements(lines) AS line GROUP BY 1, 2), "
            "k AS (SELECT receipt_id, shipment_line_id, SUM(good)::bigint AS good, SUM(damaged)::bigint AS damaged, "
            f"SUM(lost)::bigint AS lost FROM {receipt_lines} GROUP BY 1, 2) "
            "SELECT COALESCE(k.receipt_id, l.receipt), COALESCE(k.shipment_line_id, l.shipment_line), "
            "k.receipt_id IS NOT NULL, k.good, k.damaged, k.lost, l.receipt IS NOT NULL, l.good, l.damaged, l.lost "
            "FROM k FULL JOIN l ON l.receipt = k.receipt_id AND l.shipment_line = k.shipment_line_id "
            "WHERE (k.good, k.damaged, k.lost) IS DISTINCT FROM (l.good, l.damaged, l.lost) ORDER BY 1, 2",
            [_label(Shipment)]):
        kept = tuple(counts[1:4]) if counts[0] else None
        logged_counts = tuple(counts[5:8]) if counts[4] else None
        found.append(f"Audit log: receipt #{receipt}, shipment line {shipment_line}: good/damaged/lost "
                     f"table {_counts(kept)} vs log {_counts(logged_counts)}.")

    return found


_LOG_PARTS = (_movements_against_log, _allocations_against_log, _receipts_against_log)
