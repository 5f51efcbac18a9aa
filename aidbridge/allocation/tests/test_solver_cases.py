"""Packages, fixed flows, empty and unreachable instances."""

from __future__ import annotations

import pytest

from aidbridge.allocation.solver import Instance, evaluate, solve

from .solver_helpers import base


def _two_items(pledge_b: int) -> Instance:
    # K1 = {R1 (item A, 10 units), R2 (item B, 10 units)}; R3 (item A, 5 units) is on its own.
    d = base(items=[{"id": "A", "weight_t": 1.0}, {"id": "B", "weight_t": 1.0}])
    d["pledges"] = [
        {"id": "PA", "donor": "X", "origin": "O", "item": "A", "quantity": 15, "available_week": 0},
        {"id": "PB", "donor": "X", "origin": "O", "item": "B", "quantity": pledge_b, "available_week": 0},
    ]
    d["requirements"] = [
        {"id": "R1", "item": "A", "quantity": 10, "priority": 1, "due_week": 5, "destination": "D"},
        {"id": "R2", "item": "B", "quantity": 10, "priority": 1, "due_week": 5, "destination": "D"},
        {"id": "R3", "item": "A", "quantity": 5, "priority": 2, "due_week": 5, "destination": "D"},
    ]
    d["packages"] = [{"id": "K1", "requirements": ["R1", "R2"]}]
    return Instance.from_dict(d)


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_package_filled_completely(method: str) -> None:
    # R1 100 + R2 100 + R3 (P2, value 10) = 210
    inst = _two_items(10)
    plan = solve(inst, method=method)
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert ev.objective == pytest.approx(210.0)
    got = {r: sum(f.quantity for f in plan.flows if f.requirement == r) for r in ("R1", "R2", "R3")}
    assert got == {"R1": 10, "R2": 10, "R3": 5}


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_incomplete_package_gets_nothing(method: str) -> None:
    # only 9 units of B: R2 can't be completed, so R1 and R2 get nothing; R3 still gets 5 -> 10.
    # (the LP would like 0.9 of the package: bound 0.9*200 + 10 = 190 >= 10)
    inst = _two_items(9)
    plan = solve(inst, method=method)
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert {f.requirement for f in plan.flows} == {"R3"}
    assert ev.objective == pytest.approx(10.0)
    if method == "optimal":
        assert plan.bound is not None and plan.bound >= plan.objective - 1e-9


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_fixed_flows_preserved_and_counted(method: str) -> None:
    # capacity 10 t/week, weeks 1; fixed flow of 4 units to R1 (value 100, 10 units: 10/unit).
    # 6 more units fit: total 10 units -> 100. The fixed flow is in the plan unchanged.
    d = base(weeks=1, hubs=[{"id": "H1", "capacity_t_per_week": 10.0}])
    d["pledges"][0]["quantity"] = 20
    d["requirements"][0].update(quantity=10, due_week=0)
    fixed = {"pledge": "P1", "requirement": "R1", "hub": "H1", "ship_week": 0, "dispatch_week": 0,
             "quantity": 4}
    d["fixed_flows"] = [fixed]
    inst = Instance.from_dict(d)
    assert inst.to_dict()["fixed_flows"] == [fixed]
    plan = solve(inst, method=method)
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert plan.flows[0].to_dict() == fixed
    assert sum(f.quantity for f in plan.flows) == 10
    assert ev.objective == pytest.approx(100.0)
    assert plan.objective == pytest.approx(100.0)


def test_fixed_flows_only_capacity_left() -> None:
    # the fixed flow uses the whole capacity: nothing else can move; objective = fixed value 50.
    d = base(weeks=1, hubs=[{"id": "H1", "capacity_t_per_week": 5.0}])
    d["fixed_flows"] = [{"pledge": "P1", "requirement": "R1", "hub": "H1", "ship_week": 0,
                         "dispatch_week": 0, "quantity": 5}]
    d["requirements"][0]["due_week"] = 0
    inst = Instance.from_dict(d)
    plan = solve(inst)
    assert len(plan.flows) == 1 and plan.objective == pytest.approx(50.0)
    assert plan.bound == pytest.approx(50.0)


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_empty_instance(method: str) -> None:
    inst = Instance.from_dict({"schema": "aidbridge.allocation-instance/1", "weeks": 1, "items": [],
                               "hubs": [], "pledges": [], "requirements": [],
                               "priority_value": {"1": 1}, "lateness_decay_per_week": 0})
    plan = solve(inst, method=method)
    assert plan.status == "optimal"
    assert plan.flows == () and plan.objective == 0 and plan.bound == 0
    assert plan.stats["note"] == "empty instance"


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_nothing_reachable(method: str) -> None:
    # the pledge's origin O has no lead-in entry (only origin Z reaches the hub)
    d = base(lead_in_weeks={"Z": {"H1": 0}})
    inst = Instance.from_dict(d)
    plan = solve(inst, method=method)
    assert plan.status == "optimal" and plan.flows == () and plan.objective == 0
    assert "no pledge can reach" in plan.stats["note"]


def test_arrival_past_horizon_is_unreachable() -> None:
    d = base(weeks=2, lead_in_weeks={"O": {"H1": 1}}, lead_out_weeks={"H1": {"D": 1}})
    plan = solve(Instance.from_dict(d))
    assert plan.flows == () and "no pledge can reach" in plan.stats["note"]


def test_roundtrip_dict() -> None:
    inst = _two_items(10)
    again = Instance.from_dict(inst.to_dict())
    assert again.to_dict() == inst.to_dict()


def test_progress_callback_is_called() -> None:
    seen: list[float] = []
    solve(_two_items(10), progress=lambda f, m: seen.append(f))
    assert seen and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)
    assert seen == sorted(seen)


@pytest.mark.parametrize("force_dw", [False, True])
def test_tiny_time_limit_still_feasible(force_dw: bool) -> None:
    from aidbridge.allocation.solver import api, generate

    inst = generate(n_donors=5, n_items=20, n_pledges=120, n_requirements=60, seed=3)
    old = api.CG_MAX_PAIRS
    if force_dw:
        api.CG_MAX_PAIRS = -1
    try:
        plan = solve(inst, time_limit=0.01)
    finally:
        api.CG_MAX_PAIRS = old
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert plan.status in ("optimal", "feasible")
    assert plan.bound is not None and plan.bound >= plan.objective - 1e-6
    assert plan.objective >= solve(inst, method="greedy").objective - 1e-6
