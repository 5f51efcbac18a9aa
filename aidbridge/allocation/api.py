"""``/allocations``: pledge units assigned to requirements through hubs, one line at a time."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import HttpRequest
from ninja import Query, Router, Status

from aidbridge.allocation import services
from aidbridge.allocation.models import AllocationLine
from aidbridge.allocation.schemas import AllocationIn, AllocationOut
from aidbridge.core.api import (
    ERRORS,
    READ_ERRORS,
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


class AllocationLineFilterSet(django_filters.FilterSet):
    # Belongs in allocation/filtersets.py once the UI lists allocations too.
    pledge = django_filters.NumberFilter(field_name="pledge_id", label="Pledge id")
    requirement = django_filters.NumberFilter(field_name="requirement_id", label="Requirement id")
    hub = django_filters.NumberFilter(field_name="hub_id", label="Hub id")

    class Meta:
        model = AllocationLine
        fields = ["pledge", "requirement", "hub"]


router = Router(tags=["allocations"])
AllocationFilters = filter_schema(AllocationLineFilterSet, "AllocationFilters")
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
