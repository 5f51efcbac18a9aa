from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aidbridge.core import clock
from aidbridge.core.clock import monday
from aidbridge.logistics import queries, services
from aidbridge.logistics.models import Shipment, ShipmentLine
from aidbridge.logistics.views import hub_logistics_context


def test_weekly_tonnes_count_each_leg_in_its_week(world, personas, legs):
    start = legs.inbound.week
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    # Ten 2.1 t generators arrive when expected, after the one-week lead time, and leave the same week.
    with clock.at(dt.datetime.combine(legs.inbound.expected_arrival, dt.time(10), tzinfo=dt.UTC)):
        services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound,
                                  lines=[(legs.inbound.lines.get(), 10)])
    outbound = Shipment.objects.get(leg="outbound")
    weeks = queries.weekly_tonnes(world.hub, user=personas.hub_pl, start=start, weeks=4)
    assert [w.week for w in weeks] == [start + dt.timedelta(weeks=n) for n in range(4)]
    by_week = {w.week: (w.inbound_t, w.outbound_t) for w in weeks}
    arrival = monday(legs.inbound.expected_arrival)
    assert arrival == outbound.week == start + dt.timedelta(weeks=1)
    assert by_week[arrival] == (Decimal("21"), Decimal("21"))
    assert by_week[start] == (Decimal("0"), Decimal("0"))
    assert all(w.capacity_t == Decimal("800") and not w.over_capacity for w in weeks)


def test_weekly_tonnes_respect_visibility_and_skip_cancelled(world, personas, legs):
    start = legs.inbound.week
    assert all(w.load_t == 0 for w in queries.weekly_tonnes(world.hub, user=personas.outsider, start=start, weeks=3))
    services.cancel_shipment(actor=personas.coordinator, shipment=legs.inbound, reason="Re-planned")
    assert sum(w.inbound_t for w in queries.weekly_tonnes(world.hub, user=personas.coordinator, start=start,
                                                          weeks=3)) == 0


def test_overdue_shipments_are_open_legs_past_their_expected_arrival(world, personas, legs):
    late = legs.inbound.expected_arrival + dt.timedelta(days=1)
    assert list(queries.overdue_shipments(user=personas.coordinator, today=legs.inbound.expected_arrival)) == []
    assert legs.inbound in queries.overdue_shipments(user=personas.coordinator, today=late)
    assert not queries.overdue_shipments(user=personas.outsider, today=late).exists()
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    assert legs.inbound in queries.overdue_shipments(user=personas.donor_de, today=late)
    services.mark_arrived(actor=personas.hub_pl, shipment=legs.inbound)
    assert legs.inbound not in queries.overdue_shipments(user=personas.coordinator, today=late)


def reference_tonnes(hub, user, start, weeks):
    """The chart as the lines say, walked one by one in Python (how ``weekly_tonnes`` used to sum)."""
    first = monday(start)
    totals = {first + dt.timedelta(weeks=n): [Decimal(0), Decimal(0)] for n in range(weeks)}
    lines = (ShipmentLine.objects.for_user(user).filter(shipment__hub=hub)
             .exclude(shipment__status=Shipment.Status.CANCELLED).select_related("shipment", "item"))
    for line in lines:
        s = line.shipment
        if s.leg == Shipment.Leg.INBOUND:
            week, side = monday(s.arrived_at.date() if s.arrived_at else s.expected_arrival), 0
        else:
            week, side = monday(s.dispatched_at.date() if s.dispatched_at else s.week), 1
        if week in totals:
            totals[week][side] += line.item.weight_t * line.quantity
    return {week: tuple(pair) for week, pair in totals.items()}


def test_weekly_tonnes_are_summed_in_the_database_in_as_many_queries_whatever_the_history(
        world, personas, at_hub, allocate_line):
    start = at_hub.inbound.week - dt.timedelta(weeks=1)

    def chart():
        with CaptureQueriesContext(connection) as captured:
            weeks = queries.weekly_tonnes(world.hub, user=personas.coordinator, start=start, weeks=6)
        assert {w.week: (w.inbound_t, w.outbound_t) for w in weeks} == reference_tonnes(
            world.hub, personas.coordinator, start, 6)
        return len(captured), weeks

    before, weeks = chart()
    assert sum(w.load_t for w in weeks) == Decimal("42")  # ten 2.1 t generators in, and planned out
    allocate_line(5)
    services.generate_shipments(actor=personas.coordinator)  # a second inbound leg at the same hub
    after, weeks = chart()
    assert after == before <= 2
    assert sum(w.inbound_t for w in weeks) == Decimal("31.5")


@pytest.mark.django_db(transaction=True)
def test_the_hub_sections_are_cached_per_scope_until_a_write(world, personas):
    """Outside a transaction the hub page's sections come from the cache until the next write, and a viewer of
    another scope gets its own (a donor does not see the hub's stock)."""
    assert not connection.in_atomic_block

    def on_hand(user: object) -> dict[str, int]:
        return {row.item.code: row.on_hand for row in hub_logistics_context(user, world.hub)["stock"]}

    before = on_hand(personas.hub_pl)
    assert on_hand(personas.hub_pl) == before  # from the cache
    assert on_hand(personas.donor_de) == {}
    services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=10, reason="count",
                          note="Opening count")
    assert on_hand(personas.hub_pl)[world.item.code] == before.get(world.item.code, 0) + 10
    assert on_hand(personas.donor_de) == {}
