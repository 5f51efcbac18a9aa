from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from aidbridge.audit.models import AuditEvent
from aidbridge.logistics import services
from aidbridge.logistics.models import StockMovement
from aidbridge.logistics.tests.conftest import only_line


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command(*args, stdout=out, stderr=err)
    return str(exc.value), err.getvalue()


@pytest.fixture
def delivered(personas, at_hub):
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    services.receive_shipment(actor=personas.recipient, shipment=at_hub.outbound,
                              lines=[services.Received(only_line(at_hub.outbound), good=9, lost=1, reason="theft")])
    return at_hub


def test_ledger_verify_passes_on_a_consistent_database(world, personas, delivered):
    services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.other_item, quantity=40, reason="count")
    out, _ = run("ledger", "verify")
    events = AuditEvent.objects.filter(object_type__in=["logistics.stockmovement", "allocation.allocationline"]).count()
    events += AuditEvent.objects.filter(action="shipment.receive").count()
    assert re.fullmatch(rf"2 hubs, 2 items, 2 shipments verified against {events} audit events "
                        r"\(\d+\.\d s, [\d,]+ events/s\)", out.strip())


def test_ledger_verify_streams_its_rows(world, personas, delivered, monkeypatch):
    """The tables and the log are read through chunked cursors (the chunk is patched small), not loaded whole, and
    a change behind the application's back is still named."""
    from aidbridge.logistics import invariants

    monkeypatch.setattr(invariants, "CHUNK", 1)
    assert invariants.verify().ok
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {StockMovement._meta.db_table} SET quantity = quantity + 1 WHERE id = %s",
                       [StockMovement.objects.order_by("pk").values_list("pk", flat=True).first()])
    report = invariants.verify()
    assert any("was edited: quantity" in v for v in report.violations), report.violations


def test_ledger_verify_names_a_movement_changed_behind_the_applications_back(world, delivered):
    receipt = StockMovement.objects.get(kind="receipt")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE logistics_stockmovement SET quantity = 12 WHERE id = %s", [receipt.pk])
    message, err = failing("ledger", "verify")
    assert "violation(s) found" in message
    assert "Ledger: GEN-100KW at PL-RZE: the balance says 0 on hand but the ledger gives 2" in err
    assert f"{delivered.inbound.reference} line" in err and "receipt units at PL-RZE, the shipment says 10" in err


def test_ledger_verify_names_allocation_counters_that_disagree_with_shipments(world, delivered):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE allocation_allocationline SET delivered_quantity = 5, in_transit_quantity = 2, "
                       "lost_quantity = 1 WHERE id = %s", [delivered.line.pk])
    _, err = failing("ledger", "verify")
    assert f"{world.pledge_coalition.reference} allocation {delivered.line.pk}: in transit/delivered/lost are " \
           "2/5/1 but its shipments say 0/9/1." in err
    assert f"{world.pledge_coalition.reference}: shipped 10 ≠ good 5 + damaged/lost 1 + in transit 2." in err


def test_ledger_verify_names_an_over_received_line_and_a_wrong_status(delivered):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE logistics_receiptline SET good = 11 WHERE shipment_line_id = %s",
                       [only_line(delivered.outbound).pk])
        cursor.execute("UPDATE logistics_shipment SET status = 'in_transit' WHERE id = %s", [delivered.inbound.pk])
    _, err = failing("ledger", "verify")
    assert f"{delivered.outbound.reference} line" in err and "shipped 10 < good 11 + damaged 0 + lost 1" in err
    assert f"{delivered.inbound.reference} is in transit but that needs no receipts." in err


def test_stock_prints_the_hubs_holdings(world, personas, at_hub):
    out, _ = run("stock", "--hub", "PL-RZE")
    lines = out.splitlines()
    assert lines[0].split() == ["code", "name", "on", "hand", "reserved", "free", "unit"]
    assert lines[1].split() == ["GEN-100KW", "Generator", "100", "kW", "10", "10", "0", "each"]


def test_stock_of_an_empty_hub(world):
    out, _ = run("stock", "--hub", "ro-scv")
    assert out.strip() == "RO-SCV Suceava hub: no stock recorded."


def test_stock_refuses_an_unknown_hub(world):
    message, _ = failing("stock", "--hub", "XX-NOPE")
    assert message == "Unknown hub “XX-NOPE”. Known hubs: PL-RZE, RO-SCV."
