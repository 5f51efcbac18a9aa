"""Logistics fixtures: an allocation of the world's German pledge, its planned legs, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from aidbridge.logistics import services
from aidbridge.logistics.models import Shipment


@dataclass
class Legs:
    line: Any  # the allocation line: 10 units of PLG (donor-de) → REQ (Kyiv) via PL-RZE
    inbound: Shipment
    outbound: Shipment = None  # type: ignore[assignment]  # planned once the goods are at the hub (at_hub)


@pytest.fixture
def legs(world, personas, allocate_line) -> Legs:
    """The allocation and its planned inbound leg; its outbound leg waits until the goods have arrived."""
    line = allocate_line(10)
    (inbound,) = services.generate_shipments(actor=personas.coordinator)
    assert inbound.leg == Shipment.Leg.INBOUND
    return Legs(line=line, inbound=inbound)


def only_line(shipment: Shipment) -> Any:
    return shipment.lines.get()


@pytest.fixture
def at_hub(legs, personas) -> Legs:
    """The inbound leg dispatched by the donor and fully received good at the hub, which planned it onward."""
    services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound, carrier="DB Schenker",
                               tracking_reference="DBS-1")
    services.receive_shipment(actor=personas.hub_pl, shipment=legs.inbound,
                              lines=[services.Received(only_line(legs.inbound), good=10)])
    legs.outbound = Shipment.objects.get(leg=Shipment.Leg.OUTBOUND)
    return legs
