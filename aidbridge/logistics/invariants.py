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
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, Sum

from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue.models import Item
from aidbridge.locations.models import Hub
from aidbridge.logistics.flows import Flow, flows
from aidbridge.logistics.models import (
    ProofOfDelivery,
    ReceiptLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    StockBalance,
    StockMovement,
    delta_expression,
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


def verify() -> Report:
    """Every check, reading rows as column tuples in streamed cursors: memory holds per-row totals (what a
    comparison needs), never the tables' model instances."""
    began = time.perf_counter()
    hubs = dict(Hub.objects.values_list("pk", "code"))
    report = Report(hubs=len(hubs), shipments=Shipment.objects.count())
    report.items = len(set(StockMovement.objects.order_by().values_list("item_id", flat=True).distinct())
                       | set(StockBalance.objects.order_by().values_list("item_id", flat=True).distinct()))
    counted = _counted()
    for check in (_ledger, _reversals, _shipment_lines, _shipment_ledger, _shipment_status, _allocations, _fill):
        report.violations.extend(check(hubs, counted))
    found, report.events = _against_log(hubs)
    report.violations.extend(found)
    report.seconds = time.perf_counter() - began
    return report


def _ledger(hubs: dict[int, str], counted: Counted) -> list[str]:
    found = []
    codes = dict(Item.objects.values_list("pk", "code"))
    parts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(Kind.values, 0))
    grouped = StockMovement.objects.order_by().values("hub_id", "item_id", "kind")
    for row in grouped.annotate(net=Sum(delta_expression())):
        parts[(row["hub_id"], row["item_id"])][row["kind"]] += row["net"]
    balances = {(b.hub_id, b.item_id): b.on_hand for b in StockBalance.objects.all()}
    for key in sorted(set(parts) | set(balances)):
        p = parts[key]
        received, issued, written_off, adjusted = (p[Kind.RECEIPT], -p[Kind.ISSUE], -p[Kind.WRITE_OFF],
                                                   p[Kind.ADJUSTMENT])
        ledger = received - issued - written_off + adjusted
        where = f"{codes.get(key[1], key[1])} at {hubs.get(key[0], key[0])}"
        if balances.get(key, 0) != ledger:
            found.append(f"Ledger: {where}: the balance says {balances.get(key, 0)} on hand but the ledger gives "
                         f"{ledger} (received {received} − issued {issued} − written off {written_off} "
                         f"± adjusted {adjusted}).")
        if ledger < 0 or balances.get(key, 0) < 0:
            found.append(f"Ledger: {where}: stock is negative ({ledger}).")
    running: dict[tuple[int, int], int] = defaultdict(int)
    dipped: set[tuple[int, int]] = set()
    outflow = {Kind.ISSUE, Kind.WRITE_OFF}
    for pk, hub_id, item_id, kind, quantity, reverses_id in (
            StockMovement.objects.order_by("pk").values_list("pk", "hub_id", "item_id", "kind", "quantity",
                                                             "reverses_id").iterator(chunk_size=CHUNK)):
        key = (hub_id, item_id)
        running[key] += (-1 if kind in outflow else 1) * quantity * (-1 if reverses_id else 1)  # StockMovement.delta
        if running[key] < 0 and key not in dipped:
            dipped.add(key)
            found.append(f"Ledger: {codes.get(key[1])} at {hubs.get(key[0])} went below zero at movement "
                         f"#{pk}.")
    return found


def _reversals(hubs: dict[int, str], counted: Counted) -> list[str]:
    reversals = StockMovement.objects.filter(reverses__isnull=False)
    bad = reversals.exclude(hub=F("reverses__hub"), item=F("reverses__item"), kind=F("reverses__kind"),
                            quantity=F("reverses__quantity")).values_list("pk", flat=True)
    chained = reversals.filter(reverses__reverses__isnull=False).values_list("pk", flat=True)
    return ([f"Ledger: movement #{pk} does not mirror the entry it reverses." for pk in bad]
            + [f"Ledger: movement #{pk} reverses a reversing entry." for pk in chained])


Counted = dict[int, tuple[int, int, int]]  # shipment line id → good, damaged, lost


def _counted() -> Counted:
    rows = (ReceiptLine.objects.order_by().values("shipment_line_id")
            .annotate(g=Sum("good"), d=Sum("damaged"), lo=Sum("lost")))
    return {row["shipment_line_id"]: (row["g"], row["d"], row["lo"]) for row in rows}


def _shipment_lines(hubs: dict[int, str], counted: Counted) -> list[str]:
    found = []
    for pk, quantity, shipment_id in (ShipmentLine.objects.order_by("shipment_id", "pk")
                                      .values_list("pk", "quantity", "shipment_id").iterator(chunk_size=CHUNK)):
        good, damaged, lost = counted.get(pk, (0, 0, 0))
        if good + damaged + lost > quantity:
            found.append(f"{_shipment(shipment_id)} line {pk}: shipped {quantity} < good {good} + "
                         f"damaged {damaged} + lost {lost}.")
    return found


def _shipment_ledger(hubs: dict[int, str], counted: Counted) -> list[str]:
    """Hub receipts and write-offs match the inbound counts; issues match what left on outbound legs."""
    found = []
    moves: dict[tuple[int, str], int] = defaultdict(int)
    for row in (StockMovement.objects.filter(shipment_line__isnull=False).order_by()
                .values("shipment_line_id", "kind").annotate(net=Sum(delta_expression()))):
        moves[(row["shipment_line_id"], row["kind"])] += abs(row["net"])
    rows = ShipmentLine.objects.order_by("pk").values_list("pk", "quantity", "shipment_id", "shipment__leg",
                                                           "shipment__status", "shipment__hub_id")
    for pk, shipped, shipment_id, leg, status, hub_id in rows.iterator(chunk_size=CHUNK):
        good, damaged, _lost = counted.get(pk, (0, 0, 0))
        if leg == Shipment.Leg.INBOUND:
            expected = {Kind.RECEIPT: good + damaged, Kind.WRITE_OFF: damaged, Kind.ISSUE: 0}
        else:
            moving = status not in (Status.PLANNED, Status.CANCELLED)
            expected = {Kind.RECEIPT: 0, Kind.WRITE_OFF: 0, Kind.ISSUE: shipped if moving else 0}
        for kind, quantity in expected.items():
            if moves[(pk, kind)] != quantity:
                found.append(f"{_shipment(shipment_id)} line {pk}: the ledger holds {moves[(pk, kind)]} "
                             f"{kind.replace('_', '-')} units at {hubs.get(hub_id)}, the shipment says {quantity}.")
    return found


def _shipment(pk: int) -> str:
    """A shipment's reference from its id, for a violation's message."""
    return Shipment(pk=pk).reference


def _shipment_status(hubs: dict[int, str], counted: Counted) -> list[str]:
    found = []
    lines: dict[int, list[tuple[int, int]]] = defaultdict(list)  # shipment → (line, quantity)
    for pk, shipment_id, quantity in (ShipmentLine.objects.order_by("pk").values_list("pk", "shipment_id", "quantity")
                                      .iterator(chunk_size=CHUNK)):
        lines[shipment_id].append((pk, quantity))
    last = {}
    for shipment_id, status in (ShipmentEvent.objects.order_by("pk").values_list("shipment_id", "status")
                                .iterator(chunk_size=CHUNK)):  # as written, not as dated
        last[shipment_id] = status
    proofs = set(ProofOfDelivery.objects.values_list("shipment_id", flat=True))
    for s in Shipment.objects.order_by("pk").only("pk", "status", "leg").iterator(chunk_size=CHUNK):
        mine = lines.get(s.pk, [])
        done = [sum(counted.get(line, (0, 0, 0))) for line, _ in mine]
        any_counted = any(done)
        complete = bool(mine) and all(n == quantity for n, (_, quantity) in zip(done, mine, strict=True))
        expected = None
        if s.status in (Status.PLANNED, Status.CANCELLED, Status.DISPATCHED, Status.IN_TRANSIT, Status.ARRIVED):
            expected = "no receipts" if any_counted else None
        elif s.status == Status.PARTIALLY_RECEIVED and (complete or not any_counted):
            expected = "some lines still to count"
        elif s.status == Status.RECEIVED and not complete:
            expected = "every unit accounted for"
        if expected:
            found.append(f"{s.reference} is {s.get_status_display().lower()} but that needs {expected}.")
        if last.get(s.pk) != s.status:
            found.append(f"{s.reference}: its timeline ends at “{last.get(s.pk)}” but its status is “{s.status}”.")
        if s.pk in proofs and (s.leg != Shipment.Leg.OUTBOUND or s.status != Status.RECEIVED):
            found.append(f"{s.reference} has a proof of delivery but is not a received outbound leg.")
    return found


def _allocations(hubs: dict[int, str], counted: Counted) -> list[str]:
    found = []
    known = flows()
    attributed = StockMovement.objects.filter(allocation_line__isnull=False).order_by().values("allocation_line_id")
    ledger_here = dict(attributed.annotate(net=Sum(delta_expression())).values_list("allocation_line_id", "net"))
    pledges: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # shipped, good, damaged+lost, in transit
    references = {}
    # Column tuples in a streamed cursor, not model instances: a line is only these numbers, its pledge's reference
    # is made from the pledge's id.
    rows = AllocationLine.objects.order_by("pk").values_list("pk", "pledge_id", "quantity", "in_transit_quantity",
                                                             "delivered_quantity", "lost_quantity")
    for pk, pledge_id, quantity, in_transit, delivered, lost in rows.iterator(chunk_size=CHUNK):
        moved = in_transit + delivered + lost  # AllocationLine.moved
        flow = known.get(pk, Flow())
        if pledge_id not in references:
            references[pledge_id] = Pledge(pk=pledge_id).reference
        label = f"{references[pledge_id]} allocation {pk}"
        if moved > quantity:
            found.append(f"{label}: {moved} units moved of {quantity} allocated.")
        if flow.managed:
            kept = (in_transit, delivered, lost)
            derived = (flow.in_transit, flow.delivered, flow.damaged + flow.lost)
            if kept != derived:
                found.append(f"{label}: in transit/delivered/lost are {kept[0]}/{kept[1]}/{kept[2]} but its "
                             f"shipments say {derived[0]}/{derived[1]}/{derived[2]}.")
            at_hub = flow.inbound_good - flow.outbound_shipped - flow.hub_losses
            if at_hub < 0 or ledger_here.get(pk, 0) != at_hub:
                found.append(f"{label}: {ledger_here.get(pk, 0)} units in the hub ledger but its shipments "
                             f"leave {at_hub} at the hub.")
            shipped = flow.shipped
        else:
            if lost or ledger_here.get(pk):
                found.append(f"{label}: losses or hub stock recorded without any shipment.")
            shipped = moved  # moved directly on the allocation, without shipments
        totals = pledges[pledge_id]
        totals[0] += shipped
        totals[1] += delivered
        totals[2] += lost
        totals[3] += in_transit
    for pledge_id, (shipped, good, lost, moving) in sorted(pledges.items()):
        if shipped != good + lost + moving:
            found.append(f"{references[pledge_id]}: shipped {shipped} ≠ good {good} + damaged/lost {lost} + "
                         f"in transit {moving}.")
    return found


def _fill(hubs: dict[int, str], counted: Counted) -> list[str]:
    found = []
    over_req = (Requirement.objects.annotate(a=Sum("allocation_lines__quantity"), d=Sum(
        "allocation_lines__delivered_quantity")).filter(Q(a__gt=F("quantity")) | Q(d__gt=F("quantity"))))
    found += [f"{r.reference}: filled beyond 100% ({r.a} allocated, {r.d} delivered of {r.quantity})."
              for r in over_req]
    over_pledge = Pledge.objects.annotate(a=Sum("allocation_lines__quantity")).filter(a__gt=F("quantity"))
    found += [f"{p.reference}: {p.a} units allocated of {p.quantity} pledged." for p in over_pledge]
    statuses = (Pledge.objects.exclude(status=Pledge.Status.WITHDRAWN).annotate(
        n=Count("allocation_lines"), q=Sum("allocation_lines__quantity"),
        moved=Sum(F("allocation_lines__in_transit_quantity") + F("allocation_lines__delivered_quantity")
                  + F("allocation_lines__lost_quantity")),
        done=Sum(F("allocation_lines__delivered_quantity") + F("allocation_lines__lost_quantity"))))
    for p in statuses.filter(n__gt=0):
        if p.status == Pledge.Status.ALLOCATED and p.moved:
            found.append(f"{p.reference} is allocated but {p.moved} units have left the donor; it should be shipped.")
        if p.status == Pledge.Status.DELIVERED and p.done != p.q:
            found.append(f"{p.reference} is delivered but only {p.done} of {p.q} units are delivered or written off.")
        if p.status == Pledge.Status.SHIPPED and p.q and p.done == p.q:
            found.append(f"{p.reference} is shipped but every unit is delivered or written off; it should be "
                         "delivered.")
    return found


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


def _against_log(hubs: dict[int, str]) -> tuple[list[str], int]:
    """Each ledger row against its latest audit event: in the database on PostgreSQL, else by replaying the log in
    Python. Both give the same violations, in the same order, and the number of events the log holds for them."""
    return _against_log_in_database(hubs) if _in_database() else _against_log_in_python(hubs)


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


def _differ(alias: str, fields: tuple[str, ...]) -> str:
    """SQL: does any of ``fields`` of the table row ``alias`` differ from the logged entry (a missing key is
    null)?"""
    return " OR ".join(f"COALESCE(to_jsonb({alias}.{connection.ops.quote_name(name)}), 'null'::jsonb) IS DISTINCT "
                       f"FROM COALESCE(l.entry -> '{name}', 'null'::jsonb)" for name in fields)


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _json(raw: Any) -> Any:
    """A JSON value as the driver returns it (text through Django's loaders)."""
    return json.loads(raw) if isinstance(raw, str | bytes) else raw


def _against_log_in_database(hubs: dict[int, str]) -> tuple[list[str], int]:
    found: list[str] = []
    codes = dict(Item.objects.values_list("pk", "code"))
    q = connection.ops.quote_name
    events = q(AuditEvent._meta.db_table)
    movement, allocation, shipment = _label(StockMovement), _label(AllocationLine), _label(Shipment)
    movements, balances = q(StockMovement._meta.db_table), q(StockBalance._meta.db_table)
    allocations, receipt_lines = q(AllocationLine._meta.db_table), q(ReceiptLine._meta.db_table)

    columns = ", ".join(f"m.{q(name)}" for name in MOVEMENT_FIELDS)
    for pk, in_table, entry, *values in _rows(
            f"WITH l AS ({_LATEST_MOVEMENTS.format(events=events)}) "
            f"SELECT COALESCE(m.id, l.id), m.id IS NOT NULL, l.entry, {columns} "
            f"FROM {movements} m FULL JOIN l ON l.id = m.id "
            f"WHERE m.id IS NULL OR l.id IS NULL OR {_differ('m', MOVEMENT_FIELDS)} "
            "ORDER BY m.id IS NULL, 1", [movement]):
        row = dict(zip(MOVEMENT_FIELDS, values, strict=True))
        logged = _json(entry)
        if not in_table:
            found.append(f"Audit log: {_movement_label(pk, logged, hubs, codes)} is in the audit log but not in "
                         "the ledger (deleted).")
        elif logged is None:
            found.append(f"Audit log: {_movement_label(pk, row, hubs, codes)} is in the ledger but has no audit "
                         "event (inserted).")
        elif diff := _differences(row, logged, MOVEMENT_FIELDS):
            found.append(f"Audit log: {_movement_label(pk, row, hubs, codes)} was edited: {diff}.")

    for hub_id, item_id, kept, replayed in _rows(
            f"WITH l AS ({_LATEST_MOVEMENTS.format(events=events)}), "
            "r AS (SELECT (entry ->> 'hub_id')::bigint AS hub_id, (entry ->> 'item_id')::bigint AS item_id, "
            "SUM((entry ->> 'delta')::bigint)::bigint AS on_hand FROM l GROUP BY 1, 2) "
            "SELECT COALESCE(b.hub_id, r.hub_id), COALESCE(b.item_id, r.item_id), COALESCE(b.on_hand, 0), "
            f"COALESCE(r.on_hand, 0) FROM {balances} b FULL JOIN r ON r.hub_id = b.hub_id AND r.item_id = b.item_id "
            "WHERE COALESCE(b.on_hand, 0) <> COALESCE(r.on_hand, 0) ORDER BY 1, 2", [movement]):
        found.append(f"Audit log: {codes.get(item_id, item_id)} at {hubs.get(hub_id, hub_id)}: on hand table "
                     f"{kept} vs log {replayed}.")

    columns = ", ".join(f"a.{q(name)}" for name in ALLOCATION_FIELDS)
    for pk, in_table, is_logged, entry, *values in _rows(
            f"WITH l AS ({_LATEST_ALLOCATIONS.format(events=events)}) "
            f"SELECT COALESCE(a.id, l.id), a.id IS NOT NULL, l.id IS NOT NULL, l.entry, {columns} "
            f"FROM {allocations} a FULL JOIN l ON l.id = a.id "
            "WHERE (a.id IS NULL AND l.entry IS NOT NULL) OR (a.id IS NOT NULL AND (l.id IS NULL "
            f"OR l.entry IS NULL OR {_differ('a', ALLOCATION_FIELDS)})) "
            "ORDER BY a.id IS NULL, 1", [allocation]):
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
            [shipment]):
        kept = tuple(counts[1:4]) if counts[0] else None
        logged_counts = tuple(counts[5:8]) if counts[4] else None
        found.append(f"Audit log: receipt #{receipt}, shipment line {shipment_line}: good/damaged/lost "
                     f"table {_counts(kept)} vs log {_counts(logged_counts)}.")

    (replayed,) = _rows(f"SELECT COUNT(*) FROM {events} WHERE object_type IN (%s, %s) "
                        "OR (object_type = %s AND action = 'shipment.receive')", [movement, allocation, shipment])[0]
    return found, replayed
