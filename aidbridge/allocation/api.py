"""``/allocations``: pledge units assigned to requirements through hubs, one line at a time.

``/allocation-runs``: optimiser runs (coordinators and auditors see them; coordinator editors start and
approve them). Responses never carry the run's instance or plans, which can be megabytes.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from aidbridge.allocation import review, services
from aidbridge.allocation import run_services as runs
from aidbridge.allocation.filtersets import AllocationLineFilterSet
from aidbridge.allocation.models import AllocationLine, AllocationRun
from aidbridge.allocation.schemas import (
    AllocationIn,
    AllocationOut,
    AllocationRunApproved,
    AllocationRunDetailOut,
    AllocationRunIn,
    AllocationRunOut,
)
from aidbridge.core.api import (
    ERRORS,
    READ_ERRORS,
    DbInt,
    IdOrCode,
    actor,
    apply_filters,
    filter_schema,
    get_visible_or_404,
    paginated,
    resolve_refs,
)
from aidbridge.locations.models import Hub
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement

router = Router(tags=["allocations"])
AllocationFilters = filter_schema(AllocationLineFilterSet, "AllocationFilters", annotations={"item": IdOrCode})
REFS = {"pledge": Pledge, "requirement": Requirement, "hub": Hub}


def _lines(user: Any) -> Any:
    return AllocationLine.objects.for_user(user)


@router.get("/allocations", response={200: list[AllocationOut], **READ_ERRORS})
@paginated
def list_allocations(request: HttpRequest, filters: Query[AllocationFilters]) -> Any:  # type: ignore[valid-type]
    lines = apply_filters(AllocationLineFilterSet, filters, _lines(actor(request)))
    return lines.select_related("pledge", "requirement", "hub")


@router.post("/allocations", response={201: AllocationOut, **ERRORS})
def create_allocation(request: HttpRequest, payload: AllocationIn) -> Any:
    """Assign pledge units to a requirement through a hub (coordinator editors)."""
    user = actor(request)
    return Status(201, services.allocate(actor=user, **resolve_refs(user, payload.dict(), REFS)))


@router.get("/allocations/{allocation_id}", response={200: AllocationOut, **READ_ERRORS})
def get_allocation(request: HttpRequest, allocation_id: int) -> Any:
    lines = _lines(actor(request)).select_related("pledge", "requirement", "hub")
    return get_visible_or_404(lines, allocation_id)


@router.post("/allocations/{allocation_id}/release", response={204: None, **ERRORS})
def release_allocation(request: HttpRequest, allocation_id: int) -> Any:
    """Undo an allocation whose goods have not started moving (coordinator editors)."""
    user = actor(request)
    line = get_visible_or_404(_lines(user), allocation_id)
    services.release_allocation(actor=user, line=line)
    return Status(204, None)


# --- allocation runs ----------------------------------------------------------------------------------------

BIG_FIELDS = ("instance", "plan", "greedy_plan")


def _runs(user: Any) -> Any:
    return AllocationRun.objects.for_user(user)


def _run_detail(run: AllocationRun) -> AllocationRun:
    """The run with what only its detail answer carries: why it is stale, and overloaded hub-weeks."""
    reasons = runs.stale_reasons(run) if run.status == AllocationRun.Status.DONE else []
    run.stale, run.stale_reasons = bool(reasons), reasons  # type: ignore[attr-defined]
    run.overloaded = review.overloaded(run.instance or {}, run.plan)  # type: ignore[attr-defined]
    return run


@router.get("/allocation-runs", response={200: list[AllocationRunOut], **READ_ERRORS})
@paginated
def list_allocation_runs(request: HttpRequest) -> Any:
    """Runs, newest first (coordinators and auditors; others see none)."""
    return _runs(actor(request)).defer(*BIG_FIELDS)


@router.post("/allocation-runs", response={201: AllocationRunOut, **ERRORS})
def start_allocation_run(request: HttpRequest, payload: AllocationRunIn) -> Any:
    """Queue a run over the current pledges and requirements (coordinator editors); poll it for progress."""
    return Status(201, runs.start_run(actor=actor(request), **payload.dict()))


@router.get("/allocation-runs/{run_id}", response={200: AllocationRunDetailOut, **READ_ERRORS})
def get_allocation_run(request: HttpRequest, run_id: DbInt) -> Any:
    """Status, progress and results; ``stale_reasons`` says why a finished plan can no longer be approved."""
    return _run_detail(get_visible_or_404(_runs(actor(request)), run_id))


@router.post("/allocation-runs/{run_id}/approve", response={200: AllocationRunApproved, **ERRORS})
def approve_allocation_run(request: HttpRequest, run_id: DbInt) -> Any:
    """Write the plan's allocation lines, all or nothing (coordinator editors). A stale plan answers 409."""
    user = actor(request)
    lines = runs.approve_run(actor=user, run=get_visible_or_404(_runs(user), run_id))
    run = _runs(user).defer(*BIG_FIELDS).get(pk=run_id)
    run.lines = len(lines)  # type: ignore[attr-defined]
    return run
