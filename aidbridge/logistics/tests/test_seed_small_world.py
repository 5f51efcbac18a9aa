"""The logistics history also loads on the small test world (its own module: test_seed.py holds the full
scenario loaded for the whole module)."""

from __future__ import annotations

import random

from aidbridge.allocation import services as allocation
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import Shipment
from aidbridge.logistics.seed import load_logistics_history


def test_it_also_runs_on_a_small_world(world, personas):
    c = personas.coordinator
    allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement, hub=world.hub,
                        quantity=30)
    allocation.allocate(actor=c, pledge=world.pledge_public, requirement=world.requirement, hub=world.hub_ro,
                        quantity=20)
    summary = load_logistics_history(random.Random(3))
    # Both inbound legs, and the outbound leg of whatever has been counted in at its hub.
    assert summary["shipments"] >= 3
    assert Shipment.objects.filter(leg="outbound").exists()
    report = verify()
    assert report.ok, report.violations
