r"""The seat planner: a HiGHS mixed-integer programme over whole crews.

Formulation
-----------
For every request r (``crews_r = trainees / crew_size`` crews, value ``v_r = priority_value[priority]``) and
every course k that r may use (``active[r]`` of :mod:`.compiled`: the course and its whole prerequisite tree
pass the language, travel and timing rules, and k qualifies r or is a prerequisite, not held, of a course that
does), one integer variable

    x[r,k] in {f[r,k], ..., L_r}            crews of r on course k (f = crews already fixed there),

so seats are always booked in whole crews (``crew_size * x``). Write ``D(r,p)`` for the active courses of r
that name p as a prerequisite r does not hold, and ``out[r,p] = sum_{c in D(r,p)} x[r,c]``.

Crew flow (prerequisites). A crew on c must have taken each prerequisite p of c that r does not hold, on the
listed course p, which ends before c starts (guaranteed by ``active``). Every crew on p goes on to at most one
course that needs p, so the crews on p cover those going on:

    out[r,p] <= x[r,p]                                    for every (r, p) with D(r,p) non-empty.

Crews are thus trees whose root is the last course a crew takes; ``x[r,k] - out[r,k]`` crews finish at k.
(A course that is a prerequisite of two courses taken by the same crew needs two seats in this model; with
prerequisites listed as chains this never happens.)

Crews available. At most ``crews_r`` crews finish anywhere (or as many as fixed crews already do, if more:
``L_r`` below):

    sum_k (x[r,k] - out[r,k]) <= L_r                      for every request r.

Seats. Fixed seats come first; new crews fit in what is left (``free_k = max(0, seats_k - all fixed seats)``):

    sum_r crew_size_r * (x[r,k] - f[r,k]) <= free_k       for every course k.

Objective. A crew that finishes at a course qualifying r is trained in time (every active course ends, plus
travel back, by ``needed_by_day``), worth ``v_r / crews_r`` (= ``crew_size * v_r / trainees`` per trainee):

    max  sum_r v_r / crews_r * t[r]
    s.t. t[r] <= sum_{k qualifies r} (x[r,k] - out[r,k]),   0 <= t[r] <= crews_r   (t continuous).

The first-come plan (:mod:`.baseline`) is computed first and kept if HiGHS returns nothing better (e.g.
stopped by the time limit), so the plan is never worse than the baseline; HiGHS's solution is re-checked
against every row before it is used. Crews that would end at a course that does not
qualify them (harmless for the objective) are removed afterwards. ``bound`` is HiGHS's MIP dual bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np

from .baseline import first_come_crews, plan_from_crews
from .compiled import Compiled, compile_instance, objective_of, trained_crews
from .model import Instance, Plan

ProgressFn = Callable[[float, str], None]
INF = highspy.kHighsInf
#: relative gap under which a plan is reported as optimal
OPTIMAL_GAP = 1e-6


class _Progress:
    """Monotonic wrapper around the caller's callback; never raises into the planner."""

    def __init__(self, fn: ProgressFn | None) -> None:
        self.fn = fn
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        if self.fn is None:
            return
        self.last = max(self.last, min(1.0, max(0.0, fraction)))
        try:
            self.fn(self.last, message)
        except Exception:  # pragma: no cover - a broken progress bar must not break the plan
            self.fn = None


def solve(instance: Instance, time_limit: float | None = None, progress: ProgressFn | None = None) -> Plan:
    """Plan seats for ``instance``. ``time_limit`` (seconds, ``None`` for none) bounds the MIP; the best plan
    found so far is returned with its bound. ``progress(fraction, message)`` is called at each stage.

    Never raises for a valid instance: a failure comes back as a plan with status ``"error"`` (or the
    first-come plan with ``stats["fallback"]`` saying why)."""
    t0 = time.monotonic()
    prog = _Progress(progress)
    try:
        plan = _solve(instance, time_limit, prog, t0)
    except Exception as exc:
        plan = Plan("error", 0.0, None, tuple(instance.fixed),
                    {"seconds": round(time.monotonic() - t0, 4), "method": "mip",
                     "error": f"{type(exc).__name__}: {exc}"})
    prog(1.0, "done")
    if instance.overbooked:
        plan = Plan(plan.status, plan.objective, plan.bound, plan.assignments,
                    {**plan.stats, "overbooked": [dict(o) for o in instance.overbooked]})
    return plan


def _stats(t0: float, **extra: Any) -> dict[str, Any]:
    return {"seconds": round(time.monotonic() - t0, 4), "method": "mip", **extra}


def _solve(instance: Instance, time_limit: float | None, prog: _Progress, t0: float) -> Plan:
    prog(0.0, "compiling instance")
    comp = compile_instance(instance)
    prog(0.1, "first-come baseline")
    base, base_ok = first_come_crews(comp)
    base_obj = objective_of(comp, base) if base_ok else -math.inf
    cols = [(r.id, k) for r in instance.requests for k in comp.active[r.id]]
    if not cols:
        v = round(objective_of(comp, base), 9)
        return Plan("optimal", v, v, plan_from_crews(comp, base),
                    _stats(t0, gap=0.0, note="no request can use any course"))
    prog(0.2, f"solving the MIP ({len(cols)} variables)")
    try:
        status, x, bound, info = _mip(comp, cols, time_limit, t0)
    except Exception as exc:  # never crash: fall back to the first-come plan, saying why
        status, x, bound = "unknown", None, None
        info = {"highs_status": f"an internal error in the MIP ({type(exc).__name__}: {exc})"}
    if status == "infeasible":
        fixed_x = dict(comp.fixed_crews)
        return Plan("infeasible", round(objective_of(comp, fixed_x), 9), None, tuple(instance.fixed),
                    _stats(t0, gap=None, note="the fixed assignments cannot be completed: a crew fixed on a "
                                              "course lacks a seat on a prerequisite", **info))
    if x is None:
        if not base_ok:
            raise SolverFailure(f"HiGHS gave no usable answer ({info.get('highs_status')}) and the first-come "
                                "rule cannot complete the fixed assignments")
        reason = f"the MIP solver (HiGHS) gave no usable answer ({info.get('highs_status')})"
        return Plan("feasible", round(base_obj, 9), None, plan_from_crews(comp, base),
                    _stats(t0, gap=None, fallback=reason, error=reason, **info))
    _prune(comp, x)
    obj = objective_of(comp, x)
    if obj < base_obj - 1e-9:  # never worse than the baseline (HiGHS was stopped early)
        x, obj = base, base_obj
        info["note"] = "the first-come plan was kept: the MIP stopped before improving on it"
    if bound is not None:
        bound = max(bound, obj)
    gap = None if bound is None else (0.0 if bound <= 1e-12 else max(0.0, (bound - obj) / bound))
    final = "optimal" if gap is not None and gap <= OPTIMAL_GAP else "feasible"
    trained = trained_crews(comp, x)
    return Plan(final, round(obj, 9), None if bound is None else round(bound, 9), plan_from_crews(comp, x),
                _stats(t0, gap=gap, first_come=round(base_obj, 9), variables=len(cols),
                       trained_crews=dict(trained), **info))


class SolverFailure(RuntimeError):
    """HiGHS gave no usable answer and there is no valid fallback."""


def _mip(comp: Compiled, cols: list[tuple[str, str]], time_limit: float | None, t0: float
         ) -> tuple[str, dict[tuple[str, str], int] | None, float | None, dict[str, Any]]:
    inst = comp.inst
    idx = {key: j for j, key in enumerate(cols)}
    n = len(cols)
    req = inst.request_by_id
    # columns: x[r,k] (integer crews) for every active pair, then t[r] (trained crews, continuous, <= crews_r)
    with_t = [r for r in inst.requests if comp.targets[r.id]]
    t_idx = {r.id: n + i for i, r in enumerate(with_t)}
    cost = np.zeros(n + len(with_t))
    lower = np.array([float(comp.fixed_crews.get(key, 0)) for key in cols] + [0.0] * len(with_t))
    upper = np.array([float(comp.crew_limit[r]) for r, _k in cols] + [float(r.crews) for r in with_t])
    upper = np.maximum(upper, lower)
    rows: list[tuple[dict[int, float], float, float]] = []
    for r in inst.requests:
        qual = set(comp.targets[r.id])
        root: dict[int, float] = {}
        trained: dict[int, float] = {}
        for k in comp.active[r.id]:
            j = idx[(r.id, k)]
            root[j] = root.get(j, 0.0) + 1.0
            if k in qual:
                trained[j] = trained.get(j, 0.0) - 1.0
            deps = comp.deps.get((r.id, k), [])
            if deps:
                row = {j: -1.0}
                for c in deps:
                    jc = idx[(r.id, c)]
                    row[jc] = row.get(jc, 0.0) + 1.0
                    root[jc] = root.get(jc, 0.0) - 1.0
                    if k in qual:
                        trained[jc] = trained.get(jc, 0.0) + 1.0
                rows.append((row, -INF, 0.0))
        rows.append((root, -INF, float(comp.crew_limit[r.id])))
        if r.id in t_idx:
            cost[t_idx[r.id]] = inst.priority_value[r.priority] / r.crews
            trained[t_idx[r.id]] = 1.0
            rows.append((trained, -INF, 0.0))
    per_course: dict[str, dict[int, float]] = {}
    fixed_seats: dict[str, float] = {}
    for (rid, k), j in idx.items():
        cs = float(req[rid].crew_size)
        per_course.setdefault(k, {})[j] = cs
        fixed_seats[k] = fixed_seats.get(k, 0.0) + cs * comp.fixed_crews.get((rid, k), 0)
    for k, row in per_course.items():
        rows.append((row, -INF, comp.free[k] + fixed_seats[k]))

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-9)
    if time_limit is not None and math.isfinite(time_limit):
        h.setOptionValue("time_limit", max(0.05, time_limit - (time.monotonic() - t0)))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.addCols(len(cost), cost, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    for row, rlo, rhi in rows:
        starts.append(len(index))
        for j, a in row.items():
            if a != 0.0:
                index.append(j)
                value.append(a)
        lo.append(rlo)
        hi.append(rhi)
    h.addRows(len(rows), np.array(lo), np.array(hi), len(index), np.array(starts, np.int32),
              np.array(index, np.int32), np.array(value, float))
    # No start solution is passed (``setSolution``): HiGHS 1.16 was seen to return the start solution with the
    # objective and bound of another. The first-come plan is compared afterwards instead.
    h.run()
    ms = h.getModelStatus()
    info: dict[str, Any] = {"highs_status": h.modelStatusToString(ms)}
    if ms == highspy.HighsModelStatus.kInfeasible:
        return "infeasible", None, None, info
    hinfo = h.getInfo()
    bound = float(hinfo.mip_dual_bound)
    bound_ok = math.isfinite(bound) and abs(bound) < 1e30
    if hinfo.primal_solution_status != 2:  # no feasible solution
        return "unknown", None, (bound if bound_ok else None), info
    values = np.asarray(h.getSolution().col_value, dtype=float)
    values[:n] = np.rint(values[:n])
    for row, rlo, rhi in rows:  # never trust the solver: the rounded solution must satisfy every row
        act = sum(a * values[j] for j, a in row.items())
        if act < rlo - 1e-6 or act > rhi + 1e-6:
            info["highs_status"] = f"{info['highs_status']} (solution violates a constraint)"
            return "unknown", None, None, info
    if np.any(values < lower - 1e-6) or np.any(values > upper + 1e-6):
        info["highs_status"] = f"{info['highs_status']} (solution outside its bounds)"
        return "unknown", None, None, info
    x = {key: int(values[j]) for j, key in enumerate(cols) if values[j] > 0.5}
    return "ok", x, (bound if bound_ok else None), info


def _prune(comp: Compiled, x: dict[tuple[str, str], int]) -> None:
    """Remove crews that would finish at a course that does not qualify their request (they train nobody),
    latest courses first so that prerequisites freed in turn are removed too."""
    inst = comp.inst
    cb = inst.course_by_id
    for r in inst.requests:
        qual = set(comp.targets[r.id])
        for k in sorted(comp.active[r.id], key=lambda k: cb[k].start_day, reverse=True):
            if k in qual:
                continue
            key = (r.id, k)
            onward = sum(x.get((r.id, c), 0) for c in comp.deps.get(key, ()))
            keep = max(onward, comp.fixed_crews.get(key, 0))
            if x.get(key, 0) > keep:
                if keep:
                    x[key] = keep
                else:
                    x.pop(key, None)
