"""Property tests on small generated instances: every plan is feasible; optimal >= greedy;
bound >= objective."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.allocation.solver import evaluate, generate, solve

from .solver_helpers import generator_params

params = generator_params(items=4, pledges=10, requirements=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_plans_are_feasible_and_ordered(p: dict) -> None:  # type: ignore[type-arg]
    inst = generate(**p)
    greedy = solve(inst, method="greedy")
    best = solve(inst, method="optimal")
    for plan in (greedy, best):
        ev = evaluate(inst, plan)
        assert ev.feasible, ev.violations
        assert abs(ev.objective - plan.objective) <= 1e-6 * max(1.0, abs(ev.objective))
    assert best.objective >= greedy.objective - 1e-6
    assert best.bound is not None and best.bound >= best.objective - 1e-6
    assert greedy.bound is None or greedy.status == "optimal"


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 1000))
def test_generator_is_deterministic(seed: int) -> None:
    a = generate(n_donors=3, n_items=5, n_pledges=12, n_requirements=8, seed=seed)
    b = generate(n_donors=3, n_items=5, n_pledges=12, n_requirements=8, seed=seed)
    assert a.to_dict() == b.to_dict()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_decomposition_path_is_feasible(p: dict) -> None:  # type: ignore[type-arg]
    """Force the Dantzig-Wolfe path (used for large instances) on small ones."""
    from aidbridge.allocation.solver import api

    inst = generate(**p)
    old = api.CG_MAX_PAIRS
    api.CG_MAX_PAIRS = -1
    try:
        best = solve(inst, method="optimal")
    finally:
        api.CG_MAX_PAIRS = old
    greedy = solve(inst, method="greedy")
    ev = evaluate(inst, best)
    assert ev.feasible, ev.violations
    assert abs(ev.objective - best.objective) <= 1e-6 * max(1.0, abs(ev.objective))
    assert best.objective >= greedy.objective - 1e-6
    assert best.bound is not None and best.bound >= best.objective - 1e-6
    if best.stats.get("pairs"):
        assert best.stats["algorithm"] == "dantzig-wolfe"
