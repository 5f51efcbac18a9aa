from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import requires_postgres
from aidbridge.core.errors import Conflict, NotPermitted, ServiceError
from aidbridge.logistics import services
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import AppendOnlyError, ShipmentEvent, StockBalance, StockMovement
from aidbridge.logistics.tests.conftest import only_line


def on_hand(world) -> int:
    return StockBalance.objects.get(hub=world.hub, item=world.item).on_hand


@pytest.fixture
def stocked(world, personas):
    """Ten generators counted into PL-RZE by a stock-take."""
    return services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=10,
                                 reason="count", note="Opening count")


def test_the_balance_follows_every_kind_of_movement(world, personas, stocked):
    services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=3, note="To 1st Bde")
    services.write_off_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=2, reason="expired")
    services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=-1, reason="count")
    assert on_hand(world) == 4 == StockMovement.objects.filter(hub=world.hub).on_hand()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="stock.")] == [
        "stock.adjust", "stock.issue", "stock.write_off", "stock.adjust"]
    assert verify().ok


def test_stock_never_goes_negative(world, personas, stocked):
    with pytest.raises(Conflict) as exc:
        services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=11)
    assert exc.value.errors == {"quantity": ["Only 10 each of GEN-100KW on hand at PL-RZE; cannot take out 11."]}
    assert exc.value.status_code == 409
    with pytest.raises(Conflict):
        services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=-11, reason="count")
    with pytest.raises(Conflict):
        services.issue_stock(actor=personas.coordinator, hub=world.hub_ro, item=world.item, quantity=1)
    assert on_hand(world) == 10 and StockMovement.objects.count() == 1


def test_movements_cannot_be_edited_or_deleted(world, personas, stocked):
    with pytest.raises(AppendOnlyError):
        stocked.quantity = 99
        stocked.save()
    with pytest.raises(AppendOnlyError):
        stocked.delete()
    with pytest.raises(AppendOnlyError):
        StockMovement.objects.filter(pk=stocked.pk).update(quantity=99)
    with pytest.raises(AppendOnlyError):
        StockMovement.objects.all().delete()
    assert StockMovement.objects.get(pk=stocked.pk).quantity == 10


def test_timeline_rows_cannot_be_edited_or_deleted(legs):
    event = legs.inbound.events.get()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        ShipmentEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        ShipmentEvent.objects.update(note="rewritten")


def test_a_reversing_entry_corrects_a_mistake(world, personas, stocked):
    issue = services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=4)
    reversal = services.reverse_movement(actor=personas.hub_pl, movement=issue, note="Keyed twice")
    assert (reversal.kind, reversal.quantity, reversal.reverses, reversal.delta) == ("issue", 4, issue, 4)
    assert on_hand(world) == 10 and StockMovement.objects.count() == 3
    with pytest.raises(Conflict, match="already been reversed"):
        services.reverse_movement(actor=personas.hub_pl, movement=issue, note="Again")
    with pytest.raises(ServiceError, match="cannot itself be reversed"):
        services.reverse_movement(actor=personas.hub_pl, movement=reversal, note="Undo the undo")
    with pytest.raises(ServiceError, match="Say why"):
        services.reverse_movement(actor=personas.hub_pl, movement=stocked, note="")
    assert AuditEvent.objects.filter(action="stock.reverse").count() == 1
    assert verify().ok


def test_reversing_a_receipt_cannot_drive_stock_negative(world, personas, stocked):
    services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=8)
    with pytest.raises(Conflict, match="Only 2 each"):
        services.reverse_movement(actor=personas.hub_pl, movement=stocked, note="Count was wrong")


def test_shipment_entries_are_corrected_on_the_shipment(personas, at_hub):
    receipt = StockMovement.objects.get(kind="receipt")
    with pytest.raises(ServiceError, match="correct it there"):
        services.reverse_movement(actor=personas.coordinator, movement=receipt, note="Wrong")


def test_write_offs_need_a_write_off_reason(world, personas, stocked):
    with pytest.raises(ServiceError) as exc:
        services.write_off_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=1, reason="count")
    assert exc.value.errors.keys() == {"reason"}
    with pytest.raises(ServiceError):
        services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=0, reason="count")


def test_a_write_off_against_an_allocation_counts_as_lost_there(world, personas, at_hub):
    services.write_off_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=2, reason="damaged",
                             note="Forklift", allocation_line=at_hub.line)
    at_hub.line.refresh_from_db()
    assert (at_hub.line.in_transit_quantity, at_hub.line.lost_quantity) == (8, 2)
    # The planned outbound leg no longer carries the destroyed units, so it can still leave.
    assert only_line(at_hub.outbound).quantity == 8
    event = AuditEvent.objects.get(action="shipment.remove_lines")
    assert event.object_id == str(at_hub.outbound.pk) and event.after["removed"] == [[at_hub.line.pk, 2]]
    assert "written off at PL-RZE" in at_hub.outbound.events.latest("pk").note
    assert services.generate_shipments(actor=personas.coordinator) == []
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    assert verify().ok


def test_writing_off_everything_cancels_the_planned_outbound_leg(world, personas, at_hub):
    services.write_off_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=10, reason="lost",
                             note="Warehouse fire", allocation_line=at_hub.line)
    at_hub.outbound.refresh_from_db()
    assert at_hub.outbound.status == "cancelled" and not at_hub.outbound.lines.exists()
    assert AuditEvent.objects.filter(action="shipment.cancel", object_id=str(at_hub.outbound.pk)).count() == 1
    assert verify().ok


def test_only_the_hubs_operator_or_a_coordinator_moves_its_stock(world, personas, stocked):
    for who in ("donor_de", "recipient", "auditor", "outsider"):
        with pytest.raises(NotPermitted):
            services.issue_stock(actor=getattr(personas, who), hub=world.hub, item=world.item, quantity=1)
    with pytest.raises(NotPermitted):
        services.adjust_stock(actor=personas.hub_pl, hub=world.hub_ro, item=world.item, quantity=1, reason="count")
    services.issue_stock(actor=personas.coordinator, hub=world.hub, item=world.item, quantity=1)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's database-wide write lock")
@pytest.mark.django_db(transaction=True)
def test_a_writer_locked_out_by_sqlite_is_told_to_try_again(world, personas, stocked):
    holding, done = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        try:
            with transaction.atomic():
                StockBalance.objects.filter(hub=world.hub).update(on_hand=10)
                holding.set()
                done.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    assert holding.wait(10)
    try:
        with pytest.raises(Conflict, match="The database is busy; try again."):
            services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=1)
    finally:
        done.set()
        holder.join()
    assert on_hand(world) == 10 and StockMovement.objects.count() == 1


def race(n: int, work: Callable[[], Any]) -> list[str]:
    """Run ``work`` in ``n`` threads released together; each outcome is "ok" or the error's class name."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            work()
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts on
            outcomes.append(type(exc).__name__)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_issues_of_the_same_stock_never_go_negative(world, personas, stocked):
    outcomes = race(8, lambda: services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item,
                                                    quantity=3))
    assert sorted(outcomes) == ["Conflict"] * 5 + ["ok"] * 3
    assert on_hand(world) == 1
    assert StockMovement.objects.filter(kind="issue").count() == 3
    report = verify()
    assert report.ok, report.violations


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_first_movements_create_one_balance_row(world, personas):
    outcomes = race(6, lambda: services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.other_item,
                                                     quantity=5, reason="count"))
    assert outcomes == ["ok"] * 6
    assert StockBalance.objects.get(hub=world.hub, item=world.other_item).on_hand == 30
    assert verify().ok
