"""/api/v1/scenarios: coordinators and auditors see scenarios, runs and sweeps; everyone else gets 404 for them;
coordinator editors write; anonymous callers get 401."""

from __future__ import annotations

import pytest

from aidbridge.core.tests.api_helpers import as_user, assert_not_found, assert_one_event, assert_refused, new_events
from aidbridge.whatif import services, tasks
from aidbridge.whatif.models import Scenario, ScenarioRun, Sweep

SEE = ("coordinator", "auditor")
NOT_SEE = ("donor_de", "donor_us", "recipient", "hub_pl", "outsider")


@pytest.fixture
def objects(personas, world, django_capture_on_commit_callbacks) -> dict[str, int]:
    scenario = services.create_scenario(actor=personas.coordinator, name="Germany stops", perturbations=[
        {"kind": "withdraw_donor", "donor": personas.orgs["de"].pk}])
    run = services.run_scenario(actor=personas.coordinator, scenario=scenario)
    tasks.run_scenario_task.call(run.pk)
    sweep = services.start_sweep(actor=personas.coordinator, kind="donors", weeks=8)
    with django_capture_on_commit_callbacks(execute=False):
        tasks.prepare_sweep_task.call(sweep.pk)
    for sweep_run in sweep.runs.all():
        tasks.run_sweep_scenario_task.call(sweep_run.pk)
    return {"scenario": scenario.pk, "run": run.pk, "sweep": sweep.pk}


def _paths(ids: dict[str, int]) -> list[str]:
    return [f"/scenarios/{ids['scenario']}", f"/scenarios/{ids['scenario']}/runs", f"/scenarios/runs/{ids['run']}",
            f"/scenarios/runs/{ids['run']}/backfill", f"/scenarios/sweeps/{ids['sweep']}"]


@pytest.mark.parametrize("who", SEE)
def test_coordinators_and_auditors_see_everything(personas, objects, who):
    api = as_user(getattr(personas, who))
    for path in _paths(objects):
        assert api.get(path).status_code == 200, path
    assert [s["name"] for s in api.get("/scenarios").json()["items"]] == ["Germany stops"]
    assert [s["id"] for s in api.get("/scenarios/sweeps").json()["items"]] == [objects["sweep"]]
    run = api.get(f"/scenarios/runs/{objects['run']}").json()
    assert (run["status"], run["loss_share"], run["time_to_survive_week"]) == ("done", 0.375, 4)
    assert run["result"]["schema"] == "aidbridge.whatif-result/1"
    (runs,) = [api.get(f"/scenarios/{objects['scenario']}/runs").json()["items"]]
    assert [r["id"] for r in runs] == [objects["run"]] and "result" not in runs[0]
    (row,) = api.get(f"/scenarios/runs/{objects['run']}/backfill").json()
    assert (row["item_code"], row["units_short"], row["week_start"]) == ("GEN-100KW", 30, "2026-04-06")
    sweep = api.get(f"/scenarios/sweeps/{objects['sweep']}").json()
    assert (sweep["status"], sweep["progress"], sweep["total"]) == ("done", 1.0, 2)
    assert sweep["result"]["schema"] == "aidbridge.whatif-sweep/1" and "baseline" not in sweep
    scenario = api.get(f"/scenarios/{objects['scenario']}").json()
    assert scenario["described"] == ["Germany — Federal Ministry of Defence withdraws everything not yet moved; "
                                     "approved but undispatched allocations are lost too"]
    exposure = api.get("/scenarios/exposure").json()
    assert [row["loss_share"] for row in exposure["tornado"]["donors"]] == [0.375, 0.375]
    assert exposure["tornado"]["hubs"] == [] and exposure["own"] is None
    assert {"item", "class", "package"} == set(exposure["concentration"])


@pytest.mark.parametrize("who", NOT_SEE)
def test_everyone_else_gets_404(personas, objects, who):
    api = as_user(getattr(personas, who))
    for path in _paths(objects):
        assert_not_found(api.get(path))
    assert api.get("/scenarios").json()["items"] == []
    assert api.get("/scenarios/sweeps").json()["items"] == []
    with new_events() as events:
        assert_not_found(api.patch(f"/scenarios/{objects['scenario']}", {"name": "x"}))
        assert_not_found(api.client.delete(f"/api/v1/scenarios/{objects['scenario']}"))
        assert_not_found(api.post(f"/scenarios/{objects['scenario']}/run"))
        assert_refused(api.post("/scenarios", {"name": "mine"}), 403, events=None)
        assert_refused(api.post("/scenarios/sweeps", {"kind": "hubs"}), 403)
    assert events == []


def test_exposure_gives_a_donor_its_own_and_others_nothing(personas, objects):
    own = as_user(personas.donor_de).get("/scenarios/exposure").json()
    assert own["own"]["organisation"] == "Germany — Federal Ministry of Defence"
    assert own["own"]["loss_share"] == 0.375
    assert (own["tornado"], own["single_points_of_failure"], own["concentration"]) == ({}, [], {})
    for who in ("recipient", "hub_pl", "outsider"):
        assert_not_found(as_user(getattr(personas, who)).get("/scenarios/exposure"))


def test_anonymous_callers_get_401(objects):
    api = as_user(None)
    for path in [*_paths(objects), "/scenarios", "/scenarios/sweeps", "/scenarios/exposure"]:
        assert api.get(path).status_code == 401, path
    assert api.post("/scenarios", {"name": "x"}).status_code == 401


def test_an_auditor_may_read_but_not_write(personas, objects):
    api = as_user(personas.auditor)
    with new_events() as events:
        assert_refused(api.post("/scenarios", {"name": "x"}), 403)
        assert_refused(api.patch(f"/scenarios/{objects['scenario']}", {"name": "x"}), 403)
        assert_refused(api.post(f"/scenarios/{objects['scenario']}/run"), 403)
        assert_refused(api.client.delete(f"/api/v1/scenarios/{objects['scenario']}"), 403)
        assert_refused(api.post("/scenarios/sweeps", {"kind": "donors"}), 403)
    assert events == []


def test_a_coordinator_creates_changes_runs_and_deletes(personas, world, django_capture_on_commit_callbacks):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post("/scenarios", {"name": "Rzeszów closes", "perturbations": [
            {"kind": "close_hub", "hub": world.hub.pk, "cut": 0.5}], "weeks": 12})
    assert response.status_code == 201, response.content
    body = response.json()
    scenario = Scenario.objects.get(pk=body["id"])
    assert_one_event(events, "scenario.create", scenario)
    assert body["described"] == ["PL-RZE Rzeszów hub loses 50% of its capacity for the whole horizon"]

    response = api.patch(f"/scenarios/{scenario.pk}", {"threshold": 0.8})
    assert response.status_code == 200 and response.json()["threshold"] == 0.8

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(f"/scenarios/{scenario.pk}/run")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "queued" and len(callbacks) == 1
    assert response.json()["perturbations"] == [{"kind": "close_hub", "hub": "PL-RZE", "cut": 0.5, "from_week": 0,
                                                 "to_week": None}]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post("/scenarios/sweeps", {"kind": "hubs", "from_date": "2026-04-01"})
    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["progress"], len(callbacks)) == ("queued", 0.0, 1)

    assert api.client.delete(f"/api/v1/scenarios/{scenario.pk}").status_code == 204
    assert not Scenario.objects.exists() and not ScenarioRun.objects.filter(scenario__isnull=False).exists()
    assert Sweep.objects.count() == 1


def test_bad_input_names_the_field(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        body = assert_refused(api.post("/scenarios", {"name": "Bad", "perturbations": [
            {"kind": "close_hub", "hub": 987654}]}), 422, field="perturbations", events=None)
        assert body["errors"]["perturbations"] == ["perturbations[0] (close_hub): hub 987654 does not exist."]
        assert_refused(api.post("/scenarios", {"name": "Bad", "weeks": 0}), 422, field="weeks")
        assert_refused(api.post("/scenarios/sweeps", {"kind": "items"}), 422, field="kind")
    assert events == []
    assert_not_found(api.get("/scenarios/99999999"))
    assert_not_found(api.get("/scenarios/runs/99999999"))
