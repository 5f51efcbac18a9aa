"""A donor withdrawing a pledge while its inbound leg is being dispatched: never a deadlock, never a 500.

``withdraw_pledge`` and the dispatch of a shipment both lock the pledge's allocation lines and then the pledge
itself. With the same order, one waits for the other and then sees what it did: either the goods left first
(and stay allocated to the withdrawn pledge, because they are moving), or the withdrawal came first (and the
dispatch is refused with a message naming the pledge).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection

from aidbridge.allocation.models import AllocationLine
from aidbridge.conftest import requires_postgres
from aidbridge.core.errors import ServiceError
from aidbridge.logistics import services
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import Shipment
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import Pledge


def together(*works: Callable[[], Any]) -> list[str]:
    """Run each piece of work in its own thread, released at once; each outcome is "ok" or the error's message."""
    barrier = threading.Barrier(len(works))
    outcomes: list[str] = [""] * len(works)

    def worker(index: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            work()
            outcomes[index] = "ok"
        except ServiceError as exc:
            outcomes[index] = f"refused: {exc}"
        except Exception as exc:  # noqa: BLE001 - a deadlock or a crash is exactly what the test looks for
            outcomes[index] = f"crash: {type(exc).__name__}: {exc}"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, w)) for i, w in enumerate(works)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


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
        assert pledge.reference in dispatch
        assert inbound.status in (Shipment.Status.PLANNED, Shipment.Status.CANCELLED)
        assert not AllocationLine.objects.filter(pk=legs.line.pk, in_transit_quantity__gt=0).exists()
    report = verify()
    assert report.ok, report.violations
