"""Capability readiness in a what-if run: a withdrawing donor takes its equipment and its course seats with it.

The world of test_tasks.py (80 generators due in week 4; Germany and the United States pledge 50 each) plus the
training world of aidbridge/training/tests/helpers.py: the recipient asks for 3 crews of 4 under the
requirement, and the coordinator gives them 12 seats on Germany's course, which ends before the generators
arrive.
"""

from __future__ import annotations

import datetime as dt

import pytest

from aidbridge.locations.models import Hub
from aidbridge.training import services as training
from aidbridge.training.tests.helpers import build_training
from aidbridge.whatif import services, tasks
from aidbridge.whatif.models import ScenarioRun, Status


@pytest.fixture
def seats(personas, world):
    t = build_training(personas, world)
    training.assign_seats(actor=personas.coordinator, request=t.request, course=t.course, seats=12)
    return t


def run(personas, name, perturbations):
    scenario = services.create_scenario(actor=personas.coordinator, name=name, perturbations=perturbations)
    r = services.run_scenario(actor=personas.coordinator, scenario=scenario)
    assert tasks.run_scenario_task.call(r.pk) == "done"
    r = ScenarioRun.objects.get(pk=r.pk)
    assert r.status == Status.DONE, r.error
    return r


def test_germany_withdrawing_takes_its_seats_and_its_generators(seats, personas, world, client):
    r = run(personas, "Germany stops", [{"kind": "withdraw_donor", "donor": personas.orgs["de"].pk}])
    readiness = r.result["readiness"]
    (row,) = readiness["changed"]
    assert row["key"] == world.requirement.reference
    assert (row["crews_planned_baseline"], row["crews_planned_scenario"], row["crews_needed"]) == (3, 0, 3)
    # baseline: all 80 arrive on the Friday of week 4 (10 April 2026), after the crews finish (25 March)
    assert row["baseline_ready"] == (r.start_date + dt.timedelta(weeks=4, days=4)).isoformat() == "2026-04-10"
    # scenario: 50 of 80 generators and no seats: never ready within the horizon
    assert row["scenario_ready"] is None
    assert readiness["crews_lost"] == 3
    assert sum(readiness["baseline"].values()) == sum(readiness["scenario"].values()) == 1
    client.force_login(personas.coordinator)
    page = client.get(f"/whatif/runs/{r.pk}/").content.decode()
    assert "Capability readiness" in page and "3 crews fewer planned" in page and "not within the horizon" in page


def test_a_hub_closing_delays_readiness_but_keeps_the_seats(seats, personas, world):
    r = run(personas, "Rzeszów closes", [{"kind": "close_hub", "hub": Hub.objects.get(code="PL-RZE").pk}])
    readiness = r.result["readiness"]
    (row,) = readiness["changed"]
    assert (row["crews_planned_baseline"], row["crews_planned_scenario"]) == (3, 3)
    # the US's 30 generators come through Suceava a week late: ready on the Friday of week 5
    assert row["scenario_ready"] == (r.start_date + dt.timedelta(weeks=5, days=4)).isoformat()
    assert readiness["crews_lost"] == 0
