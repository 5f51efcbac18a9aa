"""The Lagrangian path (large instances under a time limit): its bound L(pi) is a valid upper
bound on the LP optimum (checked against the exact pair-level column generation), and its plans
are feasible."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.allocation.solver import evaluate, generate, solve
from aidbridge.allocation.solver.compiled import compile_instance
from aidbridge.allocation.solver.lagrange import BoundJob, TransportLP, run_lagrange
from aidbridge.allocation.solver.optimal import ColumnGeneration, run_column_generation
from aidbridge.allocation.solver.pricing import Pricer

from .solver_helpers import generator_params

params = generator_params(items=6, pledges=14, requirements=10)


def _lp_optimum(c) -> float | None:  # type: ignore[no-untyped-def]
    cg = ColumnGeneration(c)
    info = run_column_generation(cg, math.inf, None, rel_tol=1e-12)
    if info["bound"] is None or not info["converged"]:
        return None
    return float(cg.lp_obj)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, st.integers(0, 1000))
def test_lagrangian_bound_is_valid(p: dict, pi_seed: int) -> None:  # type: ignore[type-arg]
    inst = generate(**p)
    c = compile_instance(inst)
    if len(c.pair_p) == 0:
        return
    lp = _lp_optimum(c)
    if lp is None:  # master infeasible (cannot happen without fixed flows) or not converged
        return
    pricer = Pricer(c)
    tp = TransportLP(c, pricer)
    rng = np.random.default_rng(pi_seed)
    scale = float(c.r_unit.max() / max(1e-9, c.p_w.min()))
    for pi in (np.zeros((c.H, c.W)), rng.uniform(0, 0.2 * scale, (c.H, c.W)),
               rng.exponential(0.01 * scale, (c.H, c.W))):
        res = tp.solve(pi, math.inf)
        assert res is not None
        value = res[0] + float((pi * c.cap).sum())
        assert value >= lp - 1e-6 * max(1.0, abs(lp))
    lag = run_lagrange(c, pricer, time.monotonic(), math.inf, None)
    assert lag["bound"] is not None and lag["bound"] >= lp - 1e-6 * max(1.0, abs(lp))
    assert lag["state"] is not None and lag["objective"] <= lag["bound"] + 1e-6 * max(1.0, abs(lp))


def test_forked_bound_matches_in_process() -> None:
    inst = generate(n_donors=5, n_items=30, n_pledges=200, n_requirements=100, seed=11)
    c = compile_instance(inst)
    pricer = Pricer(c)
    pi = np.full((c.H, c.W), 0.01)
    a, exact_a = BoundJob(c, pricer, pi, parallel=True).result()
    b, exact_b = BoundJob(c, pricer, pi, parallel=False).result()
    assert exact_a and exact_b and a is not None and b is not None
    assert abs(a - b) <= 1e-6 * max(1.0, abs(b))
    # abandoned at once: the weak fallback bound is still valid (>= the exact L(pi))
    w, exact_w = BoundJob(c, pricer, pi, parallel=True).result(0.0)
    assert w is not None and w >= b - 1e-6 * max(1.0, abs(b))
    if not exact_w:
        assert w >= b


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_lagrangian_path_is_feasible(p: dict) -> None:  # type: ignore[type-arg]
    """Force the Lagrangian path (used for large instances under a time limit) on small ones."""
    from aidbridge.allocation.solver import api

    inst = generate(**p)
    old = api.CG_MAX_PAIRS
    api.CG_MAX_PAIRS = -1
    try:
        best = solve(inst, method="optimal", time_limit=5.0)
    finally:
        api.CG_MAX_PAIRS = old
    ev = evaluate(inst, best)
    assert ev.feasible, ev.violations
    assert abs(ev.objective - best.objective) <= 1e-6 * max(1.0, abs(ev.objective))
    assert best.objective >= solve(inst, method="greedy").objective - 1e-6
    if best.stats.get("pairs"):
        assert best.bound is not None and best.bound >= best.objective - 1e-6
        assert best.stats["algorithm"] == "lagrangian"
    exact = solve(inst, method="optimal")  # pair-level CG: its bound is (near) the LP optimum
    if best.bound is not None and exact.bound is not None and exact.stats.get("converged"):
        assert best.bound >= exact.bound - 1e-5 * max(1.0, abs(exact.bound))


@pytest.mark.parametrize("name", ["test_package_filled_completely", "test_incomplete_package_gets_nothing",
                                  "test_fixed_flows_preserved_and_counted"])
def test_cases_on_lagrangian_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package / fixed-flow cases of test_solver_cases, forced onto the Lagrangian path."""
    from aidbridge.allocation.solver import api

    from . import test_solver_cases as cases

    def forced(inst, method="optimal", **kw):  # type: ignore[no-untyped-def]
        plan = solve(inst, method=method, time_limit=5.0)
        if method == "optimal" and plan.stats.get("pairs"):
            assert plan.stats["algorithm"] == "lagrangian"
        return plan

    monkeypatch.setattr(api, "CG_MAX_PAIRS", -1)
    monkeypatch.setattr(cases, "solve", forced)
    getattr(cases, name)("optimal")
