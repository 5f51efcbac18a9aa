"""The what-if engine on hand-solved scenarios, and its invariants as properties (no database)."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.allocation.solver import Flow, Instance, Plan, evaluate, generate
from aidbridge.whatif import engine
from aidbridge.whatif.engine import PerturbationError


def tiny(hubs: dict[str, float] | None = None) -> Instance:
    """One item, two donors (DE 7 units, US 3), one P1 requirement of 8 and one P2 of 2, both due in week 1.
    Filling both completely and on time is worth 1000 + 100."""
    hubs = hubs or {"H1": 100.0}
    return Instance.from_dict({
        "weeks": 4,
        "items": [{"id": "A", "weight_t": 1.0}],
        "hubs": [{"id": h, "capacity_t_per_week": c} for h, c in hubs.items()],
        "lead_in_weeks": {"DE": {h: 0 for h in hubs}, "US": {h: 0 for h in hubs}},
        "lead_out_weeks": {h: {"UA-LWO": 0} for h in hubs},
        "pledges": [
            {"id": "P-DE", "donor": "DE", "origin": "DE", "item": "A", "quantity": 7, "available_week": 0},
            {"id": "P-US", "donor": "US", "origin": "US", "item": "A", "quantity": 3, "available_week": 0},
        ],
        "requirements": [
            {"id": "R1", "item": "A", "quantity": 8, "priority": 1, "due_week": 1, "destination": "UA-LWO"},
            {"id": "R2", "item": "A", "quantity": 2, "priority": 2, "due_week": 1, "destination": "UA-LWO"},
        ],
        "priority_value": {"1": 1000, "2": 100},
        "lateness_decay_per_week": 0.1,
    })


@pytest.fixture(scope="module")
def base() -> engine.Baseline:
    return engine.prepare_baseline(tiny())


def scenario_plan(baseline: engine.Baseline, result: dict[str, Any]) -> tuple[Instance, Plan]:
    scen = engine.scenario_instance(baseline, result["perturbations"])
    flows = tuple(Flow(**f) for f in result["plan"]["flows"])
    return scen, Plan("feasible", result["objective"], result["bound"], flows)


def test_the_baseline_fills_everything(base: engine.Baseline) -> None:
    assert base.plan.objective == pytest.approx(1100)
    assert base.bound == pytest.approx(1100)


def test_no_perturbation_is_the_baseline(base: engine.Baseline) -> None:
    res = engine.run_scenario(base, [])
    assert res["objective"] == pytest.approx(base.plan.objective)
    assert res["loss_share"] == 0
    assert res["requirements_losing"] == [] and res["backfill"] == [] and res["single_points_of_failure"] == []
    assert res["time_to_survive_week"] is None
    assert [Flow(**f) for f in res["plan"]["flows"]] == list(base.plan.flows)


def test_the_largest_donor_withdraws(base: engine.Baseline) -> None:
    res = engine.run_scenario(base, [{"kind": "withdraw_donor", "donor": "DE"}], name="DE walks away")
    # US's 3 units go to the P1 requirement (125 points a unit, against 50 for P2)
    assert res["objective"] == pytest.approx(375)
    assert res["bound"] == pytest.approx(375) and res["gap"] == pytest.approx(0)
    assert res["loss_share"] == pytest.approx(725 / 1100)
    assert res["time_to_survive_week"] == 1  # week 1: 3 of 8 P1 units, against all 8 in the baseline
    assert res["coverage_by_week"] == {"weeks": [0, 1, 2, 3], "baseline": [1.0, 1.0, 1.0, 1.0],
                                       "scenario": [1.0, 0.375, 0.375, 0.375]}
    assert [(r["requirement"], r["units_lost"], r["points_lost"]) for r in res["requirements_losing"]] == [
        ("R1", 5, 625.0), ("R2", 2, 100.0)]
    assert res["backfill"] == [{"item": "A", "week": 1, "units_short": 7, "donors": [{"donor": "US", "units": 3}]}]
    assert res["single_points_of_failure"] == [{"item": "A", "baseline": 1000.0, "scenario": 375.0}]
    assert res["fill_by_priority"]["1"] == {"required": 8, "baseline": 8, "scenario": 3, "value": 1000.0,
                                            "points_baseline": 1000.0, "points_scenario": 375.0}
    assert res["schema"] == "aidbridge.whatif-result/1" and res["name"] == "DE walks away"


def test_a_withdrawal_from_a_later_week_keeps_what_was_shipped_before(base: engine.Baseline) -> None:
    # whatever the baseline ships in week 0 still arrives; the rest of DE's pledge goes
    shipped = sum(f.quantity for f in base.plan.flows if f.pledge == "P-DE" and f.ship_week < 1)
    res = engine.run_scenario(base, [{"kind": "withdraw_donor", "donor": "DE", "from_week": 1}])
    assert shipped == 7  # pledges ship in their available week
    assert res["objective"] == pytest.approx(1100) and res["loss_share"] == 0


def test_a_hub_closes_and_the_other_one_is_tight() -> None:
    b = engine.prepare_baseline(tiny({"H1": 4.0, "H2": 4.0}))
    assert b.plan.objective == pytest.approx(1100)
    res = engine.run_scenario(b, [{"kind": "close_hub", "hub": "H1"}])
    # H2 alone carries 4 units a week: R1's 8 on time (weeks 0-1), R2's 2 one week late (decay 0.9)
    assert res["objective"] == pytest.approx(1000 + 2 * 50 * 0.9)
    assert res["loss_share"] == pytest.approx(10 / 1100)
    assert res["backfill"] == []  # every unit still arrives; only lateness is lost
    assert [(r["requirement"], r["units_lost"], r["points_lost"]) for r in res["requirements_losing"]] == [
        ("R2", 0, 10.0)]


def test_a_capacity_cut_for_some_weeks() -> None:
    b = engine.prepare_baseline(tiny({"H1": 10.0}))
    res = engine.run_scenario(b, [{"kind": "close_hub", "hub": "H1", "cut": 0.5, "from_week": 0, "to_week": 1}])
    # 5 units a week in weeks 0-1: R1 8 on time, R2 2 on time; nothing lost
    assert res["objective"] == pytest.approx(1100)
    res = engine.run_scenario(b, [{"kind": "close_hub", "hub": "H1", "cut": 0.8, "from_week": 0, "to_week": 1}])
    # 2 units a week on time (4 units: R1), then 10 a week: R1's other 4 and R2 one week late
    assert res["objective"] == pytest.approx(4 * 125 + 4 * 125 * 0.9 + 2 * 50 * 0.9)


def test_a_donor_delays(base: engine.Baseline) -> None:
    res = engine.run_scenario(base, [{"kind": "delay_donor", "donor": "DE", "weeks": 1}])
    # DE's 7 units arrive in week 1: still on time
    assert res["objective"] == pytest.approx(1100)
    res = engine.run_scenario(base, [{"kind": "delay_donor", "donor": "DE", "weeks": 2}])
    # US's 3 to R1 on time; DE's 7 one week late: 5 to R1, 2 to R2
    assert res["objective"] == pytest.approx(375 + 5 * 125 * 0.9 + 2 * 50 * 0.9)


def test_lead_times_rise(base: engine.Baseline) -> None:
    res = engine.run_scenario(base, [{"kind": "lead_time", "leg": "out", "from": "H1", "to": "*", "weeks": 2}])
    assert res["objective"] == pytest.approx(1100 * 0.9)  # everything arrives in week 2, one week late
    res = engine.run_scenario(base, [{"kind": "lead_time", "leg": "in", "from": "US", "to": "*", "weeks": 3}])
    # US's units reach the hub in week 3: two weeks late
    assert res["objective"] == pytest.approx(7 * 125 + 1 * 125 * 0.8 + 2 * 50 * 0.8)


def test_demand_surges(base: engine.Baseline) -> None:
    res = engine.run_scenario(base, [{"kind": "demand_surge", "items": ["A"], "share": 0.5}])
    # R1 needs 12 and R2 needs 3: a unit of R1 is worth 1000/12 > 100/3, so all 10 units go to R1; the gap
    # opened is R1's 2 more units and all 3 of R2's (which the baseline filled)
    assert res["objective"] == pytest.approx(10 * 1000 / 12)
    assert res["backfill"] == [{"item": "A", "week": 1, "units_short": 5,
                                "donors": [{"donor": "DE", "units": 7}, {"donor": "US", "units": 3}]}]


def test_perturbations_compose(base: engine.Baseline) -> None:
    res = engine.run_scenario(base, [{"kind": "withdraw_donor", "donor": "US"},
                                     {"kind": "lead_time", "leg": "out", "from": "*", "to": "UA-LWO", "weeks": 1}])
    assert res["objective"] == pytest.approx(7 * 125)  # one week more is still on time (due week 1)


@pytest.mark.parametrize(("perts", "message"), [
    ([{"kind": "withdraw"}], "perturbations[0]: unknown kind 'withdraw'"),
    ([{"kind": "withdraw_donor"}], "perturbations[0] (withdraw_donor): donor is required"),
    ([{"kind": "withdraw_donor", "donor": "FR"}], "donor 'FR' has no pledge"),
    ([{"kind": "withdraw_donor", "donor": "DE", "from_week": -1}], "from_week must be a whole number"),
    ([{}, {"kind": "close_hub", "hub": "XX"}], "perturbations[0]: unknown kind None"),
    ([{"kind": "close_hub", "hub": "XX"}], "perturbations[0] (close_hub): unknown hub 'XX'"),
    ([{"kind": "close_hub", "hub": "H1", "cut": 1.5}], "cut must be a number above 0 and at most 1"),
    ([{"kind": "close_hub", "hub": "H1", "from_week": 3, "to_week": 2}],
     "to_week must be a whole number of at least 3, not 2"),
    ([{"kind": "lead_time", "leg": "sideways", "weeks": 1}], "leg must be"),
    ([{"kind": "lead_time", "leg": "in", "from": "FR", "weeks": 1}], "unknown from 'FR'"),
    ([{"kind": "demand_surge", "items": "A", "share": 0.1}], "items must be a non-empty list"),
    ([{"kind": "demand_surge", "items": ["B"], "share": 0.1}], "unknown item 'B'"),
    ([{"kind": "delay_donor", "donor": "DE", "weeks": 2, "speed": 1}], "unknown field 'speed'"),
    ("withdraw DE", "perturbations must be a list"),
])
def test_bad_perturbations_say_where(base: engine.Baseline, perts: Any, message: str) -> None:
    with pytest.raises(PerturbationError, match=re.escape(message)):
        engine.run_scenario(base, perts)


def test_the_threshold_must_be_a_share(base: engine.Baseline) -> None:
    with pytest.raises(ValueError, match="threshold"):
        engine.run_scenario(base, [], threshold=1.5)


def test_the_baseline_survives_a_round_trip_through_json(base: engine.Baseline) -> None:
    import json

    again = engine.Baseline.from_dict(json.loads(json.dumps(base.to_dict())))
    res = engine.run_scenario(again, [{"kind": "withdraw_donor", "donor": "DE"}])
    assert res["objective"] == pytest.approx(375)


def test_a_sweep_document(base: engine.Baseline) -> None:
    doc = engine.run_sweep(base.instance, "donors", baseline=base)
    assert doc["schema"] == "aidbridge.whatif-sweep/1"
    assert doc["baseline"]["objective"] == pytest.approx(1100)
    assert [(s["name"], s["kind"], s["target"]) for s in doc["scenarios"]] == [
        ("DE withdraws", "withdraw_donor", "DE"), ("US withdraws", "withdraw_donor", "US")]
    de, us = doc["scenarios"]
    assert de["loss_share"] == pytest.approx(725 / 1100) and de["time_to_survive_week"] == 1
    assert us["objective"] == pytest.approx(7 * 125)
    assert {"objective", "bound", "loss_share", "time_to_survive_week", "requirements_losing"} <= set(de)
    hubs = engine.run_sweep(base.instance, "hubs", baseline=base)
    assert [s["target"] for s in hubs["scenarios"]] == ["H1"] and hubs["scenarios"][0]["loss_share"] == 1.0
    with pytest.raises(ValueError, match="unknown sweep kind"):
        engine.sweep_targets(base.instance, "routes")


def small(seed: int) -> Instance:
    return generate(n_donors=5, n_items=25, n_pledges=120, n_requirements=60, n_hubs=3, weeks=10, seed=seed,
                    package_share=0.1)


def test_two_worker_processes_give_the_single_process_sweep() -> None:
    inst = small(7)
    b = engine.prepare_baseline(inst)
    one = engine.run_sweep(inst, "donors", baseline=b, workers=1)
    two = engine.run_sweep(inst, "donors", baseline=b, workers=2)
    key = [(s["target"], s["objective"], s["bound"], s["loss_share"]) for s in one["scenarios"]]
    assert key == [(s["target"], s["objective"], s["bound"], s["loss_share"]) for s in two["scenarios"]]


PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)


@PROPERTY
@given(seed=st.integers(0, 10_000), donor=st.integers(0, 4), week=st.integers(0, 6), lose=st.booleans())
def test_removing_supply_never_raises_the_optimum(seed: int, donor: int, week: int, lose: bool) -> None:
    inst = small(seed)
    b = engine.prepare_baseline(inst)
    donors = sorted({p.donor for p in inst.pledges})
    perts = [{"kind": "withdraw_donor", "donor": donors[donor % len(donors)], "from_week": week,
              "lose_allocated": lose}]
    res = engine.run_scenario(b, perts)
    scen, plan = scenario_plan(b, res)
    ev = evaluate(scen, plan)
    assert ev.feasible, ev.violations[:3]
    assert ev.objective == pytest.approx(res["objective"], abs=1e-6)
    # the scenario's bound is proven, and removing supply cannot raise it above the baseline's
    assert res["objective"] <= res["bound"] + 1e-6
    assert res["bound"] <= sum(b.item_bound.values()) + 1e-6
    assert res["objective"] <= b.bound + 1e-6
    assert 0.0 <= res["loss_share"] <= 1.0


@PROPERTY
@given(seed=st.integers(0, 10_000), hub=st.integers(0, 2), cut=st.sampled_from([0.3, 1.0]),
       weeks=st.sampled_from([(0, None), (2, 5)]), surge=st.sampled_from([0.0, 0.5]))
def test_every_scenario_is_feasible_and_exposure_is_a_share(seed: int, hub: int, cut: float,
                                                            weeks: tuple[int, int | None], surge: float) -> None:
    inst = small(seed)
    b = engine.prepare_baseline(inst)
    perts: list[dict[str, Any]] = [{"kind": "close_hub", "hub": inst.hubs[hub].id, "cut": cut,
                                    "from_week": weeks[0], "to_week": weeks[1]}]
    if surge:
        perts.append({"kind": "demand_surge", "items": [inst.items[0].id], "share": surge})
    res = engine.run_scenario(b, perts)
    scen, plan = scenario_plan(b, res)
    ev = evaluate(scen, plan)
    assert ev.feasible, ev.violations[:3]
    assert res["objective"] <= res["bound"] + 1e-6
    assert 0.0 <= res["loss_share"] <= 1.0
    assert all(0.0 <= c <= 1.0 for c in res["coverage_by_week"]["scenario"])
    assert all(not math.isnan(r["points_lost"]) for r in res["requirements_losing"])


@PROPERTY
@given(seed=st.integers(0, 10_000))
def test_a_scenario_with_no_perturbation_equals_the_baseline(seed: int) -> None:
    b = engine.prepare_baseline(small(seed))
    res = engine.run_scenario(b, [])
    assert res["objective"] == pytest.approx(b.plan.objective)
    assert res["loss_share"] == 0 and res["requirements_losing"] == []
    assert res["time_to_survive_week"] is None


def test_approved_allocations_of_a_withdrawing_donor_are_lost_or_kept() -> None:
    data = tiny().to_dict()
    data["fixed_flows"] = [{"pledge": "P-DE", "requirement": "R2", "hub": "H1", "ship_week": 0, "dispatch_week": 0,
                            "quantity": 2}]
    b = engine.prepare_baseline(Instance.from_dict(data))
    assert b.plan.objective == pytest.approx(1100)
    lost = engine.run_scenario(b, [{"kind": "withdraw_donor", "donor": "DE"}])
    assert lost["objective"] == pytest.approx(375) and lost["released"] == {"flows": 1, "units": 2}
    kept = engine.run_scenario(b, [{"kind": "withdraw_donor", "donor": "DE", "lose_allocated": False}])
    assert kept["objective"] == pytest.approx(100 + 375) and kept["released"] == {"flows": 0, "units": 0}
