from __future__ import annotations

import hashlib

import pytest

from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import Conflict, InvalidTransition, NotPermitted, ServiceError
from aidbridge.logistics import services
from aidbridge.logistics.models import (
    ProofOfDelivery,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
    StockMovement,
)
from aidbridge.logistics.tests.conftest import only_line
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement

Received = services.Received
PDF = b"%PDF-1.4\n% signed delivery note\n"


def refresh(obj):
    obj.refresh_from_db()
    return obj


def on_hand(hub, item) -> int:
    return StockMovement.objects.filter(hub=hub, item=item).on_hand()


def test_inbound_dispatch_puts_units_in_transit_and_ships_the_pledge(world, personas, legs):
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound, carrier="DB Schenker",
                               tracking_reference="DBS-1", place="Depot Pfungstadt")
    assert refresh(legs.inbound).status == Shipment.Status.DISPATCHED
    assert refresh(legs.line).in_transit_quantity == 10
    assert refresh(world.pledge_coalition).status == Pledge.Status.SHIPPED
    event = legs.inbound.events.latest("pk")
    assert (event.status, event.carrier, event.tracking_reference, event.place, event.recorded_by) == (
        "dispatched", "DB Schenker", "DBS-1", "Depot Pfungstadt", personas.donor_de)
    assert AuditEvent.objects.filter(action="shipment.dispatch").count() == 1
    assert AuditEvent.objects.filter(action="allocation.dispatch").count() == 1


def test_only_the_donor_or_a_coordinator_dispatches_an_inbound_leg(personas, legs):
    for who in ("donor_us", "hub_pl", "recipient", "auditor", "outsider"):
        with pytest.raises(NotPermitted):
            services.dispatch_shipment(actor=getattr(personas, who), shipment=legs.inbound)


def test_tracking_and_arrival_extend_the_timeline(world, personas, legs):
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    services.report_in_transit(actor=personas.donor_de, shipment=legs.inbound, place="A4 near Dresden")
    services.report_in_transit(actor=personas.donor_de, shipment=legs.inbound, location=world.hub.location,
                               tracking_reference="DBS-2")
    services.mark_arrived(actor=personas.hub_pl, shipment=legs.inbound)
    statuses = list(legs.inbound.events.order_by("pk").values_list("status", flat=True))
    assert statuses == ["planned", "dispatched", "in_transit", "in_transit", "arrived"]
    assert refresh(legs.inbound).tracking_reference == "DBS-2"
    with pytest.raises(InvalidTransition):
        services.report_in_transit(actor=personas.donor_de, shipment=legs.inbound)


def test_receiving_good_units_at_the_hub_fills_its_ledger(world, personas, at_hub):
    assert refresh(at_hub.inbound).status == Shipment.Status.RECEIVED
    assert on_hand(world.hub, world.item) == 10
    assert refresh(at_hub.line).in_transit_quantity == 10  # at the hub: still on its way to the requirement
    assert AuditEvent.objects.filter(action="shipment.receive").count() == 1


def test_partial_receipts_then_received(world, personas, legs):
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    line = only_line(legs.inbound)
    services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound, lines=[(line, 6)])
    assert refresh(legs.inbound).status == Shipment.Status.PARTIALLY_RECEIVED
    services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound,
                              lines=[Received(line, good=1, damaged=2, lost=1, reason="handling")])
    assert refresh(legs.inbound).status == Shipment.Status.RECEIVED
    # 9 arrived (7 good + 2 damaged) and were received; the 2 damaged were written off; 1 never arrived.
    assert list(StockMovement.objects.values_list("kind", "quantity", "reason")) == [
        ("receipt", 6, ""), ("receipt", 3, ""), ("write_off", 2, "damaged")]
    assert on_hand(world.hub, world.item) == 7
    line_alloc = refresh(legs.line)
    assert (line_alloc.in_transit_quantity, line_alloc.lost_quantity) == (7, 3)


def test_receiving_more_than_was_shipped_is_refused_and_writes_nothing(world, personas, legs):
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    line = only_line(legs.inbound)
    services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound, lines=[(line, 8)])
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as exc:
        services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound,
                                  lines=[Received(line, good=2, damaged=1, reason="handling")])
    assert "3 units counted but only 2 of the 10 shipped are still to be received" in str(exc.value)
    assert exc.value.errors.keys() == {"lines"}
    assert (Receipt.objects.count(), ReceiptLine.objects.count(), AuditEvent.objects.count()) == (1, 1, events)
    assert on_hand(world.hub, world.item) == 8


def test_damaged_or_lost_units_need_a_reason(personas, legs):
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    with pytest.raises(ServiceError, match="give a reason"):
        services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound,
                                  lines=[Received(only_line(legs.inbound), good=9, lost=1)])


def test_a_planned_shipment_cannot_be_received(personas, legs):
    with pytest.raises(InvalidTransition):
        services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound,
                                  lines=[(only_line(legs.inbound), 10)])


def test_only_the_hub_receives_an_inbound_leg(personas, legs):
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    for who in ("donor_de", "recipient", "outsider"):
        with pytest.raises(NotPermitted):
            services.receive_shipment(actor=getattr(personas, who), shipment=legs.inbound,
                                      lines=[(only_line(legs.inbound), 10)])


def test_outbound_dispatch_issues_from_stock(world, personas, at_hub):
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound, carrier="UZ rail")
    assert on_hand(world.hub, world.item) == 0
    issue = StockMovement.objects.get(kind="issue")
    assert (issue.shipment, issue.allocation_line, issue.quantity) == (at_hub.outbound, at_hub.line, 10)


def test_dispatch_still_refuses_units_that_are_not_at_the_hub(world, personas, legs):
    """Planning never puts such units on an outbound leg; the dispatch guard stays, against a stale plan."""
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound, lines=[(only_line(legs.inbound), 4)])
    outbound = Shipment.objects.get(leg="outbound")
    assert only_line(outbound).quantity == 4
    ShipmentLine.objects.filter(shipment=outbound).update(quantity=10)  # a plan changed behind the services' back
    with pytest.raises(Conflict) as exc:
        services.dispatch_shipment(actor=personas.hub_pl, shipment=outbound)
    assert "10 units to ship but only 4 have arrived at PL-RZE" in str(exc.value)
    assert refresh(outbound).status == Shipment.Status.PLANNED


def test_only_the_hub_or_a_coordinator_dispatches_an_outbound_leg(personas, at_hub):
    for who in ("donor_de", "recipient"):
        with pytest.raises(NotPermitted):
            services.dispatch_shipment(actor=getattr(personas, who), shipment=at_hub.outbound)


def deliver(personas, legs, **counts):
    services.dispatch_shipment(actor=personas.hub_pl, shipment=legs.outbound)
    return services.receive_shipment(actor=personas.recipient, shipment=legs.outbound,
                                     lines=[Received(only_line(legs.outbound), **counts)])


def test_delivery_at_the_destination_completes_the_pledge_and_the_fill(world, personas, at_hub):
    deliver(personas, at_hub, good=10)
    line = refresh(at_hub.line)
    assert (line.in_transit_quantity, line.delivered_quantity, line.lost_quantity) == (0, 10, 0)
    # 40 of the pledge's 50 units were never allocated: the pledge is delivered once all allocated units are.
    assert refresh(world.pledge_coalition).status == Pledge.Status.DELIVERED
    requirement = Requirement.objects.with_fill().get(pk=world.requirement.pk)
    assert (requirement.delivered, requirement.in_transit, requirement.delivered_fill) == (10, 0, "partial")


def test_units_lost_on_the_last_leg_still_close_the_pledge(world, personas, at_hub):
    deliver(personas, at_hub, good=7, damaged=2, lost=1, reason="accident")
    line = refresh(at_hub.line)
    assert (line.delivered_quantity, line.lost_quantity, line.in_transit_quantity) == (7, 3, 0)
    assert refresh(world.pledge_coalition).status == Pledge.Status.DELIVERED


def test_only_the_recipient_or_a_coordinator_receives_the_last_leg(personas, at_hub):
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    with pytest.raises(NotPermitted):
        services.receive_shipment(actor=personas.hub_pl, shipment=at_hub.outbound,
                                  lines=[(only_line(at_hub.outbound), 10)])


def test_proof_of_delivery_closes_the_last_leg(personas, at_hub):
    deliver(personas, at_hub, good=10)
    proof = services.record_proof_of_delivery(actor=personas.recipient, shipment=at_hub.outbound,
                                              signatory="Maj. O. Kovalenko", content=PDF, filename="note.pdf")
    assert (proof.received_by, proof.signatory, proof.content_type) == (
        personas.recipient, "Maj. O. Kovalenko", "application/pdf")
    assert proof.sha256 == hashlib.sha256(PDF).hexdigest() and proof.size == len(PDF)
    proof.document.open("rb")
    assert proof.document.read() == PDF
    assert AuditEvent.objects.filter(action="shipment.proof_of_delivery").count() == 1
    assert "Kovalenko" in at_hub.outbound.events.latest("pk").note
    with pytest.raises(Conflict):
        services.record_proof_of_delivery(actor=personas.recipient, shipment=at_hub.outbound, signatory="Again")


def test_proof_of_delivery_rules(settings, personas, at_hub):
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    with pytest.raises(ServiceError, match="count every line"):
        services.record_proof_of_delivery(actor=personas.recipient, shipment=at_hub.outbound, signatory="X")
    services.receive_shipment(actor=personas.recipient, shipment=at_hub.outbound,
                              lines=[(only_line(at_hub.outbound), 10)])
    with pytest.raises(ServiceError, match="Proof of delivery closes the outbound leg"):
        services.record_proof_of_delivery(actor=personas.coordinator, shipment=at_hub.inbound, signatory="X")
    with pytest.raises(NotPermitted):
        services.record_proof_of_delivery(actor=personas.hub_pl, shipment=at_hub.outbound, signatory="X")
    with pytest.raises(ServiceError, match="name of the person"):
        services.record_proof_of_delivery(actor=personas.recipient, shipment=at_hub.outbound, signatory=" ")
    with pytest.raises(ServiceError, match="Only PDF, PNG, JPEG"):
        services.record_proof_of_delivery(actor=personas.recipient, shipment=at_hub.outbound, signatory="X",
                                          content=b"\x00\x01\xfe\xff" * 10)
    settings.MAX_UPLOAD_BYTES = 16
    with pytest.raises(ServiceError, match="the limit is 16") as exc:
        services.record_proof_of_delivery(actor=personas.recipient, shipment=at_hub.outbound, signatory="X",
                                          content=PDF)
    assert exc.value.errors.keys() == {"document"}
    assert not ProofOfDelivery.objects.exists()


def test_withdrawn_pledge_cannot_leave_the_donor(world, personas, legs):
    from aidbridge.pledges import services as pledges

    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    assert not AllocationLine.objects.exists()  # nothing had moved, so the allocation was released
    with pytest.raises(ServiceError, match="carries nothing"):
        services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)


def test_arriving_twice_is_refused(personas, legs):
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    services.mark_arrived(actor=personas.hub_pl, shipment=legs.inbound)
    with pytest.raises(InvalidTransition, match="from “Arrived” to “Arrived”"):
        services.mark_arrived(actor=personas.hub_pl, shipment=legs.inbound)


def test_an_allocation_whose_units_were_all_lost_cannot_be_released(personas, legs):
    from aidbridge.allocation import services as allocation

    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound)
    services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound,
                              lines=[Received(only_line(legs.inbound), lost=10, reason="accident")])
    line = refresh(legs.line)
    assert (line.in_transit_quantity, line.delivered_quantity, line.lost_quantity) == (0, 0, 10)
    with pytest.raises(InvalidTransition, match="already moving"):
        allocation.release_allocation(actor=personas.coordinator, line=line)


def test_each_shipment_service_writes_one_audit_event_of_its_own(personas, at_hub):
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    services.report_in_transit(actor=personas.hub_pl, shipment=at_hub.outbound, place="Shehyni")
    services.mark_arrived(actor=personas.recipient, shipment=at_hub.outbound)
    services.receive_shipment(actor=personas.recipient, shipment=at_hub.outbound,
                              lines=[(only_line(at_hub.outbound), 10)])
    services.record_proof_of_delivery(actor=personas.recipient, shipment=at_hub.outbound, signatory="X")
    actions = list(AuditEvent.objects.filter(object_type="logistics.shipment", object_id=str(at_hub.outbound.pk))
                   .values_list("action", flat=True))
    assert actions == ["shipment.plan", "shipment.dispatch", "shipment.track", "shipment.arrive", "shipment.receive"]
    assert AuditEvent.objects.filter(object_type="logistics.proofofdelivery").count() == 1
