"""The logistics history loads on top of the demo scenario, through the services, and verifies clean."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import ServiceError
from aidbridge.logistics import services
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import ProofOfDelivery, ReceiptLine, Shipment
from aidbridge.logistics.seed import load_logistics_history

pytestmark = pytest.mark.slow  # on the seed scenario (built once per session: see conftest.py)


@pytest.fixture
def loaded(seed_scenario, db):
    """The logistics history the seed scenario loads (built once per session; each test's changes are rolled
    back after it). Loading the history again finds nothing left to move and only reports what is there."""
    return load_logistics_history(random.Random(20241014))


def test_the_history_has_shipments_in_every_state(loaded):
    statuses = set(Shipment.objects.values_list("status", flat=True))
    assert statuses == set(Shipment.Status.values)
    assert loaded["shipments"] == Shipment.objects.count() > 50


def test_the_history_has_losses_and_signed_deliveries(loaded):
    assert ReceiptLine.objects.filter(damaged__gt=0).exists()
    assert ReceiptLine.objects.filter(lost__gt=0).exists()
    assert ProofOfDelivery.objects.count() == loaded["proofs_of_delivery"] >= 3
    assert ProofOfDelivery.objects.exclude(sha256="").exists()


def test_the_history_verifies_clean(loaded):
    report = verify()
    assert report.ok, report.violations[:10]


def test_the_history_was_written_through_the_audited_services(loaded):
    assert AuditEvent.objects.filter(action="shipment.dispatch").count() == Shipment.objects.exclude(
        status__in=["planned", "cancelled"]).count()
    assert AuditEvent.objects.filter(action="shipment.proof_of_delivery").count() == loaded["proofs_of_delivery"]


def test_every_planned_outbound_shipment_can_leave_its_hub(loaded):
    """Issue #8: every planned outbound shipment tried at PL-RZE was refused ("only 0 have arrived")."""
    coordinator = get_user_model().objects.get(username="coordinator")
    planned = list(Shipment.objects.filter(leg="outbound", status="planned").order_by("pk"))
    assert {s.hub.code for s in planned} == {"PL-RZE", "RO-SCV"}
    refused = []
    for shipment in planned:
        try:
            with transaction.atomic():
                services.dispatch_shipment(actor=coordinator, shipment=shipment)
                transaction.set_rollback(True)
        except ServiceError as exc:
            refused.append(f"{shipment.reference}: {exc}")
    assert refused == []


def test_the_history_shows_lorries_rearranged_by_hand_and_scans_attached_later(loaded):
    for action in ("shipment.split", "shipment.remove_lines", "shipment.proof_document"):
        assert AuditEvent.objects.filter(action=action).exists(), action
    assert ProofOfDelivery.objects.filter(shipment__events__note__startswith="Signed delivery note attached").exists()


def test_loading_again_changes_nothing(loaded):
    assert load_logistics_history(random.Random(1)) == loaded
