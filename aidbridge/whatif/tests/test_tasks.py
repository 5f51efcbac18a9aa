"""What-if tasks end to end on the small hand-built world of conftest.py, with answers worked out by hand.

The world: one validated P1 requirement for 80 generators (2.1 t each) at Kyiv, due Wednesday 8 April 2026,
which is week 4 from Monday 9 March (week 0). Two committed pledges of 50, available now: Germany's (DE: 1
week to PL-RZE, 2 to RO-SCV) and the United States' (US: 3 weeks to PL-RZE, 4 to RO-SCV). PL-RZE → Kyiv and
RO-SCV → Kyiv take 1 week. No transport costs, so the objective is the priority points.

- Baseline: all 80 arrive by week 4: 1000 points.
- Germany withdraws: the US's 50 remain: 50/80 × 1000 = 625 points, loss share 0.375; P1 coverage from week 4
  is 50/80 = 0.625 < 0.9, so time-to-survive is week 4; the backfill is 30 generators due in week 4, with
  the United States as the other donor that pledged them.
- PL-RZE closes: Germany's 50 arrive via RO-SCV in week 3; the US's 30 arrive in week 5, a week late (decay
  0.1 per week): 625 + 30/80 × 1000 × 0.9 = 962.5 points, loss share 0.0375.
"""

from __future__ import annotations

import datetime as dt

import pytest

from aidbridge.audit.models import AuditEvent
from aidbridge.whatif import engine, queries, services, tasks
from aidbridge.whatif.models import ScenarioRun, Status, Sweep

RESULT_KEYS = {"schema", "name", "perturbations", "baseline", "objective", "bound", "gap", "loss_share",
               "time_to_survive_week", "threshold", "fill_by_priority", "fill_by_class", "coverage_by_week",
               "requirements_losing", "backfill", "single_points_of_failure", "plan", "seconds"}


@pytest.fixture
def germany_stops(personas, world):
    scenario = services.create_scenario(actor=personas.coordinator, name="Germany stops", perturbations=[
        {"kind": "withdraw_donor", "donor": personas.orgs["de"].pk}])
    return services.run_scenario(actor=personas.coordinator, scenario=scenario)


def test_a_scenario_run_stores_the_comparison(germany_stops, personas, world):
    assert tasks.run_scenario_task.call(germany_stops.pk) == "done"
    run = ScenarioRun.objects.get(pk=germany_stops.pk)
    assert run.status == Status.DONE, run.error
    assert (run.progress, run.progress_message, run.error) == (1.0, "Done", "")
    assert run.started_at is not None and run.finished_at is not None
    assert run.baseline_objective == pytest.approx(1000)
    assert run.objective == pytest.approx(625)
    assert run.bound == pytest.approx(625, abs=1e-6)
    assert run.loss_share == pytest.approx(0.375)
    assert run.time_to_survive_week == 4
    result = run.result
    assert set(result) >= RESULT_KEYS
    assert result["schema"] == "aidbridge.whatif-result/1"
    assert result["perturbations"][0]["donor"] == str(personas.orgs["de"].pk)
    assert result["fill_by_class"]["VII"]["required"] == 80
    assert (result["fill_by_class"]["VII"]["baseline"], result["fill_by_class"]["VII"]["scenario"]) == (80, 50)
    (losing,) = result["requirements_losing"]
    assert (losing["requirement"], losing["units_baseline"], losing["units_scenario"], losing["units_lost"]) == (
        world.requirement.reference, 80, 50, 30)
    assert losing["points_lost"] == pytest.approx(375)
    assert result["coverage_by_week"]["scenario"][4] == pytest.approx(0.625)
    assert [(r["item"], r["week"], r["units_short"]) for r in result["backfill"]] == [("GEN-100KW", 4, 30)]
    assert list(AuditEvent.objects.filter(object_type="whatif.scenariorun").values_list("action", flat=True)) == [
        "scenario_run.start", "scenario_run.finish"]
    # A run is claimed once: a second delivery of the task does nothing.
    assert tasks.run_scenario_task.call(germany_stops.pk) == "not queued"


def test_the_backfill_names_other_donors_as_far_as_the_viewer_may_see(germany_stops, personas, world):
    tasks.run_scenario_task.call(germany_stops.pk)
    run = ScenarioRun.objects.get(pk=germany_stops.pk)
    (row,) = queries.backfill_rows(run, personas.coordinator)
    assert row == {"item_code": "GEN-100KW", "item_name": "Generator 100 kW", "week": 4,
                   "week_start": dt.date(2026, 4, 6), "units_short": 30,
                   "donors": [{"name": "United States — Department of Defense", "units": 50}]}
    # The withdrawn donor is never offered; an outsider sees only public pledges past their disclosure date.
    (row,) = queries.backfill_rows(run, personas.outsider)
    assert row["donors"] == [{"name": "United States — Department of Defense", "units": 50}]


def test_a_failure_is_stored_never_lost(germany_stops, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the solver caught fire")

    monkeypatch.setattr(engine, "replan_scenario", broken)
    assert tasks.run_scenario_task.call(germany_stops.pk) == "failed"
    run = ScenarioRun.objects.get(pk=germany_stops.pk)
    assert run.status == Status.FAILED and run.finished_at is not None
    assert run.error.startswith("RuntimeError: the solver caught fire")
    assert AuditEvent.objects.filter(action="scenario_run.fail", object_id=str(run.pk)).count() == 1


def _sweep(personas, kind: str, django_capture_on_commit_callbacks) -> Sweep:
    sweep = services.start_sweep(actor=personas.coordinator, kind=kind, weeks=8)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert tasks.prepare_sweep_task.call(sweep.pk) == "queued"
    sweep.refresh_from_db()
    assert len(queued) == sweep.total == sweep.runs.count() == 2  # one task per donor (or hub)
    assert queries.sweep_progress(sweep) == 0.0
    return sweep


def test_a_donor_sweep_runs_each_donor_and_the_last_run_sums_up(personas, world, django_capture_on_commit_callbacks):
    sweep = _sweep(personas, "donors", django_capture_on_commit_callbacks)
    assert sweep.baseline is not None and sweep.status == Status.RUNNING
    first, second = sweep.runs.order_by("pk")
    assert tasks.run_sweep_scenario_task.call(second.pk) == "done"
    sweep.refresh_from_db()
    assert (sweep.status, sweep.result, queries.sweep_progress(sweep)) == (Status.RUNNING, None, 0.5)
    assert sweep.progress_message == "1 of 2 scenarios done"
    assert tasks.run_sweep_scenario_task.call(first.pk) == "done"
    sweep.refresh_from_db()
    assert sweep.status == Status.DONE and queries.sweep_progress(sweep) == 1.0
    doc = sweep.result
    assert doc["schema"] == "aidbridge.whatif-sweep/1"
    assert doc["baseline"]["objective"] == pytest.approx(1000)
    by_target = {s["target"]: s for s in doc["scenarios"]}
    de, us = str(personas.orgs["de"].pk), str(personas.orgs["us"].pk)
    assert set(by_target) == {de, us}
    for target in (de, us):
        assert by_target[target]["objective"] == pytest.approx(625)
        assert by_target[target]["loss_share"] == pytest.approx(0.375)
    assert by_target[de]["name"] == "Germany — Federal Ministry of Defence withdraws"
    assert AuditEvent.objects.filter(action="sweep.finish", object_id=str(sweep.pk)).count() == 1
    tornado = queries.tornado(sweep)
    assert [row["loss_share"] for row in tornado] == pytest.approx([0.375, 0.375])
    assert {row["label"] for row in tornado} == {"Germany — Federal Ministry of Defence",
                                                 "United States — Department of Defense"}
    assert queries.latest_sweeps() == {"donors": sweep, "hubs": None}


def test_a_hub_sweep_finds_the_late_route(personas, world, django_capture_on_commit_callbacks):
    sweep = _sweep(personas, "hubs", django_capture_on_commit_callbacks)
    for run in sweep.runs.order_by("pk"):
        tasks.run_sweep_scenario_task.call(run.pk)
    sweep.refresh_from_db()
    assert sweep.status == Status.DONE
    by_target = {s["target"]: s for s in sweep.result["scenarios"]}
    assert by_target["PL-RZE"]["objective"] == pytest.approx(962.5)
    assert by_target["PL-RZE"]["loss_share"] == pytest.approx(0.0375)
    assert by_target["RO-SCV"]["loss_share"] == pytest.approx(0.0)
    assert [row["label"] for row in queries.tornado(sweep)] == ["PL-RZE Rzeszów hub", "RO-SCV Suceava hub"]


def test_a_failed_sweep_run_fails_the_sweep_with_the_others_summed(personas, world, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    sweep = _sweep(personas, "hubs", django_capture_on_commit_callbacks)
    first, second = sweep.runs.order_by("pk")
    tasks.run_sweep_scenario_task.call(first.pk)
    monkeypatch.setattr(engine, "replan_scenario", lambda *a, **k: 1 / 0)
    assert tasks.run_sweep_scenario_task.call(second.pk) == "failed"
    sweep.refresh_from_db()
    assert sweep.status == Status.FAILED
    assert sweep.error.startswith("1 of 2 scenarios failed: RO-SCV Suceava hub closes")
    assert [s["target"] for s in sweep.result["scenarios"]] == ["PL-RZE"]
    assert ScenarioRun.objects.get(pk=second.pk).error.startswith("ZeroDivisionError")


def test_concentration_and_own_exposure(personas, world, django_capture_on_commit_callbacks):
    sweep = _sweep(personas, "donors", django_capture_on_commit_callbacks)
    for run in sweep.runs.all():
        tasks.run_sweep_scenario_task.call(run.pk)
    tables = queries.concentration_tables(personas.coordinator)
    (gen,) = [row for row in tables["item"] if row["group"] == "GEN-100KW"]
    # Units: DE 50 + 20 (announced, to coordinators) and US 50: shares 70/120 and 50/120.
    assert gen["donors"] == 2
    assert gen["units"]["hhi"] == pytest.approx((70 / 120) ** 2 + (50 / 120) ** 2)
    assert gen["units"]["top"] == "Germany — Federal Ministry of Defence"
    assert gen["units"]["top_share"] == pytest.approx(70 / 120)
    # Value: in the reporting currency (EUR); no USD rate is known, so the one USD pledge is left out, and said so.
    assert (gen["value"]["currency"], gen["value"]["excluded"], gen["value"]["hhi"]) == ("EUR", 1, 1.0)
    # Points delivered in the sweep's baseline: both donors' flows fill the requirement, 1000 points in all.
    assert gen["points"]["total"] == pytest.approx(1000)
    (vii,) = [row for row in tables["class"] if row["group"] == "VII"]
    assert vii["label"] == "VII — Major end items" and vii["units"] == gen["units"]
    assert tables["package"] == []

    own = queries.own_exposure(personas.donor_us)
    assert own["organisation"] == "United States — Department of Defense"
    assert own["loss_share"] == pytest.approx(0.375) and own["sweep_id"] == sweep.pk
    # The US liaison sees Germany's coalition pledge (50) but not its coordinators-only one (20).
    gen_share = next(r for r in own["items"] if r["item_code"] == "GEN-100KW")
    assert (gen_share["units"], gen_share["total_units"]) == (50, 100)
    assert queries.own_exposure(personas.coordinator) is None
    assert queries.own_exposure(personas.recipient) is None
    assert queries.own_exposure(personas.outsider) is None  # a donor, but not in the coalition
