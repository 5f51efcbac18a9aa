"""A donor withdrawing a pledge while its inbound leg is being dispatched: never a deadlock, never a 500.

``withdraw_pledge`` and the dispatch of a shipment both lock the pledge's allocation lines and then the pledge
itself. With the same order, one waits for the other and then sees what it did: either the goods left first
(and stay allocated to the withdrawn pledge, because they are moving), or the withdrawal came first (and the
dispatch is refused with a message naming the pledge, or saying that the shipment no longer carries anything).
"""

from __future__ import annotations

import pytest

from aidbridge.allocation.models import AllocationLine
from aidbridge.conftest import requires_postgres
from aidbridge.logistics import services
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import Shipment
from aidbridge.logistics.tests.races import together
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import Pledge


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_a_withdrawal_racing_a_dispatch_of_the_same_pledge_settles_cleanly(legs, personas, world, attempt):
    pledge = world.pledge_coalition
    withdrawal, dispatch = together(
        lambda: pledges.withdraw_pledge(actor=personas.donor_de, pledge=pledge),
        lambda: services.dispatch_shipment(actor=personas.donor_de, shipment=legs.inbound, carrier="DB Schenker"),
    )
    assert not withdrawal.startswith("crash") and not dispatch.startswith("crash"), (withdrawal, dispatch)
    assert withdrawal == "ok"
    assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.WITHDRAWN
    inbound = Shipment.objects.get(pk=legs.inbound.pk)
    if dispatch == "ok":
        # The goods left first: they keep moving, so the allocation stays.
        assert inbound.status == Shipment.Status.DISPATCHED
        assert AllocationLine.objects.get(pk=legs.line.pk).in_transit_quantity == 10
    else:
        # The withdrawal came first: either the dispatch waited for the allocation's lock and found it gone
        # (the pledge is named), or it started after the withdrawal had emptied the shipment.
        assert dispatch.startswith("refused: ")
        assert pledge.reference in dispatch or f"{legs.inbound.reference} carries nothing" in dispatch, dispatch
        assert inbound.status in (Shipment.Status.PLANNED, Shipment.Status.CANCELLED)
        assert not AllocationLine.objects.filter(pk=legs.line.pk, in_transit_quantity__gt=0).exists()
    report = verify()
    assert report.ok, report.violations
