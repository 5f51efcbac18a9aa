"""Stateful property test: whatever coordinators, donors, hubs and the recipient do, in whatever order, the
logistics invariants hold after every step (as ``aidbridge ledger verify`` checks them)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from aidbridge.allocation import services as allocation
from aidbridge.core.errors import ServiceError
from aidbridge.logistics import services
from aidbridge.logistics.flows import flows
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import Receipt, ReceiptLine, Shipment, StockMovement
from aidbridge.requirements.models import Requirement

MOVING = list(Shipment.MOVING)


def test_no_sequence_of_logistics_operations_breaks_the_invariants(world, personas):
    c = personas.coordinator
    hubs = {"pl": world.hub, "ro": world.hub_ro}
    pledges = {"de": world.pledge_coalition, "us": world.pledge_public}

    def pick(data: Any, rows: list[Any]) -> Any:
        return data.draw(st.sampled_from(rows)) if rows else None

    class Logistics(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.savepoint = transaction.savepoint()  # each example starts from the same world

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)

        @initialize(de=st.integers(1, 30), us=st.integers(1, 30))
        def allocate_and_plan(self, de: int, us: int) -> None:
            # Start with goods to move, so that the short runs reach receipts and the hubs' ledgers.
            allocation.allocate(actor=c, pledge=pledges["de"], requirement=world.requirement, hub=hubs["pl"],
                                quantity=de)
            allocation.allocate(actor=c, pledge=pledges["us"], requirement=world.requirement, hub=hubs["ro"],
                                quantity=us)
            services.generate_shipments(actor=c)

        @rule(data=st.data())
        def next_step(self, data: Any) -> None:
            """Move a shipment one step along its natural course: dispatch it, or count everything off it."""
            shipment = pick(data, list(Shipment.objects.filter(status__in=["planned", *MOVING]).order_by("pk")))
            if shipment is None:
                return
            if shipment.status == "planned":
                with contextlib.suppress(ServiceError):
                    services.dispatch_shipment(actor=c, shipment=shipment)
                return
            rows = []
            for line in shipment.lines.order_by("pk"):
                left = line.quantity - sum(r.good + r.damaged + r.lost for r in line.receipt_lines.all())
                if left:
                    lost = data.draw(st.integers(0, min(left, 2)))
                    rows.append(services.Received(line, good=left - lost, lost=lost, reason="theft"))
            services.receive_shipment(actor=c, shipment=shipment, lines=rows)

        @rule(pledge=st.sampled_from(["de", "us"]), hub=st.sampled_from(["pl", "ro"]), quantity=st.integers(1, 30))
        def allocate(self, pledge: str, hub: str, quantity: int) -> None:
            with contextlib.suppress(ServiceError):  # over-allocation is refused: an invariant of its own
                allocation.allocate(actor=c, pledge=pledges[pledge], requirement=world.requirement, hub=hubs[hub],
                                    quantity=quantity)

        @rule()
        def plan(self) -> None:
            services.generate_shipments(actor=c)

        @rule(data=st.data())
        def dispatch(self, data: Any) -> None:
            shipment = pick(data, list(Shipment.objects.filter(status="planned").order_by("pk")))
            if shipment is not None:
                with contextlib.suppress(ServiceError):  # outbound goods not (all) at the hub yet
                    services.dispatch_shipment(actor=c, shipment=shipment)

        @rule(data=st.data())
        def cancel(self, data: Any) -> None:
            shipment = pick(data, list(Shipment.objects.filter(status="planned").order_by("pk")))
            if shipment is not None:
                services.cancel_shipment(actor=c, shipment=shipment, reason="Re-planned")

        @rule(data=st.data(), remove=st.booleans())
        def rearrange(self, data: Any, remove: bool) -> None:
            """A hub operator splits a planned lorry, or takes (part of) a line off it."""
            shipment = pick(data, list(Shipment.objects.filter(status="planned").order_by("pk")))
            line = pick(data, list(shipment.lines.order_by("pk"))) if shipment is not None else None
            if line is None:
                return
            quantity = data.draw(st.integers(1, line.quantity))
            with contextlib.suppress(ServiceError):  # refused when nothing would remain on the lorry
                if remove:
                    services.remove_shipment_lines(actor=c, shipment=shipment, lines=[(line, quantity)],
                                                   reason="Held back")
                else:
                    services.split_shipment(actor=c, shipment=shipment, lines=[(line, quantity)])

        @rule(data=st.data(), over=st.booleans())
        def receive(self, data: Any, over: bool) -> None:
            shipment = pick(data, list(Shipment.objects.filter(status__in=MOVING).order_by("pk")))
            if shipment is None:
                return
            line = pick(data, list(shipment.lines.order_by("pk")))
            done = sum(r.good + r.damaged + r.lost for r in line.receipt_lines.all())
            outstanding = line.quantity - done
            if over:
                before = (Receipt.objects.count(), ReceiptLine.objects.count(), StockMovement.objects.count())
                try:
                    services.receive_shipment(actor=c, shipment=shipment, lines=[(line, outstanding + 1)])
                except ServiceError:
                    pass
                else:
                    raise AssertionError("counting more than is outstanding was accepted")
                after = (Receipt.objects.count(), ReceiptLine.objects.count(), StockMovement.objects.count())
                assert after == before, "a refused receipt wrote something"
                return
            total = data.draw(st.integers(1, outstanding))
            damaged = data.draw(st.integers(0, total))
            lost = data.draw(st.integers(0, total - damaged))
            services.receive_shipment(actor=c, shipment=shipment, lines=[services.Received(
                line, good=total - damaged - lost, damaged=damaged, lost=lost, reason="handling")])

        @rule(data=st.data(), kind=st.sampled_from(["issue", "adjust", "write_off", "reverse"]),
              quantity=st.integers(1, 8))
        def hub_stock(self, data: Any, kind: str, quantity: int) -> None:
            hub = hubs[data.draw(st.sampled_from(["pl", "ro"]))]
            try:
                if kind == "issue":
                    services.issue_stock(actor=c, hub=hub, item=world.item, quantity=quantity,
                                         override_reason=data.draw(st.sampled_from(["", "Urgent handover"])))
                elif kind == "adjust":
                    services.adjust_stock(actor=c, hub=hub, item=world.item, reason="count",
                                          quantity=quantity * data.draw(st.sampled_from([1, -1])))
                elif kind == "write_off":
                    line = pick(data, [None, *hub.allocation_lines.order_by("pk")])
                    services.write_off_stock(actor=c, hub=hub, item=world.item, quantity=quantity, reason="expired",
                                             allocation_line=line)
                else:
                    movement = pick(data, list(StockMovement.objects.filter(
                        hub=hub, shipment__isnull=True, allocation_line__isnull=True, reverses__isnull=True,
                        reversed_by__isnull=True).order_by("pk")))
                    if movement is not None:
                        services.reverse_movement(actor=c, movement=movement, note="Keyed wrongly")
            except ServiceError:
                pass  # refused: not enough stock, or not enough of that allocation at the hub

        @invariant()
        def everything_verifies(self) -> None:
            report = verify()
            assert report.ok, report.violations

        @invariant()
        def planned_outbound_legs_carry_only_goods_at_the_hub(self) -> None:
            for line_id, flow in flows().items():
                assert flow.outbound_waiting <= flow.at_hub, (line_id, flow)

        @invariant()
        def no_fill_level_exceeds_100_percent(self) -> None:
            r = Requirement.objects.with_fill().get(pk=world.requirement.pk)
            assert r.allocated <= r.quantity and r.in_transit + r.delivered <= r.quantity
            assert r.allocated_percent <= 100 and r.delivered_percent <= 100

    run_state_machine_as_test(Logistics, settings=settings(
        max_examples=10, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
