"""The seat plan run as a background task (Django Tasks, database backend: ``aidbridge db_worker``).

:func:`execute_seat_plan` claims a queued run, builds the instance from the database
(:mod:`aidbridge.training.instance`), plans the first-come baseline and (method ``optimal``) the HiGHS plan,
checks the plan independently (``planner.evaluate``) and stores everything on the run. A failure is recorded on
the run (status ``failed``, with the error) and audited; the worker goes on.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from django.db import transaction
from django_tasks import task

from aidbridge.audit.services import record_event
from aidbridge.core import clock
from aidbridge.core.progress import RowProgress
from aidbridge.training import planner
from aidbridge.training.instance import build_instance, fingerprint
from aidbridge.training.models import SeatPlanRun

Status = SeatPlanRun.Status


def _checked(instance: Any, plan: Any) -> tuple[bool, list[str], float]:
    """``planner.evaluate`` as (feasible, violations, objective), whatever shape it answers in."""
    result = planner.evaluate(instance, plan)
    if isinstance(result, dict):
        return (bool(result.get("feasible")), list(result.get("violations") or []),
                float(result.get("objective") or 0.0))
    return bool(result.feasible), list(result.violations), float(result.objective)


def execute(run_id: int, *, progress: Any = None) -> str:
    """Run a queued seat plan here and now (the task's body; the command line calls it directly)."""
    claimed = SeatPlanRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=clock.now(), progress=0.0, progress_message="Building the instance")
    if claimed != 1:
        return "not queued"  # another worker took it
    run = SeatPlanRun.objects.get(pk=run_id)
    started = time.monotonic()
    rows = RowProgress(SeatPlanRun, run_id, 0.1, 0.95)

    def report(fraction: float, message: str) -> None:
        rows(fraction, message)
        if progress is not None:
            progress(0.1 + 0.85 * fraction, message)

    try:
        data = build_instance(start_date=run.start_date)
        instance = planner.Instance.from_dict(data)
        SeatPlanRun.objects.filter(pk=run_id).update(progress=0.05, progress_message="First-come baseline")
        if progress is not None:
            progress(0.05, "First-come baseline")
        baseline = planner.first_come(instance)
        plan = baseline
        if run.method == SeatPlanRun.Method.OPTIMAL:
            plan = planner.solve(instance, time_limit=run.time_limit, progress=report)
        feasible, violations, objective = _checked(instance, plan)
        if not feasible:
            raise RuntimeError("The plan failed the independent check: " + "; ".join(violations[:5]))
        _, _, baseline_objective = _checked(instance, baseline)
        _finish(run, data, plan.to_dict(), baseline.to_dict(), objective, baseline_objective, plan.bound,
                time.monotonic() - started)
        if progress is not None:
            progress(1.0, "Done")
        return "done"
    except Exception as exc:  # the run records any failure; the worker itself must keep going
        with transaction.atomic():
            SeatPlanRun.objects.filter(pk=run_id).update(
                status=Status.FAILED, finished_at=clock.now(), duration_seconds=time.monotonic() - started,
                error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=5)}"[:4000],
                progress_message="Failed")
            record_event(actor=None, action="seat_plan.fail", object_type="training.seatplanrun",
                         object_id=str(run_id), object_repr=f"Seat plan #{run_id}", after={"error": str(exc)[:500]})
        return "failed"


@task()
def execute_seat_plan(run_id: int) -> str:
    """Claim a queued seat plan run, plan it, and store the result."""
    return execute(run_id)


def _finish(run: SeatPlanRun, data: dict[str, Any], plan: dict[str, Any], baseline: dict[str, Any],
            objective: float, baseline_objective: float, bound: float | None, seconds: float) -> None:
    after = {"objective": objective, "bound": bound, "baseline_objective": baseline_objective,
             "status": plan["status"], "assignments": len(plan.get("assignments", [])), "seconds": round(seconds, 3)}
    with transaction.atomic():
        SeatPlanRun.objects.filter(pk=run.pk).update(
            status=Status.DONE, finished_at=clock.now(), duration_seconds=seconds, instance=data,
            inputs_fingerprint=fingerprint(data), plan=plan, baseline_plan=baseline, plan_status=plan["status"],
            objective=objective, bound=bound, baseline_objective=baseline_objective, progress=1.0,
            progress_message="Done")
        record_event(actor=None, action="seat_plan.finish", object_type="training.seatplanrun",
                     object_id=str(run.pk), object_repr=str(run), after=after)
