"""Issue #8: unknown keys and absurd horizons are refused, a failing optimal method never falls back to
greedy silently, and fixed flows that overfill a hub-week are planned around and reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aidbridge.allocation.solver import Flow, Instance, InstanceError, Plan, evaluate, load_plan, solve
from aidbridge.allocation.solver.cli import build_parser, main
from aidbridge.allocation.solver.model import MAX_WEEKS

from .solver_helpers import base

# ---- input checks ---------------------------------------------------------------------------------------


def test_unknown_top_level_key_is_refused_with_a_hint() -> None:
    d = base()
    d["pledgez"] = d.pop("pledges")
    with pytest.raises(InstanceError) as exc:
        Instance.from_dict(d)
    assert '"pledgez": unknown top-level key (did you mean "pledges"?)' in str(exc.value)


def test_cli_refuses_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = base(prioritiy_value={"1": 5})
    src, out = tmp_path / "in.json", tmp_path / "plan.json"
    src.write_text(json.dumps(d))
    assert main(["--input", str(src), "--output", str(out), "--quiet"]) == 2
    assert '"prioritiy_value": unknown top-level key' in capsys.readouterr().err
    assert not out.exists()


def test_start_date_written_by_the_application_is_accepted() -> None:
    inst = Instance.from_dict(base(start_date="2026-03-09"))
    assert solve(inst, "greedy").objective == pytest.approx(100.0)


@pytest.mark.parametrize("weeks", [MAX_WEEKS + 1, 5_000_000])
def test_absurd_horizon_is_refused(weeks: int) -> None:
    with pytest.raises(InstanceError) as exc:
        Instance.from_dict(base(weeks=weeks))
    assert f"weeks: the horizon is at most {MAX_WEEKS} weeks" in str(exc.value)
    assert str(weeks) in str(exc.value)


def test_longest_horizon_is_accepted_and_solved() -> None:
    inst = Instance.from_dict(base(weeks=MAX_WEEKS))
    plan = solve(inst, "optimal", time_limit=10)
    assert plan.status == "optimal" and evaluate(inst, plan).feasible


# ---- time limit --------------------------------------------------------------------------------------------


def test_cli_time_limit_defaults_to_ten_seconds_and_none_means_no_limit() -> None:
    parser = build_parser()
    assert parser.parse_args(["--input", "a", "--output", "b"]).time_limit == 10.0
    assert parser.parse_args(["--input", "a", "--output", "b", "--time-limit", "none"]).time_limit is None
    assert parser.parse_args(["--input", "a", "--output", "b", "--time-limit", "2.5"]).time_limit == 2.5
    text = parser.format_help()
    assert "default: 10" in text and "'none' runs to convergence" in text


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan"])
def test_cli_refuses_bad_time_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--input", "a", "--output", str(tmp_path / "p.json"), "--time-limit", value])
    assert exc.value.code == 2
    assert "--time-limit" in capsys.readouterr().err


def test_cli_runs_to_convergence_with_time_limit_none(tmp_path: Path) -> None:
    src, out = tmp_path / "in.json", tmp_path / "plan.json"
    src.write_text(json.dumps(base()))
    assert main(["--input", str(src), "--output", str(out), "--quiet", "--time-limit", "none"]) == 0
    assert load_plan(out).status == "optimal"


# ---- fallback to greedy --------------------------------------------------------------------------------------

def _unsolvable_by_highs() -> dict[str, Any]:
    """Priority values beyond 1e20 are infinite costs for HiGHS: its LP stops with status "Unknown".
    Greedy has no such limit. (The solver used to report this as an infeasible instance.)"""
    return base(priority_value={"1": 1e25, "2": 10})


def test_failing_optimal_method_reports_the_fallback() -> None:
    inst = Instance.from_dict(_unsolvable_by_highs())
    plan = solve(inst, "optimal")
    assert plan.status == "feasible"
    assert plan.stats["fallback"] == "the LP solver (HiGHS) stopped without a usable answer (status 'Unknown')"
    assert evaluate(inst, plan).feasible
    assert plan.objective == pytest.approx(1e25)


def test_no_fallback_key_when_the_optimal_method_works() -> None:
    plan = solve(Instance.from_dict(base()), "optimal")
    assert plan.status == "optimal" and "fallback" not in plan.stats


def test_cli_says_fallback_and_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in.json", tmp_path / "plan.json"
    src.write_text(json.dumps(_unsolvable_by_highs()))
    assert main(["--input", str(src), "--output", str(out), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "fallback to greedy: the LP solver (HiGHS) stopped without a usable answer" in err
    assert load_plan(out).stats["fallback"]


# ---- fixed flows that overfill a hub-week -------------------------------------------------------------------

def _overloaded() -> dict[str, Any]:
    """Hub H1 holds 10 t a week; 12 t are already approved for week 1 (A weighs 1 t). A second pledge
    and requirement compete for the hub in weeks 1-2."""
    return base(
        weeks=4,
        hubs=[{"id": "H1", "capacity_t_per_week": 10.0}],
        pledges=[{"id": "P1", "donor": "X", "origin": "O", "item": "A", "quantity": 12, "available_week": 0},
                 {"id": "P2", "donor": "X", "origin": "O", "item": "A", "quantity": 30, "available_week": 1}],
        requirements=[{"id": "R1", "item": "A", "quantity": 12, "priority": 1, "due_week": 1, "destination": "D"},
                      {"id": "R2", "item": "A", "quantity": 30, "priority": 1, "due_week": 3, "destination": "D"}],
        fixed_flows=[{"pledge": "P1", "requirement": "R1", "hub": "H1", "ship_week": 0, "dispatch_week": 1,
                      "quantity": 12}],
    )


def test_overfilled_hub_week_is_accepted_and_reported_by_the_instance() -> None:
    inst = Instance.from_dict(_overloaded())
    assert inst.overloaded == [{"hub": "H1", "week": 1, "load_t": 12.0, "capacity_t": 10.0}]


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_solver_plans_around_an_overloaded_hub_week(method: str) -> None:
    inst = Instance.from_dict(_overloaded())
    plan = solve(inst, method)
    assert plan.status in ("optimal", "feasible")
    assert plan.stats["overloaded"] == [{"hub": "H1", "week": 1, "load_t": 12.0, "capacity_t": 10.0}]
    assert plan.flows[0] == inst.fixed_flows[0]
    new = plan.flows[1:]
    assert all(f.dispatch_week != 1 for f in new)
    assert sum(f.quantity for f in new) == 20  # weeks 2 and 3, 10 t each
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert ev.overloaded == [{"hub": "H1", "week": 1, "load_t": 12.0, "capacity_t": 10.0}]
    assert ev.objective == pytest.approx(plan.objective)


def test_evaluate_refuses_new_flows_in_an_overloaded_hub_week() -> None:
    inst = Instance.from_dict(_overloaded())
    fixed = inst.fixed_flows[0]
    plan = Plan("feasible", 0.0, None, (fixed, Flow("P2", "R2", "H1", 1, 1, 1)))
    ev = evaluate(inst, plan)
    assert not ev.feasible
    assert any("rule 7: hub H1 week 1: existing allocations already use 12 t of 10 t, yet new flows add 1 t" in v
               for v in ev.violations)


def test_evaluate_counts_new_flows_against_what_fixed_flows_leave() -> None:
    d = _overloaded()
    d["fixed_flows"][0]["quantity"] = 6  # week 1: 6 t fixed, 4 t left
    inst = Instance.from_dict(d)
    assert inst.overloaded == []
    ok = Plan("feasible", 0.0, None, (inst.fixed_flows[0], Flow("P2", "R2", "H1", 1, 1, 4)))
    over = Plan("feasible", 0.0, None, (inst.fixed_flows[0], Flow("P2", "R2", "H1", 1, 1, 5)))
    assert evaluate(inst, ok).feasible
    assert not evaluate(inst, over).feasible


def test_cli_warns_about_overloaded_hub_weeks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in.json", tmp_path / "plan.json"
    src.write_text(json.dumps(_overloaded()))
    assert main(["--input", str(src), "--output", str(out), "--quiet"]) == 0
    assert "warning: hub H1 week 1 is overloaded by fixed flows (12 t of 10 t)" in capsys.readouterr().err
    assert load_plan(out).stats["overloaded"][0]["hub"] == "H1"


# ---- references -----------------------------------------------------------------------------------------------

def test_instance_ids_are_references_and_map_back_to_database_ids() -> None:
    from aidbridge.allocation.instance import key_pk, pledge_key, requirement_key

    assert pledge_key(431) == "PLG-00431" and requirement_key(31) == "REQ-00031"
    assert key_pk("PLG-00431") == 431 and key_pk("REQ-00031") == 31 and key_pk("REQ-123456") == 123456
    assert key_pk("P431") == 431 and key_pk("R31") == 31  # plans stored before ids became references
    with pytest.raises(ValueError, match="not a pledge or requirement reference"):
        key_pk("PL-RZE")


# ---- capacity already taken by allocations that are not fixed flows (goods moving) ------------------------------

def test_reserved_tonnes_reduce_capacity_and_can_overload() -> None:
    d = _overloaded()
    d.pop("fixed_flows")
    d["reserved_t"] = {"H1": {"1": 12.0, "2": 4.0}}
    inst = Instance.from_dict(d)
    assert inst.overloaded == [{"hub": "H1", "week": 1, "load_t": 12.0, "capacity_t": 10.0}]
    for method in ("optimal", "greedy"):
        plan = solve(inst, method)
        assert plan.stats["overloaded"] == inst.overloaded
        week = {w: sum(f.quantity for f in plan.flows if f.dispatch_week == w) for w in range(4)}
        assert week[1] == 0 and week[2] <= 6
        ev = evaluate(inst, plan)
        assert ev.feasible, ev.violations
        assert ev.overloaded == [{"hub": "H1", "week": 1, "load_t": 12.0, "capacity_t": 10.0}]
    too_much = Plan("feasible", 0.0, None, (Flow("P2", "R2", "H1", 1, 2, 7),))
    assert any("rule 7: hub H1 week 2: 11 t dispatched, capacity 10 t" in v
               for v in evaluate(inst, too_much).violations)
    assert Instance.from_dict(inst.to_dict()).reserved_t == {"H1": {1: 12.0, 2: 4.0}}


@pytest.mark.parametrize(("reserved", "message"), [
    ({"HX": {"0": 1}}, 'reserved_t["HX"]: unknown hub "HX"'),
    ({"H1": {"9": 1}}, 'reserved_t["H1"]["9"]: week 9 is outside the horizon'),
    ({"H1": {"x": 1}}, 'reserved_t["H1"]["x"]: the week must be an integer'),
    ({"H1": {"0": -1}}, 'reserved_t["H1"]["0"]: tonnes must be >= 0'),
])
def test_bad_reserved_tonnes(reserved: dict[str, Any], message: str) -> None:
    with pytest.raises(InstanceError) as exc:
        Instance.from_dict(base(reserved_t=reserved))
    assert message in str(exc.value)
