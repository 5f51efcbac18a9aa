"""Issue #8, point 2: planned outbound shipments can leave the hub.

Reported: generated outbound shipments merged many pledges and were then refused at dispatch because some
lines had not arrived ("only 0 have arrived at PL-RZE"); 8 of 37 tried at PL-RZE, every one refused. Now an
outbound leg is planned only from goods counted in at the hub, so every planned outbound leg can be dispatched.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from aidbridge.allocation import services as allocation
from aidbridge.core.clock import monday
from aidbridge.core.errors import Conflict
from aidbridge.logistics import lifecycle, services
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import Shipment, ShipmentLine

Received = services.Received


def refusals(actor) -> list[str]:
    """Try to dispatch every planned outbound leg (each attempt rolled back); the refusals, by reference."""
    refused = []
    for shipment in Shipment.objects.filter(leg="outbound", status="planned").order_by("pk"):
        try:
            with transaction.atomic():
                services.dispatch_shipment(actor=actor, shipment=shipment)
                transaction.set_rollback(True)
        except Conflict as exc:
            refused.append(f"{shipment.reference}: {exc}")
    return refused


@pytest.fixture
def three_pledges(world, personas):
    """Two German allocations and an American one to Kyiv through PL-RZE, all due to leave it in one week."""
    c = personas.coordinator
    week = monday(world.pledge_public.available_from) + dt.timedelta(weeks=4)
    de = allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement, hub=world.hub,
                             quantity=10, dispatch_week=week)
    us = allocation.allocate(actor=c, pledge=world.pledge_public, requirement=world.requirement, hub=world.hub,
                             quantity=5, dispatch_week=week)
    de2 = allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement, hub=world.hub,
                              quantity=4, dispatch_week=week)
    return de, us, de2


def test_the_reported_failure_and_its_fix(world, personas, three_pledges):
    de, us, de2 = three_pledges
    hub = personas.hub_pl

    # As reported: a lorry merging several pledges, planned before their goods arrived, is refused at dispatch.
    services.generate_shipments(actor=personas.coordinator)
    merged = Shipment.objects.create(leg="outbound", hub=world.hub, destination=world.kyiv, week=monday(
        world.pledge_public.available_from), expected_arrival=world.pledge_public.available_from, generated=True)
    lifecycle.timeline(actor=None, shipment=merged, note="The old planning: every allocation, arrived or not.")
    for line in (de, us):
        ShipmentLine.objects.create(shipment=merged, allocation_line=line, item=world.item, quantity=line.quantity)
    de_ref, us_ref, req = world.pledge_coalition.reference, world.pledge_public.reference, world.requirement.reference
    assert refusals(hub) == [f"{merged.reference}: {de_ref} → {req}: 10 units to ship but only 0 have arrived "
                             f"at PL-RZE.; {us_ref} → {req}: 5 units to ship but only 0 have arrived at PL-RZE."]
    services.cancel_shipment(actor=hub, shipment=merged, reason="Cannot leave: the goods are still on the road.")

    # Planning no longer makes such a lorry: nothing is planned outbound while nothing has arrived.
    assert services.generate_shipments(actor=personas.coordinator) == []
    assert not Shipment.objects.filter(leg="outbound", status="planned").exists()

    # The German goods arrive, partly: only what was counted in is planned onward, and it can leave.
    de_in = Shipment.objects.get(leg="inbound", donor=personas.orgs["de"])
    services.dispatch_shipment(actor=personas.donor_de, shipment=de_in)
    by_alloc = {line.allocation_line_id: line for line in de_in.lines.all()}
    services.receive_shipment(actor=hub, shipment=de_in, lines=[Received(by_alloc[de.pk], good=6)])
    (lorry,) = Shipment.objects.filter(leg="outbound", status="planned")
    assert list(lorry.lines.values_list("allocation_line_id", "quantity")) == [(de.pk, 6)]
    assert refusals(hub) == []

    # More arrives the same week: it tops up the same lorry, which still can leave.
    services.receive_shipment(actor=hub, shipment=de_in, lines=[Received(by_alloc[de.pk], good=3, lost=1,
                                                                         reason="theft"),
                                                                Received(by_alloc[de2.pk], good=4)])
    assert sorted(Shipment.objects.filter(leg="outbound", status="planned").values_list(
        "lines__allocation_line_id", "lines__quantity")) == sorted([(de.pk, 9), (de2.pk, 4)])
    assert refusals(hub) == []
    services.dispatch_shipment(actor=hub, shipment=lorry)

    # The American goods arrive later: they get a lorry of their own, which can leave too.
    us_in = Shipment.objects.get(leg="inbound", donor=personas.orgs["us"])
    services.dispatch_shipment(actor=personas.donor_us, shipment=us_in)
    services.receive_shipment(actor=hub, shipment=us_in, lines=[(us_in.lines.get(), 5)])
    (second,) = Shipment.objects.filter(leg="outbound", status="planned")
    assert second.pk != lorry.pk and list(second.lines.values_list("allocation_line_id", "quantity")) == [(us.pk, 5)]
    assert refusals(hub) == []
    services.dispatch_shipment(actor=hub, shipment=second)
    report = verify()
    assert report.ok, report.violations


def test_goods_arriving_after_their_week_leave_in_the_week_they_arrive(world, personas, legs):
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    late = dt.datetime.combine(legs.inbound.expected_arrival + dt.timedelta(weeks=2), dt.time(15), tzinfo=dt.UTC)
    services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound, lines=[(legs.inbound.lines.get(), 10)],
                              received_at=late)
    assert Shipment.objects.get(leg="outbound").week == monday(late.date())
