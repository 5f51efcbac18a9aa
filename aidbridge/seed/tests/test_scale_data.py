"""bench/scale_data.py at a tiny scale, on the seed scenario: the counts it promises, a valid audit chain and a
ledger that ``aidbridge ledger verify`` accepts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F, Sum

from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.audit.verify import verify_chain
from aidbridge.logistics import invariants
from aidbridge.logistics.models import Shipment, StockMovement
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement
from bench import scale_data

pytestmark = [
    pytest.mark.slow,  # on the seed scenario, built once per session (see conftest.py)
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="bench/scale_data.py fills PostgreSQL only (set AIDBRIDGE_DATABASE_URL)"),
]


@pytest.fixture
def world(seed_scenario, db):
    return seed_scenario


def test_a_tiny_scale_adds_what_it_promises_on_a_valid_chain(world):
    before = {"pledges": Pledge.objects.count(), "requirements": Requirement.objects.count(),
              "events": AuditEvent.objects.count()}
    added = scale_data.generate(scale=0.005)
    assert Pledge.objects.count() - before["pledges"] == added["pledges"] == 500
    assert Requirement.objects.count() - before["requirements"] == added["requirements"] == 250
    # The bulk events, plus the few written through the services (hub capacities, the extra donor logins).
    assert AuditEvent.objects.filter(request_id="scale-data").count() == added["audit events"] == 3_500
    assert 0 < AuditEvent.objects.count() - before["events"] - added["audit events"] < 50
    assert added["allocation lines"] > 200 and added["shipments"] > 0 and added["stock movements"] > 0
    report = verify_chain()
    assert report.ok, report.finding
    assert report.verified == AuditEvent.objects.count()
    ledger = invariants.verify()
    assert ledger.ok, ledger.violations[:5]
    # Within bounds everywhere: no requirement or pledge allocated beyond its quantity.
    assert not Requirement.objects.annotate(a=Sum("allocation_lines__quantity")).filter(a__gt=F("quantity")).exists()
    assert not Pledge.objects.annotate(a=Sum("allocation_lines__quantity")).filter(a__gt=F("quantity")).exists()
    new = Pledge.objects.order_by("-pk")[:500]
    assert {p.releasability for p in new} == {"coordinators", "coalition", "public"}
    assert {p.status for p in new} >= {"announced", "committed", "allocated", "shipped", "delivered"}
    assert Shipment.objects.filter(status="received", leg="outbound").exists()
    assert StockMovement.objects.filter(kind="issue").exists()
    assert AllocationLine.objects.filter(delivered_quantity__gt=0).exists()
