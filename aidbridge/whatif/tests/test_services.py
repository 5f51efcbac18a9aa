"""What-if services: coordinator editors only, one audit event per write, and errors that name the field."""

from __future__ import annotations

import datetime as dt

import pytest

from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.tests.api_helpers import assert_one_event, new_events
from aidbridge.whatif import services
from aidbridge.whatif.models import Scenario, ScenarioRun, Status, Sweep

NOT_COORDINATORS = ("donor_de", "donor_us", "recipient", "hub_pl", "auditor", "outsider")


def _withdraw(personas) -> list[dict]:
    return [{"kind": "withdraw_donor", "donor": personas.orgs["de"].pk, "from_date": "2026-04-01"}]


@pytest.fixture
def scenario(personas) -> Scenario:
    return services.create_scenario(actor=personas.coordinator, name="Germany stops", perturbations=_withdraw(personas))


def test_a_coordinator_creates_a_scenario_with_one_event(personas):
    with new_events() as events:
        scenario = services.create_scenario(actor=personas.coordinator, name="  Germany stops ",
                                            description="d", perturbations=_withdraw(personas), threshold=0.8,
                                            weeks=12)
    assert_one_event(events, "scenario.create", scenario)
    scenario.refresh_from_db()
    assert (scenario.name, scenario.threshold, scenario.weeks, scenario.created_by) == (
        "Germany stops", 0.8, 12, personas.coordinator)
    assert scenario.perturbations == [{"kind": "withdraw_donor", "donor": personas.orgs["de"].pk,
                                       "from_date": "2026-04-01", "lose_allocated": True}]


@pytest.mark.parametrize("who", NOT_COORDINATORS)
def test_everyone_else_is_refused_and_nothing_is_written(personas, scenario, who):
    user = getattr(personas, who)
    with new_events() as events:
        for call in (
            lambda: services.create_scenario(actor=user, name="x"),
            lambda: services.update_scenario(actor=user, scenario=scenario, name="y"),
            lambda: services.delete_scenario(actor=user, scenario=scenario),
            lambda: services.run_scenario(actor=user, scenario=scenario),
            lambda: services.start_sweep(actor=user, kind="donors"),
        ):
            with pytest.raises(NotPermitted):
                call()
    assert events == []
    assert list(Scenario.objects.values_list("name", flat=True)) == ["Germany stops"]
    assert not ScenarioRun.objects.exists() and not Sweep.objects.exists()


def test_bad_perturbations_are_refused_naming_the_index_and_field(personas):
    with new_events() as events, pytest.raises(ServiceError) as exc:
        services.create_scenario(actor=personas.coordinator, name="Bad", perturbations=[
            {"kind": "delay_donor", "donor": personas.orgs["de"].pk, "weeks": 2},
            {"kind": "close_hub", "hub": 7777777},
        ])
    assert exc.value.errors == {"perturbations": ["perturbations[1] (close_hub): hub 7777777 does not exist."]}
    assert events == [] and not Scenario.objects.exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"),
    ({"threshold": 1.5}, "threshold"),
    ({"threshold": "high"}, "threshold"),
    ({"weeks": 0}, "weeks"),
    ({"weeks": 2.5}, "weeks"),
])
def test_bad_fields_are_named(personas, fields, field):
    with pytest.raises(ServiceError) as exc:
        services.create_scenario(actor=personas.coordinator, **{"name": "n", **fields})
    assert field in exc.value.errors


def test_names_are_unique(personas, scenario):
    with pytest.raises(ServiceError) as exc:
        services.create_scenario(actor=personas.coordinator, name="Germany stops")
    assert "name" in exc.value.errors


def test_update_writes_one_event_and_none_when_nothing_changes(personas, scenario):
    with new_events() as events:
        updated = services.update_scenario(actor=personas.coordinator, scenario=scenario, name="Germany pauses",
                                           perturbations=[{"kind": "delay_donor", "donor": personas.orgs["de"].pk,
                                                           "weeks": 4}])
    assert_one_event(events, "scenario.update", scenario)
    assert events[0].before["name"] == "Germany stops" and events[0].after["name"] == "Germany pauses"
    assert updated.perturbations == [{"kind": "delay_donor", "donor": personas.orgs["de"].pk, "weeks": 4}]
    with new_events() as events:
        services.update_scenario(actor=personas.coordinator, scenario=updated, name="Germany pauses")
        services.update_scenario(actor=personas.coordinator, scenario=updated)
    assert events == []


def test_delete_writes_one_event_and_takes_the_runs(personas, scenario, django_capture_on_commit_callbacks):
    services.run_scenario(actor=personas.coordinator, scenario=scenario)
    with new_events() as events:
        services.delete_scenario(actor=personas.coordinator, scenario=scenario)
    assert_one_event(events, "scenario.delete", scenario)
    assert events[0].before["name"] == "Germany stops" and events[0].after == {"runs_deleted": 1}
    assert not Scenario.objects.exists() and not ScenarioRun.objects.exists()


def test_run_is_queued_with_the_engine_form_and_enqueued_on_commit(personas, scenario,
                                                                   django_capture_on_commit_callbacks):
    with new_events() as events, django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.run_scenario(actor=personas.coordinator, scenario=scenario)
    assert_one_event(events, "scenario_run.start", run)
    assert len(callbacks) == 1  # the task is enqueued once the transaction commits
    assert (run.status, run.start_date, run.weeks, run.threshold, run.name) == (
        Status.QUEUED, dt.date(2026, 3, 9), 26, 0.9, "Germany stops")
    assert run.perturbations == [{"kind": "withdraw_donor", "donor": str(personas.orgs["de"].pk), "from_week": 3,
                                  "lose_allocated": True}]


def test_a_sweep_is_queued_and_checked(personas, django_capture_on_commit_callbacks):
    with new_events() as events, django_capture_on_commit_callbacks(execute=False) as callbacks:
        sweep = services.start_sweep(actor=personas.coordinator, kind="hubs", from_date=dt.date(2026, 4, 1),
                                     weeks=10)
    assert_one_event(events, "sweep.start", sweep)
    assert len(callbacks) == 1
    assert (sweep.kind, sweep.start_date, sweep.from_date, sweep.weeks, sweep.status) == (
        "hubs", dt.date(2026, 3, 9), dt.date(2026, 4, 1), 10, Status.QUEUED)
    with pytest.raises(ServiceError) as exc:
        services.start_sweep(actor=personas.coordinator, kind="items")
    assert "kind" in exc.value.errors
    with pytest.raises(ServiceError) as exc:
        services.start_sweep(actor=personas.coordinator, kind="donors", from_date="next week")
    assert "from_date" in exc.value.errors
