"""``solve()``: the public entry point for both methods."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .compiled import Compiled, compile_instance
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
    """Solve an instance. ``method`` is "optimal" (column generation + HiGHS) or "greedy"
    (the ALLOCATION.md baseline). ``progress(fraction, message)`` is called regularly.
    Never raises for a valid instance: failures come back as a plan with status "error"."""
    t0 = time.monotonic()
    prog = _Progress(progress)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    prog(0.0, "compiling instance")
    try:
        c = compile_instance(instance)
    except Exception as exc:  # pragma: no cover - validated instances compile
        return Plan("error", 0.0, None, (), {"seconds": time.monotonic() - t0, "method": method,
                                             "error": f"{type(exc).__name__}: {exc}"})
    if len(c.pair_p) == 0 and not c.pkg_forced.any():
        note = "empty instance" if not (instance.pledges and instance.requirements) else \
            "no pledge can reach a matching requirement in time"
        prog(1.0, "done")
        return _trivial(c, method, t0, note)
    try:
        if method == "greedy":
            plan = _solve_greedy(c, t0, prog)
        else:
            plan = _solve_optimal(c, t0, time_limit, prog)
    except Exception as exc:  # never crash: report, with the greedy plan if that works
        try:
            g = _solve_greedy(c, t0, _Progress(None))
            stats = dict(g.stats)
            stats.update({"method": method, "error": f"{type(exc).__name__}: {exc}", "fallback": "greedy"})
            plan = Plan(g.status, g.objective, None, g.flows, stats)
        except Exception:
            plan = Plan("error", 0.0, None, (), {"seconds": time.monotonic() - t0, "method": method,
                                                 "error": f"{type(exc).__name__}: {exc}"})
    prog(1.0, "done")
    return plan


def _solve_greedy(c: Compiled, t0: float, prog: _Progress) -> Plan:
    flows, ok = greedy_flows(c, prog)
    st = IntegerState(c)
    for p, r, h, d, k in flows:
        st.add(p, r, h, d, k)
    stats: dict[str, Any] = {"seconds": round(time.monotonic() - t0, 4), "method": "greedy", "gap": None}
    if not ok:
        stats["note"] = "a package with fixed flows cannot be completed"
        return Plan("infeasible", round(c.fixed_value, 9), None, tuple(c.inst.fixed_flows), stats)
    return Plan("feasible", round(st.objective(), 9), None, _flows_out(c, st.flows), stats)


def _solve_optimal(c: Compiled, t0: float, time_limit: float | None, prog: _Progress) -> Plan:
    from .optimal import ColumnGeneration, run_column_generation

    limit = math.inf if time_limit is None else max(0.0, float(time_limit))
    deadline = t0 + 0.7 * limit
    prog(0.02, f"building master LP ({len(c.pair_p)} pledge-requirement pairs)")
    cg = ColumnGeneration(c)
    info = run_column_generation(cg, deadline, prog)
    stats: dict[str, Any] = {"method": "optimal", "pairs": int(len(c.pair_p))}
    stats.update({k: v for k, v in info.items() if k != "bound"})
    if info["bound"] is None:
        stats["seconds"] = round(time.monotonic() - t0, 4)
        stats["note"] = "the LP is infeasible: a package with fixed flows cannot be completed"
        return Plan("infeasible", round(c.fixed_value, 9), None, tuple(c.inst.fixed_flows), stats)
    bound = float(info["bound"]) + c.fixed_value
    prog(0.85, "rounding to an integer plan")

    # packages: fix z to 0/1 and re-solve the restricted LP if any is fractional
    z, x = cg.values()
    chosen = np.ones(cg.K, dtype=bool)
    if cg.K:
        chosen = (z >= 0.5) | c.pkg_forced
        frac = (z > 1e-6) & (z < 1 - 1e-6)
        stats["packages_fractional"] = int(frac.sum())
        if frac.any():
            idx = np.arange(cg.K, dtype=np.int32)
            zf = chosen.astype(float)
            cg.h.changeColsBounds(cg.K, idx, zf, zf)
            if not cg.solve_lp():
                chosen = (z >= 1 - 1e-6) | c.pkg_forced
                zf = chosen.astype(float)
                cg.h.changeColsBounds(cg.K, idx, zf, zf)
                cg.solve_lp()
            z, x = cg.values()
    st = IntegerState(c)
    st.apply_lp(cg.col_p, cg.col_r, cg.col_h, cg.col_d, x)
    dropped = st.complete_packages([int(k) for k in np.flatnonzero(chosen)])
    stats["packages_delivered"] = int(chosen.sum()) - len(dropped)
    stats["packages_dropped_in_rounding"] = len(dropped)
    if any(c.pkg_forced[k] for k in dropped):
        stats["seconds"] = round(time.monotonic() - t0, 4)
        stats["note"] = "a package with fixed flows cannot be completed"
        return Plan("infeasible", round(c.fixed_value, 9), bound, tuple(c.inst.fixed_flows), stats)
    prog(0.92, "refilling leftovers")
    st.refill()
    obj = st.objective()
    gap = relative_gap(obj, bound)
    status = "optimal" if gap is not None and gap <= 1e-9 else "feasible"
    stats["gap"] = gap
    stats["seconds"] = round(time.monotonic() - t0, 4)
    return Plan(status, round(obj, 9), round(bound, 9), _flows_out(c, st.flows), stats)
