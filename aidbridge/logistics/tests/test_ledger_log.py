"""``aidbridge ledger verify`` checks the tables against the audit log (issue #9).

Each test changes rows by raw SQL, the way only someone behind the application's back can, keeping the tables
consistent among themselves (a balance moved with its movement, a unit moved between two counters), so that only
the audit log can tell. The same tests run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.audit.services import snapshot
from aidbridge.core import clock
from aidbridge.logistics import invariants, services
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import ReceiptLine, StockBalance, StockMovement
from aidbridge.logistics.tests.conftest import only_line


@pytest.fixture(autouse=True, params=["python", "database"])
def comparison(request, monkeypatch) -> str:
    """Each test runs on both comparisons with the log where both exist: in Python, and in the database (the
    default on PostgreSQL), which must name the same violations."""
    if request.param == "database" and connection.vendor != "postgresql":
        pytest.skip("the comparison in the database is PostgreSQL's")
    monkeypatch.setattr(invariants, "_in_database", lambda: request.param == "database")
    return str(request.param)


def violations() -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=err)
    assert "violation(s) found" in str(exc.value)
    return err.getvalue()


def sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


@pytest.fixture
def books(world, personas, at_hub):
    """A delivered outbound leg (7 good, 2 damaged, 1 lost), a hand write-off of 4, and a direct allocation."""
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    services.receive_shipment(actor=personas.recipient, shipment=at_hub.outbound,
                              lines=[services.Received(only_line(at_hub.outbound), good=7, damaged=2, lost=1,
                                                       reason="handling")])
    services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.other_item, quantity=40, reason="count")
    at_hub.write_off = services.write_off_stock(actor=personas.hub_pl, hub=world.hub, item=world.other_item,
                                                quantity=4, reason="damaged")
    direct = allocation.allocate(actor=personas.coordinator, pledge=world.pledge_public,
                                 requirement=world.requirement, hub=world.hub_ro, quantity=5)
    allocation.dispatch_allocation(actor=personas.coordinator, line=direct, quantity=5)
    at_hub.direct = allocation.confirm_delivery(actor=personas.coordinator, line=direct, quantity=3)
    assert verify().ok, verify().violations
    return at_hub


def balance(world) -> int:
    return StockBalance.objects.get(hub=world.hub, item=world.other_item).on_hand


def test_every_movement_has_an_audit_event_with_its_full_content(books):
    logged = {int(e.object_id): e.after for e in AuditEvent.objects.filter(object_type="logistics.stockmovement")}
    movements = list(StockMovement.objects.order_by("pk"))
    assert {m.kind for m in movements} == {"receipt", "issue", "adjustment", "write_off"}
    assert sorted(logged) == [m.pk for m in movements]
    for movement in movements:
        assert logged[movement.pk] == logged[movement.pk] | {**snapshot(movement), "at": logged[movement.pk]["at"],
                                                              "delta": movement.delta}
    actions = set(AuditEvent.objects.filter(object_type="logistics.stockmovement").values_list("action", flat=True))
    assert {"stock.receive", "stock.dispatch", "stock.adjust", "stock.write_off"} <= actions


def test_a_write_off_deleted_with_its_balance_is_named(world, books):
    pk = books.write_off.pk
    sql("DELETE FROM logistics_stockmovement WHERE id = %s", pk)
    sql("UPDATE logistics_stockbalance SET on_hand = on_hand + 4 WHERE hub_id = %s AND item_id = %s",
        world.hub.pk, world.other_item.pk)
    err = violations()
    assert f"Audit log: movement #{pk} (write-off of 4 {world.other_item.code} at PL-RZE) is in the audit log but " \
           "not in the ledger (deleted)." in err
    assert f"Audit log: {world.other_item.code} at PL-RZE: on hand table 40 vs log 36." in err


def test_an_edited_movement_is_named_with_both_values(world, books):
    pk = books.write_off.pk
    sql("UPDATE logistics_stockmovement SET quantity = 3 WHERE id = %s", pk)
    sql("UPDATE logistics_stockbalance SET on_hand = on_hand + 1 WHERE hub_id = %s AND item_id = %s",
        world.hub.pk, world.other_item.pk)
    err = violations()
    assert f"Audit log: movement #{pk} (write-off of 3 {world.other_item.code} at PL-RZE) was edited: " \
           "quantity: table 3 vs log 4." in err
    assert f"Audit log: {world.other_item.code} at PL-RZE: on hand table 37 vs log 36." in err


def test_a_movement_moved_to_another_hub_is_named(world, books):
    pk = books.write_off.pk
    sql("UPDATE logistics_stockmovement SET hub_id = %s WHERE id = %s", world.hub_ro.pk, pk)
    sql("UPDATE logistics_stockbalance SET on_hand = on_hand + 4 WHERE hub_id = %s AND item_id = %s",
        world.hub.pk, world.other_item.pk)
    sql("INSERT INTO logistics_stockbalance (hub_id, item_id, on_hand) VALUES (%s, %s, 0)",
        world.hub_ro.pk, world.other_item.pk)
    err = violations()
    assert f"was edited: hub: table {world.hub_ro.pk} vs log {world.hub.pk}." in err
    assert f"Audit log: {world.other_item.code} at PL-RZE: on hand table 40 vs log 36." in err


def test_an_inserted_movement_is_named(world, books):
    sql("INSERT INTO logistics_stockmovement (hub_id, item_id, kind, quantity, reason, note, override_reason, at) "
        "VALUES (%s, %s, 'adjustment', 5, 'count', '', '', %s)", world.hub.pk, world.other_item.pk, clock.now())
    sql("UPDATE logistics_stockbalance SET on_hand = on_hand + 5 WHERE hub_id = %s AND item_id = %s",
        world.hub.pk, world.other_item.pk)
    pk = StockMovement.objects.latest("pk").pk
    err = violations()
    assert f"Audit log: movement #{pk} (adjustment of 5 {world.other_item.code} at PL-RZE) is in the ledger but " \
           "has no audit event (inserted)." in err
    assert f"Audit log: {world.other_item.code} at PL-RZE: on hand table 41 vs log 36." in err


@pytest.mark.parametrize(("change", "expected"), [
    ("delivered_quantity = delivered_quantity - 1, in_transit_quantity = in_transit_quantity + 1",
     "in_transit: table 3 vs log 2; delivered: table 2 vs log 3"),
    ("in_transit_quantity = in_transit_quantity - 1, delivered_quantity = delivered_quantity + 1",
     "in_transit: table 1 vs log 2; delivered: table 4 vs log 3"),
])
def test_a_unit_moved_between_allocation_counters_is_named(books, change, expected):
    pk = books.direct.pk
    assert verify().ok  # the counters on their own still add up: only the log tells
    sql(f"UPDATE allocation_allocationline SET {change} WHERE id = %s", pk)  # noqa: S608 - fixed text
    assert f"Audit log: allocation {pk} was edited: {expected}." in violations()


def test_a_unit_moved_from_lost_to_in_transit_is_named(books):
    pk = books.line.pk
    sql("UPDATE allocation_allocationline SET lost_quantity = lost_quantity - 1, "
        "in_transit_quantity = in_transit_quantity + 1 WHERE id = %s", pk)
    assert f"Audit log: allocation {pk} was edited: in_transit: table 1 vs log 0; lost: table 2 vs log 3." \
           in violations()


@pytest.mark.parametrize(("change", "counts"), [
    ("damaged = damaged - 1, lost = lost + 1", "7/1/2"),
    ("lost = lost - 1, good = good + 1", "8/2/0"),
    ("damaged = damaged - 1, good = good + 1", "8/1/1"),
])
def test_a_unit_moved_between_good_damaged_and_lost_on_a_receipt_is_named(books, change, counts):
    row = ReceiptLine.objects.get(shipment_line=only_line(books.outbound))
    sql(f"UPDATE logistics_receiptline SET {change} WHERE id = %s", row.pk)  # noqa: S608 - fixed text
    assert f"Audit log: receipt #{row.receipt_id}, shipment line {row.shipment_line_id}: good/damaged/lost table " \
           f"{counts} vs log 7/2/1." in violations()


def test_a_deleted_and_an_inserted_allocation_are_named(world, books):
    pk = books.direct.pk
    sql("DELETE FROM allocation_allocationline WHERE id = %s", pk)
    sql("INSERT INTO allocation_allocationline (pledge_id, requirement_id, hub_id, quantity, in_transit_quantity, "
        "delivered_quantity, lost_quantity, created_at) VALUES (%s, %s, %s, 1, 0, 0, 0, %s)",
        world.pledge_public.pk, world.requirement.pk, world.hub_ro.pk, clock.now())
    new = AllocationLine.objects.latest("pk").pk
    err = violations()
    assert f"Audit log: allocation {pk} is in the audit log but not in the table (deleted)." in err
    assert f"Audit log: allocation {new} has no audit event (inserted)." in err


def test_both_comparisons_name_the_same_violations_in_the_same_order(world, books, comparison):
    if comparison != "database":
        pytest.skip("compares the two: run once, where both exist")
    sql("UPDATE logistics_stockmovement SET quantity = 3 WHERE id = %s", books.write_off.pk)
    sql("DELETE FROM allocation_allocationline WHERE id = %s", books.direct.pk)
    sql("UPDATE logistics_receiptline SET lost = lost + 1 WHERE id = %s",
        ReceiptLine.objects.get(shipment_line=only_line(books.outbound)).pk)
    hubs = {pk: code for pk, code in world.hub._meta.model.objects.values_list("pk", "code")}
    in_python = invariants._against_log_in_python(hubs)
    assert len(in_python[0]) == 3
    assert invariants._against_log_in_database(hubs) == in_python


def test_a_logged_number_rewritten_as_text_is_named(world, books):
    """The database compares the log's values as text: a quantity logged as the string "4" still differs from the
    table's 4, as it does in Python."""
    pk = books.write_off.pk
    event = AuditEvent.objects.filter(object_type="logistics.stockmovement", object_id=str(pk)).latest("seq")
    sql("UPDATE audit_auditevent SET after = %s WHERE id = %s", json.dumps({**event.after, "quantity": "4"}), event.pk)
    assert f"Audit log: movement #{pk} (write-off of 4 {world.other_item.code} at PL-RZE) was edited: quantity: " \
           "table 4 vs log 4." in violations()
