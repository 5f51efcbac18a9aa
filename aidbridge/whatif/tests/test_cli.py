"""``aidbridge whatif run|sweep`` on an instance file (a small generated one) and on the database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aidbridge.allocation import solver
from aidbridge.audit.models import AuditEvent
from aidbridge.whatif import engine, services
from aidbridge.whatif.models import ScenarioRun, Status


@pytest.fixture(scope="module")
def instance() -> solver.Instance:
    return solver.generate(n_donors=4, n_items=10, n_pledges=40, n_requirements=20, n_hubs=2, weeks=8, seed=1)


@pytest.fixture
def instance_file(instance, tmp_path) -> Path:
    path = tmp_path / "instance.json"
    solver.dump_instance(instance, path)
    return path


def whatif(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("whatif", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_run_on_a_file_writes_the_result_and_a_summary(instance, instance_file, tmp_path):
    output = tmp_path / "result.json"
    out, err = whatif("run", "--input", str(instance_file), "--withdraw-donor", "DE", "--from-week", "2",
                      "--output", str(output))
    result = json.loads(output.read_text())
    assert result["schema"] == "aidbridge.whatif-result/1"
    assert result["perturbations"] == [{"kind": "withdraw_donor", "donor": "DE", "from_week": 2,
                                        "lose_allocated": True}]
    assert 0 <= result["loss_share"] <= 1 and result["objective"] <= result["bound"] + 1e-6
    assert "loss share" in out and "100%" in err  # the summary, and the progress bar on stderr
    # The same answer as the engine gives when called directly.
    direct = engine.run_scenario(engine.prepare_baseline(instance), result["perturbations"])
    assert result["objective"] == pytest.approx(direct["objective"])
    assert result["loss_share"] == pytest.approx(direct["loss_share"])


def test_run_options_combine_and_json_goes_to_stdout_without_output(instance_file):
    out, err = whatif("run", "--input", str(instance_file), "--close-hub", "PL-RZE", "--cut", "0.5", "--to-week", "3",
                      "--delay-donor", "US", "--weeks", "2", "--lead-time", "in", "*", "RO-SCV", "--surge",
                      "I0001,I0002", "--share", "0.5", "--keep-allocated", "--quiet")
    result = json.loads(out)
    assert [p["kind"] for p in result["perturbations"]] == ["close_hub", "delay_donor", "lead_time", "demand_surge"]
    assert result["perturbations"][0]["cut"] == 0.5 and result["perturbations"][0]["to_week"] == 3
    assert "loss share" in err and "%  " not in err  # the summary goes to stderr; --quiet: no bar


def test_bad_input_is_refused_with_exit_status_2(instance_file, tmp_path):
    with pytest.raises(CommandError) as exc:
        whatif("run", "--input", str(instance_file), "--withdraw-donor", "XX", "--quiet")
    assert exc.value.returncode == 2 and "perturbations[0]" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        whatif("run", "--input", str(instance_file), "--delay-donor", "DE")
    assert exc.value.returncode == 2 and "--weeks" in str(exc.value)
    missing = tmp_path / "missing.json"
    with pytest.raises(CommandError) as exc:
        whatif("sweep", "--input", str(missing), "--hubs")
    assert exc.value.returncode == 2 and "missing.json" in str(exc.value)


def test_sweep_on_a_file(instance, instance_file, tmp_path):
    output = tmp_path / "sweep.json"
    out, err = whatif("sweep", "--input", str(instance_file), "--donors", "--output", str(output))
    doc = json.loads(output.read_text())
    assert doc["schema"] == "aidbridge.whatif-sweep/1"
    assert [s["target"] for s in doc["scenarios"]] == [t for _, t, _ in engine.sweep_targets(instance, "donors")]
    assert {s["target"] for s in doc["scenarios"]} == {"DE", "US", "GB", "FR"}
    for s in doc["scenarios"]:
        assert set(s) >= {"name", "kind", "target", "objective", "bound", "loss_share", "time_to_survive_week",
                          "requirements_losing"}
        assert 0 <= s["loss_share"] <= 1 and s["objective"] <= s["bound"] + 1e-6
    assert "4 scenarios" in out and "100%" in err
    hubs = json.loads(whatif("sweep", "--input", str(instance_file), "--hubs", "--quiet")[0])
    assert [s["target"] for s in hubs["scenarios"]] == ["PL-RZE", "RO-SCV"]


@pytest.mark.slow  # forks worker processes
def test_a_sweep_on_two_processes_gives_the_same_answers(instance_file, tmp_path):
    one = json.loads(whatif("sweep", "--input", str(instance_file), "--donors", "--quiet")[0])
    two = json.loads(whatif("sweep", "--input", str(instance_file), "--donors", "--workers", "2", "--quiet")[0])
    assert [(s["target"], s["objective"], s["loss_share"]) for s in one["scenarios"]] == [
        (s["target"], s["objective"], s["loss_share"]) for s in two["scenarios"]]


# --- on the database --------------------------------------------------------------------------------------

@pytest.fixture
def scenario(personas, world):
    return services.create_scenario(actor=personas.coordinator, name="Germany stops", perturbations=[
        {"kind": "withdraw_donor", "donor": personas.orgs["de"].pk}])


def test_run_a_saved_scenario_records_an_audited_run(scenario, tmp_path):
    output = tmp_path / "result.json"
    out, err = whatif("run", "--scenario", "Germany stops", "--output", str(output))
    run = ScenarioRun.objects.get()
    assert run.status == Status.DONE and run.scenario == scenario and run.created_by is None
    assert json.loads(output.read_text()) == run.result
    assert run.loss_share == pytest.approx(0.375)  # see test_tasks.py for the hand-worked answer
    assert f"run #{run.pk}" in out and "100%" in err
    start = AuditEvent.objects.get(action="scenario_run.start", object_id=str(run.pk))
    assert start.actor_name == "system" and start.request_id


def test_sweep_applies_the_saved_scenario_first(scenario):
    doc = json.loads(whatif("sweep", "--scenario", "Germany stops", "--hubs", "--quiet")[0])
    assert doc["scenario"] == "Germany stops" and not ScenarioRun.objects.exists()
    # Without Germany the US's 50 generators earn 625 points through PL-RZE; with PL-RZE closed as well they
    # arrive through RO-SCV a week late: 562.5 points, a tenth lost.
    assert doc["baseline"]["objective"] == pytest.approx(625)
    by_target = {s["target"]: s for s in doc["scenarios"]}
    assert by_target["PL-RZE"]["objective"] == pytest.approx(562.5)
    assert by_target["PL-RZE"]["loss_share"] == pytest.approx(0.1)


def test_an_unknown_scenario_lists_the_saved_ones(scenario):
    with pytest.raises(CommandError) as exc:
        whatif("run", "--scenario", "Nope")
    assert exc.value.returncode == 2 and "“Germany stops”" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        whatif("run", "--scenario", "Germany stops", "--close-hub", "PL-RZE")
    assert "no perturbation options" in str(exc.value)


def test_every_subcommand_has_help(capsys):
    for argv in (["whatif", "--help"], ["whatif", "run", "--help"], ["whatif", "sweep", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            call_command(*argv)
        assert exit_.value.code == 0
    assert "--withdraw-donor" in capsys.readouterr().out
