"""The allocation run as a background task (Django Tasks API, database backend: no broker needed)."""

from __future__ import annotations

import time
import traceback
from typing import Any

from django.db import transaction
from django_tasks import task

from aidbridge.allocation import solver
from aidbridge.allocation.instance import build_instance, clean_for_solver, fingerprint
from aidbridge.allocation.models import AllocationRun
from aidbridge.audit.services import record_event
from aidbridge.core import clock
from aidbridge.core.progress import RowProgress

Status = AllocationRun.Status

# The time limit covers the whole run: reading the inputs, the greedy baseline, the solve, the independent check
# and storing the plans. The solver gets what is left, less a share kept for checking and storing.
FINISH_SHARE = 0.05
MIN_SOLVE_SECONDS = 1.0


def solver_budget(time_limit: float | None, started: float, now: float | None = None) -> float | None:
    """The seconds the optimal solver may take so the run ends within ``time_limit`` of ``started`` (both on the
    ``time.monotonic`` clock); ``None`` without a limit. Never below ``MIN_SOLVE_SECONDS``: a solver given no
    time at all returns its greedy incumbent, which is what a run over its budget should store."""
    if time_limit is None:
        return None
    spent = (time.monotonic() if now is None else now) - started
    return max(MIN_SOLVE_SECONDS, time_limit * (1 - FINISH_SHARE) - spent)


@task()
def execute_run(run_id: int) -> str:
    """Claim a queued run, solve it with the greedy baseline and the chosen method, and store the results."""
    claimed = AllocationRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=clock.now(), progress=0.0, progress_message="Building the instance"
    )
    if claimed != 1:
        return "not queued"  # another worker took it, or it was cancelled
    run = AllocationRun.objects.get(pk=run_id)
    started = time.monotonic()
    try:
        data = build_instance(start_date=run.start_date, weeks=run.weeks)
        instance = solver.Instance.from_dict(clean_for_solver(data))
        AllocationRun.objects.filter(pk=run_id).update(progress=0.05, progress_message="Greedy baseline")
        greedy = solver.solve(instance, method="greedy")
        plan = greedy
        if run.method == AllocationRun.Method.OPTIMAL:
            plan = solver.solve(instance, method="optimal", time_limit=solver_budget(run.time_limit, started),
                                progress=RowProgress(AllocationRun, run_id, 0.1, 0.95))
        checked = solver.evaluate(instance, plan)
        if not checked.feasible:
            raise RuntimeError("The plan failed the independent check: " + "; ".join(checked.violations[:5]))
        greedy_checked = solver.evaluate(instance, greedy)
        _finish(run, data, plan.to_dict(), greedy.to_dict(), checked.objective, greedy_checked.objective,
                plan.bound, time.monotonic() - started)
        return "done"
    except Exception as exc:  # the run records any failure; the worker itself must keep going
        with transaction.atomic():
            AllocationRun.objects.filter(pk=run_id).update(
                status=Status.FAILED, finished_at=clock.now(), duration_seconds=time.monotonic() - started,
                error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=5)}"[:4000],
                progress_message="Failed",
            )
            record_event(actor=None, action="allocation_run.fail", object_type="allocation.allocationrun",
                         object_id=str(run_id), object_repr=f"Run #{run_id}", after={"error": str(exc)[:500]})
        return "failed"


def _finish(run: AllocationRun, data: dict[str, Any], plan: dict[str, Any], greedy: dict[str, Any],
            objective: float, greedy_objective: float, bound: float | None, seconds: float) -> None:
    gap = (bound - objective) / bound if bound else None
    # The solver names the reason when the optimal method failed and its greedy plan stands in: never silent.
    fallback = str((plan.get("stats") or {}).get("fallback") or "")
    after: dict[str, Any] = {
        "objective": objective, "bound": bound, "greedy_objective": greedy_objective, "status": plan["status"],
        "flows": len(plan["flows"]), "seconds": round(seconds, 3),
    }
    if fallback:
        after["fallback"] = fallback
    with transaction.atomic():
        AllocationRun.objects.filter(pk=run.pk).update(
            status=Status.DONE, finished_at=clock.now(), duration_seconds=seconds, instance=data,
            inputs_fingerprint=fingerprint(data), plan=plan, greedy_plan=greedy, plan_status=plan["status"],
            objective=objective, bound=bound, gap=gap, greedy_objective=greedy_objective, progress=1.0,
            progress_message=f"Done — fallback to greedy: {fallback}"[:200] if fallback else "Done",
            fallback_reason=fallback,
        )
        record_event(
            actor=None, action="allocation_run.finish", object_type="allocation.allocationrun",
            object_id=str(run.pk), object_repr=str(run), after=after,
        )
