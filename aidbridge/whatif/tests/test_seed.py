"""The demo seed saves the "largest donor withdraws from next month" scenario, and it runs on the seed's data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from aidbridge.accounts.models import Organisation
from aidbridge.audit.models import AuditEvent
from aidbridge.seed import scenario as seed
from aidbridge.whatif import services, tasks
from aidbridge.whatif.models import Scenario, Status

pytestmark = pytest.mark.slow  # the seed scenario takes a while to build (once per session: see conftest.py)


@pytest.fixture
def world(seed_scenario, db):
    return seed_scenario


def test_the_seed_saves_the_largest_donor_scenario(world):
    saved = Scenario.objects.get(name=seed.WHATIF_SCENARIO)
    values = seed.donor_values()
    largest = Organisation.objects.get(short_name=max(values, key=lambda k: values[k]))
    assert largest.short_name == "us-dod"
    # The suite's clock is 11 March 2026: "next month" starts on 1 April.
    assert saved.perturbations == [{"kind": "withdraw_donor", "donor": largest.pk, "from_date": "2026-04-01",
                                    "lose_allocated": True}]
    assert (saved.threshold, saved.weeks, saved.created_by.username) == (0.9, 26, "coordinator")
    assert largest.name in saved.description
    (event,) = AuditEvent.objects.filter(action="scenario.create", object_id=str(saved.pk))
    assert event.actor_name == "coordinator"


@pytest.mark.parametrize(("today", "first"), [(dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
                                              (dt.date(2028, 1, 31), dt.date(2028, 2, 1)),
                                              (dt.date(2028, 2, 29), dt.date(2028, 3, 1))])
def test_next_month_starts_on_the_first_whatever_the_day(world, today, first):
    Scenario.objects.filter(name=seed.WHATIF_SCENARIO).delete()
    refs = seed.World(users={"coordinator": get_user_model().objects.get(username="coordinator")},
                      orgs={o.short_name: o for o in Organisation.objects.all()}, donor_users={}, items={}, places={},
                      hubs={})
    saved = seed.save_whatif_scenarios(refs, today=today)
    assert saved.perturbations[0]["from_date"] == first.isoformat()


def test_the_saved_scenario_runs_on_the_seed_data(world):
    saved = Scenario.objects.get(name=seed.WHATIF_SCENARIO)
    coordinator = saved.created_by
    run = services.run_scenario(actor=coordinator, scenario=saved)
    assert tasks.run_scenario_task.call(run.pk) == "done"
    run.refresh_from_db()
    assert run.status == Status.DONE, run.error
    assert 0 < run.loss_share <= 1
    assert run.objective <= run.bound + 1e-6
    assert run.result["fill_by_class"]  # the catalogue's classes are passed to the engine
    assert run.result["backfill"]
