"""``aidbridge ledger verify`` names each kind of broken invariant (issue #9): each test breaks one by raw SQL,
behind the application's back, and expects the check's own words. The checks are queries that return only the
rows that break an invariant, the same SQL on SQLite and PostgreSQL: the same tests run on both."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationLine
from aidbridge.core import clock
from aidbridge.logistics import invariants, services
from aidbridge.logistics.flows import FIELDS, flow_sql, flows
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import Shipment, StockMovement
from aidbridge.logistics.tests.conftest import only_line
from aidbridge.pledges.models import Pledge

requires_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the checks run in parallel threads "
                                                                                  "on PostgreSQL only")


def sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def named() -> list[str]:
    report = verify()
    assert not report.ok
    return report.violations


@pytest.fixture
def stocked(world, personas) -> StockMovement:
    """Ten generators counted into PL-RZE by a stock-take, three of them issued."""
    counted = services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=10,
                                    reason="count")
    services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=3, note="To 1st Bde")
    return counted


@pytest.fixture
def delivered(personas, at_hub):
    """The outbound leg received at the destination: 9 good, 1 lost."""
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    services.receive_shipment(actor=personas.recipient, shipment=at_hub.outbound,
                              lines=[services.Received(only_line(at_hub.outbound), good=9, lost=1, reason="theft")])
    assert verify().ok, verify().violations
    return at_hub


def test_a_ledger_that_goes_below_zero_is_named_where_it_dips(world, stocked):
    issue = StockMovement.objects.get(kind="issue")
    sql("UPDATE logistics_stockmovement SET quantity = 2 WHERE id = %s", stocked.pk)
    found = named()
    code = world.item.code
    assert found[:3] == [
        f"Ledger: {code} at PL-RZE: the balance says 7 on hand but the ledger gives -1 (received 0 − issued 3 − "
        "written off 0 ± adjusted 2).",
        f"Ledger: {code} at PL-RZE: stock is negative (-1).",
        f"Ledger: {code} at PL-RZE went below zero at movement #{issue.pk}.",
    ]


def test_a_reversal_that_does_not_mirror_or_reverses_a_reversal_is_named(world, personas, stocked):
    issue = StockMovement.objects.get(kind="issue")
    reversal = services.reverse_movement(actor=personas.hub_pl, movement=issue, note="Keyed wrongly")
    other = services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=5, reason="count")
    assert verify().ok, verify().violations
    sql("UPDATE logistics_stockmovement SET reverses_id = %s WHERE id = %s", reversal.pk, other.pk)
    found = named()
    assert f"Ledger: movement #{other.pk} does not mirror the entry it reverses." in found
    assert f"Ledger: movement #{other.pk} reverses a reversing entry." in found


def test_an_issue_missing_from_the_ledger_is_named_on_its_shipment_line(delivered):
    line = only_line(delivered.outbound)
    sql("UPDATE logistics_stockmovement SET shipment_line_id = NULL WHERE shipment_line_id = %s AND kind = 'issue'",
        line.pk)
    assert f"{delivered.outbound.reference} line {line.pk}: the ledger holds 0 issue units at PL-RZE, the shipment " \
           "says 10." in named()


def test_a_status_off_its_timeline_and_a_misplaced_proof_are_named(delivered):
    inbound, outbound = delivered.inbound, delivered.outbound
    sql("UPDATE logistics_shipment SET status = 'partially_received' WHERE id = %s", outbound.pk)
    sql("INSERT INTO logistics_proofofdelivery (shipment_id, received_at, signatory, document, original_name, "
        "content_type, sha256, created_at) VALUES (%s, %s, 'x', '', '', '', '', %s)",
        inbound.pk, clock.now(), clock.now())
    assert named() == [  # shipment by shipment
        f"{inbound.reference} has a proof of delivery but is not a received outbound leg.",
        f"{outbound.reference} is partially received but that needs some lines still to count.",
        f"{outbound.reference}: its timeline ends at “received” but its status is “partially_received”.",
    ]


def test_units_at_the_hub_missing_from_its_ledger_are_named(world, at_hub):
    sql("UPDATE logistics_stockmovement SET allocation_line_id = NULL WHERE allocation_line_id = %s", at_hub.line.pk)
    assert f"{world.pledge_coalition.reference} allocation {at_hub.line.pk}: 0 units in the hub ledger but its " \
           "shipments leave 10 at the hub." in named()


def test_losses_on_an_allocation_without_shipments_are_named(world, personas):
    line = allocation.allocate(actor=personas.coordinator, pledge=world.pledge_public, requirement=world.requirement,
                               hub=world.hub_ro, quantity=5)
    allocation.dispatch_allocation(actor=personas.coordinator, line=line, quantity=5)
    assert verify().ok, verify().violations
    sql("UPDATE allocation_allocationline SET in_transit_quantity = 4, lost_quantity = 1 WHERE id = %s", line.pk)
    found = named()
    assert f"{world.pledge_public.reference} allocation {line.pk}: losses or hub stock recorded without any " \
           "shipment." in found
    assert not any(f"{world.pledge_public.reference}: shipped" in v for v in found)  # still 5 = 0 + 1 + 4


def test_allocations_beyond_a_pledge_or_requirement_are_named(world, at_hub):
    sql("UPDATE pledges_pledge SET quantity = 6 WHERE id = %s", world.pledge_coalition.pk)
    sql("UPDATE requirements_requirement SET quantity = 8 WHERE id = %s", world.requirement.pk)
    found = named()
    assert f"{world.requirement.reference}: filled beyond 100% (10 allocated, 0 delivered of 8)." in found
    assert f"{world.pledge_coalition.reference}: 10 units allocated of 6 pledged." in found


@pytest.mark.parametrize(("status", "expected"), [
    (Pledge.Status.ALLOCATED, "is allocated but 10 units have left the donor; it should be shipped."),
    (Pledge.Status.SHIPPED, "is shipped but every unit is delivered or written off; it should be delivered."),
])
def test_a_pledge_whose_status_its_lines_contradict_is_named(world, delivered, status, expected):
    sql("UPDATE pledges_pledge SET status = %s WHERE id = %s", status, world.pledge_coalition.pk)
    assert f"{world.pledge_coalition.reference} {expected}" in named()


def test_a_delivered_pledge_with_units_still_at_the_hub_is_named(world, at_hub):
    sql("UPDATE pledges_pledge SET status = 'delivered' WHERE id = %s", world.pledge_coalition.pk)
    assert f"{world.pledge_coalition.reference} is delivered but only 0 of 10 units are delivered or written off." \
           in named()


def flows_of_all_and_of_each() -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """The flows of every allocation line (as ``ledger verify`` joins them), and those of each line asked on its
    own and of lines no shipment names (as planning asks them)."""
    every = {pk: {name: getattr(flow, name) for name in FIELDS} for pk, flow in flows().items()}
    each: dict[int, dict[str, int]] = {}
    for pk in [*AllocationLine.objects.values_list("pk", flat=True), 10**9]:
        for line_id, flow in flows([pk, pk]).items():
            assert line_id == pk
            each[line_id] = {name: getattr(flow, name) for name in FIELDS}
    with connection.cursor() as cursor:
        cursor.execute(flow_sql())
        assert {row[0]: dict(zip(FIELDS, row[1:], strict=True)) for row in cursor.fetchall()} == every
    return every, each


def test_the_flows_of_chosen_lines_are_theirs_among_all(delivered):
    """What the allocation check joins (every line) is what planning reads (the lines it names), field by field,
    and a line shipped, counted in and delivered with a loss has the sums its shipments say."""
    every, each = flows_of_all_and_of_each()
    assert every == each
    assert (every[delivered.line.pk]["inbound_good"], every[delivered.line.pk]["delivered"],
            every[delivered.line.pk]["outbound_lost"]) == (10, 9, 1)
    assert flows([]) == {}


def test_the_flows_count_a_write_off_at_the_hub(world, personas, at_hub):
    services.write_off_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=2, reason="damaged",
                             allocation_line=at_hub.line)
    every, each = flows_of_all_and_of_each()
    assert every == each
    assert every[at_hub.line.pk]["hub_losses"] == 2


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_checks_in_parallel_name_what_they_name_one_after_the_other(world, personas, at_hub):
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    sql("UPDATE logistics_shipment SET status = 'arrived' WHERE id = %s", at_hub.outbound.pk)
    sql("UPDATE allocation_allocationline SET in_transit_quantity = 0 WHERE id = %s", at_hub.line.pk)
    sql("UPDATE logistics_stockmovement SET quantity = 9 WHERE kind = 'issue'")
    assert not connection.in_atomic_block and invariants.PARALLEL > 1
    in_parallel = verify().violations
    with transaction.atomic():  # inside a transaction the checks run one after the other, on this connection
        assert verify().violations == in_parallel
    assert len(in_parallel) >= 4
    assert any(v.startswith("Audit log:") for v in in_parallel)
    assert any(f"{Shipment(pk=at_hub.outbound.pk).reference}: its timeline ends" in v for v in in_parallel)
