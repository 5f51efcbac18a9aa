from __future__ import annotations

import datetime as dt

import pytest

from aidbridge.allocation import services as allocation
from aidbridge.audit.models import AuditEvent
from aidbridge.core import clock
from aidbridge.core.clock import monday
from aidbridge.core.errors import InvalidTransition, NotPermitted, ServiceError
from aidbridge.logistics import services
from aidbridge.logistics.models import Shipment, ShipmentEvent, ShipmentLine


def test_generation_plans_the_inbound_leg_and_the_outbound_leg_waits_for_the_goods(world, personas, legs):
    assert legs.inbound.leg == Shipment.Leg.INBOUND
    assert (legs.inbound.donor, legs.inbound.hub, legs.inbound.origin_country) == (
        personas.orgs["de"], world.hub, "DE")
    assert legs.inbound.status == Shipment.Status.PLANNED and legs.inbound.lines.get().quantity == 10
    # No dispatch week: the inbound leg leaves when the pledge is available.
    assert legs.inbound.week == monday(world.pledge_coalition.available_from)
    assert not Shipment.objects.filter(leg=Shipment.Leg.OUTBOUND).exists()


def test_the_hub_receipt_plans_the_outbound_leg(world, personas, at_hub):
    outbound = at_hub.outbound
    assert (outbound.status, outbound.hub, outbound.destination) == (Shipment.Status.PLANNED, world.hub, world.kyiv)
    assert outbound.lines.get().quantity == 10 and outbound.generated
    # It leaves in the week the goods were due at the hub (one week from Germany), as planned.
    assert outbound.week == at_hub.inbound.week + dt.timedelta(weeks=1)
    plan = AuditEvent.objects.get(action="shipment.plan", object_id=str(outbound.pk))
    assert plan.actor == personas.hub_pl
    receipt = AuditEvent.objects.get(action="shipment.receive")
    assert receipt.after["planned_onward"] == [outbound.pk] and receipt.seq < plan.seq
    assert outbound.events.get().note == "Planned onward: the goods are at the hub."


def test_generation_is_idempotent(personas, legs):
    assert services.generate_shipments(actor=personas.coordinator) == []
    assert Shipment.objects.count() == 1


def test_generation_plans_goods_at_the_hub_that_are_on_no_outbound_leg(personas, at_hub):
    assert services.generate_shipments(actor=personas.coordinator) == []
    services.cancel_shipment(actor=personas.hub_pl, shipment=at_hub.outbound, reason="Lorry broke down")
    (again,) = services.generate_shipments(actor=personas.coordinator)
    assert again.leg == Shipment.Leg.OUTBOUND and again.lines.get().quantity == 10
    services.dispatch_shipment(actor=personas.hub_pl, shipment=again)


def test_an_outbound_leg_never_leaves_in_a_past_week(world, personas, at_hub):
    services.cancel_shipment(actor=personas.hub_pl, shipment=at_hub.outbound, reason="Re-plan")
    later = at_hub.outbound.week + dt.timedelta(weeks=3, days=2)
    with clock.at(dt.datetime.combine(later, dt.time(9), tzinfo=dt.UTC)):
        (again,) = services.generate_shipments(actor=personas.coordinator)
    assert again.week == monday(later)


def test_new_allocations_top_up_the_same_weeks_lorries(world, personas, legs):
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition, requirement=world.requirement,
                        hub=world.hub, quantity=5)
    touched = services.generate_shipments(actor=personas.coordinator)
    assert {s.pk for s in touched} == {legs.inbound.pk}
    assert ShipmentLine.objects.filter(shipment=legs.inbound).count() == 2
    assert AuditEvent.objects.filter(action="shipment.extend").count() == 1


def test_lines_are_grouped_by_donor_and_week(world, personas, legs):
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_public, requirement=world.requirement,
                        hub=world.hub, quantity=5, dispatch_week=monday(world.pledge_public.available_from)
                        + dt.timedelta(weeks=6))
    services.generate_shipments(actor=personas.coordinator)
    us = Shipment.objects.get(leg="inbound", donor=personas.orgs["us"])
    # Six weeks before hub dispatch comes three weeks earlier with the three-week lead time from the US.
    assert us.week == monday(world.pledge_public.available_from) + dt.timedelta(weeks=3)
    assert Shipment.objects.filter(leg="inbound").count() == 2


def test_planning_writes_a_timeline_row_and_one_audit_event_per_shipment(legs):
    assert ShipmentEvent.objects.filter(shipment=legs.inbound, status="planned").count() == 1
    assert AuditEvent.objects.filter(action="shipment.plan").count() == 1


def test_only_coordinators_generate(personas, allocate_line):
    allocate_line(5)
    for who in ("donor_de", "hub_pl", "recipient", "auditor", "outsider"):
        with pytest.raises(NotPermitted):
            services.generate_shipments(actor=getattr(personas, who))


def test_a_shipment_can_be_planned_by_hand(world, personas, allocate_line):
    line = allocate_line(10)
    shipment = services.create_shipment(actor=personas.donor_de, leg="inbound", hub=world.hub, lines=[(line, 4)],
                                        origin_text="Depot Pfungstadt", carrier="DHL")
    assert shipment.donor == personas.orgs["de"] and shipment.lines.get().quantity == 4
    assert AuditEvent.objects.filter(action="shipment.create").count() == 1
    # generation then covers only the rest
    services.generate_shipments(actor=personas.coordinator)
    inbound = ShipmentLine.objects.filter(allocation_line=line, shipment__leg="inbound")
    assert sorted(inbound.values_list("quantity", flat=True)) == [4, 6]


def test_hand_planning_refuses_more_than_is_left(world, personas, legs):
    with pytest.raises(ServiceError) as exc:
        services.create_shipment(actor=personas.coordinator, leg="inbound", hub=world.hub, lines=[(legs.line, 1)])
    assert "no units are left" in str(exc.value)
    assert exc.value.errors.keys() == {"lines"}


def test_hand_planning_checks_the_route_and_the_party(world, personas, allocate_line):
    line = allocate_line(10)
    with pytest.raises(ServiceError) as exc:
        services.create_shipment(actor=personas.coordinator, leg="inbound", hub=world.hub_ro, lines=[(line, 1)])
    assert "routed through PL-RZE" in str(exc.value)
    with pytest.raises(NotPermitted):
        services.create_shipment(actor=personas.donor_us, leg="inbound", hub=world.hub, lines=[(line, 1)])
    with pytest.raises(NotPermitted):
        services.create_shipment(actor=personas.donor_de, leg="outbound", hub=world.hub, lines=[(line, 1)])


def test_an_outbound_leg_is_planned_by_hand_only_from_goods_at_the_hub(world, personas, legs):
    with pytest.raises(ServiceError, match="no units are at PL-RZE waiting to go on"):
        services.create_shipment(actor=personas.hub_pl, leg="outbound", hub=world.hub, lines=[(legs.line, 3)])
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound, lines=[(legs.inbound.lines.get(), 10)])
    onward = Shipment.objects.get(leg="outbound")
    services.cancel_shipment(actor=personas.hub_pl, shipment=onward, reason="Planning this lorry by hand")
    shipment = services.create_shipment(actor=personas.hub_pl, leg="outbound", hub=world.hub, lines=[(legs.line, 3)])
    assert shipment.destination == world.kyiv
    with pytest.raises(ServiceError, match="between 1 and 7 units are at PL-RZE and not yet on an outbound"):
        services.create_shipment(actor=personas.hub_pl, leg="outbound", hub=world.hub, lines=[(legs.line, 8)])


def test_cancelled_units_can_be_planned_again(personas, legs):
    services.cancel_shipment(actor=personas.coordinator, shipment=legs.inbound, reason="Lorry not available")
    again = services.generate_shipments(actor=personas.coordinator)
    assert [s.leg for s in again] == ["inbound"] and again[0].pk != legs.inbound.pk


def test_cancelling_needs_a_reason_and_a_planned_shipment(personas, legs):
    with pytest.raises(ServiceError):
        services.cancel_shipment(actor=personas.coordinator, shipment=legs.inbound, reason=" ")
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    with pytest.raises(InvalidTransition) as exc:
        services.cancel_shipment(actor=personas.coordinator, shipment=legs.inbound, reason="Too late")
    assert "from “Dispatched” to “Cancelled”" in str(exc.value)


def test_releasing_an_allocation_drops_it_from_planned_shipments(personas, legs):
    allocation.release_allocation(actor=personas.coordinator, line=legs.line)
    assert not ShipmentLine.objects.exists()
    with pytest.raises(ServiceError, match="carries nothing"):
        services.dispatch_shipment(actor=personas.coordinator, shipment=legs.inbound)


def test_allocations_moved_directly_stay_off_shipments(personas, allocate_line):
    line = allocate_line(10)
    allocation.dispatch_allocation(actor=personas.coordinator, line=line, quantity=4)
    assert services.generate_shipments(actor=personas.coordinator) == []


def test_allocations_on_shipments_cannot_be_moved_directly(personas, legs):
    with pytest.raises(InvalidTransition, match="travels by shipment"):
        allocation.dispatch_allocation(actor=personas.coordinator, line=legs.line, quantity=1)
