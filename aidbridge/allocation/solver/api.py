"""``solve()``: the public entry point for both methods."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from .compiled import Compiled, IntArr, compile_instance
from .greedy import greedy_flows
from .integer import IntegerState
from .model import Flow, Instance, Plan, relative_gap

ProgressFn = Callable[[float, str], None]
METHODS = ("optimal", "greedy")


class _Progress:
    """Monotonic wrapper around the user's callback (never raises into the solver)."""

    def __init__(self, fn: ProgressFn | None) -> None:
        self.fn = fn
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        if self.fn is None:
            return
        self.last = max(self.last, min(1.0, max(0.0, fraction)))
        self.fn(self.last, message)


def _flows_out(c: Compiled, raw: dict[tuple[int, int, int, int], int]) -> tuple[Flow, ...]:
    inst = c.inst
    out = list(inst.fixed_flows)
    for (p, r, h, d), k in sorted(raw.items()):
        if k > 0:
            pl = inst.pledges[p]
            out.append(Flow(pl.id, inst.requirements[r].id, inst.hubs[h].id, pl.available_week, d, int(k)))
    return tuple(out)


def _trivial(c: Compiled, method: str, t0: float, note: str) -> Plan:
    v = round(c.fixed_value, 9)
    return Plan("optimal", v, v, tuple(c.inst.fixed_flows),
                {"seconds": round(time.monotonic() - t0, 4), "method": method, "gap": 0.0, "note": note})


def solve(instance: Instance, method: str = "optimal", time_limit: float | None = None,
          progress: ProgressFn | None = None) -> Plan:
    """Solve an instance. ``method`` is "optimal" (column generation + HiGHS; Lagrangian relaxation
    + repair, then Dantzig-Wolfe if time allows, on large instances) or "greedy"
    (the docs/allocation.md baseline). ``progress(fraction, message)`` is called regularly.
    Never raises for a valid instance: failures come back as a plan with status "error".

    If the optimal method fails and the greedy baseline's plan is returned instead, ``stats["fallback"]``
    says why in plain language (the key is absent otherwise). Hub-weeks that existing allocations (fixed
    flows and ``reserved_t``) already overfill are planned as full and listed in ``stats["overloaded"]``
    (absent when there are none). ``stats["time_limit_reached"]`` is true when the optimal method stopped
    improving its plan because of ``time_limit``, or ended after it: the plan is then the best found in time.
    Instances with more than ``PRUNE_ABOVE_PAIRS`` pledge-requirement pairs are planned over each pledge's
    and requirement's best partners only (``stats["pairs_pruned"]``; :func:`compiled.compile_instance`)."""
    t0 = time.monotonic()
    prog = _Progress(progress)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    plan = _solve(instance, method, time_limit, prog, t0)
    if method == "optimal" and time_limit is not None and (
            plan.stats.get("time_limit_reached") or time.monotonic() - t0 >= time_limit):
        plan = replace(plan, stats={**plan.stats, "time_limit_reached": True})
    prog(1.0, "done")
    if instance.overloaded:
        plan = replace(plan, stats={**plan.stats, "overloaded": [dict(o) for o in instance.overloaded]})
    return plan


def _solve(instance: Instance, method: str, time_limit: float | None, prog: _Progress, t0: float) -> Plan:
    prog(0.0, "compiling instance")
    try:
        c = compile_instance(instance, prune_above=PRUNE_ABOVE_PAIRS)
    except Exception as exc:  # pragma: no cover - validated instances compile
        return Plan("error", 0.0, None, (), {"seconds": time.monotonic() - t0, "method": method,
                                             "error": f"{type(exc).__name__}: {exc}"})
    if len(c.pair_p) == 0 and not c.pkg_forced.any():
        note = "empty instance" if not (instance.pledges and instance.requirements) else \
            "no pledge can reach a matching requirement in time"
        return _trivial(c, method, t0, note)
    if method == "greedy":
        return _solve_greedy(c, t0, prog)
    try:
        return _solve_optimal(c, t0, time_limit, prog)
    except Exception as exc:  # never crash: report, with the greedy plan if that works
        reason = str(exc) if isinstance(exc, SolverFailure) else \
            f"an internal error in the optimal method ({type(exc).__name__}: {exc})"
        try:
            g = _solve_greedy(c, t0, _Progress(None))
        except Exception as gexc:
            return Plan("error", 0.0, None, (), {
                "seconds": time.monotonic() - t0, "method": method,
                "error": f"the optimal method failed: {reason}; the greedy baseline failed too "
                         f"({type(gexc).__name__}: {gexc})"})
        stats = dict(g.stats)
        stats.update({"method": method, "error": f"{type(exc).__name__}: {exc}", "fallback": reason})
        return Plan(g.status, g.objective, None, g.flows, stats)


class SolverFailure(RuntimeError):
    """The LP solver stopped without an answer the optimal method can use (not an infeasible model)."""


def _plan_from_greedy(c: Compiled, raw: list[tuple[int, int, int, int, int]], ok: bool, t0: float) -> Plan:
    stats: dict[str, Any] = {"seconds": round(time.monotonic() - t0, 4), "method": "greedy", "gap": None}
    if not ok:
        stats["note"] = "a package with fixed flows cannot be completed"
        return Plan("infeasible", round(c.fixed_value, 9), None, tuple(c.inst.fixed_flows), stats)
    st = IntegerState(c)
    for p, r, h, d, k in raw:
        st.add(p, r, h, d, k)
    return Plan("feasible", round(st.objective(), 9), None, _flows_out(c, st.flows), stats)


def _solve_greedy(c: Compiled, t0: float, prog: _Progress) -> Plan:
    raw, ok = greedy_flows(c, prog)
    return _plan_from_greedy(c, raw, ok, t0)


CG_MAX_PAIRS = 3000  # above this, Lagrangian + repair (lagrange.py), then Dantzig-Wolfe (dw.py) if time allows
DW_MIN_SECONDS = 30.0  # the Dantzig-Wolfe refinement only runs when at least this much time is left
GREEDY_SECONDS_PER_PAIR = 1e-4  # generous estimate of the greedy baseline's cost, to decide whether it fits
GREEDY_MAX_PAIRS = 20000  # below this the greedy baseline always runs as a safety net (it is cheap)
#: above this many candidate pairs the solver plans over each side's best partners only (compile time, memory
#: and each Lagrangian round grow with the pairs: 13.8 million at 100,000 pledges); such instances are solved
#: by the Lagrangian rounds alone, with the pair bound computed over all pairs
PRUNE_ABOVE_PAIRS = 2_000_000


def _run_lagrangian(c: Compiled, t0: float, limit: float, prog: _Progress, stats: dict[str, Any]
                    ) -> dict[str, Any] | None:
    from .lagrange import run_lagrange
    from .pricing import Pricer

    prog(0.03, f"lagrangian relaxation ({len(c.pair_p)} pledge-requirement pairs)")
    deadline = t0 + 0.92 * limit if math.isfinite(limit) else math.inf
    bound_deadline = t0 + 0.97 * limit - 0.1 if math.isfinite(limit) else math.inf
    lag = run_lagrange(c, Pricer(c), t0, deadline, prog, max_rounds=4, bound_deadline=bound_deadline)
    stats["lagrangian_rounds"] = lag["rounds"]
    stats["lagrangian_timings"] = lag["timings"]
    stats["lagrangian_bound_exact"] = lag["bound_exact"]
    if lag["limited"]:
        stats["time_limit_reached"] = True
    if lag["state"] is None:
        return None
    return lag


def _forced_complete(c: Compiled, st: IntegerState) -> bool:
    """Every package that already has fixed flows is complete in the plan."""
    return all((st.r_left[c.pkg_members[k]] == 0).all() for k in np.flatnonzero(c.pkg_forced).tolist())


def _lagrangian_plan(c: Compiled, t0: float, limit: float, lag: dict[str, Any], stats: dict[str, Any]) -> Plan:
    st = lag["state"]
    obj = st.objective()
    flows = _flows_out(c, st.flows)
    stats["algorithm"] = "lagrangian"
    # the greedy baseline as a safety net, when it fits in the time left, and always when the Lagrangian plan
    # leaves a package with fixed flows incomplete (the only alternative is an infeasible plan)
    if len(c.pair_p) <= GREEDY_MAX_PAIRS or not _forced_complete(c, st) \
            or t0 + limit - time.monotonic() > GREEDY_SECONDS_PER_PAIR * len(c.pair_p):
        raw, ok = greedy_flows(c)
        g = _plan_from_greedy(c, raw, ok, t0)
        if g.status == "feasible" and g.objective > obj:
            obj, flows = g.objective, g.flows
            stats["incumbent"] = "greedy"
    bound = None if lag["bound"] is None else max(float(lag["bound"]) + c.fixed_value, obj)
    if not _forced_complete(c, st) and stats.get("incumbent") != "greedy":
        stats["seconds"] = round(time.monotonic() - t0, 4)
        stats["note"] = "a package with fixed flows cannot be completed"
        return Plan("infeasible", round(c.fixed_value, 9), bound, tuple(c.inst.fixed_flows), stats)
    gap = relative_gap(obj, bound)
    status = "optimal" if gap is not None and gap <= 1e-9 else "feasible"
    stats["gap"] = gap
    stats["seconds"] = round(time.monotonic() - t0, 4)
    return Plan(status, round(obj, 9), None if bound is None else round(bound, 9), flows, stats)


def _pair_index(c: Compiled, p: IntArr, r: IntArr) -> IntArr:
    keys = c.pair_p * c.R + c.pair_r
    order = np.argsort(keys)
    return order[np.searchsorted(keys[order], p * c.R + r)]


def _solve_optimal(c: Compiled, t0: float, time_limit: float | None, prog: _Progress) -> Plan:
    limit = math.inf if time_limit is None else max(0.0, float(time_limit))
    stats: dict[str, Any] = {"method": "optimal", "pairs": int(len(c.pair_p))}
    if c.pruned:
        stats["pairs_pruned"] = True
    lag: dict[str, Any] | None = None
    if len(c.pair_p) > CG_MAX_PAIRS or c.pruned:
        lag = _run_lagrangian(c, t0, limit, prog, stats)
        if lag is not None and (c.pruned or (math.isfinite(limit) and t0 + limit - time.monotonic() < DW_MIN_SECONDS)):
            return _lagrangian_plan(c, t0, limit, lag, stats)
    prog(0.01, "greedy incumbent")
    raw, ok = greedy_flows(c)
    incumbent = _plan_from_greedy(c, raw, ok, t0)
    if lag is not None and _forced_complete(c, lag["state"]) and (
            incumbent.status != "feasible" or lag["objective"] + c.fixed_value > incumbent.objective):
        st = lag["state"]
        incumbent = Plan("feasible", round(st.objective(), 9), None, _flows_out(c, st.flows), {})
        stats["incumbent_lagrangian"] = True
    if len(c.pair_p) > CG_MAX_PAIRS:
        from .dw import DantzigWolfe, run_dw
        from .pricing import Pricer

        prog(0.03, f"decomposition master ({len(c.pair_p)} pledge-requirement pairs)")
        dw = DantzigWolfe(c, Pricer(c))
        if raw:
            g = np.array(raw, dtype=np.int64)
            dw.add_flows(_pair_index(c, g[:, 0], g[:, 1]), g[:, 2], g[:, 3], g[:, 4].astype(float))
        info = run_dw(dw, t0 + 0.5 * limit, t0 + 0.7 * limit, prog)
        stats["algorithm"] = "dantzig-wolfe"
        stats.update({k: v for k, v in info.items() if k != "bound"})
        stats["iterations"] = dw.iterations
        z, p, r, h, d, x = dw.primal()
        K = dw.K
    else:
        from .optimal import ColumnGeneration, run_column_generation

        prog(0.03, f"building master LP ({len(c.pair_p)} pledge-requirement pairs)")
        cg = ColumnGeneration(c)
        info = run_column_generation(cg, t0 + 0.75 * limit, prog)
        stats["algorithm"] = "column-generation"
        stats.update({k: v for k, v in info.items() if k != "bound"})
        if info["bound"] is None:
            if info.get("lp_status") not in ("Infeasible", "Primal infeasible or unbounded"):
                raise SolverFailure(f"the LP solver (HiGHS) stopped without a usable answer "
                                    f"(status {info.get('lp_status')!r})")
            stats["seconds"] = round(time.monotonic() - t0, 4)
            stats["note"] = "the LP is infeasible: a package with fixed flows cannot be completed"
            return Plan("infeasible", round(c.fixed_value, 9), None, tuple(c.inst.fixed_flows), stats)
        z, x = cg.values()
        K = cg.K
        if K:
            frac = (z > 1e-6) & (z < 1 - 1e-6)
            stats["packages_fractional"] = int(frac.sum())
            if frac.any() and info["lp_optimal"] and time.monotonic() < t0 + 0.85 * limit:
                # fix z to 0/1 and re-solve the restricted LP
                idx = np.arange(K, dtype=np.int32)
                zf = ((z >= 0.5) | c.pkg_forced).astype(float)
                cg.h.changeColsBounds(K, idx, zf, zf)
                st = cg.solve_lp(t0 + limit)
                if st not in ("optimal", "time"):
                    zf = ((z >= 1 - 1e-6) | c.pkg_forced).astype(float)
                    cg.h.changeColsBounds(K, idx, zf, zf)
                    st = cg.solve_lp(t0 + limit)
                if st in ("optimal", "time"):
                    z, x = cg.values()
        stats["iterations"] = cg.iterations
        p, r, h, d = cg.col_p, cg.col_r, cg.col_h, cg.col_d
    bound = None if info["bound"] is None else float(info["bound"]) + c.fixed_value
    if lag is not None and lag["bound"] is not None:
        lb = float(lag["bound"]) + c.fixed_value
        bound = lb if bound is None else min(bound, lb)
    prog(0.88, "rounding to an integer plan")
    # packages: try to complete every package the LP uses noticeably (forced first, then by z),
    # drop the others (and any that cannot be completed exactly)
    chosen = (z >= 0.05) | c.pkg_forced if K else np.zeros(0, dtype=bool)
    ist = IntegerState(c)
    ist.apply_lp(p, r, h, d, x)
    for k in np.flatnonzero(~chosen).tolist():
        ist.remove_requirements(set(c.pkg_members[k].tolist()))
    order = sorted(np.flatnonzero(chosen).tolist(), key=lambda k: (not c.pkg_forced[k], -z[k]))
    dropped = ist.complete_packages(order)
    stats["packages_delivered"] = int(chosen.sum()) - len(dropped)
    stats["packages_dropped_in_rounding"] = len(dropped)
    forced_failed = any(c.pkg_forced[k] for k in dropped)
    prog(0.94, "refilling leftovers")
    ist.refill()
    obj = ist.objective()
    flows = _flows_out(c, ist.flows)
    if forced_failed or (incumbent.status == "feasible" and incumbent.objective > obj):
        if incumbent.status != "feasible":
            stats["seconds"] = round(time.monotonic() - t0, 4)
            stats["note"] = "a package with fixed flows cannot be completed"
            return Plan("infeasible", round(c.fixed_value, 9), bound, tuple(c.inst.fixed_flows), stats)
        stats["incumbent"] = "lagrangian" if stats.get("incumbent_lagrangian") else "greedy"
        obj, flows = incumbent.objective, incumbent.flows
    if bound is not None:
        bound = max(bound, obj)
    gap = relative_gap(obj, bound)
    status = "optimal" if gap is not None and gap <= 1e-9 else "feasible"
    stats["gap"] = gap
    stats["seconds"] = round(time.monotonic() - t0, 4)
    return Plan(status, round(obj, 9), None if bound is None else round(bound, 9), flows, stats)
