"""Property tests of the seat planner on random small instances: no course is overbooked, every prerequisite
is met, ``evaluate`` agrees with the planner, the plan is no worse than first-come, and its objective is at most
its bound."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.training.planner import Instance, Plan, evaluate, first_come, solve
from aidbridge.training.planner.generator import generate as random_instance


def check_rules_directly(inst: Instance, plan: Plan) -> None:
    """A second, deliberately simple check of the two headline properties."""
    courses = inst.course_by_id
    requests = inst.request_by_id
    fixed_seats: dict[str, int] = defaultdict(int)
    for a in inst.fixed:
        fixed_seats[a.course] += a.seats
    seats: dict[str, int] = defaultdict(int)
    crews: dict[tuple[str, str], int] = defaultdict(int)
    for a in plan.assignments:
        seats[a.course] += a.seats
        assert a.seats % requests[a.request].crew_size == 0
        crews[(a.request, a.course)] += a.seats // requests[a.request].crew_size
    for cid, n in seats.items():  # no course overbooked (beyond what fixed assignments already booked)
        assert n <= max(courses[cid].seats, fixed_seats[cid]), (cid, n)
    fixed_pairs = {(a.request, a.course) for a in inst.fixed}
    for (rid, cid), n in crews.items():  # every prerequisite met, by enough crews, in time
        if (rid, cid) in fixed_pairs:
            continue  # fixed seats may sit on a pair the rules no longer allow (they then train nobody)
        for p in courses[cid].prerequisites:
            if p in requests[rid].holds:
                continue
            going_on = sum(m for (r2, c2), m in crews.items() if r2 == rid and p in courses[c2].prerequisites)
            assert crews.get((rid, p), 0) >= min(n, going_on), (rid, cid, p)
            assert courses[p].end_day < courses[cid].start_day


params = st.fixed_dictionaries({
    "seed": st.integers(0, 100_000),
    "n_courses": st.integers(0, 7),
    "n_requests": st.integers(0, 5),
    "with_fixed": st.booleans(),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_plans_are_feasible_and_no_worse_than_first_come(p: dict[str, Any]) -> None:
    inst = random_instance(**p)
    base = first_come(inst)
    plan = solve(inst, time_limit=5)
    assert plan.status in ("optimal", "feasible", "infeasible"), plan.stats
    if plan.status == "infeasible":
        assert base.status == "infeasible"
        assert plan.assignments == inst.fixed
        return
    for pl in (base, plan):
        ev = evaluate(inst, pl)
        assert ev.feasible, ev.violations
        assert abs(ev.objective - pl.objective) <= 1e-6 * max(1.0, abs(ev.objective))
        check_rules_directly(inst, pl)
        assert pl.assignments[:len(inst.fixed)] == inst.fixed
    assert base.status == "feasible"  # fixed crews' missing prerequisites are booked before anything else
    assert plan.objective >= base.objective - 1e-6
    assert plan.bound is not None and plan.objective <= plan.bound + 1e-6
    assert plan.status == "optimal"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 100_000))
def test_single_course_plans_are_optimal_by_enumeration(seed: int) -> None:
    """One course without prerequisites: enumerate every split of its seats into whole crews."""
    rng = random.Random(seed)
    reqs: list[dict[str, Any]] = [
        {"id": f"R{j}", "trainees": 0, "crew_size": rng.randint(1, 5), "language": "en", "item": "GEN",
         "priority": rng.randint(1, 4), "needed_by_day": 30, "origin": "UA"} for j in range(rng.randint(1, 3))]
    for r in reqs:
        r["trainees"] = r["crew_size"] * rng.randint(1, 3)
    seats = rng.randint(0, 15)
    inst = Instance.from_dict({"courses": [{"id": "C", "seats": seats, "language": "en", "start_day": 5,
                                            "end_day": 10, "location": "X", "qualifies": ["GEN"]}],
                               "requests": reqs, "travel_days": {"UA": {"X": 1}}})
    best = 0.0

    def rec(j: int, left: int, value: float) -> None:
        nonlocal best
        if j == len(reqs):
            best = max(best, value)
            return
        r = reqs[j]
        crews = r["trainees"] // r["crew_size"]
        for k in range(crews + 1):
            if k * r["crew_size"] <= left:
                rec(j + 1, left - k * r["crew_size"], value + inst.priority_value[r["priority"]] * k / crews)

    rec(0, seats, 0.0)
    plan = solve(inst)
    assert abs(plan.objective - best) <= 1e-6 * max(1.0, best)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 100_000), st.booleans())
def test_tiny_plans_are_optimal_by_enumeration(seed: int, with_fixed: bool) -> None:
    """Up to 3 courses (with prerequisites) and 2 requests of up to 2 crews: try every plan, keep those that
    ``evaluate`` accepts, and compare the best with the planner's objective."""
    import itertools

    from aidbridge.training.planner import Assignment

    rng = random.Random(seed)
    inst = random_instance(seed, rng.randint(1, 3), rng.randint(1, 2), with_fixed=with_fixed)
    pairs = [(r, c) for r in inst.requests for c in inst.courses]
    ranges = [range(min(r.crews, 2) + 1) for r, _c in pairs]
    best = -1.0
    for combo in itertools.product(*ranges):
        plan = Plan("feasible", 0.0, None, inst.fixed + tuple(
            Assignment(r.id, c.id, n * r.crew_size) for (r, c), n in zip(pairs, combo, strict=True) if n))
        ev = evaluate(inst, plan)
        if ev.feasible:
            best = max(best, ev.objective)
    got = solve(inst)
    if any(r.crews > 2 for r in inst.requests):
        assert got.objective >= best - 1e-6
    elif best < 0:
        assert got.status == "infeasible"
    else:
        assert abs(got.objective - best) <= 1e-6 * max(1.0, best)
