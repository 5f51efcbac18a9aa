"""Planning onward, trimming and rearranging under real concurrency: never a deadlock, never a 500, and a planned
outbound leg never carries goods that are not at its hub (PostgreSQL only)."""

from __future__ import annotations

import pytest

from aidbridge.allocation import services as allocation
from aidbridge.conftest import requires_postgres
from aidbridge.logistics import services
from aidbridge.logistics.flows import flows
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import Shipment
from aidbridge.logistics.tests.races import together


def settled() -> None:
    report = verify()
    assert report.ok, report.violations
    for line_id, flow in flows().items():
        assert flow.outbound_waiting <= flow.at_hub, (line_id, flow)


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_a_write_off_racing_the_dispatch_of_the_same_goods(world, personas, at_hub, attempt):
    dispatch, write_off = together(
        lambda: services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound),
        lambda: services.write_off_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=3,
                                         reason="damaged", allocation_line=at_hub.line),
    )
    assert not dispatch.startswith("crash") and not write_off.startswith("crash"), (dispatch, write_off)
    outbound = Shipment.objects.get(pk=at_hub.outbound.pk)
    if write_off == "ok":  # it came first: the lorry left with the seven that were still there
        assert dispatch == "ok" and outbound.lines.get().quantity == 7
    else:  # the lorry left with all ten first: nothing of that allocation was left to write off
        assert dispatch == "ok" and "Only 0 each of GEN-100KW on hand at PL-RZE" in write_off
    settled()


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_receipts_racing_each_other_and_a_split_plan_onward_cleanly(world, personas, attempt):
    c = personas.coordinator
    for pledge in (world.pledge_coalition, world.pledge_public):
        allocation.allocate(actor=c, pledge=pledge, requirement=world.requirement, hub=world.hub, quantity=6)
    de_in, us_in = services.generate_shipments(actor=c)
    services.dispatch_shipment(actor=c, shipment=de_in)
    services.dispatch_shipment(actor=c, shipment=us_in)
    services.receive_shipment(actor=personas.hub_pl, shipment=de_in, lines=[(de_in.lines.get(), 3)])
    lorry = Shipment.objects.get(leg="outbound")
    outcomes = together(
        lambda: services.receive_shipment(actor=personas.hub_pl, shipment=de_in, lines=[(de_in.lines.get(), 3)]),
        lambda: services.receive_shipment(actor=personas.hub_pl, shipment=us_in, lines=[(us_in.lines.get(), 6)]),
        lambda: services.split_shipment(actor=personas.hub_pl, shipment=lorry, lines=[(lorry.lines.get(), 1)]),
    )
    assert not any(o.startswith("crash") for o in outcomes), outcomes
    assert outcomes[:2] == ["ok", "ok"], outcomes
    settled()
    # Whatever the order, every unit counted in is on exactly one planned outbound leg, and each can leave.
    planned = Shipment.objects.filter(leg="outbound", status="planned")
    assert sum(line.quantity for s in planned for line in s.lines.all()) == 12
    for shipment in planned:
        services.dispatch_shipment(actor=personas.hub_pl, shipment=shipment)
    settled()


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_planning_racing_the_dispatch_of_an_outbound_leg(world, personas, at_hub, attempt):
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_public, requirement=world.requirement,
                        hub=world.hub, quantity=5)
    dispatch, planning = together(
        lambda: services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound),
        lambda: services.generate_shipments(actor=personas.coordinator),
    )
    assert (dispatch, planning) == ("ok", "ok")
    assert Shipment.objects.get(pk=at_hub.outbound.pk).status == "dispatched"
    settled()
