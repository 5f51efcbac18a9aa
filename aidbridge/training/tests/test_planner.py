"""Hand-solved seat plans, bad-input messages and the command line of the seat planner
(docs/training.md, "Seat planning")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from aidbridge.training.planner import (
    Assignment,
    Instance,
    InstanceError,
    Plan,
    evaluate,
    first_come,
    load_instance,
    load_plan,
    solve,
)
from aidbridge.training.planner.cli import main

DOCS = Path(__file__).resolve().parents[3] / "docs" / "training.md"

TRAVEL = {"UA": {"DE-GRF": 2, "PL-WAW": 1, "GB-LON": 5}}


def course(cid: str, seats: int = 12, language: str = "en", start: int = 10, end: int = 20,
           location: str = "DE-GRF", qualifies: tuple[str, ...] = ("GEN",), prerequisites: tuple[str, ...] = ()
           ) -> dict[str, Any]:
    return {"id": cid, "provider": "6", "seats": seats, "language": language, "start_day": start, "end_day": end,
            "location": location, "qualifies": list(qualifies), "prerequisites": list(prerequisites)}


def request(rid: str, trainees: int = 8, crew_size: int = 4, language: str = "en", item: str = "GEN",
            item_class: str | None = None, priority: int = 1, needed: int = 40, origin: str = "UA",
            holds: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"id": rid, "trainees": trainees, "crew_size": crew_size, "language": language, "item": item,
            "class": item_class, "priority": priority, "needed_by_day": needed, "origin": origin,
            "holds": list(holds)}


def instance(courses: list[dict[str, Any]], requests: list[dict[str, Any]],
             fixed: list[dict[str, Any]] | None = None, travel: dict[str, Any] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"schema": "aidbridge.seat-instance/1", "courses": courses, "requests": requests,
                         "travel_days": TRAVEL if travel is None else travel,
                         "priority_value": {"1": 1000, "2": 100, "3": 10, "4": 1}}
    if fixed:
        d["fixed"] = fixed
    return d


def plan_of(data: dict[str, Any]) -> tuple[Instance, Plan]:
    inst = Instance.from_dict(data)
    plan = solve(inst)
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert ev.objective == pytest.approx(plan.objective)
    assert plan.bound is not None and plan.bound >= plan.objective - 1e-6
    return inst, plan


def triples(plan: Plan) -> list[tuple[str, str, int]]:
    return [(a.request, a.course, a.seats) for a in plan.assignments]


# ------------------------------------------------------------------ hand-solved plans

def test_language_mismatch() -> None:
    # C1 is German, earlier and bigger; the English crews can only take C2.
    _, plan = plan_of(instance([course("C1", language="de", seats=20, end=15), course("C2", seats=8, end=30)],
                               [request("R1")]))
    assert triples(plan) == [("R1", "C2", 8)]
    assert plan.objective == pytest.approx(1000.0)
    assert plan.status == "optimal"
    _, none = plan_of(instance([course("C1", language="de")], [request("R1")]))
    assert triples(none) == [] and none.objective == 0.0


def test_course_ending_too_late_and_travel_back() -> None:
    # needed by day 40, travel 2: C1 ends 38 (home on day 40, in time), C2 ends 39 (home on 41, too late).
    _, plan = plan_of(instance([course("C1", seats=8, start=30, end=38), course("C2", seats=12, start=30, end=39)],
                               [request("R1", trainees=12)]))
    assert triples(plan) == [("R1", "C1", 8)]
    assert plan.objective == pytest.approx(1000 * 2 / 3)


def test_travel_time_to_the_course() -> None:
    # Trainees leave on day 0 at the earliest: London (5 days away) starting on day 4 is out of reach, Warsaw
    # (1 day) starting on day 1 is fine; Lisbon has no travel entry at all: unreachable.
    _, plan = plan_of(instance([course("LON", start=4, end=8, location="GB-LON"),
                                course("LIS", start=20, end=24, location="PT-LIS"),
                                course("WAW", seats=4, start=1, end=30, location="PL-WAW")],
                               [request("R1")]))
    assert triples(plan) == [("R1", "WAW", 4)]
    assert plan.objective == pytest.approx(500.0)


def test_prerequisites_chained() -> None:
    # A -> B -> C: R1 takes all three in order; R2 holds B, so it needs only C (B's own prerequisite A is not
    # needed either).
    courses = [course("A", start=2, end=5, qualifies=()),
               course("B", start=7, end=10, qualifies=(), prerequisites=("A",)),
               course("C", start=12, end=20, prerequisites=("B",))]
    _, plan = plan_of(instance(courses, [request("R1"), request("R2", trainees=4, holds=("B",))]))
    assert sorted(triples(plan)) == [("R1", "A", 8), ("R1", "B", 8), ("R1", "C", 8), ("R2", "C", 4)]
    assert plan.objective == pytest.approx(2000.0)
    # A that ends after B starts cannot be a prerequisite in time: only R2 (holding B) is trained.
    courses[0] = course("A", start=2, end=7, qualifies=())
    _, late = plan_of(instance(courses, [request("R1"), request("R2", trainees=4, holds=("B",))]))
    assert triples(late) == [("R2", "C", 4)]
    # with few seats on A, B and C are limited by A
    courses[0] = course("A", seats=4, start=2, end=5, qualifies=())
    _, scarce = plan_of(instance(courses, [request("R1")]))
    assert sorted(triples(scarce)) == [("R1", "A", 4), ("R1", "B", 4), ("R1", "C", 4)]
    assert scarce.objective == pytest.approx(500.0)


def test_two_courses_sharing_a_prerequisite_need_a_seat_each() -> None:
    # C1 and C2 both require P; P has 8 seats: two crews in all can go on, whichever course they take.
    courses = [course("P", seats=8, start=2, end=5, qualifies=()),
               course("C1", seats=4, start=8, end=12, prerequisites=("P",)),
               course("C2", seats=8, start=14, end=18, prerequisites=("P",))]
    _, plan = plan_of(instance(courses, [request("R1", trainees=12)]))
    assert plan.objective == pytest.approx(1000 * 2 / 3)
    seats = {(a.request, a.course): a.seats for a in plan.assignments}
    assert seats[("R1", "P")] == 8 and seats.get(("R1", "C1"), 0) + seats.get(("R1", "C2"), 0) == 8


def test_scarce_seats_go_to_priority_1_first_come_does_not() -> None:
    # One course, 8 seats. R2 (priority 2) is needed earlier, so first-come serves it; the plan gives the seats
    # to R1 (priority 1).
    data = instance([course("C", seats=8)],
                    [request("R1", priority=1, needed=40), request("R2", priority=2, needed=30)])
    inst, plan = plan_of(data)
    assert triples(plan) == [("R1", "C", 8)]
    assert plan.objective == pytest.approx(1000.0)
    base = first_come(inst)
    assert triples(base) == [("R2", "C", 8)]
    assert base.objective == pytest.approx(100.0)
    assert base.status == "feasible" and base.bound is None
    assert evaluate(inst, base).feasible


def test_whole_crews_only() -> None:
    # 9 seats: R1 is one crew of 4, R2 two crews of 3. Best: R1 (1000) + one crew of R2 (500); 9th seat empty.
    _, plan = plan_of(instance([course("C", seats=9)], [request("R1", trainees=4, crew_size=4),
                                                        request("R2", trainees=6, crew_size=3)]))
    assert triples(plan) == [("R1", "C", 4), ("R2", "C", 3)]
    assert plan.objective == pytest.approx(1500.0)
    # 10 seats and crews of 4: two crews (8 seats), never 10
    _, two = plan_of(instance([course("C", seats=10)], [request("R1", trainees=12)]))
    assert triples(two) == [("R1", "C", 8)]


def test_qualification_by_item_or_class() -> None:
    courses = [course("BY-CLASS", seats=4, qualifies=("C5",)), course("BY-ITEM", seats=4, qualifies=("GEN",)),
               course("OTHER", seats=12, qualifies=("RADIO",))]
    _, plan = plan_of(instance(courses, [request("R1", trainees=12, item="GEN", item_class="C5")]))
    assert sorted(triples(plan)) == [("R1", "BY-CLASS", 4), ("R1", "BY-ITEM", 4)]
    _, no_class = plan_of(instance(courses, [request("R1", trainees=12, item="GEN")]))
    assert triples(no_class) == [("R1", "BY-ITEM", 4)]


def test_fixed_assignments_come_first_and_take_seats() -> None:
    fixed = [{"request": "R1", "course": "C", "seats": 4}]
    inst, plan = plan_of(instance([course("C", seats=12)], [request("R1", trainees=4), request("R2", trainees=12)],
                                  fixed=fixed))
    assert triples(plan) == [("R1", "C", 4), ("R2", "C", 8)]
    assert plan.objective == pytest.approx(1000 + 1000 * 2 / 3)
    assert plan.assignments[0] == Assignment("R1", "C", 4)


def test_fixed_assignments_overbooking_a_course() -> None:
    # seats were lowered after approval: 8 fixed on 4 seats. Nothing new is planned there, and it is reported.
    fixed = [{"request": "R1", "course": "C", "seats": 8}]
    inst, plan = plan_of(instance([course("C", seats=4), course("D", seats=4, start=22, end=30)],
                                  [request("R1"), request("R2")], fixed=fixed))
    assert triples(plan) == [("R1", "C", 8), ("R2", "D", 4)]
    assert plan.stats["overbooked"] == [{"course": "C", "fixed": 8, "seats": 4}]
    assert inst.overbooked == plan.stats["overbooked"]


def test_fixed_crew_missing_its_prerequisite_is_completed() -> None:
    # a crew fixed on C lacks its seat on prerequisite P: the planner books it.
    courses = [course("P", seats=4, start=2, end=5, qualifies=()), course("C", prerequisites=("P",))]
    _, plan = plan_of(instance(courses, [request("R1")], fixed=[{"request": "R1", "course": "C", "seats": 4}]))
    assert triples(plan) == [("R1", "C", 4), ("R1", "P", 4)]
    assert plan.objective == pytest.approx(500.0)


def test_fixed_crew_that_cannot_be_completed_is_infeasible() -> None:
    courses = [course("P", seats=0, start=2, end=5, qualifies=()), course("C", prerequisites=("P",))]
    data = instance(courses, [request("R1")], fixed=[{"request": "R1", "course": "C", "seats": 4}])
    inst = Instance.from_dict(data)
    plan = solve(inst)
    assert plan.status == "infeasible"
    assert triples(plan) == [("R1", "C", 4)]
    assert first_come(inst).status == "infeasible"


def test_fixed_seats_on_a_pair_the_rules_forbid_take_seats_but_train_nobody() -> None:
    # the crew was approved on C, but its equipment now arrives earlier (needed by day 15 < 20 + 2)
    inst, plan = plan_of(instance([course("C", seats=8), course("D", seats=4, start=2, end=10)],
                                  [request("R1", needed=15), request("R2", needed=40)],
                                  fixed=[{"request": "R1", "course": "C", "seats": 4}]))
    assert triples(plan) == [("R1", "C", 4), ("R1", "D", 4), ("R2", "C", 4)]
    assert plan.objective == pytest.approx(500 + 500)


def test_fixed_crews_beyond_the_request_are_facts() -> None:
    # the request was cut to 2 crews after 3 were approved: the plan keeps them and adds nothing
    fixed = [{"request": "R1", "course": "C", "seats": 8}, {"request": "R1", "course": "D", "seats": 4}]
    inst, plan = plan_of(instance([course("C"), course("D", start=22, end=30)], [request("R1")], fixed=fixed))
    assert triples(plan) == [("R1", "C", 8), ("R1", "D", 4)]
    assert plan.objective == pytest.approx(1000.0)
    assert evaluate(inst, plan).trained_crews == {"R1": 2}


def test_overlapping_prerequisites_of_one_crew() -> None:
    # C needs both P1 and P2, which overlap in time: nobody can take both, so C is out of reach.
    courses = [course("P1", start=2, end=6, qualifies=()), course("P2", start=5, end=8, qualifies=()),
               course("C", start=10, end=20, prerequisites=("P1", "P2"))]
    _, plan = plan_of(instance(courses, [request("R1")]))
    assert triples(plan) == []
    courses[1] = course("P2", start=7, end=8, qualifies=())
    _, ok = plan_of(instance(courses, [request("R1")]))
    assert sorted(triples(ok)) == [("R1", "C", 8), ("R1", "P1", 8), ("R1", "P2", 8)]


def test_empty_and_time_limit() -> None:
    _, plan = plan_of(instance([], []))
    assert plan.status == "optimal" and plan.objective == 0.0 and plan.assignments == ()
    inst = Instance.from_dict(instance([course("C")], [request("R1")]))
    seen: list[float] = []
    limited = solve(inst, time_limit=5, progress=lambda f, m: seen.append(f))
    assert limited.objective == pytest.approx(1000.0)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_evaluate_reports_every_broken_rule() -> None:
    courses = [course("P", seats=4, start=2, end=5, qualifies=()), course("C", seats=4, prerequisites=("P",)),
               course("DE", language="de")]
    inst = Instance.from_dict(instance(courses, [request("R1"), request("R2", trainees=4)]))
    bad = Plan("feasible", 0.0, None, (
        Assignment("R1", "C", 3),          # not whole crews
        Assignment("R1", "C", 8),          # overbooks C and lacks P for the second crew
        Assignment("R1", "P", 4),
        Assignment("R2", "DE", 4),         # language
        Assignment("R2", "C", 4),          # overbooks C, and R2 lacks P
    ))
    ev = evaluate(inst, bad)
    text = "\n".join(ev.violations)
    assert "rule 1: assignment[0]" in text
    assert "rule 2: R2 on DE" in text
    assert "rule 3: course C: 12 new seats booked, only 4 free" in text
    assert "rule 4: R1: 2 crews go on from prerequisite P, but only 1" in text
    assert "rule 4: R2: 1 crews go on from prerequisite P, but only 0" in text
    over = Plan("feasible", 0.0, None, (Assignment("R2", "C", 4), Assignment("R2", "P", 4),
                                        Assignment("R2", "C", 4), Assignment("R2", "P", 4)))
    assert any("rule 5: R2: 2 crews planned, only 1 requested" in v for v in evaluate(inst, over).violations)


def test_round_trip_dicts() -> None:
    data = instance([course("A", qualifies=()), course("C", start=22, end=30, prerequisites=("A",))],
                    [request("R1", item_class="C5", holds=("X",))],
                    fixed=[{"request": "R1", "course": "A", "seats": 4}])
    inst = Instance.from_dict(data)
    again = Instance.from_dict(inst.to_dict(), require_schema=True)
    assert again.to_dict() == inst.to_dict()
    plan = solve(inst)
    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_the_documented_example() -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```json\n")[1:]]
    inst = Instance.from_dict(json.loads(blocks[0]), require_schema=True)
    documented = Plan.from_dict(json.loads(blocks[1]))
    plan = solve(inst)
    assert (plan.status, plan.objective, plan.bound) == (documented.status, documented.objective, documented.bound)
    assert plan.assignments == documented.assignments
    assert evaluate(inst, documented).feasible


def test_fallback_to_first_come_when_highs_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    solve_module = importlib.import_module("aidbridge.training.planner.solve")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(solve_module, "_mip", broken)
    data = instance([course("C", seats=8)],
                    [request("R1", priority=1, needed=40), request("R2", priority=2, needed=30)])
    inst = Instance.from_dict(data)
    plan = solve(inst)
    assert plan.status == "feasible" and plan.bound is None
    assert triples(plan) == [("R2", "C", 8)]
    assert "internal error in the MIP (RuntimeError: boom)" in plan.stats["fallback"]
    src, out = tmp_path / "i.json", tmp_path / "p.json"
    src.write_text(json.dumps(data))
    assert main(["--input", str(src), "--output", str(out), "--quiet"]) == 3
    assert "fallback to first-come:" in capsys.readouterr().err
    # and with fixed crews that first-come cannot complete either: status "error", never an exception
    courses = [course("P", seats=0, start=2, end=5, qualifies=()), course("C", prerequisites=("P",))]
    stuck = Instance.from_dict(instance(courses, [request("R1")], fixed=[{"request": "R1", "course": "C",
                                                                          "seats": 4}]))
    err = solve(stuck)
    assert err.status == "error" and "boom" in err.stats["error"]
    assert triples(err) == [("R1", "C", 4)]


# ------------------------------------------------------------------ bad input

def _mut(fn: Any) -> dict[str, Any]:
    d = copy.deepcopy(instance([course("CRS-1", qualifies=()),
                                course("CRS-2", start=22, end=30, prerequisites=("CRS-1",))], [request("TRQ-1")]))
    fn(d)
    return d


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("schema", _mut(lambda d: d.update(schema="x/1")), "schema: expected 'aidbridge.seat-instance/1'"),
    ("top key", _mut(lambda d: d.update(cources=[])), '"cources": unknown top-level key (did you mean "courses"?)'),
    ("course key", _mut(lambda d: d["courses"][0].update(seat=3)),
     'courses[0] (id "CRS-1"): unknown course key "seat" (did you mean "seats"?)'),
    ("request qualifies", _mut(lambda d: d["requests"][0].update(qualifies="GEN")),
     'requests[0] (id "TRQ-1"): unknown request key "qualifies"'),
    ("prereq", _mut(lambda d: d["courses"][1].update(prerequisites=["CRS-99"])),
     'courses[1] (id "CRS-2"): unknown prerequisite "CRS-99"'),
    ("cycle", _mut(lambda d: d["courses"][0].update(prerequisites=["CRS-2"])), "prerequisites form a cycle"),
    ("self", _mut(lambda d: d["courses"][0].update(prerequisites=["CRS-1"])), "the course is its own prerequisite"),
    ("dup course", _mut(lambda d: d["courses"].append(dict(d["courses"][0]))), 'duplicate course id "CRS-1"'),
    ("dup request", _mut(lambda d: d["requests"].append(dict(d["requests"][0]))), 'duplicate request id "TRQ-1"'),
    ("seats", _mut(lambda d: d["courses"][0].update(seats=-1)), 'courses[0] (id "CRS-1"): seats must be >= 0'),
    ("frac seats", _mut(lambda d: d["courses"][0].update(seats=2.5)), "seats must be an integer"),
    ("dates", _mut(lambda d: d["courses"][0].update(end_day=1)), "end_day 1 is before start_day 10"),
    ("crews", _mut(lambda d: d["requests"][0].update(trainees=10)),
     'requests[0] (id "TRQ-1"): trainees (10) must be a whole number of crews of 4'),
    ("crew size", _mut(lambda d: d["requests"][0].update(crew_size=0)), "crew_size must be >= 1"),
    ("priority", _mut(lambda d: d["requests"][0].update(priority=7)), "priority 7 has no entry in priority_value"),
    ("language", _mut(lambda d: d["requests"][0].update(language="")), "language must be a non-empty string"),
    ("travel", _mut(lambda d: d.update(travel_days={"UA": {"DE-GRF": -1}})),
     'travel_days["UA"]["DE-GRF"]: days must be >= 0'),
    ("fixed request", _mut(lambda d: d.update(fixed=[{"request": "TRQ-9", "course": "CRS-1", "seats": 4}])),
     'fixed[0]: unknown request "TRQ-9"'),
    ("fixed course", _mut(lambda d: d.update(fixed=[{"request": "TRQ-1", "course": "CRS-9", "seats": 4}])),
     'fixed[0]: unknown course "CRS-9"'),
    ("fixed crews", _mut(lambda d: d.update(fixed=[{"request": "TRQ-1", "course": "CRS-1", "seats": 6}])),
     "fixed[0]: 6 seats is not a whole number of crews of 4"),
    ("fixed too many", _mut(lambda d: d.update(fixed=[{"request": "TRQ-1", "course": "CRS-1", "seats": 12}])),
     "exceed its 8 trainees"),
    ("fixed key", _mut(lambda d: d.update(fixed=[{"request": "TRQ-1", "course": "CRS-1", "seat": 4}])),
     'fixed[0]: unknown assignment key "seat" (did you mean "seats"?)'),
    ("not a list", _mut(lambda d: d.update(courses={})), "courses: expected a list"),
    ("pv", _mut(lambda d: d.update(priority_value={"1": -5})), 'priority_value["1"]: value must be'),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_entry(name: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(InstanceError) as exc:
        Instance.from_dict(data)
    assert message in str(exc.value)


def test_missing_schema_in_a_file(tmp_path: Path) -> None:
    data = instance([], [])
    del data["schema"]
    (tmp_path / "i.json").write_text(json.dumps(data))
    with pytest.raises(InstanceError, match="schema: missing"):
        load_instance(tmp_path / "i.json")


# ------------------------------------------------------------------ command line

def test_cli_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = instance([course("C", seats=8)],
                    [request("R1", priority=1, needed=40), request("R2", priority=2, needed=30)])
    src, out = tmp_path / "i.json", tmp_path / "p.json"
    src.write_text(json.dumps(data))
    assert main(["--input", str(src), "--output", str(out), "--quiet"]) == 0
    plan = load_plan(out)
    assert plan.status == "optimal" and triples(plan) == [("R1", "C", 8)]
    assert evaluate(load_instance(src), plan).feasible
    assert "status=optimal objective=1000" in capsys.readouterr().out
    assert main(["--input", str(src), "--output", str(out), "--method", "first-come", "--quiet"]) == 0
    assert triples(load_plan(out)) == [("R2", "C", 8)]
    assert main(["--input", str(src), "--output", str(out), "--time-limit", "none"]) == 0


def test_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.json"
    assert main(["--input", str(tmp_path / "missing.json"), "--output", str(out)]) == 2
    assert "instance file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["--input", str(bad), "--output", str(out)]) == 2
    assert "invalid JSON at line 1" in capsys.readouterr().err
    bad.write_text(json.dumps(_mut(lambda d: d["courses"][1].update(prerequisites=["CRS-99"]))))
    assert main(["--input", str(bad), "--output", str(out)]) == 2
    assert 'unknown prerequisite "CRS-99"' in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(SystemExit) as exc:
        main(["--input", str(bad), "--output", str(out), "--time-limit", "-1"])
    assert exc.value.code == 2


def test_cli_infeasible_exits_1(tmp_path: Path) -> None:
    courses = [course("P", seats=0, start=2, end=5, qualifies=()), course("C", prerequisites=("P",))]
    src, out = tmp_path / "i.json", tmp_path / "p.json"
    src.write_text(json.dumps(instance(courses, [request("R1")], fixed=[{"request": "R1", "course": "C", "seats": 4}])))
    assert main(["--input", str(src), "--output", str(out), "--quiet"]) == 1
    assert load_plan(out).status == "infeasible"
