"""Shared by the what-if page tests: runs and sweeps written directly, with result documents in the engine's
``aidbridge.whatif-result/1`` format, so the pages are tested without running the optimiser. No tests here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aidbridge.allocation.instance import monday, requirement_key
from aidbridge.core import clock
from aidbridge.whatif.models import Scenario, ScenarioRun, Status, Sweep

HIDDEN_DONOR_UNITS = 4321  # units of a coordinators-only pledge, released to nobody but the cell


def result_doc(world: Any, personas: Any, *, loss_share: float = 0.25, tts: int | None = 3) -> dict[str, Any]:
    de, us = personas.orgs["de"], personas.orgs["us"]
    weeks = list(range(8))
    scenario = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5] if tts is not None else [1.0] * 8
    return {
        "schema": "aidbridge.whatif-result/1", "name": "Germany withdraws",
        "perturbations": [{"kind": "withdraw_donor", "donor": str(de.pk), "from_week": 0, "lose_allocated": True}],
        "baseline": {"objective": 400.0, "bound": 400.0, "time_to_survive_week": None},
        "objective": 300.0, "bound": 301.0, "gap": 0.0033, "loss_share": loss_share, "time_to_survive_week": tts,
        "threshold": 0.9,
        "fill_by_priority": {
            "1": {"required": 80, "baseline": 80, "scenario": 50, "points_baseline": 400.0, "points_scenario": 300.0},
            "2": {"required": 10, "baseline": 5, "scenario": 5, "points_baseline": 0.0, "points_scenario": 0.0},
        },
        "fill_by_class": {
            "VII": {"required": 80, "baseline": 80, "scenario": 50, "points_baseline": 400.0, "points_scenario": 300.0},
        },
        "coverage_by_week": {"weeks": weeks, "baseline": [1.0] * 8, "scenario": scenario},
        "requirements_losing": [{
            "requirement": requirement_key(world.requirement.pk), "item": "GEN-100KW", "priority": 1, "due_week": 4,
            "destination": "UA-IEV", "quantity": 80, "units_baseline": 80, "units_scenario": 50, "units_lost": 30,
            "points_lost": 100.0}],
        "backfill": [{"item": "GEN-100KW", "week": 4, "units_short": 30,
                      "donors": [{"donor": str(us.pk), "units": 50}]}],
        "single_points_of_failure": [{"item": "GEN-100KW", "baseline": 400.0, "scenario": 150.0}],  # P1 points
        "plan": {"status": "optimal", "objective": 300.0, "bound": 301.0, "stats": {}, "flows": []},
        "seconds": 0.42,
    }


def start() -> dt.date:
    return monday(clock.today())


def scenario(personas: Any, name: str = "Germany walks away", perturbations: list[dict[str, Any]] | None = None,
             ) -> Scenario:
    return Scenario.objects.create(
        name=name, description="The largest donor withdraws everything not yet moved.",
        perturbations=perturbations if perturbations is not None else [
            {"kind": "withdraw_donor", "donor": personas.orgs["de"].pk, "from_date": None, "lose_allocated": True}],
        created_by=personas.coordinator)


def run(world: Any, personas: Any, status: str = Status.DONE, *, owner: Scenario | None = None,
        sweep: Sweep | None = None, **fields: Any) -> ScenarioRun:
    values: dict[str, Any] = {
        "scenario": owner if owner is not None or sweep is not None else scenario(personas),
        "sweep": sweep, "name": "Germany walks away", "start_date": start(), "weeks": 8, "threshold": 0.9,
        "status": status, "created_by": personas.coordinator,
        "perturbations": [{"kind": "withdraw_donor", "donor": str(personas.orgs["de"].pk), "from_week": 0,
                           "lose_allocated": True}],
    }
    if status == Status.DONE:
        doc = result_doc(world, personas)
        values.update(result=doc, loss_share=doc["loss_share"], time_to_survive_week=doc["time_to_survive_week"],
                      objective=doc["objective"], baseline_objective=doc["baseline"]["objective"],
                      bound=doc["bound"], progress=1.0, finished_at=clock.now())
    values.update(fields)
    return ScenarioRun.objects.create(**values)


def donor_sweep(world: Any, personas: Any, status: str = Status.DONE) -> tuple[Sweep, list[ScenarioRun]]:
    """A donor sweep over Germany (40% lost) and the United States (10%)."""
    sweep = Sweep.objects.create(kind=Sweep.Kind.DONORS, start_date=start(), weeks=8, status=status, total=2,
                                 created_by=personas.coordinator,
                                 finished_at=clock.now() if status == Status.DONE else None)
    runs = []
    for key, share in (("us", 0.10), ("de", 0.40)):
        org = personas.orgs[key]
        r = run(world, personas, Status.DONE, sweep=sweep, kind="withdraw_donor", target=str(org.pk),
                name=f"{org.name} withdraws", loss_share=share)
        doc = dict(r.result or {})
        doc["loss_share"] = share
        if key == "us":
            doc["single_points_of_failure"] = []
        r.result = doc
        r.save(update_fields=["result"])
        runs.append(r)
    return sweep, runs


def hub_sweep(world: Any, personas: Any) -> tuple[Sweep, list[ScenarioRun]]:
    sweep = Sweep.objects.create(kind=Sweep.Kind.HUBS, start_date=start(), weeks=8, status=Status.DONE, total=1,
                                 created_by=personas.coordinator, finished_at=clock.now())
    r = run(world, personas, Status.DONE, sweep=sweep, kind="close_hub", target=world.hub.code,
            name="PL-RZE closes", loss_share=0.2, perturbations=[
                {"kind": "close_hub", "hub": world.hub.code, "cut": 1.0, "from_week": 0, "to_week": None}])
    return sweep, [r]
