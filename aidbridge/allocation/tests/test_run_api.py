"""/api/v1/allocation-runs: start, list, read and approve optimiser runs (coordinators only)."""

from __future__ import annotations

import pytest

from aidbridge.allocation import run_services as runs
from aidbridge.allocation.models import AllocationLine, AllocationRun
from aidbridge.allocation.tasks import execute_run
from aidbridge.core.tests.api_helpers import as_user, assert_not_found, assert_one_event, assert_refused, new_events
from aidbridge.pledges import services as pledges

BIG = {"instance", "plan", "greedy_plan", "greedy", "flows"}


@pytest.fixture
def done_run(world, personas) -> AllocationRun:
    run = runs.start_run(actor=personas.coordinator)
    execute_run.call(run.pk)
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.DONE, run.error
    return run


def test_a_coordinator_starts_a_run_and_gets_201_with_its_id(world, personas, django_capture_on_commit_callbacks):
    api = as_user(personas.coordinator)
    with new_events() as events, django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post("/allocation-runs", {"method": "greedy", "weeks": 12, "time_limit": 30})
    assert response.status_code == 201, response.content
    body = response.json()
    run = AllocationRun.objects.get(pk=body["id"])
    assert (body["status"], body["method"], body["weeks"], run.started_by) == ("queued", "greedy", 12,
                                                                                 personas.coordinator)
    assert body["start_date"] == "2026-03-09"
    assert_one_event(events, "allocation_run.start", run)
    assert len(callbacks) == 1  # the background task is queued once the request commits


def test_invalid_input_names_the_field(world, personas):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post("/allocation-runs", {"weeks": 0})
    assert_refused(response, 422, field="weeks", events=events)
    with new_events() as events:
        response = api.post("/allocation-runs", {"method": "lucky"})
    assert_refused(response, 422, field="method", events=events)
    assert not AllocationRun.objects.exists()


def test_get_gives_status_progress_and_results_without_the_big_json(done_run, personas):
    response = as_user(personas.coordinator).get(f"/allocation-runs/{done_run.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["progress"]) == (done_run.pk, "done", 1.0)
    assert body["objective"] == pytest.approx(done_run.objective)
    assert body["bound"] == pytest.approx(done_run.bound)
    assert body["greedy_objective"] == pytest.approx(done_run.greedy_objective)
    assert (body["stale"], body["stale_reasons"], body["fallback"], body["overloaded"]) == (False, [], None, [])
    assert not BIG & set(body)


def test_get_says_why_a_run_is_stale(done_run, world, personas):
    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    body = as_user(personas.coordinator).get(f"/allocation-runs/{done_run.pk}").json()
    assert body["stale"] is True
    assert world.pledge_coalition.reference in body["stale_reasons"][0]


def test_get_shows_fallback_and_overloaded_hub_weeks(done_run, personas):
    plan = {**done_run.plan, "stats": {**done_run.plan.get("stats", {}),
                                       "overloaded": [{"hub": "PL-RZE", "week": 1, "load_t": 900, "capacity_t": 800}]}}
    AllocationRun.objects.filter(pk=done_run.pk).update(plan=plan, fallback_reason="time limit reached")
    body = as_user(personas.coordinator).get(f"/allocation-runs/{done_run.pk}").json()
    assert body["fallback"] == "time limit reached"
    assert body["overloaded"] == [{"hub": "PL-RZE", "week": 1, "load_t": 900.0, "capacity_t": 800.0}]


def test_list_is_paginated_and_leaves_out_the_big_json(done_run, personas, django_assert_max_num_queries):
    for _ in range(3):
        runs.start_run(actor=personas.coordinator, method="greedy")
    api = as_user(personas.coordinator)
    with django_assert_max_num_queries(8):
        response = api.get("/allocation-runs", {"limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4 and len(body["items"]) == 2
    assert all(not BIG & set(item) and "stale_reasons" not in item for item in body["items"])


def test_approve_writes_lines_and_one_audit_event(done_run, personas):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post(f"/allocation-runs/{done_run.pk}/approve")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["lines"] == AllocationLine.objects.count() > 0
    assert [e for e in events if e.action == "allocation_run.approve"][0].object_id == str(done_run.pk)
    assert sum(e.action == "allocation_run.approve" for e in events) == 1
    assert_refused(api.post(f"/allocation-runs/{done_run.pk}/approve"), 409, field="status")


def test_stale_approval_answers_409_with_the_reason_and_writes_nothing(done_run, world, personas):
    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post(f"/allocation-runs/{done_run.pk}/approve")
    body = assert_refused(response, 409, field="run", events=events)
    assert "stale" in body["detail"] and world.pledge_coalition.reference in body["detail"]
    assert not AllocationLine.objects.exists()


@pytest.mark.parametrize("name", ["outsider", "donor_de", "recipient", "hub_pl"])
def test_others_get_404_for_runs_and_403_for_starting(done_run, personas, name):
    api = as_user(getattr(personas, name))
    assert_not_found(api.get(f"/allocation-runs/{done_run.pk}"))
    assert_not_found(api.get("/allocation-runs/999999"))
    with new_events() as events:
        assert_not_found(api.post(f"/allocation-runs/{done_run.pk}/approve"))
        assert_refused(api.post("/allocation-runs", {"method": "greedy"}), 403, events=events)
    assert api.get("/allocation-runs").json() == {"count": 0, "items": []}
    assert AllocationRun.objects.count() == 1 and not AllocationLine.objects.exists()


def test_an_auditor_may_read_but_not_start_or_approve(done_run, personas):
    api = as_user(personas.auditor)
    assert api.get(f"/allocation-runs/{done_run.pk}").status_code == 200
    assert api.get("/allocation-runs").json()["count"] == 1
    with new_events() as events:
        assert_refused(api.post(f"/allocation-runs/{done_run.pk}/approve"), 403, events=events)
        assert_refused(api.post("/allocation-runs", {}), 403, events=events)
    assert not AllocationLine.objects.exists()


def test_a_read_only_token_may_not_start_runs(world, personas):
    api = as_user(personas.coordinator, scope="read")
    assert_refused(api.post("/allocation-runs", {}), 403)
    assert not AllocationRun.objects.exists()


def test_anonymous_gets_401(done_run):
    api = as_user(None)
    assert api.get(f"/allocation-runs/{done_run.pk}").status_code == 401
    assert api.post("/allocation-runs", {}).status_code == 401
