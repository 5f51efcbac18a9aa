"""The run review page: measures in plain words, priority points, chart axes, stale runs, fallback, overloads."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from aidbridge.allocation import review
from aidbridge.allocation import run_services as runs
from aidbridge.allocation.models import AllocationLine, AllocationRun
from aidbridge.allocation.tasks import _finish, execute_run
from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import Conflict
from aidbridge.pledges import services as pledges


@pytest.fixture
def done_run(world, personas) -> AllocationRun:
    run = runs.start_run(actor=personas.coordinator)
    execute_run.call(run.pk)
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.DONE, run.error
    return run


def _page(login, personas, run) -> str:
    response = login(personas.coordinator).get(f"/allocations/runs/{run.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _set_stats(run: AllocationRun, **stats) -> None:
    plan = dict(run.plan)
    plan["stats"] = {**plan.get("stats", {}), **stats}
    AllocationRun.objects.filter(pk=run.pk).update(plan=plan)
    run.refresh_from_db()


# --- measures -------------------------------------------------------------------------------------------------

def test_the_page_explains_its_measures_with_a_unit(done_run, personas, login):
    page = _page(login, personas, done_run)
    assert "What these numbers mean" in page
    assert re.search(r"Objective</span><span class=\"v\">[\d,.]+ <small>priority points</small>", page)
    assert "P1 1000, P2 100, P3 10, P4 1 points" in page
    assert "each week late takes 10% of it off" in page
    assert "the same measure as the objective" in page


def test_large_numbers_have_thousands_separators(done_run, personas, login):
    page = _page(login, personas, done_run)
    # P1's points possible: one validated P1 requirement is worth 1000 priority points.
    assert '<td class="num">1,000</td>' in page
    assert '<td class="num">1000</td>' not in page


def _instance() -> dict:
    return {
        "weeks": 8, "start_date": "2026-03-09",
        "items": [{"id": "GEN", "weight_t": 2.0}], "hubs": [{"id": "H", "capacity_t_per_week": 100.0}],
        "lead_out_weeks": {"H": {"UA-IEV": 1}},
        "pledges": [{"id": "PLG-00001", "donor": "1", "item": "GEN", "quantity": 20}],
        "requirements": [
            {"id": "REQ-00001", "item": "GEN", "quantity": 10, "priority": 1, "due_week": 2, "destination": "UA-IEV"},
            {"id": "REQ-00002", "item": "GEN", "quantity": 10, "priority": 1, "due_week": 2, "destination": "UA-IEV"},
        ],
        "priority_value": {"1": 1000, "2": 100, "3": 10, "4": 1}, "lateness_decay_per_week": 0.1,
    }


def test_fill_by_priority_counts_lateness_as_the_objective_does():
    # REQ-1 filled on time (1,000 points); REQ-2 filled completely but arriving 3 weeks late (700 points).
    # The old share ignored lateness and called both plans 100%.
    flows = [{"pledge": "PLG-00001", "requirement": "REQ-00001", "hub": "H", "dispatch_week": 1, "quantity": 10},
             {"pledge": "PLG-00001", "requirement": "REQ-00002", "hub": "H", "dispatch_week": 4, "quantity": 10}]
    on_time = [dict(flows[0]), dict(flows[1], dispatch_week=1)]
    p1 = review.priority_fill(_instance(), {"flows": flows}, {"flows": on_time})[0]
    assert (p1.requirements, p1.possible, p1.planned, p1.greedy) == (2, 2000, 20, 20)
    assert p1.planned_points == pytest.approx(1700) and p1.greedy_points == pytest.approx(2000)
    assert p1.planned_percent == pytest.approx(85) and p1.greedy_percent == pytest.approx(100)


def test_a_partial_fill_earns_its_share_of_the_priority_value():
    flows = [{"pledge": "PLG-00001", "requirement": "REQ-00001", "hub": "H", "dispatch_week": 1, "quantity": 4}]
    p1 = review.priority_fill(_instance(), {"flows": flows}, None)[0]
    assert p1.planned_points == pytest.approx(400) and p1.planned_percent == pytest.approx(20)


# --- hub-load chart -----------------------------------------------------------------------------------------------

def test_hub_load_chart_has_a_tonnes_axis_and_week_labels():
    flows = [{"pledge": "PLG-00001", "requirement": "REQ-00001", "hub": "H", "dispatch_week": 1, "quantity": 10}]
    chart = review.hub_loads(_instance(), {"flows": flows}, None)[0]
    assert [t.label for t in chart.tonne_ticks] == ["0 t", "25 t", "50 t", "75 t", "100 t"]
    assert chart.tonne_ticks[0].at == chart.bottom and chart.tonne_ticks[-1].at == chart.top
    assert chart.capacity_y == chart.top  # capacity 100 t is the axis top
    assert [t.label for t in chart.week_ticks] == ["9 Mar", "16 Mar", "23 Mar", "30 Mar", "6 Apr", "13 Apr",
                                                  "20 Apr", "27 Apr"]
    column = chart.columns[1]
    assert (column.label, column.load) == ("16 Mar 2026", 20.0)
    assert column.height == pytest.approx((chart.bottom - chart.top) * 20 / 100)
    assert chart.left < column.x < column.centre < chart.right


def test_long_horizons_label_every_few_weeks():
    chart = review.hub_loads({**_instance(), "weeks": 26}, {"flows": []}, None)[0]
    assert len(chart.week_ticks) == 9 and chart.week_ticks[1].label == "30 Mar"


def test_the_page_draws_the_axes(done_run, personas, login):
    page = _page(login, personas, done_run)
    assert ">tonnes</text>" in page and ">dispatch week (starting Monday)</text>" in page
    assert ">800 t</text>" in page and ">0 t</text>" in page  # PL-RZE's capacity is the axis top
    assert ">9 Mar</text>" in page and ">30 Mar</text>" in page
    assert "<title>Week of 16 Mar 2026:" in page


# --- stale runs -----------------------------------------------------------------------------------------------------

def test_a_stale_run_says_why_and_offers_no_approve_button(done_run, world, personas, login):
    # The defect: a stale run still showed "Approve plan" and was only refused after the click.
    assert "Approve plan" in _page(login, personas, done_run)
    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    page = _page(login, personas, done_run)
    assert "Approve plan" not in page and "/approve/" not in page
    assert "This run is stale and cannot be approved" in page
    assert "The inputs changed since this run started at 11 Mar 2026 09:30 UTC" in page
    assert f"1 pledge changed: 1 no longer open for planning ({world.pledge_coalition.reference})" in page


def test_stale_reasons_name_new_rows_and_allocations(done_run, world, personas):
    from decimal import Decimal

    from aidbridge.allocation import services

    services.allocate(actor=personas.coordinator, pledge=world.pledge_public, requirement=world.requirement,
                      hub=world.hub, quantity=5, dispatch_week=dt.date(2026, 3, 30))
    new = pledges.commit_pledge(actor=personas.donor_de, pledge=pledges.create_pledge(
        actor=personas.donor_de, item=world.item, quantity=5, available_from=dt.date(2026, 3, 11),
        origin_country="DE", unit_value=Decimal("45000"), currency="EUR", funding_source="stockpile",
        releasability="coalition"))
    (reason,) = runs.stale_reasons(done_run)
    assert f"1 pledge changed: 1 new ({new.reference})" in reason
    assert "1 allocation line was written or released" in reason


def test_a_fresh_run_has_no_stale_reasons(done_run):
    assert runs.stale_reasons(done_run) == []


def test_a_plan_whose_weeks_passed_is_stale_and_refused(done_run, personas, login):
    with time_machine.travel(dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        reasons = runs.stale_reasons(done_run)
        assert len(reasons) == 1 and "in weeks that have passed" in reasons[0]
        assert "the plan starts in the week of 09 Mar 2026" in reasons[0]
        page = _page(login, personas, done_run)
        assert "Approve plan" not in page and "in weeks that have passed" in page
        with pytest.raises(Conflict, match="stale"):
            runs.approve_run(actor=personas.coordinator, run=done_run)
    assert not AllocationLine.objects.exists()


def test_the_approval_message_carries_the_reason(done_run, world, personas):
    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    with pytest.raises(Conflict) as exc:
        runs.approve_run(actor=personas.coordinator, run=done_run)
    assert "is stale: The inputs changed" in exc.value.message
    assert world.pledge_coalition.reference in exc.value.message


def test_an_approved_run_is_not_called_stale(done_run, world, personas, login):
    runs.approve_run(actor=personas.coordinator, run=done_run)
    page = _page(login, personas, done_run)
    assert "stale" not in page.lower()


# --- fallback and overloaded hub-weeks --------------------------------------------------------------------------------

def test_a_fallback_is_recorded_audited_and_shown_everywhere(world, personas, login):
    run = runs.start_run(actor=personas.coordinator, method="greedy")
    plan = {"schema": "aidbridge.allocation-plan/1", "status": "feasible", "objective": 1.0, "bound": None,
            "flows": [], "stats": {"method": "greedy", "fallback": "HiGHS ran out of memory"}}
    _finish(run, {"weeks": 26, "hubs": [], "requirements": [], "pledges": [], "start_date": "2026-03-09"},
            plan, plan, 1.0, 1.0, None, 0.5)
    run.refresh_from_db()
    assert run.fallback_reason == "HiGHS ran out of memory"
    assert run.status_label == "Done (fallback to greedy)"
    assert run.progress_message == "Done — fallback to greedy: HiGHS ran out of memory"
    event = AuditEvent.objects.get(action="allocation_run.finish", object_id=str(run.pk))
    assert event.after["fallback"] == "HiGHS ran out of memory"
    client = login(personas.coordinator)
    page = client.get(f"/allocations/runs/{run.pk}/").content.decode()
    assert "Done (fallback to greedy)" in page and "Fallback to greedy</h2>" in page
    assert "The optimal method failed, so this plan is the greedy hand-matching baseline: HiGHS ran out of memory" \
        in page
    assert "Done (fallback to greedy)" in client.get("/allocations/runs/").content.decode()


def test_a_run_without_fallback_says_nothing_about_it(done_run, personas, login):
    assert done_run.fallback_reason == ""
    page = _page(login, personas, done_run)
    assert "fallback" not in page.lower()
    assert AuditEvent.objects.get(action="allocation_run.finish").after.get("fallback") is None


def test_overloaded_hub_weeks_are_a_plain_warning(done_run, personas, login):
    assert "Hubs already over capacity" not in _page(login, personas, done_run)
    _set_stats(done_run, overloaded=[{"hub": "PL-RZE", "week": 2, "load_t": 912.5, "capacity_t": 800.0}])
    page = _page(login, personas, done_run)
    assert "Hubs already over capacity" in page
    assert "PL-RZE, week of 23 Mar 2026: 912.5 t planned, capacity 800.0 t." in page
    assert "The run planned around them" in page
