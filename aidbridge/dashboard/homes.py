"""The home page of each role: what the coordinator, a donor, a recipient and a hub operator look at first.

Every figure is an SQL aggregate over a ``for_user`` queryset, so a record the viewer may not see never counts
(an allocation line counts only when the viewer may see both its pledge and its requirement). The aggregates
are cached with :func:`aidbridge.audit.cache.cached`, keyed by the viewer's visibility scope and the audit
chain head, so a request after no write costs one single-row query; a write makes the next request compute
afresh. Dates are relative to :func:`aidbridge.core.clock.today`; "this week" runs Monday to Sunday.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Min,
    Q,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import Principal, principal
from aidbridge.allocation.models import AllocationLine, AllocationRun
from aidbridge.audit.cache import cached, scope
from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue.models import Item
from aidbridge.core.clock import monday
from aidbridge.locations.models import Hub
from aidbridge.logistics import queries as logistics
from aidbridge.logistics.models import Shipment, ShipmentLine
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement

TONNES = DecimalField(max_digits=24, decimal_places=6)
ZERO = Decimal(0)
#: The requirements whose coverage counts: submitted, validated and closed (drafts and cancelled ones do not).
ACTIVE = (Requirement.Status.SUBMITTED, Requirement.Status.VALIDATED, Requirement.Status.CLOSED)
#: Requirements still asking for goods.
OPEN = (Requirement.Status.SUBMITTED, Requirement.Status.VALIDATED)
#: The pipeline of in-kind pledges, from announced to delivered (withdrawn ones are off it).
PIPELINE = (Pledge.Status.ANNOUNCED, Pledge.Status.COMMITTED, Pledge.Status.ALLOCATED, Pledge.Status.SHIPPED,
            Pledge.Status.DELIVERED)
#: Shipments on the road: dispatched, in transit, or arrived and not yet counted off.
MOVING = (Shipment.Status.DISPATCHED, Shipment.Status.IN_TRANSIT, Shipment.Status.ARRIVED)
#: The audit object types a finished allocation plan reads: a later write to any of them makes it stale.
RUN_INPUTS = ("pledges.pledge", "requirements.requirement", "allocation.allocationline", "locations.hub",
              "locations.inboundleadtime", "locations.outboundleadtime", "catalogue.item", "catalogue.package")
RECENT_WEEKS = 4  # the hub throughput table: this week and the three before


def kind(user: Any) -> str:
    """Which home ``user`` gets: coordinator (also auditors and the superuser, who oversee everything), donor,
    recipient, hub operator, or outsider (an organisation outside the coalition, or no organisation)."""
    p = principal(user)
    if p.oversees:
        return "coordinator"
    if not p.in_coalition or p.org_kind is None:
        return "outsider"
    homes: dict[str, str] = {Organisation.Kind.DONOR: "donor", Organisation.Kind.RECIPIENT: "recipient",
                             Organisation.Kind.HUB_OPERATOR: "hub"}
    return homes.get(str(p.org_kind), "outsider")


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of ``day``'s week (across a month or year end as the calendar has it)."""
    start = monday(day)
    return start, start + dt.timedelta(days=6)


def home_cached(user: Any, name: str, compute: Any) -> Any:
    """One cached aggregate of ``user``'s home, keyed by its visibility scope and the language of its labels."""
    return cached(("home", name, scope(user), get_language()), compute)


# --- coverage ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    """Required tonnage of one group of requirements, and how much of it is delivered, moving, allocated."""

    key: str
    label: str
    needed: Decimal
    delivered: Decimal
    in_transit: Decimal
    allocated: Decimal  # allocated, not yet moved
    open: Decimal

    @property
    def covered_percent(self) -> int:
        if not self.needed:
            return 0
        return round(100 * min(self.delivered + self.in_transit + self.allocated, self.needed) / self.needed)

    @property
    def values(self) -> list[Decimal]:
        return [self.delivered, self.in_transit, self.allocated, self.open]


def coverage(user: Any, by: str, *, recipient_id: int | None = None) -> list[Coverage]:
    """Coverage in tonnes of the active requirements ``user`` sees, grouped ``by`` ``"priority"`` or
    ``"supply_class"`` (of the required item); only ``recipient_id``'s when given. Two queries.

    Tonnes, never units: cartridges and trucks are not added up. Only allocation lines the user may see count.
    """
    field_name = "priority" if by == "priority" else "item__supply_class"
    active = Requirement.objects.for_user(user).filter(status__in=ACTIVE)
    if recipient_id is not None:
        active = active.filter(recipient_id=recipient_id)
    needed = dict(active.order_by().values_list(field_name)
                  .annotate(q=Sum(F("quantity") * F("item__weight_t"), output_field=TONNES)))
    weight = F("requirement__item__weight_t")
    moved = {row["group"]: row for row in
             # ``AllocationLine.for_user`` less its requirement test, which ``active`` (visible ones) already is.
             AllocationLine.objects.filter(requirement__in=active.values("pk"),
                                           pledge__in=Pledge.objects.for_user(user).values("pk")).order_by()
             .values(group=F(f"requirement__{field_name}"))
             .annotate(a=Sum(F("quantity") * weight, output_field=TONNES),
                       t=Sum(F("in_transit_quantity") * weight, output_field=TONNES),
                       d=Sum(F("delivered_quantity") * weight, output_field=TONNES))}
    choices = Requirement.Priority.choices if by == "priority" else Item.SupplyClass.choices
    out = []
    for value, label in choices:
        if by != "priority" and value not in needed and value not in moved:
            continue  # ten supply classes: only those with requirements
        row: Mapping[str, Any] = moved.get(value, {})
        need = Decimal(needed.get(value) or 0)
        delivered, in_transit = Decimal(row.get("d") or 0), Decimal(row.get("t") or 0)
        waiting = max(Decimal(row.get("a") or 0) - delivered - in_transit, ZERO)
        open_ = max(need - delivered - in_transit - waiting, ZERO)
        out.append(Coverage(str(value), str(label), need, delivered, in_transit, waiting, open_))
    return out


# --- coordinator ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Inbox:
    to_validate: int
    to_allocate: int
    stale_runs: int
    finished_runs: int
    overdue: int
    discrepancies: int


def inbox(user: Any, today: dt.date) -> Inbox:
    """What awaits a coordinator: one count per queue, each of the list it links to."""
    return Inbox(
        to_validate=Requirement.objects.for_user(user).filter(status=Requirement.Status.SUBMITTED).count(),
        to_allocate=Pledge.objects.for_user(user).filter(status=Pledge.Status.COMMITTED).count(),
        stale_runs=len(stale_runs(user, today)),
        finished_runs=AllocationRun.objects.for_user(user).filter(status=AllocationRun.Status.DONE).count(),
        overdue=logistics.overdue_shipments(user=user, today=today).count(),
        discrepancies=logistics.discrepancy_report(user=user).count(),
    )


def stale_runs(user: Any, today: dt.date) -> list[int]:
    """The finished, unapproved runs whose plan can no longer be approved as it stands, by a cheap test.

    A run is stale when a planning input (pledge, requirement, allocation line, hub, lead time, item, package)
    was written after the run started, as the audit trail records it, or when its first week has passed.
    ``aidbridge.allocation.run_services.stale_reasons`` (shown on the run's page) says exactly why; it rebuilds
    the whole instance, too costly for a home page. The test here reads the trail from the run's own first
    event onwards: three queries, however many runs.
    """
    runs = list(AllocationRun.objects.for_user(user).filter(status=AllocationRun.Status.DONE)
                .order_by("pk").values_list("pk", "start_date"))
    if not runs:
        return []
    this_week = monday(today)
    first_events = dict(AuditEvent.objects.filter(object_type="allocation.allocationrun",
                                                  object_id__in=[str(pk) for pk, _ in runs])
                        .order_by().values_list("object_id").annotate(seq=Min("seq")))
    # The newest write to a planning input: read backwards along the sequence index, it stops at the first.
    latest_input = (AuditEvent.objects.filter(object_type__in=RUN_INPUTS).order_by("-seq")
                    .values_list("seq", flat=True).first())
    stale = []
    for pk, start_date in runs:
        since = first_events.get(str(pk))
        if start_date < this_week or since is None or (latest_input is not None and latest_input > since):
            stale.append(pk)
    return stale


@dataclass(frozen=True)
class PipelineStage:
    status: str
    label: str
    pledges: int
    tonnes: Decimal


def pipeline(user: Any, *, donor_id: int | None = None) -> list[PipelineStage]:
    """In-kind pledges ``user`` sees by status, announced to delivered then withdrawn: how many and tonnes."""
    pledges = Pledge.objects.for_user(user)
    if donor_id is not None:
        pledges = pledges.filter(donor_id=donor_id)
    rows = {status: (n, t) for status, n, t in pledges.order_by().values_list("status").annotate(
        n=Count("pk"), t=Sum(F("quantity") * F("item__weight_t"), output_field=TONNES))}
    return [PipelineStage(str(s), str(label), rows.get(s, (0, ZERO))[0], Decimal(rows.get(s, (0, ZERO))[1] or 0))
            for s, label in Pledge.Status.choices]


@dataclass(frozen=True)
class HubLoad:
    pk: int
    code: str
    name: str
    capacity_t: Decimal
    weeks: tuple[tuple[dt.date, Decimal, Decimal], ...]  # (Monday, inbound t, outbound t), oldest first

    @property
    def this_week(self) -> tuple[dt.date, Decimal, Decimal]:
        return self.weeks[-1]

    @property
    def load_t(self) -> Decimal:
        return self.this_week[1] + self.this_week[2]

    @property
    def spare_t(self) -> Decimal:
        return max(self.capacity_t - self.load_t, ZERO)

    @property
    def over_capacity(self) -> bool:
        return self.load_t > self.capacity_t

    @property
    def percent(self) -> int:
        return round(100 * self.load_t / self.capacity_t) if self.capacity_t else 0


def hub_throughput(user: Any, today: dt.date, *, hubs: Any = None, weeks: int = RECENT_WEEKS) -> list[HubLoad]:
    """Tonnes in and out of each hub per week, this week and the ``weeks - 1`` before, against its capacity.

    One grouped query over the shipment lines ``user`` may see (by hub, leg and day; never model instances),
    bucketed into weeks here. As ``logistics.queries.weekly_tonnes``: an inbound leg counts on the day it
    arrived or is expected to, an outbound leg on the day it left or in its planned week; cancelled ones nowhere.
    """
    first = monday(today) - dt.timedelta(weeks=weeks - 1)
    end = monday(today) + dt.timedelta(days=7)
    hub_rows = list((hubs if hubs is not None else Hub.objects.filter(active=True))
                    .order_by("code").values_list("pk", "code", "name", "capacity_t_per_week"))
    day = Case(
        When(shipment__leg=Shipment.Leg.INBOUND,
             then=Coalesce(TruncDate("shipment__arrived_at"), F("shipment__expected_arrival"))),
        default=Coalesce(TruncDate("shipment__dispatched_at"), F("shipment__week")),
    )
    rows = (ShipmentLine.objects.for_user(user).filter(shipment__hub_id__in=[h[0] for h in hub_rows])
            .exclude(shipment__status=Shipment.Status.CANCELLED).annotate(day=day)
            .filter(day__gte=first, day__lt=end).order_by()
            .values_list("shipment__hub_id", "shipment__leg", "day")
            .annotate(t=Sum(F("quantity") * F("item__weight_t"), output_field=TONNES)))
    tonnes: dict[tuple[int, str, dt.date], Decimal] = defaultdict(Decimal)
    for hub_id, leg, on, t in rows:
        on = on.date() if isinstance(on, dt.datetime) else on
        tonnes[(hub_id, leg, monday(on))] += Decimal(t or 0)
    mondays = [first + dt.timedelta(weeks=n) for n in range(weeks)]
    return [HubLoad(pk, code, name, Decimal(capacity), tuple(
        (w, tonnes[(pk, Shipment.Leg.INBOUND, w)], tonnes[(pk, Shipment.Leg.OUTBOUND, w)]) for w in mondays))
        for pk, code, name, capacity in hub_rows]


# --- donor ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    units: int
    tonnes: Decimal


def goods_by_stage(user: Any, donor_id: int) -> list[Stage]:
    """Where the donor's in-kind goods are: at origin, in transit to a hub, at a hub, in transit to the
    recipient, delivered; in units and tonnes. Three queries over what ``user`` sees.

    At origin: pledged (not withdrawn) units that have not left. In transit: the lines of dispatched, moving or
    arrived-but-uncounted legs. At a hub: units that left the donor and are neither on a leg nor delivered.
    """
    pledges = Pledge.objects.for_user(user).filter(donor_id=donor_id).exclude(status=Pledge.Status.WITHDRAWN)
    weight = F("item__weight_t")
    pledged = pledges.aggregate(u=Sum("quantity"), t=Sum(F("quantity") * weight, output_field=TONNES))
    lines = AllocationLine.objects.for_user(user).filter(pledge__in=pledges.values("pk"))
    lw = F("pledge__item__weight_t")
    moved = lines.aggregate(
        transit_u=Sum("in_transit_quantity"), transit_t=Sum(F("in_transit_quantity") * lw, output_field=TONNES),
        delivered_u=Sum("delivered_quantity"), delivered_t=Sum(F("delivered_quantity") * lw, output_field=TONNES),
        gone_u=Sum(F("in_transit_quantity") + F("delivered_quantity") + F("lost_quantity")),
        gone_t=Sum((F("in_transit_quantity") + F("delivered_quantity") + F("lost_quantity")) * lw,
                   output_field=TONNES))
    legs = {leg: (u or 0, Decimal(t or 0)) for leg, u, t in
            ShipmentLine.objects.for_user(user).filter(allocation_line__in=lines.values("pk"),
                                                       shipment__status__in=MOVING)
            .order_by().values_list("shipment__leg")
            .annotate(u=Sum("quantity"), t=Sum(F("quantity") * F("item__weight_t"), output_field=TONNES))}
    d = {k: (v or 0) for k, v in moved.items()}
    inbound, outbound = legs.get(Shipment.Leg.INBOUND, (0, ZERO)), legs.get(Shipment.Leg.OUTBOUND, (0, ZERO))
    at_origin = (max((pledged["u"] or 0) - d["gone_u"], 0),
                 max(Decimal(pledged["t"] or 0) - Decimal(d["gone_t"]), ZERO))
    at_hub = (max(d["transit_u"] - inbound[0] - outbound[0], 0),
              max(Decimal(d["transit_t"]) - inbound[1] - outbound[1], ZERO))
    return [
        Stage("origin", _("At origin"), *at_origin),
        Stage("to_hub", _("In transit to a hub"), *inbound),
        Stage("hub", _("At a hub"), *at_hub),
        Stage("to_recipient", _("In transit to the recipient"), *outbound),
        Stage("delivered", _("Delivered"), d["delivered_u"], Decimal(d["delivered_t"])),
    ]


@dataclass(frozen=True)
class Backfill:
    item_id: int
    code: str
    name: str
    requirements: int
    units_short: int


def backfill_requests(user: Any, donor_id: int, *, limit: int = 10) -> list[Backfill]:
    """Open requirements (submitted or validated) that ``user`` sees, for items the donor has pledged before,
    not yet covered by allocations the user may see: per item, how many open requirements and the units still
    short, most short first. Two grouped queries: allocation never over-fills a requirement
    (``allocation.services.allocate``), so an item's units short are its open units less those allocated.

    The what-if backfill lists (``aidbridge.whatif``) are for coordinators only; this is what a donor may see.
    """
    items = Pledge.objects.for_user(user).filter(donor_id=donor_id).values("item_id")
    open_ = Requirement.objects.for_user(user).filter(status__in=OPEN, item_id__in=items)
    required = {pk: (code, name, n, units) for pk, code, name, n, units in
                open_.order_by().values_list("item_id", "item__code", "item__name")
                .annotate(n=Count("pk"), units=Sum("quantity"))}
    # The requirement is one ``user`` sees (``open_``); the line counts when its pledge is visible too.
    allocated = dict(AllocationLine.objects.filter(requirement__in=open_.values("pk"),
                                                   pledge__in=Pledge.objects.for_user(user).values("pk"))
                     .order_by().values_list("requirement__item_id").annotate(units=Sum("quantity")))
    rows = [Backfill(pk, code, name, n, int(units or 0) - int(allocated.get(pk) or 0))
            for pk, (code, name, n, units) in required.items()]
    return sorted((row for row in rows if row.units_short > 0), key=lambda r: (-r.units_short, r.code))[:limit]


# --- recipient and hub operator ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShipmentRow:
    pk: int
    leg: str
    status: str
    status_label: str
    hub_code: str
    place: str  # the destination of an outbound leg, the donor of an inbound one
    expected_arrival: dt.date
    week: dt.date
    tonnes: Decimal


def _shipment_rows(shipments: Any, lines: Any, limit: int) -> list[ShipmentRow]:
    """The first ``limit`` of ``shipments`` by expected arrival, with the tonnes of their ``lines`` (one query
    for the rows, one for the tonnes of those few)."""
    statuses = dict(Shipment.Status.choices)
    rows = list(shipments.order_by("expected_arrival", "pk")
                .values_list("pk", "leg", "status", "hub__code", "destination__name", "donor__name",
                             "expected_arrival", "week")[:limit])
    tonnes = dict(lines.filter(shipment_id__in=[row[0] for row in rows]).order_by().values_list("shipment_id")
                  .annotate(t=Sum(F("quantity") * F("item__weight_t"), output_field=TONNES))) if rows else {}
    return [ShipmentRow(pk, leg, status, str(statuses.get(status, status)), hub, destination or donor or "",
                        arrival, week, Decimal(tonnes.get(pk) or 0))
            for pk, leg, status, hub, destination, donor, arrival, week in rows]


def arrivals_this_week(user: Any, recipient_id: int, today: dt.date, *,
                       limit: int = 20) -> tuple[int, list[ShipmentRow]]:
    """Outbound legs bringing the recipient's goods expected this week (Monday to Sunday), not yet received or
    cancelled: how many, and the first ``limit``. Only legs carrying pledges the recipient may see count."""
    start, end = week_of(today)
    lines = ShipmentLine.objects.for_user(user).filter(
        allocation_line__pledge__in=Pledge.objects.for_user(user).values("pk"),
        allocation_line__requirement__recipient_id=recipient_id)
    shipments = (Shipment.objects.filter(leg=Shipment.Leg.OUTBOUND, expected_arrival__range=(start, end),
                                         pk__in=lines.values("shipment_id"))
                 .exclude(status__in=[Shipment.Status.RECEIVED, Shipment.Status.CANCELLED]))
    return shipments.count(), _shipment_rows(shipments, lines, limit)


@dataclass(frozen=True)
class HubDay:
    pk: int
    code: str
    name: str
    inbound_today: int
    inbound_week: int
    outbound_today: int
    outbound_week: int


def hub_movements(user: Any, hubs: list[tuple[int, str, str]], today: dt.date, *, limit: int = 25) -> tuple[
        list[HubDay], list[ShipmentRow]]:
    """Per hub: inbound legs due (or arrived) today and this week, outbound legs leaving (or planned to)
    today and this week; and this week's legs themselves, first ``limit``. Cancelled legs count nowhere."""
    start, end = week_of(today)
    arrival = Coalesce(TruncDate("arrived_at"), F("expected_arrival"))
    departure = Coalesce(TruncDate("dispatched_at"), F("week"))
    shipments = (Shipment.objects.for_user(user).filter(hub_id__in=[h[0] for h in hubs])
                 .exclude(status=Shipment.Status.CANCELLED).annotate(arrival_day=arrival, departure_day=departure))
    inbound = Q(leg=Shipment.Leg.INBOUND)
    outbound = Q(leg=Shipment.Leg.OUTBOUND)
    counts = {row["hub_id"]: row for row in shipments.order_by().values("hub_id").annotate(
        inbound_today=Count("pk", filter=inbound & Q(arrival_day=today)),
        inbound_week=Count("pk", filter=inbound & Q(arrival_day__range=(start, end))),
        outbound_today=Count("pk", filter=outbound & Q(departure_day=today)),
        outbound_week=Count("pk", filter=outbound & Q(departure_day__range=(start, end))))}
    days = [HubDay(pk, code, name, *(counts.get(pk, {}).get(k, 0) for k in
                                     ("inbound_today", "inbound_week", "outbound_today", "outbound_week")))
            for pk, code, name in hubs]
    week = shipments.filter((inbound & Q(arrival_day__range=(start, end)))
                            | (outbound & Q(departure_day__range=(start, end))))
    return days, _shipment_rows(week, ShipmentLine.objects.for_user(user), limit)


@dataclass(frozen=True)
class StockLine:
    code: str
    name: str
    on_hand: int
    reserved: int
    free: int


@dataclass
class HubStock:
    pk: int
    code: str
    name: str
    lines: list[StockLine] = field(default_factory=list)


def hub_stock(user: Any, hubs: list[tuple[int, str, str]]) -> list[HubStock]:
    """Free against reserved stock per item at each of the operator's hubs (``logistics.queries.stock_on_hand``)."""
    out = []
    for hub in Hub.objects.filter(pk__in=[h[0] for h in hubs]).order_by("code"):
        rows = logistics.stock_on_hand(hub, user=user)
        out.append(HubStock(hub.pk, hub.code, hub.name, [
            StockLine(r.item.code, r.item.name, r.on_hand, r.reserved, r.free) for r in rows]))
    return out


def own_hubs(p: Principal) -> list[tuple[int, str, str]]:
    return list(Hub.objects.filter(operator_id=p.organisation_id).order_by("code").values_list("pk", "code", "name"))
