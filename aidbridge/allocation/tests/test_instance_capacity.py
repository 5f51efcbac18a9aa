"""Issue #8: allocation lines whose goods are already moving still take hub capacity in the week they leave
the hub, so a run plans around them and its plan can be approved (the allocate service counts every line)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from aidbridge.allocation import run_services as runs
from aidbridge.allocation import services as allocation
from aidbridge.allocation.instance import build_instance, monday
from aidbridge.allocation.models import AllocationRun
from aidbridge.allocation.tasks import execute_run
from aidbridge.core import clock
from aidbridge.locations import services as locations


def test_moving_goods_keep_their_hub_capacity_and_the_plan_can_be_approved(world, personas):
    c = personas.coordinator
    locations.update_hub(actor=c, hub=world.hub, changes={"capacity_t_per_week": Decimal("100")})
    world.hub.refresh_from_db()
    next_week = monday(clock.today()) + dt.timedelta(weeks=1)
    # 30 generators (63 t) leave PL-RZE next week; the donor has sent them on their way
    line = allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement,
                               hub=world.hub, quantity=30, dispatch_week=next_week)
    allocation.dispatch_allocation(actor=personas.donor_de, line=line, quantity=30)

    data = build_instance(start_date=clock.today())
    assert data["reserved_t"] == {"PL-RZE": {"1": 63.0}}
    assert data["fixed_flows"] == []

    run = runs.start_run(actor=c, method="greedy")
    execute_run.call(run.pk)
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.DONE, run.error
    week1 = [f for f in run.plan["flows"] if f["hub"] == "PL-RZE" and f["dispatch_week"] == 1]
    assert sum(f["quantity"] for f in week1) * 2.1 <= 37 + 1e-9  # what the moving goods leave
    lines = runs.approve_run(actor=c, run=run)  # the allocate service's capacity check accepts every line
    assert sum(x.quantity for x in lines) == 50
