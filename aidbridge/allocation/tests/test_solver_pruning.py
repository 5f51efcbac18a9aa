"""Large instances: pledge-requirement pairs pruned to each side's best partners, and a time limit honoured
by returning the best plan found so far, marked as such (issue 14)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.allocation.solver import Instance, api, compiled, evaluate, generate, lagrange, solve
from aidbridge.allocation.solver.compiled import compile_instance
from aidbridge.allocation.solver.lagrange import greedy_transport, repair
from aidbridge.allocation.solver.pricing import Pricer, pair_bound

from .solver_helpers import base, generator_params

params = generator_params(items=4, pledges=60, requirements=40)
#: (PRUNE_COVER, PRUNE_MIN_PARTNERS): the shipped values, and the harshest pruning
strengths = st.sampled_from([(compiled.PRUNE_COVER, compiled.PRUNE_MIN_PARTNERS), (1, 1), (0, 1)])


def _strength(cover: float, least: int) -> Any:
    return mock.patch.multiple(compiled, PRUNE_COVER=cover, PRUNE_MIN_PARTNERS=least)


def _pairs(c) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    return set(zip(c.pair_p.tolist(), c.pair_r.tolist(), strict=True))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, strengths)
def test_pruning_keeps_real_pairs_a_partner_for_everyone_and_a_valid_bound(
        p: dict, strength: tuple[float, int]) -> None:  # type: ignore[type-arg]
    inst = generate(**p)
    full = compile_instance(inst)
    with _strength(*strength):
        pruned = compile_instance(inst, prune_above=0)
    assert not full.pruned and full.full_pair_bound is None
    if len(full.pair_p) == 0:
        assert len(pruned.pair_p) == 0
        return
    assert pruned.pruned
    kept = _pairs(pruned)
    assert kept <= _pairs(full)
    # every pledge and requirement with a partner keeps at least one
    assert set(pruned.pair_p.tolist()) == set(full.pair_p.tolist())
    assert set(pruned.pair_r.tolist()) == set(full.pair_r.tolist())
    # the bound is the pair bound over ALL pairs, not over the kept ones
    brc, _, _ = Pricer(full).price(np.zeros(full.P), np.zeros(full.R), np.zeros((full.H, full.W)))
    expected = pair_bound(full, brc)
    assert pruned.full_pair_bound == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, strengths)
def test_a_plan_over_pruned_pairs_is_feasible_and_under_its_bound(
        p: dict, strength: tuple[float, int]) -> None:  # type: ignore[type-arg]
    inst = generate(**p)
    with mock.patch.object(api, "PRUNE_ABOVE_PAIRS", 0), _strength(*strength):
        plan = solve(inst, method="optimal")
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert abs(ev.objective - plan.objective) <= 1e-6 * max(1.0, abs(ev.objective))
    assert plan.objective >= solve(inst, method="greedy").objective - 1e-6
    if plan.stats.get("pairs"):
        assert plan.stats["pairs_pruned"] is True
        assert plan.stats["algorithm"] == "lagrangian"
        assert plan.bound is not None and plan.bound >= plan.objective - 1e-6
        assert plan.status == "feasible" or plan.bound == plan.objective


def test_pruning_only_above_the_threshold_leaves_small_instances_alone() -> None:
    inst = generate(n_donors=5, n_items=30, n_pledges=300, n_requirements=150, seed=4)
    full = compile_instance(inst)
    same = compile_instance(inst, prune_above=len(full.pair_p))
    assert not same.pruned
    assert np.array_equal(same.pair_p, full.pair_p) and np.array_equal(same.pair_r, full.pair_r)
    assert len(full.pair_p) < api.PRUNE_ABOVE_PAIRS
    assert "pairs_pruned" not in solve(inst, method="optimal", time_limit=None).stats


def _round_zero(c) -> float:  # type: ignore[no-untyped-def]
    """The value of the Lagrangian's first plan: greedy transport at zero prices, then the integer repair."""
    zero = np.zeros((c.H, c.W))
    brc, _, _ = Pricer(c).price(np.zeros(c.P), np.zeros(c.R), zero)
    state, _ = repair(c, greedy_transport(c, brc), zero)
    return float(state.objective())


def test_pruning_keeps_the_plan_value() -> None:
    """Few items with many pledges and requirements each (the shape of the database at scale): over far fewer
    pairs, the first Lagrangian plan stays within 0.5% of the one over all pairs."""
    inst = generate(n_donors=10, n_items=3, n_pledges=900, n_requirements=360, seed=7)
    full = compile_instance(inst)
    pruned = compile_instance(inst, prune_above=0)
    assert len(pruned.pair_p) < len(full.pair_p) / 3
    assert _round_zero(pruned) >= 0.995 * _round_zero(full)


@pytest.mark.parametrize("prune", [False, True])
def test_a_solve_already_past_its_time_limit_returns_a_feasible_plan_marked_limited(prune: bool) -> None:
    """A limit of 0 s has passed before the solver starts: it still returns a feasible plan (one Lagrangian
    round, or the greedy incumbent) and says that the limit was reached."""
    inst = generate(n_donors=5, n_items=20, n_pledges=200, n_requirements=100, seed=12)
    with mock.patch.object(api, "CG_MAX_PAIRS", -1), \
            mock.patch.object(api, "PRUNE_ABOVE_PAIRS", 0 if prune else api.PRUNE_ABOVE_PAIRS):
        plan = solve(inst, method="optimal", time_limit=0.0)
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert plan.status in ("feasible", "optimal")
    assert plan.stats["time_limit_reached"] is True
    assert plan.stats["lagrangian_rounds"] == 1
    assert plan.stats.get("pairs_pruned", False) is prune
    assert plan.objective >= solve(inst, method="greedy").objective - 1e-6


def test_a_solve_without_a_limit_is_not_marked_limited() -> None:
    inst = generate(n_donors=5, n_items=20, n_pledges=200, n_requirements=100, seed=12)
    with mock.patch.object(api, "CG_MAX_PAIRS", -1):
        plan = solve(inst, method="optimal")
    assert "time_limit_reached" not in plan.stats


def test_a_package_with_fixed_flows_the_lagrangian_plan_leaves_short_takes_the_greedy_plan() -> None:
    """On a large instance the greedy safety net is skipped when it does not fit in the time left; but when the
    Lagrangian plan cannot complete a package that already has fixed flows, the greedy plan is still tried
    rather than returning an infeasible plan."""
    d = base(items=[{"id": "A", "weight_t": 1.0}, {"id": "B", "weight_t": 1.0}])
    d["pledges"] = [
        {"id": "PA", "donor": "X", "origin": "O", "item": "A", "quantity": 15, "available_week": 0},
        {"id": "PB", "donor": "X", "origin": "O", "item": "B", "quantity": 10, "available_week": 0},
    ]
    d["requirements"] = [
        {"id": "R1", "item": "A", "quantity": 10, "priority": 1, "due_week": 5, "destination": "D"},
        {"id": "R2", "item": "B", "quantity": 10, "priority": 1, "due_week": 5, "destination": "D"},
    ]
    d["packages"] = [{"id": "K1", "requirements": ["R1", "R2"]}]
    d["fixed_flows"] = [{"pledge": "PA", "requirement": "R1", "hub": "H1", "ship_week": 0, "dispatch_week": 0,
                         "quantity": 4}]
    inst = Instance.from_dict(d)

    def never_complete(st, order):  # type: ignore[no-untyped-def]
        for k in order:
            st.remove_requirements(set(st.c.pkg_members[k].tolist()))
        return list(order)

    with mock.patch.object(api, "CG_MAX_PAIRS", -1), mock.patch.object(api, "GREEDY_MAX_PAIRS", -1), \
            mock.patch.object(api, "GREEDY_SECONDS_PER_PAIR", float("inf")), \
            mock.patch.object(lagrange, "complete_packages", never_complete):
        plan = solve(inst, method="optimal", time_limit=0.0)
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert plan.status in ("feasible", "optimal") and plan.stats["incumbent"] == "greedy"
    assert {f.requirement: f.quantity for f in plan.flows if f.requirement == "R2"} == {"R2": 10}
