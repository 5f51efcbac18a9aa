"""``/scenarios``: what-if scenarios, their runs, sweeps and exposure (docs/whatif.md).

Scenarios, runs and sweeps are for coordinators and auditors; coordinator editors create, change, run and
delete them. Anyone else gets 404 for them. ``/scenarios/exposure`` gives coordinators and auditors the
tornado, single points of failure and concentration tables, and a donor liaison its own exposure.
Lists never carry a run's result document; read one run for it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Status

from aidbridge.accounts.principal import principal
from aidbridge.core.api import (
    ERRORS,
    NOT_FOUND,
    READ_ERRORS,
    DbInt,
    actor,
    changes_of,
    exportable,
    get_visible_or_404,
    paginated,
)
from aidbridge.whatif import queries, services
from aidbridge.whatif.models import Scenario, ScenarioRun, Sweep
from aidbridge.whatif.schemas import (
    BackfillOut,
    ExposureOut,
    RunDetailOut,
    RunOut,
    ScenarioIn,
    ScenarioOut,
    ScenarioPatch,
    SweepDetailOut,
    SweepIn,
    SweepOut,
)

router = Router(tags=["scenarios"])
BIG = ("result",)


def _scenarios(user: Any) -> Any:
    return Scenario.objects.for_user(user)


def _runs(user: Any) -> Any:
    return ScenarioRun.objects.for_user(user)


def _sweeps(user: Any) -> Any:
    return Sweep.objects.for_user(user)


# --- runs, sweeps and exposure (their fixed paths come before /scenarios/{id}) ------------------------------

@router.get("/scenarios/runs/{run_id}", response={200: RunDetailOut, **READ_ERRORS})
def get_run(request: HttpRequest, run_id: DbInt) -> Any:
    """A run's status and progress, and once done its result document (aidbridge.whatif-result/1)."""
    return get_visible_or_404(_runs(actor(request)), run_id)


@router.get("/scenarios/runs/{run_id}/backfill", response={200: list[BackfillOut], **READ_ERRORS})
@exportable
def get_backfill(request: HttpRequest, run_id: DbInt) -> Any:
    """The shortfall per item and week, with the donors that have pledged the item (as far as you may see)."""
    user = actor(request)
    return queries.backfill_rows(get_visible_or_404(_runs(user), run_id), user)


@router.get("/scenarios/sweeps", response={200: list[SweepOut], **READ_ERRORS})
@paginated
def list_sweeps(request: HttpRequest) -> Any:
    """Sweeps, newest first."""
    return queries.with_finished_runs(_sweeps(actor(request)).defer("baseline", "result"))


@router.post("/scenarios/sweeps", response={201: SweepOut, **ERRORS})
def start_sweep(request: HttpRequest, payload: SweepIn) -> Any:
    """Queue a sweep: each donor withdraws, or each hub closes, in turn (coordinator editors). Poll it."""
    return Status(201, services.start_sweep(actor=actor(request), **payload.dict()))


@router.get("/scenarios/sweeps/{sweep_id}", response={200: SweepDetailOut, **READ_ERRORS})
def get_sweep(request: HttpRequest, sweep_id: DbInt) -> Any:
    """A sweep's status and progress, and once done its summary (aidbridge.whatif-sweep/1)."""
    return get_visible_or_404(_sweeps(actor(request)).defer("baseline"), sweep_id)


@router.get("/scenarios/exposure", response={200: ExposureOut, **READ_ERRORS})
def get_exposure(request: HttpRequest) -> Any:
    """Coordinators and auditors: the latest sweeps' exposure and the concentration tables. A donor liaison:
    its own exposure only. Anyone else: 404."""
    user = actor(request)
    p = principal(user)
    if p.oversees:
        latest = queries.latest_sweeps()
        return {
            "tornado": {kind: queries.tornado(s) if s is not None else [] for kind, s in latest.items()},
            "single_points_of_failure": [row for s in latest.values() if s is not None for row in queries.spof_rows(s)],
            "concentration": queries.concentration_tables(user),
            "own": queries.own_exposure(user),
        }
    own = queries.own_exposure(user)
    if own is None:
        raise Http404(NOT_FOUND)
    return {"tornado": {}, "single_points_of_failure": [], "concentration": {}, "own": own}


# --- scenarios ----------------------------------------------------------------------------------------------

@router.get("/scenarios", response={200: list[ScenarioOut], **READ_ERRORS})
@paginated
def list_scenarios(request: HttpRequest) -> Any:
    """Saved scenarios, by name (coordinators and auditors; others see none)."""
    return _scenarios(actor(request))


@router.post("/scenarios", response={201: ScenarioOut, **ERRORS})
def create_scenario(request: HttpRequest, payload: ScenarioIn) -> Any:
    """Save a scenario (coordinator editors). Perturbations are checked; a wrong one is named by its index."""
    return Status(201, services.create_scenario(actor=actor(request), **payload.dict()))


@router.get("/scenarios/{scenario_id}", response={200: ScenarioOut, **READ_ERRORS})
def get_scenario(request: HttpRequest, scenario_id: DbInt) -> Any:
    return get_visible_or_404(_scenarios(actor(request)), scenario_id)


@router.patch("/scenarios/{scenario_id}", response={200: ScenarioOut, **ERRORS})
def update_scenario(request: HttpRequest, scenario_id: DbInt, payload: ScenarioPatch) -> Any:
    """Change a scenario's name, description, perturbations, threshold or horizon (coordinator editors)."""
    user = actor(request)
    scenario = get_visible_or_404(_scenarios(user), scenario_id)
    changes = {k: v for k, v in changes_of(payload).items() if v is not None}
    return services.update_scenario(actor=user, scenario=scenario, **changes)


@router.delete("/scenarios/{scenario_id}", response={204: None, **ERRORS})
def delete_scenario(request: HttpRequest, scenario_id: DbInt) -> Any:
    """Delete a scenario and its runs (coordinator editors)."""
    user = actor(request)
    services.delete_scenario(actor=user, scenario=get_visible_or_404(_scenarios(user), scenario_id))
    return Status(204, None)


@router.post("/scenarios/{scenario_id}/run", response={201: RunOut, **ERRORS})
def run_scenario(request: HttpRequest, scenario_id: DbInt) -> Any:
    """Queue a run of the scenario on the current state (coordinator editors); poll the run for progress."""
    user = actor(request)
    return Status(201, services.run_scenario(actor=user, scenario=get_visible_or_404(_scenarios(user), scenario_id)))


@router.get("/scenarios/{scenario_id}/runs", response={200: list[RunOut], **READ_ERRORS})
@paginated
def list_runs(request: HttpRequest, scenario_id: DbInt) -> Any:
    """The scenario's runs, newest first."""
    user = actor(request)
    scenario = get_visible_or_404(_scenarios(user), scenario_id)
    return _runs(user).filter(scenario=scenario).defer(*BIG)
