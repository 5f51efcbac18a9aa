"""Bad input gives InstanceError naming the entry; the CLI exits 2 and writes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from aidbridge.allocation.solver import Instance, InstanceError, load_instance, load_plan
from aidbridge.allocation.solver.cli import main
from aidbridge.allocation.solver.evaluate import evaluate

from .solver_helpers import base

DATA = Path(__file__).parent / "data"


def _mut(fn: Any) -> dict[str, Any]:
    d = copy.deepcopy(base())
    fn(d)
    return d


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("schema", _mut(lambda d: d.update(schema="other/1")), "schema"),
    ("weeks", _mut(lambda d: d.update(weeks=0)), "weeks"),
    ("unknown item", _mut(lambda d: d["pledges"][0].update(item="X")), 'pledges[0] (id "P1"): unknown item "X"'),
    ("zero qty", _mut(lambda d: d["pledges"][0].update(quantity=0)), 'pledges[0] (id "P1"): quantity'),
    ("neg qty", _mut(lambda d: d["requirements"][0].update(quantity=-3)), 'requirements[0] (id "R1"): quantity'),
    ("frac qty", _mut(lambda d: d["pledges"][0].update(quantity=2.5)), 'pledges[0] (id "P1"): quantity'),
    ("dup id", _mut(lambda d: d["pledges"].append(dict(d["pledges"][0]))), 'duplicate pledge id "P1"'),
    ("lead_in hub", _mut(lambda d: d["lead_in_weeks"]["O"].update(HX=1)), 'lead_in_weeks["O"]["HX"]: unknown hub'),
    ("lead_out hub", _mut(lambda d: d["lead_out_weeks"].update(HX={"D": 1})), 'lead_out_weeks["HX"]'),
    ("cost hub", _mut(lambda d: d.update(cost_in_per_t={"O": {"HX": 0.1}})), 'cost_in_per_t["O"]["HX"]'),
    ("package req", _mut(lambda d: d.update(packages=[{"id": "K1", "requirements": ["R1", "R9"]}])),
     "packages[0] (id \"K1\"): unknown requirement 'R9'"),
    ("hub unreached", _mut(lambda d: d.update(lead_in_weeks={})), 'hubs[0] (id "H1"): no origin reaches'),
    ("hub dead end", _mut(lambda d: d.update(lead_out_weeks={})), 'hubs[0] (id "H1"): reaches no destination'),
    ("priority", _mut(lambda d: d["requirements"][0].update(priority=7)), 'requirements[0] (id "R1"): priority 7'),
    ("neg lead", _mut(lambda d: d["lead_in_weeks"]["O"].update(H1=-1)), 'lead_in_weeks["O"]["H1"]'),
    ("weight", _mut(lambda d: d["items"][0].update(weight_t=0)), 'items[0] (id "A"): weight_t'),
    ("fixed over", _mut(lambda d: d.update(fixed_flows=[{"pledge": "P1", "requirement": "R1", "hub": "H1",
                                                          "ship_week": 0, "dispatch_week": 0, "quantity": 11}])),
     "fixed_flows[0]: fixed flows exceed the quantity"),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_dict(name: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(InstanceError) as exc:
        Instance.from_dict(data)
    assert message in str(exc.value)


@pytest.mark.parametrize(("name", "data", "message"), BAD[:6], ids=[b[0] for b in BAD[:6]])
def test_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: dict[str, Any],
                       message: str) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps(data))
    out = tmp_path / "plan.json"
    assert main(["--input", str(src), "--output", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(("fname", "message"), [
    ("bad_unknown_item.json", 'pledges[3] (id "P4"): unknown item "X"'),
    ("bad_json.json", "invalid JSON"),
    ("does_not_exist.json", "not found"),
])
def test_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], fname: str, message: str) -> None:
    with pytest.raises(InstanceError) as exc:
        load_instance(DATA / fname)
    assert message in str(exc.value)
    out = tmp_path / "plan.json"
    assert main(["--input", str(DATA / fname), "--output", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_cli_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str], method: str) -> None:
    out = tmp_path / "plan.json"
    rc = main(["--input", str(DATA / "small_ok.json"), "--output", str(out), "--method", method,
               "--time-limit", "30"])
    assert rc == 0
    captured = capsys.readouterr()
    assert "status=" in captured.out and "objective=" in captured.out and "gap=" in captured.out
    assert "%" in captured.err  # progress bar
    raw = json.loads(out.read_text())
    assert raw["schema"] == "aidbridge.allocation-plan/1"
    plan = load_plan(out)
    inst = load_instance(DATA / "small_ok.json")
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert ev.objective == pytest.approx(plan.objective, rel=1e-9, abs=1e-6)
    assert plan.stats["method"] == method
