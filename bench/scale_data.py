"""Fill a PostgreSQL database with the coalition at scale: 100,000 pledges, 50,000 requirements and their flows.

Run from the repository root, against an empty (or demo-loaded) PostgreSQL database::

    AIDBRIDGE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/aidbridge_scale \\
        .venv/bin/python bench/scale_data.py --scale 1.0

(from another worktree: ``PYTHONPATH=/path/to/tree .venv/bin/python /path/to/bench/scale_data.py ...`` so
that tree's ``aidbridge`` is imported). It migrates, loads the demo scenario through the services if it is
not there yet (organisations, personas, hubs, catalogue, about 430 pledges), then bulk-inserts, at
``--scale 1.0``:

- 50,000 requirements of the demo recipient (draft, submitted, validated, closed, cancelled as in the demo);
- 100,000 in-kind pledges of the demo donors (announced, committed, allocated, shipped, delivered, withdrawn
  as in the demo; coordinators-only, coalition and public releasability as in the demo);
- about 70,000 allocation lines, one or two per allocated, shipped or delivered pledge, each within what its
  pledge offers and its requirement still needs;
- the shipments that carry them, by (donor, hub, week) inbound and (hub, destination, week) outbound, with
  their lines, timelines, receipts, and the hub ledger entries (stock movements and balances) of what was
  received and sent on: an allocated pledge waits on a planned inbound leg, a shipped one is on the road or
  at the hub, a delivered one went all the way;
- about 700,000 audit events: one per creation, transition, dispatch, receipt and ledger entry, chained
  with the audit app's own hashing (:func:`aidbridge.audit.services.chain_hash`) after the scenario's last
  event, so ``aidbridge audit verify`` passes, and the ledger events ``aidbridge ledger verify`` replays;
- a demo login for six more donors (``liaison-gb-mod``…, the demo password) for the load test;
- hub weekly capacities scaled with the volume (an audited ``hub.update``), so hub charts stay readable.

Rows go in with PostgreSQL's COPY in batches (ids drawn from each table's sequence first), with a progress
bar on stderr. Everything is drawn from ``random.Random(seed)`` (``--seed``, default 20261206): the same scale
and seed give the same rows. Dates are relative to today, like the demo's. Audit event times run on from the
scenario's last event, one every 100 µs, so that the trail stays in time order; the objects' own
``created_at`` are spread over the past six months. Only PostgreSQL is accepted (COPY, and the volume).
Running it twice adds a second batch; start from an empty database for the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))

SEED = 20261206
PLEDGES = 100_000
REQUIREMENTS = 50_000
AUDIT_EVENTS = 700_000
BATCH = 20_000
EVENT_STEP = dt.timedelta(microseconds=100)

REQUIREMENT_PLANS = {"draft": 8, "submitted": 12, "validated": 60, "closed": 12, "cancelled": 8}
PRIORITIES = {1: 20, 2: 35, 3: 30, 4: 15}
PLEDGE_PLANS = {"announced": 12, "committed": 34, "allocated": 14, "shipped": 12, "delivered": 20, "withdrawn": 8}
RELEASABILITY = {"coordinators": 25, "coalition": 55, "public": 20}
FUNDING = {"stockpile": 55, "procurement": 35, "pooled_fund": 10}
# The transitions each final status went through, in order (the audit trail tells the whole story).
REQUIREMENT_PATHS = {
    "draft": [], "submitted": [("submitted", "requirement.submit")],
    "validated": [("submitted", "requirement.submit"), ("validated", "requirement.validate")],
    "closed": [("submitted", "requirement.submit"), ("validated", "requirement.validate"),
               ("closed", "requirement.close")],
    "cancelled": [("submitted", "requirement.submit"), ("cancelled", "requirement.cancel")],
}
PLEDGE_PATHS = {
    "announced": [], "committed": [("committed", "pledge.commit")],
    "allocated": [("committed", "pledge.commit"), ("allocated", "pledge.allocate")],
    "shipped": [("committed", "pledge.commit"), ("allocated", "pledge.allocate"), ("shipped", "pledge.ship")],
    "delivered": [("committed", "pledge.commit"), ("allocated", "pledge.allocate"), ("shipped", "pledge.ship"),
                  ("delivered", "pledge.deliver")],
    "withdrawn": [("committed", "pledge.commit"), ("withdrawn", "pledge.withdraw")],
}


def pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidbridge.settings")
    import django

    django.setup()


def batched(rows: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Counts:
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, name: str, n: int) -> None:
        self.rows[name] += n


class Trail:
    """Appends audit events after the chain head, hashed as ``record_event`` would, in bulk."""

    def __init__(self, bar: Any, expected: int) -> None:
        from aidbridge.audit.models import AuditChainHead, AuditEvent

        head, _ = AuditChainHead.objects.get_or_create(pk=1)
        last = AuditEvent.objects.order_by("-seq").first()
        self.seq, self.hash = head.seq, head.hash
        self.at = last.created_at if last else dt.datetime.now(dt.UTC)
        self.pending: list[Any] = []
        self.written = 0
        self.bar = bar
        self.expected = max(1, expected)

    def add(self, *, actor: Any, action: str, object_type: str, object_id: Any, object_repr: str,
            before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
        from aidbridge.audit.models import AuditEvent
        from aidbridge.audit.services import body_hash, event_body

        self.seq += 1
        self.at += EVENT_STEP
        # ``before``/``after`` are snapshots (JSON-safe already): hashed as they are, stored as the same JSON.
        event = AuditEvent(
            seq=self.seq, created_at=self.at, actor_id=actor.pk if actor else None,
            actor_name=actor.username if actor else "system", action=action, object_type=object_type,
            object_id=str(object_id), object_repr=object_repr[:200], before=before, after=after,
            request_id="scale-data", client_request_id="", prev_hash=self.hash,
        )
        event.body = event_body(event)  # the text the hash covers, stored beside it as ``record_event`` does
        event.hash = body_hash(self.hash, event.body)
        self.hash = event.hash
        self.pending.append(event)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        from aidbridge.audit.models import AuditChainHead, AuditEvent

        if self.pending:
            copy_rows(AuditEvent, self.pending)
            self.written += len(self.pending)
            self.pending = []
            AuditChainHead.objects.filter(pk=1).update(seq=self.seq, hash=self.hash)
            self.bar(min(0.99, 0.45 + 0.55 * self.written / self.expected), f"audit events {self.written:,}")


def copy_rows(model: Any, objs: list[Any]) -> None:
    """Insert ``objs`` with PostgreSQL's COPY (several times faster than ``bulk_create``), giving each an id
    drawn from the table's own sequence first, so that the objects know their ids as after ``bulk_create``.

    Values go as they are (psycopg adapts dates, decimals, None); JSON fields as canonical JSON text; fields
    with ``auto_now`` get theirs as ``save`` would. No model ``save`` or signal runs: the caller writes the
    audit events itself.
    """
    from django.db import connection

    from aidbridge.audit.services import canonical_json

    if not objs:
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    table = meta.db_table
    with connection.cursor() as cursor:
        if objs[0].pk is None:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, meta.pk.column, len(objs)])
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                for f in stamped:
                    f.pre_save(obj, add=True)
                row = []
                for f in fields:
                    value = getattr(obj, f.attname)
                    if f.attname in json_fields and value is not None:
                        value = canonical_json(value)
                    elif hasattr(value, "name") and f.get_internal_type() == "FileField":
                        value = value.name or ""
                    row.append(value)
                copy.write_row(row)
        for obj in objs:
            obj._state.adding = False
            obj._state.db = connection.alias


def bulk(model: Any, objs: list[Any], bar: Any, label: str, counts: Counts, at: float) -> list[Any]:
    done = 0
    for chunk in batched(objs, 20_000):
        copy_rows(model, chunk)
        done += len(chunk)
        bar(at, f"{label} {done:,}/{len(objs):,}")
    counts.add(label, done)
    return objs


LIAISONS = ("gb-mod", "pl-mod", "nl-mod", "fr-mod", "no-mod", "se-mod")


def ensure_liaisons() -> list[str]:
    """Demo logins for more donors than the demo's two: ``liaison-<donor>`` (editor, the demo password), made
    through the accounts service (audited) where missing, so that a load test can log in as several donors."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from aidbridge.accounts import services as accounts
    from aidbridge.accounts.models import Membership, Organisation
    from aidbridge.seed.catalogue import DEMO_PASSWORD

    names = []
    with transaction.atomic():
        for org in Organisation.objects.filter(short_name__in=LIAISONS).order_by("short_name"):
            username = f"liaison-{org.short_name}"
            if not get_user_model().objects.filter(username=username).exists():
                accounts.create_user(actor=None, username=username, password=DEMO_PASSWORD, organisation=org,
                                     role=Membership.Role.EDITOR)
            names.append(username)
    return names


def generate(*, scale: float = 1.0, seed: int = SEED, progress: Any = None, out: Any = None) -> dict[str, int]:
    """Add ``scale`` × (100,000 pledges, 50,000 requirements, …) to the database; return the rows added."""
    from django.db import transaction

    from aidbridge.accounts.models import Membership, Organisation
    from aidbridge.allocation.models import AllocationLine
    from aidbridge.audit.services import snapshot
    from aidbridge.catalogue.models import Item
    from aidbridge.core import clock
    from aidbridge.core.clock import monday
    from aidbridge.locations import services as locations
    from aidbridge.locations.models import Hub, Location, OutboundLeadTime
    from aidbridge.logistics.models import (
        Receipt,
        ReceiptLine,
        Shipment,
        ShipmentEvent,
        ShipmentLine,
        StockBalance,
        StockMovement,
    )
    from aidbridge.pledges.models import Pledge
    from aidbridge.requirements.models import Requirement
    from aidbridge.seed import catalogue as ref
    from aidbridge.seed import scenario

    bar = progress or (lambda fraction, message: None)
    say = out or (lambda text: None)
    if not scenario.is_loaded():
        say("Loading the demo scenario first (through the services)…")
        scenario.load(progress=lambda f, m: bar(0.05 * f, f"demo: {m}"))
    ensure_liaisons()
    rng = random.Random(seed)
    now = clock.now()
    today = now.date()
    counts = Counts()

    n_req = max(1, round(REQUIREMENTS * scale))
    n_pledge = max(1, round(PLEDGES * scale))
    n_events = round(AUDIT_EVENTS * scale)

    users = {m.organisation_id: m.user for m in Membership.objects.select_related("user").order_by("user_id")
             if m.role != Membership.Role.AUDITOR}
    coordinator = users[Organisation.objects.get(short_name=ref.CELL.short_name).pk]
    recipient = Organisation.objects.get(short_name=ref.RECIPIENT.short_name)
    donors = list(Organisation.objects.filter(kind=Organisation.Kind.DONOR).order_by("pk"))
    shares = {d.org.short_name: d.share for d in ref.DONORS}
    donor_weights = [shares.get(d.short_name, 0.005) for d in donors]
    items = list(Item.objects.order_by("pk"))
    destinations = list(Location.objects.filter(pk__in=OutboundLeadTime.objects.values("destination"))
                        .order_by("pk")) or list(Location.objects.filter(country="UA").order_by("pk"))
    hubs = list(Hub.objects.filter(active=True).select_related("location", "operator").order_by("pk"))
    item_value = {i.code: Decimal(i.eur) for i in ref.ITEMS}
    item_qty = {i.code: i.qty for i in ref.ITEMS}
    events_expected = n_events

    def created(days_back: int) -> dt.datetime:
        return now - dt.timedelta(days=rng.randint(0, days_back), seconds=rng.randint(0, 86_399))

    with transaction.atomic():
        # --- hubs: weekly capacity in step with the volume -----------------------------------------------
        factor = Decimal(str(max(1.0, 250 * scale)))
        for hub in hubs:
            locations.update_hub(actor=coordinator, hub=hub,
                                 changes={"capacity_t_per_week": (hub.capacity_t_per_week * factor).quantize(
                                     Decimal("0.001"))})
        trail = Trail(bar, events_expected)  # after the hub updates: they append through the services
        # --- requirements -------------------------------------------------------------------------------
        req_rows = []
        for _ in range(n_req):
            item = rng.choice(items)
            low, high, step = item_qty.get(item.code, (10, 500, 10))
            plan = pick(rng, REQUIREMENT_PLANS)
            req_rows.append(Requirement(
                recipient=recipient, item=item, quantity=rng.randrange(low, high + 1, step) or step,
                priority=pick(rng, PRIORITIES), due_date=today + dt.timedelta(days=rng.randint(-60, 240)),
                destination=rng.choice(destinations), status=plan, created_at=created(180),
                notes="" if rng.random() < 0.9 else "Bulk requirement (scale data).",
            ))
        reqs = bulk(Requirement, req_rows, bar, "requirements", counts, 0.08)
        # --- pledges ------------------------------------------------------------------------------------
        pledge_rows = []
        for _ in range(n_pledge):
            item = rng.choice(items)
            donor = rng.choices(donors, weights=donor_weights)[0]
            low, high, step = item_qty.get(item.code, (10, 500, 10))
            plan = pick(rng, PLEDGE_PLANS)
            days = {"delivered": (-56, -21), "shipped": (-42, -7), "allocated": (-21, 42), "committed": (-14, 35),
                    "announced": (0, 140), "withdrawn": (-56, 140)}[plan]
            releasability = pick(rng, RELEASABILITY)
            unit = item_value.get(item.code, Decimal("100")) * Decimal(str(round(rng.uniform(0.85, 1.15), 3)))
            pledge_rows.append(Pledge(
                donor=donor, item=item, quantity=max(1, rng.randrange(low, high + 1, step) // 2),
                available_from=today + dt.timedelta(days=rng.randint(*days)), origin_country=donor.country,
                unit_value=unit.quantize(Decimal("0.01")), currency="EUR", funding_source=pick(rng, FUNDING),
                status=plan, releasability=releasability,
                disclosure_date=today + dt.timedelta(days=rng.randint(-120, 90)) if releasability == "public"
                else None, created_at=created(180),
            ))
        pledges = bulk(Pledge, pledge_rows, bar, "pledges", counts, 0.16)
        # --- allocation lines: each within its pledge and its requirement --------------------------------
        open_needs: dict[int, list[list[int]]] = defaultdict(list)  # item id → [[requirement index, remaining]]
        for index, r in enumerate(reqs):
            if r.status in ("validated", "closed"):
                open_needs[r.item_id].append([index, r.quantity])
        for needs in open_needs.values():
            rng.shuffle(needs)
        line_rows: list[AllocationLine] = []
        line_stage: list[str] = []
        demoted: list[int] = []
        for p in pledges:
            if p.status not in ("allocated", "shipped", "delivered"):
                continue
            needs = open_needs.get(p.item_id, [])
            left = p.quantity
            parts = 1 if p.quantity < 2 or rng.random() < 0.5 else 2
            for part in range(parts):
                if not needs or left <= 0:
                    break
                need = needs[-1]
                want = left if part == parts - 1 else max(1, left // 2)
                qty = min(want, need[1])
                need[1] -= qty
                left -= qty
                if need[1] <= 0:
                    needs.pop()
                hub = rng.choice(hubs)
                week = monday(p.available_from) + dt.timedelta(weeks=1)
                line_rows.append(AllocationLine(
                    pledge=p, requirement=reqs[need[0]], hub=hub, quantity=qty, dispatch_week=week,
                    created_by=coordinator, created_at=max(p.created_at, reqs[need[0]].created_at),
                ))
            if not any(line.pledge is p for line in line_rows[-2:]):
                p.status = "committed"  # nothing left to allocate it to: it waits, committed
                demoted.append(p.pk)
        # What has happened to each line so far, by its pledge's status: waiting on a planned inbound leg, on
        # the road to the hub, at the hub with its outbound leg planned, or delivered.
        for line in line_rows:
            status = line.pledge.status
            if status == "allocated":
                stage = "planned"
            elif status == "shipped":
                stage = "inbound" if rng.random() < 0.5 else "at_hub"
            else:
                stage = "delivered"
            line_stage.append(stage)
            line.in_transit_quantity = line.quantity if stage in ("inbound", "at_hub") else 0
            line.delivered_quantity = line.quantity if stage == "delivered" else 0
        lines = bulk(AllocationLine, line_rows, bar, "allocation lines", counts, 0.22)
        for chunk in batched(demoted):
            Pledge.objects.filter(pk__in=chunk).update(status="committed")
        # --- shipments ----------------------------------------------------------------------------------
        inbound: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        outbound: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for index, (line, stage) in enumerate(zip(lines, line_stage, strict=True)):
            p = line.pledge
            if stage == "planned":
                if rng.random() < 0.6:  # the rest is still to plan
                    week = max(monday(today) + dt.timedelta(weeks=1), monday(p.available_from))
                    inbound[(p.donor_id, line.hub_id, week, "planned")].append(index)
                continue
            if stage == "inbound":
                week = monday(today) - dt.timedelta(weeks=rng.randint(0, 1))
                inbound[(p.donor_id, line.hub_id, week, "dispatched")].append(index)
                continue
            week = monday(p.available_from)
            inbound[(p.donor_id, line.hub_id, week, "received")].append(index)
            dest = line.requirement.destination_id
            if stage == "at_hub":
                out_week = max(monday(today), week + dt.timedelta(weeks=1))
                outbound[(line.hub_id, dest, out_week, "planned")].append(index)
            else:
                outbound[(line.hub_id, dest, week + dt.timedelta(weeks=1), "received")].append(index)
        ship_rows: list[Shipment] = []
        ship_lines: list[list[int]] = []
        hub_by_id = {h.pk: h for h in hubs}
        donor_by_id = {d.pk: d for d in donors}
        for (donor_id, hub_id, week, status), members in sorted(inbound.items(), key=lambda kv: (str(kv[0]))):
            donor = donor_by_id[donor_id]
            dispatched = dt.datetime.combine(week, dt.time(8), tzinfo=dt.UTC) if status != "planned" else None
            arrived = dispatched + dt.timedelta(days=3) if dispatched is not None and status == "received" else None
            ship_rows.append(Shipment(
                leg="inbound", status=status, hub_id=hub_id, donor=donor, origin_country=donor.country,
                week=week, expected_arrival=week + dt.timedelta(days=4), generated=True,
                dispatched_at=dispatched, arrived_at=arrived, received_at=arrived,
                carrier=f"{donor.country} logistics" if dispatched else "", created_by=coordinator,
                created_at=dt.datetime.combine(week, dt.time(9), tzinfo=dt.UTC) - dt.timedelta(days=14),
            ))
            ship_lines.append(members)
        for (hub_id, dest_id, week, status), members in sorted(outbound.items(), key=lambda kv: (str(kv[0]))):
            dispatched = dt.datetime.combine(week, dt.time(8), tzinfo=dt.UTC) if status != "planned" else None
            arrived = dispatched + dt.timedelta(days=3) if dispatched is not None and status == "received" else None
            ship_rows.append(Shipment(
                leg="outbound", status=status, hub_id=hub_id, destination_id=dest_id,
                origin=hub_by_id[hub_id].location, week=week, expected_arrival=week + dt.timedelta(days=3),
                generated=True, dispatched_at=dispatched,
                arrived_at=dispatched + dt.timedelta(days=2) if dispatched else None,
                received_at=dispatched + dt.timedelta(days=2) if dispatched else None,
                carrier="UA railways" if dispatched else "", created_by=coordinator,
                created_at=dt.datetime.combine(week, dt.time(9), tzinfo=dt.UTC) - dt.timedelta(days=7),
            ))
            ship_lines.append(members)
        shipments = bulk(Shipment, ship_rows, bar, "shipments", counts, 0.26)
        sl_rows = []
        for s, members in zip(shipments, ship_lines, strict=True):
            for index in members:
                line = lines[index]
                sl_rows.append(ShipmentLine(shipment=s, allocation_line=line, item_id=line.pledge.item_id,
                                            quantity=line.quantity))
        slines = bulk(ShipmentLine, sl_rows, bar, "shipment lines", counts, 0.30)
        by_shipment: dict[int, list[ShipmentLine]] = defaultdict(list)
        for sl in slines:
            by_shipment[sl.shipment_id].append(sl)
        # Timelines, receipts and the hub ledger of what moved.
        ev_rows, receipt_rows, receipt_of = [], [], []
        for s in shipments:
            ev_rows.append(ShipmentEvent(shipment=s, status="planned", at=s.created_at, recorded_by=coordinator,
                                         created_at=s.created_at))
            if s.dispatched_at:
                ev_rows.append(ShipmentEvent(shipment=s, status="dispatched", at=s.dispatched_at,
                                             recorded_by=coordinator, carrier=s.carrier,
                                             created_at=s.dispatched_at))
            if s.status == "received":
                ev_rows.append(ShipmentEvent(shipment=s, status="received", at=s.received_at,
                                             recorded_by=coordinator, created_at=s.received_at))
                receipt_rows.append(Receipt(
                    shipment=s, received_by=coordinator, received_at=s.received_at,
                    location_id=hub_by_id[s.hub_id].location_id if s.leg == "inbound" else s.destination_id,
                    created_at=s.received_at))
                receipt_of.append(s)
        bulk(ShipmentEvent, ev_rows, bar, "shipment events", counts, 0.33)
        receipts = bulk(Receipt, receipt_rows, bar, "receipts", counts, 0.35)
        rl_rows = [ReceiptLine(receipt=r, shipment_line=sl, good=sl.quantity)
                   for r, s in zip(receipts, receipt_of, strict=True) for sl in by_shipment[s.pk]]
        bulk(ReceiptLine, rl_rows, bar, "receipt lines", counts, 0.37)
        mv_rows = []
        for s in sorted(shipments, key=lambda s: (s.dispatched_at or s.created_at, s.pk)):
            if s.leg == "inbound" and s.status == "received":
                kind = StockMovement.Kind.RECEIPT
            elif s.leg == "outbound" and s.dispatched_at:
                kind = StockMovement.Kind.ISSUE
            else:
                continue
            for sl in by_shipment[s.pk]:
                mv_rows.append(StockMovement(hub_id=s.hub_id, item_id=sl.item_id, kind=kind, quantity=sl.quantity,
                                             shipment=s, shipment_line=sl, allocation_line=sl.allocation_line,
                                             actor=coordinator, at=s.received_at if kind == "receipt"
                                             else s.dispatched_at))
        # The ledger in time order: every receipt of a line is before its issue, so no balance dips below zero.
        mv_rows.sort(key=lambda m: (m.at, 0 if m.kind == "receipt" else 1))
        movements = bulk(StockMovement, mv_rows, bar, "stock movements", counts, 0.40)
        balance: dict[tuple[int, int], int] = defaultdict(int)
        for m in movements:
            balance[(m.hub_id, m.item_id)] += m.delta
        existing = {(b.hub_id, b.item_id): b for b in StockBalance.objects.filter(hub__in=hubs)}
        for key, delta in balance.items():
            if key in existing:
                StockBalance.objects.filter(pk=existing[key].pk).update(on_hand=existing[key].on_hand + delta)
            else:
                StockBalance.objects.create(hub_id=key[0], item_id=key[1], on_hand=delta)
        bar(0.45, "audit events")
        # --- the audit trail ----------------------------------------------------------------------------
        by_org = users.get
        for r in reqs:
            final = snapshot(r)
            actor = by_org(recipient.pk)
            state = {**final, "status": "draft"}
            trail.add(actor=actor, action="requirement.create", object_type="requirements.requirement",
                      object_id=r.pk, object_repr=f"{r.reference}", after=state)
            for status, action in REQUIREMENT_PATHS[r.status]:
                nxt = {**state, "status": status}
                who = coordinator if action in ("requirement.validate", "requirement.close") else actor
                trail.add(actor=who, action=action, object_type="requirements.requirement", object_id=r.pk,
                          object_repr=r.reference, before=state, after=nxt)
                state = nxt
        for p in pledges:
            final = snapshot(p)
            actor = by_org(p.donor_id) or coordinator
            state = {**final, "status": "announced"}
            trail.add(actor=actor, action="pledge.create", object_type="pledges.pledge", object_id=p.pk,
                      object_repr=p.reference, after=state)
            for status, action in PLEDGE_PATHS[p.status]:
                nxt = {**state, "status": status}
                trail.add(actor=actor if action in ("pledge.commit", "pledge.withdraw") else coordinator,
                          action=action, object_type="pledges.pledge", object_id=p.pk, object_repr=p.reference,
                          before=state, after=nxt)
                state = nxt
        for line in lines:
            final = snapshot(line)
            fresh = {**final, "in_transit_quantity": 0, "delivered_quantity": 0, "lost_quantity": 0}
            repr_ = f"{line.pledge.reference} → {line.requirement.reference} ×{line.quantity}"
            trail.add(actor=coordinator, action="allocation.create", object_type="allocation.allocationline",
                      object_id=line.pk, object_repr=repr_, after=fresh)
            if final != fresh:
                trail.add(actor=coordinator, action="allocation.deliver" if line.delivered_quantity
                          else "allocation.dispatch", object_type="allocation.allocationline", object_id=line.pk,
                          object_repr=repr_, before=fresh, after=final)
        for s in shipments:
            after = {**snapshot(s), "lines": [[sl.allocation_line_id, sl.quantity] for sl in by_shipment[s.pk]]}
            trail.add(actor=coordinator, action="shipment.plan", object_type="logistics.shipment", object_id=s.pk,
                      object_repr=s.reference, after={**after, "status": "planned"})
            if s.dispatched_at:
                trail.add(actor=coordinator, action="shipment.dispatch", object_type="logistics.shipment",
                          object_id=s.pk, object_repr=s.reference, after={**after, "status": "dispatched"})
        for receipt, s in zip(receipts, receipt_of, strict=True):
            trail.add(actor=coordinator, action="shipment.receive", object_type="logistics.shipment",
                      object_id=s.pk, object_repr=s.reference,
                      after={**snapshot(s), "receipt": receipt.pk,
                             "lines": [[sl.pk, sl.quantity, 0, 0, ""] for sl in by_shipment[s.pk]]})
        for m in movements:
            trail.add(actor=coordinator, action="stock.receive" if m.kind == "receipt" else "stock.dispatch",
                      object_type="logistics.stockmovement", object_id=m.pk,
                      object_repr=f"{m.get_kind_display()} ×{m.quantity}", after={**snapshot(m), "delta": m.delta})
        # Edits of notes make up the rest of the trail's volume, as coordinators and donors annotate pledges.
        while trail.written + len(trail.pending) < n_events:
            p = pledges[rng.randrange(len(pledges))]
            before = snapshot(p)
            trail.add(actor=by_org(p.donor_id) or coordinator, action="pledge.update",
                      object_type="pledges.pledge", object_id=p.pk, object_repr=p.reference, before=before,
                      after={**before, "notes": "Reviewed (scale data)."})
        trail.flush()
        counts.add("audit events", trail.written)
    bar(1.0, "done")
    return dict(counts.rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100,000 pledges (default).")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        print("scale_data: the database is not PostgreSQL; set AIDBRIDGE_DATABASE_URL=postgresql://…",
              file=sys.stderr)
        return 2
    from aidbridge.core.progress import ProgressBar
    from aidbridge.core.requestid import request_id

    call_command("migrate", interactive=False, verbosity=0)
    started = time.monotonic()
    bar = ProgressBar(stream=sys.stderr)
    with request_id():
        added = generate(scale=args.scale, seed=args.seed, progress=bar, out=print)
    bar.finish("done")
    # Planner statistics for the bulk-loaded tables: without them PostgreSQL estimates a few hundred rows where
    # there are tens of thousands and picks plans accordingly, until autovacuum gets round to it (and a
    # database copied with ``createdb -T`` starts with no activity counts, so it may never).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for name, n in added.items():
        print(f"{name}: {n:,}")
    print(f"Generated in {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
