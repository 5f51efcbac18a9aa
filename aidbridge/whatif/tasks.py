"""What-if runs and sweeps as background tasks (Django Tasks, database backend: ``aidbridge db_worker``).

- :func:`run_scenario_task` runs one saved scenario: it builds the current instance, plans the baseline,
  re-plans with the run's perturbations and stores the comparison.
- :func:`prepare_sweep_task` plans a sweep's baseline once, stores it on the sweep, creates one run per donor
  (or hub) and queues one :func:`run_sweep_scenario_task` each. Any number of workers share those tasks; the
  one that finishes the last run (decided under a lock on the sweep row) writes the sweep's summary.

A task never loses a failure: the run (or sweep) is marked failed with the error, and the worker goes on.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django_tasks import task

from aidbridge.allocation import solver
from aidbridge.allocation.instance import build_instance, clean_for_solver, week_of
from aidbridge.audit.services import record_event
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.core.progress import RowProgress
from aidbridge.whatif import engine, queries, readiness
from aidbridge.whatif.models import ScenarioRun, Status, Sweep

# Seconds each solve may take. Small and medium instances solve exactly well within it; a sweep's runs are
# warm re-plans and much quicker than a cold solve.
TIME_LIMIT = engine.DEFAULT_TIME_LIMIT
SWEEP_RUN_KIND = {Sweep.Kind.DONORS: "withdraw_donor", Sweep.Kind.HUBS: "close_hub"}


def item_classes() -> dict[str, str]:
    """Item code → NATO supply class, for the result's fill by class."""
    return dict(Item.objects.values_list("code", "supply_class"))


def current_instance(*, start_date: Any, weeks: int) -> solver.Instance:
    """The solver instance of the database's current state (as an allocation run would plan it)."""
    return solver.Instance.from_dict(clean_for_solver(build_instance(start_date=start_date, weeks=weeks)))


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=5)}"[:4000]


def _claim(model: type[Any], pk: int, message: str) -> bool:
    fields: dict[str, Any] = {"status": Status.RUNNING, "started_at": clock.now(), "progress_message": message}
    if model is ScenarioRun:
        fields["progress"] = 0.0
    return bool(model.objects.filter(pk=pk, status=Status.QUEUED).update(**fields) == 1)


def _done_fields(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": Status.DONE, "finished_at": clock.now(), "result": result, "progress": 1.0,
        "progress_message": "Done", "objective": result.get("objective"), "bound": result.get("bound"),
        "baseline_objective": (result.get("baseline") or {}).get("objective"),
        "loss_share": result.get("loss_share"), "time_to_survive_week": result.get("time_to_survive_week"),
    }


def _failed_fields(exc: BaseException) -> dict[str, Any]:
    return {"status": Status.FAILED, "finished_at": clock.now(), "error": _error(exc), "progress_message": "Failed"}


def _scenario(baseline: Any, run: ScenarioRun, progress: Callable[[float, str], None],
              time_limit: float | None = TIME_LIMIT) -> dict[str, Any]:
    """Re-plan the run's scenario, and compare capability readiness too (equipment and crews)."""
    result, scen = engine.replan_scenario(
        baseline, list(run.perturbations or []), name=run.name, threshold=run.threshold,
        item_classes=item_classes(), time_limit=time_limit, progress=progress,
    )
    perts = result["perturbations"]
    result["readiness"] = readiness.compare(
        inst=baseline.instance, start=run.start_date, base_flows=[f.to_dict() for f in baseline.plan.flows],
        scen_inst=scen, scen_flows=result["plan"]["flows"],
        withdrawn=[p["donor"] for p in perts if p["kind"] == "withdraw_donor"])
    return result


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    return {"objective": result.get("objective"), "bound": result.get("bound"),
            "loss_share": result.get("loss_share"), "time_to_survive_week": result.get("time_to_survive_week"),
            "seconds": result.get("seconds")}


# --- a saved scenario ---------------------------------------------------------------------------------------

@task()
def run_scenario_task(run_id: int) -> str:
    """Claim a queued run of a saved scenario, plan the baseline and the scenario, store the comparison."""
    return execute_scenario_run(run_id)


def execute_scenario_run(run_id: int, progress: Callable[[float, str], None] | None = None,
                         time_limit: float | None = TIME_LIMIT) -> str:
    """The task's body; the command line calls it directly with its progress bar as ``progress``."""
    if not _claim(ScenarioRun, run_id, "Building the instance"):
        return "not queued"  # another worker took it, or it was deleted
    run = ScenarioRun.objects.get(pk=run_id)

    def report(lo: float, hi: float) -> Callable[[float, str], None]:
        writer = RowProgress(ScenarioRun, run_id, lo, hi)

        def both(fraction: float, message: str) -> None:
            writer(fraction, message)
            if progress is not None:
                progress(lo + (hi - lo) * fraction, message)

        return both

    try:
        instance = current_instance(start_date=run.start_date, weeks=run.weeks)
        report(0.0, 0.05)(1.0, "Planning the baseline")
        baseline = engine.prepare_baseline(instance, time_limit=time_limit, progress=report(0.05, 0.5))
        result = _scenario(baseline, run, report(0.5, 0.99), time_limit)
        with transaction.atomic():
            ScenarioRun.objects.filter(pk=run_id).update(**_done_fields(result))
            record_event(actor=None, action="scenario_run.finish", object_type="whatif.scenariorun",
                         object_id=str(run_id), object_repr=str(run), after=_summary(result))
        return "done"
    except Exception as exc:  # the run records any failure; the worker itself must keep going
        with transaction.atomic():
            ScenarioRun.objects.filter(pk=run_id).update(**_failed_fields(exc))
            record_event(actor=None, action="scenario_run.fail", object_type="whatif.scenariorun",
                         object_id=str(run_id), object_repr=str(run), after={"error": str(exc)[:500]})
        return "failed"


# --- sweeps -------------------------------------------------------------------------------------------------

def sweep_from_week(sweep: Sweep) -> int:
    return max(0, week_of(sweep.from_date, sweep.start_date)) if sweep.from_date else 0


@task()
def prepare_sweep_task(sweep_id: int) -> str:
    """Plan the sweep's baseline once, then queue one run per donor (or hub)."""
    if not _claim(Sweep, sweep_id, "Building the instance"):
        return "not queued"
    sweep = Sweep.objects.get(pk=sweep_id)
    try:
        instance = current_instance(start_date=sweep.start_date, weeks=sweep.weeks)
        Sweep.objects.filter(pk=sweep_id).update(progress_message="Planning the baseline")
        baseline = engine.prepare_baseline(instance, time_limit=TIME_LIMIT,
                                           progress=RowProgress(Sweep, sweep_id, 0, 1, fraction=False))
        targets = engine.sweep_targets(instance, sweep.kind, from_week=sweep_from_week(sweep))
        with transaction.atomic():
            runs = [
                ScenarioRun.objects.create(
                    sweep=sweep, name=_run_name(kind, target), kind=kind, target=target,
                    perturbations=perturbations, start_date=sweep.start_date, weeks=sweep.weeks,
                    threshold=sweep.threshold, created_by=sweep.created_by, created_at=clock.now(),
                )
                for kind, target, perturbations in targets
            ]
            Sweep.objects.filter(pk=sweep_id).update(
                baseline=baseline.to_dict(), total=len(runs),
                progress_message=f"0 of {len(runs)} scenarios done")
            if not runs:
                _finalise(Sweep.objects.select_for_update().get(pk=sweep_id))
            for run in runs:
                transaction.on_commit(_enqueue_run(run.pk))
        return "queued" if runs else "done"
    except Exception as exc:
        with transaction.atomic():
            Sweep.objects.filter(pk=sweep_id).update(**_failed_fields(exc))
            record_event(actor=None, action="sweep.fail", object_type="whatif.sweep", object_id=str(sweep_id),
                         object_repr=str(sweep), after={"error": str(exc)[:500]})
        return "failed"


def _run_name(kind: str, target: str) -> str:
    label = queries.target_label(kind, target)
    return f"{label} withdraws" if kind == "withdraw_donor" else f"{label} closes"


def _enqueue_run(run_id: int) -> Callable[[], None]:
    def enqueue() -> None:
        result = run_sweep_scenario_task.enqueue(run_id)
        ScenarioRun.objects.filter(pk=run_id).update(task_id=str(result.id)[:64])

    return enqueue


@task()
def run_sweep_scenario_task(run_id: int) -> str:
    """Run one target of a sweep against the sweep's stored baseline; the last one to finish sums up."""
    if not _claim(ScenarioRun, run_id, "Re-planning"):
        return "not queued"
    run = ScenarioRun.objects.select_related("sweep").get(pk=run_id)
    sweep = run.sweep
    assert sweep is not None
    try:
        if not sweep.baseline:
            raise RuntimeError(f"{sweep} has no baseline plan to compare with")
        baseline = engine.Baseline.from_dict(sweep.baseline)
        result = _scenario(baseline, run, RowProgress(ScenarioRun, run_id, 0.0, 0.99))
        result = {**result, "kind": run.kind, "target": run.target}
        fields, outcome = _done_fields(result), "done"
    except Exception as exc:
        fields, outcome = _failed_fields(exc), "failed"
    # Lock the sweep row first: two workers finishing the last two runs at once queue here, and exactly one of
    # them sees no run left open and writes the summary.
    with transaction.atomic():
        locked = Sweep.objects.select_for_update().get(pk=sweep.pk)
        ScenarioRun.objects.filter(pk=run_id).update(**fields)
        open_runs = locked.runs.filter(status__in=(Status.QUEUED, Status.RUNNING)).count()
        finished = locked.total - open_runs
        Sweep.objects.filter(pk=sweep.pk).update(progress_message=f"{finished} of {locked.total} scenarios done")
        if open_runs == 0 and locked.is_active:
            _finalise(locked)
    return outcome


def _finalise(sweep: Sweep) -> None:
    """Write the sweep's summary (the caller holds the lock on its row) and its audit event."""
    runs = list(sweep.runs.order_by("pk"))
    failed = [r for r in runs if r.status != Status.DONE]
    try:
        baseline = engine.Baseline.from_dict(sweep.baseline) if sweep.baseline else None
        results = [r.result for r in runs if r.status == Status.DONE and r.result]
        summary = engine.summarise_sweep(baseline, results) if baseline is not None else None
    except Exception as exc:  # the summary itself failed: say so, keep the runs
        Sweep.objects.filter(pk=sweep.pk).update(**_failed_fields(exc))
        record_event(actor=None, action="sweep.fail", object_type="whatif.sweep", object_id=str(sweep.pk),
                     object_repr=str(sweep), after={"error": str(exc)[:500]})
        return
    fields: dict[str, Any] = {"result": summary, "finished_at": clock.now()}
    if failed:
        names = ", ".join(r.name for r in failed[:5]) + (", …" if len(failed) > 5 else "")
        fields.update(status=Status.FAILED, progress_message=f"{len(failed)} of {len(runs)} scenarios failed",
                      error=f"{len(failed)} of {len(runs)} scenarios failed: {names}. The summary leaves them out.")
    else:
        fields.update(status=Status.DONE, progress_message=f"Done: {len(runs)} scenarios")
    Sweep.objects.filter(pk=sweep.pk).update(**fields)
    record_event(actor=None, action="sweep.finish" if not failed else "sweep.fail", object_type="whatif.sweep",
                 object_id=str(sweep.pk), object_repr=str(sweep),
                 after={"scenarios": len(runs), "failed": len(failed),
                        "baseline_objective": ((summary or {}).get("baseline") or {}).get("objective")})
