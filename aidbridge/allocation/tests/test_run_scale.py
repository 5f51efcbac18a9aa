"""Allocation runs at scale: the time limit covers the whole run, the inputs are read in a fixed number of
queries, the stale check is remembered until the next audited write, and the run page shows its rows a page
at a time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aidbridge.allocation import review, run_views
from aidbridge.allocation import run_services as runs
from aidbridge.allocation.instance import build_instance
from aidbridge.allocation.models import AllocationRun
from aidbridge.allocation.tasks import FINISH_SHARE, MIN_SOLVE_SECONDS, execute_run, solver_budget
from aidbridge.pledges import services as pledges


@pytest.fixture
def done_run(world, personas) -> AllocationRun:
    run = runs.start_run(actor=personas.coordinator)
    execute_run.call(run.pk)
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.DONE, run.error
    return run


def _new_pledge(world, personas, quantity: int = 5):  # type: ignore[no-untyped-def]
    return pledges.commit_pledge(actor=personas.donor_de, pledge=pledges.create_pledge(
        actor=personas.donor_de, item=world.item, quantity=quantity, available_from=dt.date(2026, 3, 11),
        origin_country="DE", unit_value=Decimal("45000"), currency="EUR", funding_source="stockpile",
        releasability="coalition"))


def test_the_solver_gets_what_the_limit_leaves_after_reading_the_inputs():
    assert solver_budget(None, started=100.0, now=170.0) is None
    assert solver_budget(60.0, started=100.0, now=100.0) == pytest.approx(60.0 * (1 - FINISH_SHARE))
    assert solver_budget(60.0, started=100.0, now=112.0) == pytest.approx(60.0 * (1 - FINISH_SHARE) - 12.0)
    assert solver_budget(60.0, started=100.0, now=170.0) == MIN_SOLVE_SECONDS  # over budget: greedy incumbent


def test_building_the_instance_takes_the_same_queries_whatever_the_volume(world, personas):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            build_instance(start_date=dt.date(2026, 3, 9))
        return len(captured)

    before = queries()
    for quantity in range(1, 6):
        _new_pledge(world, personas, quantity)
    assert queries() == before
    assert len(build_instance(start_date=dt.date(2026, 3, 9))["pledges"]) >= 5


def test_the_stale_check_is_remembered_until_the_next_audited_write(done_run, world, personas):
    assert runs.stale_reasons(done_run) == []
    with CaptureQueriesContext(connection) as captured:
        assert runs.stale_reasons(done_run) == []
    assert len(captured) == 1  # the chain head only: the instance is not rebuilt
    new = _new_pledge(world, personas)  # an audited write moves the head
    (reason,) = runs.stale_reasons(done_run)
    assert new.reference in reason
    assert runs.stale_reasons(done_run, fresh=True) == [reason]


def test_requirement_fills_index_the_requirements_once():
    instance = {
        "requirements": [{"id": f"REQ-{i:05d}", "item": "X", "priority": 1, "due_week": 0, "destination": f"D{i}",
                          "quantity": 10} for i in range(1, 4)],
        "lead_out_weeks": {"H": {"D1": 1, "D2": 2, "D3": 3}},
    }
    plan = {"flows": [{"pledge": "PLG-00001", "requirement": f"REQ-{i:05d}", "hub": "H", "dispatch_week": 4,
                       "quantity": 5} for i in (3, 1)]}
    fills = {f.id: f for f in review.requirement_fills(instance, plan, None)}
    assert {k: (f.planned, f.latest_arrival) for k, f in fills.items()} == {
        "REQ-00001": (5, 5), "REQ-00002": (0, None), "REQ-00003": (5, 7)}


def test_the_run_page_shows_its_rows_a_page_at_a_time(done_run, personas, login, monkeypatch):
    monkeypatch.setattr(run_views, "RUN_ROWS_PER_PAGE", 1)
    client = login(personas.coordinator)
    rows = review.pledge_uses(done_run.instance, done_run.plan, done_run.greedy_plan, {})
    assert len(rows) >= 2
    first = client.get(f"/allocations/runs/{done_run.pk}/").content.decode()
    assert f"Page 1 of {len(rows)} ({len(rows)} rows)" in first
    assert f">PLG-{rows[0].pk:05d}<" in first and f">PLG-{rows[1].pk:05d}<" not in first
    assert 'hx-select="#run-pledges"' in first and "pledges_page=2#run-pledges" in first
    second = client.get(f"/allocations/runs/{done_run.pk}/", {"pledges_page": 2}).content.decode()
    assert f">PLG-{rows[1].pk:05d}<" in second and f">PLG-{rows[0].pk:05d}<" not in second
    assert f"Page 2 of {len(rows)}" in second
