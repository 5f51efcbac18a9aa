"""Tiny hand-solved instances with their exact optimum."""

from __future__ import annotations

import pytest

from aidbridge.allocation.solver import Instance, evaluate, solve

from .solver_helpers import base


def _check(inst: Instance, method: str, expected: float) -> None:
    plan = solve(inst, method=method)
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert ev.objective == pytest.approx(expected, abs=1e-6)
    assert plan.objective == pytest.approx(expected, abs=1e-6)
    if method == "optimal":
        assert plan.bound is not None and plan.bound == pytest.approx(expected, abs=1e-6)
        assert plan.status == "optimal"
    else:
        assert plan.bound is None


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_capacity_forces_later_week(method: str) -> None:
    # 20 units of 1 t, hub capacity 10 t/week, due week 0, value 100 -> 5 per unit on time.
    # week 0: 10 units on time = 10*5 = 50; week 1: 10 units 1 week late = 10*5*0.9 = 45. Total 95.
    d = base(hubs=[{"id": "H1", "capacity_t_per_week": 10.0}])
    d["pledges"][0]["quantity"] = 20
    d["requirements"][0].update(quantity=20, due_week=0)
    inst = Instance.from_dict(d)
    _check(inst, method, 95.0)
    plan = solve(inst, method=method)
    assert sorted((f.dispatch_week, f.quantity) for f in plan.flows) == [(0, 10), (1, 10)]


def test_cheaper_hub_is_used() -> None:
    # weight 2 t, H1 (listed first) costs 0.5/t, H2 costs 0.1/t; value 100 for 10 units = 10/unit.
    # optimal via H2: 10*(10 - 2*0.1) = 98; greedy takes the first hub H1: 10*(10 - 2*0.5) = 90.
    d = base(
        items=[{"id": "A", "weight_t": 2.0}],
        hubs=[{"id": "H1", "capacity_t_per_week": 1000.0}, {"id": "H2", "capacity_t_per_week": 1000.0}],
        lead_in_weeks={"O": {"H1": 0, "H2": 0}},
        lead_out_weeks={"H1": {"D": 0}, "H2": {"D": 0}},
        cost_in_per_t={"O": {"H1": 0.5, "H2": 0.1}},
    )
    inst = Instance.from_dict(d)
    _check(inst, "optimal", 98.0)
    _check(inst, "greedy", 90.0)
    assert {f.hub for f in solve(inst).flows} == {"H2"}


def test_lateness_decay_chooses_requirement() -> None:
    # one pledge of 10, lead-in 1 week: earliest arrival week 1.
    # R1 due 0 -> 1 week late -> 100*0.9 = 90; R2 due 3 -> on time -> 100.
    # optimal fills R2 (100); greedy takes R1 first (due earlier) -> 90.
    d = base(lead_in_weeks={"O": {"H1": 1}})
    d["requirements"] = [
        {"id": "R1", "item": "A", "quantity": 10, "priority": 1, "due_week": 0, "destination": "D"},
        {"id": "R2", "item": "A", "quantity": 10, "priority": 1, "due_week": 3, "destination": "D"},
    ]
    inst = Instance.from_dict(d)
    _check(inst, "optimal", 100.0)
    _check(inst, "greedy", 90.0)


def test_ten_weeks_late_is_worth_nothing() -> None:
    # available week 12, due 0, weeks 15: earliest arrival 12 -> 12 weeks late -> decay 0.
    d = base(weeks=15)
    d["pledges"][0]["available_week"] = 12
    d["requirements"][0]["due_week"] = 0
    inst = Instance.from_dict(d)
    plan = solve(inst)
    assert evaluate(inst, plan).objective == pytest.approx(0.0)
    assert plan.bound == pytest.approx(0.0)


def test_partial_fill_value_is_proportional() -> None:
    # pledge 4 units, requirement 10 units of value 100: 4 * 10 = 40.
    d = base()
    d["pledges"][0]["quantity"] = 4
    _check(Instance.from_dict(d), "optimal", 40.0)
    _check(Instance.from_dict(d), "greedy", 40.0)


def test_priority_beats_size() -> None:
    # capacity 10 t in total (weeks=1), R1 P2 (value 10, 10 units), R2 P1 (value 100, 20 units).
    # best: 10 units to R2 = 10 * 100/20 = 50 (vs 10 from R1).
    d = base(weeks=1, hubs=[{"id": "H1", "capacity_t_per_week": 10.0}])
    d["pledges"][0]["quantity"] = 30
    d["requirements"] = [
        {"id": "R1", "item": "A", "quantity": 10, "priority": 2, "due_week": 0, "destination": "D"},
        {"id": "R2", "item": "A", "quantity": 20, "priority": 1, "due_week": 0, "destination": "D"},
    ]
    _check(Instance.from_dict(d), "optimal", 50.0)
