from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from aidbridge.allocation import services as allocation
from aidbridge.core.clock import monday
from aidbridge.logistics import queries, services
from aidbridge.logistics.models import (
    ProofOfDelivery,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    StockMovement,
)
from aidbridge.pledges import services as pledges

Received = services.Received


@dataclass
class Scene:
    de_in: Shipment
    us_in: Shipment
    outbound: Shipment  # carries both donors' units to Kyiv


@pytest.fixture
def scene(world, personas) -> Scene:
    """A German and an American allocation share one outbound lorry; the German units arrive damaged."""
    week = monday(world.pledge_public.available_from) + dt.timedelta(weeks=4)
    c = personas.coordinator
    de = allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement, hub=world.hub,
                             quantity=10, dispatch_week=week)
    us = allocation.allocate(actor=c, pledge=world.pledge_public, requirement=world.requirement, hub=world.hub,
                             quantity=5, dispatch_week=week)
    services.generate_shipments(actor=c)
    de_in = Shipment.objects.get(leg="inbound", donor=personas.orgs["de"])
    us_in = Shipment.objects.get(leg="inbound", donor=personas.orgs["us"])
    services.dispatch_shipment(actor=personas.donor_de, shipment=de_in)
    services.dispatch_shipment(actor=personas.donor_us, shipment=us_in)
    services.receive_shipment(actor=personas.hub_pl, shipment=de_in, lines=[(de_in.lines.get(), 10)])
    services.receive_shipment(actor=personas.hub_pl, shipment=us_in, lines=[(us_in.lines.get(), 5)])
    outbound = Shipment.objects.get(leg="outbound")  # both receipts planned their goods onto one lorry
    assert outbound.lines.count() == 2
    services.dispatch_shipment(actor=personas.hub_pl, shipment=outbound)
    by_alloc = {line.allocation_line_id: line for line in outbound.lines.all()}
    services.receive_shipment(actor=personas.recipient, shipment=outbound, lines=[
        Received(by_alloc[de.pk], good=8, damaged=2, reason="handling"), Received(by_alloc[us.pk], good=5)])
    services.record_proof_of_delivery(actor=personas.recipient, shipment=outbound, signatory="Capt. Melnyk")
    return Scene(de_in, us_in, outbound)


def refs(qs: Any) -> set[str]:
    return {s.reference for s in qs}


def test_shipments_by_persona(scene, personas):
    everything = {scene.de_in.reference, scene.us_in.reference, scene.outbound.reference}
    expected = {
        "coordinator": everything,
        "auditor": everything,
        "hub_pl": everything,
        "donor_de": {scene.de_in.reference, scene.outbound.reference},
        "donor_us": {scene.us_in.reference, scene.outbound.reference},
        "recipient": {scene.outbound.reference},
        "outsider": set(),
    }
    for name, user in personas.all().items():
        assert refs(Shipment.objects.for_user(user)) == expected[name], name
    assert not Shipment.objects.for_user(AnonymousUser()).exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_cached_visibility_is_the_same_and_follows_writes(scene, personas, world):
    """Outside a transaction the shipments a donor or the recipient sees come from a list cached until the next
    write: the same as computed afresh, and a write (a new shipment for donor-de) shows at once."""
    assert not connection.in_atomic_block
    for _ in range(2):  # computed, then from the cache
        assert refs(Shipment.objects.for_user(personas.donor_de)) == {scene.de_in.reference,
                                                                      scene.outbound.reference}
        assert refs(Shipment.objects.for_user(personas.recipient)) == {scene.outbound.reference}
    week = monday(world.pledge_public.available_from) + dt.timedelta(weeks=6)
    pledge = pledges.commit_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)
    allocation.allocate(actor=personas.coordinator, pledge=pledge, requirement=world.requirement, hub=world.hub,
                        quantity=5, dispatch_week=week)
    (new,) = services.generate_shipments(actor=personas.coordinator)
    assert refs(Shipment.objects.for_user(personas.donor_de)) == {scene.de_in.reference, scene.outbound.reference,
                                                                  new.reference}
    assert new.reference not in refs(Shipment.objects.for_user(personas.donor_us))


def test_a_donor_sees_only_its_own_lines_on_a_shared_lorry(scene, personas, world):
    mine = ShipmentLine.objects.for_user(personas.donor_us).filter(shipment=scene.outbound)
    assert [line.allocation_line.pledge for line in mine] == [world.pledge_public]


def test_one_shipments_lines_are_those_for_user_gives(scene, personas):
    """``on_shipment`` decides the rule for one shipment with joins: the same lines and receipt lines as
    ``for_user`` filtered to that shipment, for every persona, on both legs and on the shared lorry."""
    for shipment in (scene.de_in, scene.us_in, scene.outbound):
        for name, user in [*personas.all().items(), ("anonymous", AnonymousUser())]:
            assert (set(ShipmentLine.objects.on_shipment(shipment, user))
                    == set(ShipmentLine.objects.for_user(user).filter(shipment=shipment))), (shipment, name)
            assert (set(ReceiptLine.objects.on_shipment(shipment, user))
                    == set(ReceiptLine.objects.for_user(user).filter(receipt__shipment=shipment))), (shipment, name)
    assert ShipmentLine.objects.on_shipment(scene.outbound, personas.donor_us).count() == 1
    assert ReceiptLine.objects.on_shipment(scene.outbound, personas.recipient).count() == 2


def test_timeline_receipts_and_proofs_follow_the_shipment(scene, personas):
    for model in (ShipmentEvent, Receipt, ProofOfDelivery):
        assert model.objects.for_user(personas.outsider).count() == 0
        assert model.objects.for_user(personas.coordinator).count() == model.objects.count()
    assert set(Receipt.objects.for_user(personas.recipient).values_list("shipment_id", flat=True)) == {
        scene.outbound.pk}


def test_stock_movements_by_persona(scene, personas, world):
    everything = StockMovement.objects.count()
    assert everything == 2 + 2  # two hub receipts, two issues onto the outbound lorry
    for name in ("coordinator", "auditor", "hub_pl"):
        assert StockMovement.objects.for_user(getattr(personas, name)).count() == everything, name
    assert {m.allocation_line.pledge for m in StockMovement.objects.for_user(personas.donor_us)} == {
        world.pledge_public}
    for name in ("recipient", "outsider"):
        assert not StockMovement.objects.for_user(getattr(personas, name)).exists(), name


def test_the_discrepancy_report_goes_to_the_donor_and_coordinators(scene, personas, world):
    (damaged,) = ReceiptLine.objects.discrepancies()
    assert damaged.shipment_line.allocation_line.pledge == world.pledge_coalition
    for name in ("coordinator", "auditor", "donor_de", "hub_pl", "recipient"):
        assert list(queries.discrepancy_report(user=getattr(personas, name))) == [damaged], name
    for name in ("donor_us", "outsider"):
        assert not queries.discrepancy_report(user=getattr(personas, name)).exists(), name


def test_stock_on_hand_is_for_the_hub_and_coordinators(personas, world):
    services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=3, reason="count")
    for name in ("coordinator", "auditor", "hub_pl"):
        assert [(r.item.code, r.on_hand, r.reserved, r.free)
                for r in queries.stock_on_hand(world.hub, user=getattr(personas, name))] == [("GEN-100KW", 3, 0, 3)]
    for name in ("donor_de", "recipient", "outsider"):
        assert queries.stock_on_hand(world.hub, user=getattr(personas, name)) == []


def test_chain_of_custody_follows_the_pledge_from_donor_to_recipient(scene, personas, world):
    chain = queries.chain_of_custody(world.pledge_coalition, user=personas.donor_de)
    assert [(h.event, h.shipment.leg, h.quantity) for h in chain] == [
        ("dispatched", "inbound", 10), ("received", "inbound", 10), ("dispatched", "outbound", 10),
        ("received", "outbound", 8), ("signed", "outbound", 8)]
    assert chain[0].from_party == personas.orgs["de"].name
    assert chain[1].to_party.startswith(personas.orgs["pl"].name) and chain[1].person == "hub-pl"
    assert (chain[3].to_party, chain[3].damaged, chain[4].person) == (personas.orgs["ua"].name, 2, "Capt. Melnyk")
    # The signature covers what was received good, with the same discrepancy as the receipt above it.
    assert (chain[4].quantity, chain[4].damaged, chain[4].lost) == (chain[3].quantity, 2, 0)
    # The American donor sees nothing of the German pledge's journey.
    assert queries.chain_of_custody(world.pledge_coalition, user=personas.donor_us) == []
    assert len(queries.chain_of_custody(world.pledge_coalition, user=personas.recipient)) == 3
