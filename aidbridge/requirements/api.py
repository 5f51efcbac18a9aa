"""``/requirements``: what the recipient needs, and its path from draft to closed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from aidbridge.accounts.models import Organisation
from aidbridge.catalogue.models import Item
from aidbridge.core.api import (
    ERRORS,
    READ_ERRORS,
    IdOrCode,
    actor,
    apply_filters,
    changes_of,
    filter_schema,
    get_visible_or_404,
    paginated,
    resolve_refs,
)
from aidbridge.locations.models import Location
from aidbridge.requirements import services
from aidbridge.requirements.filtersets import RequirementFilterSet
from aidbridge.requirements.models import Requirement
from aidbridge.requirements.schemas import RequirementIn, RequirementOut, RequirementPatch

router = Router(tags=["requirements"])
RequirementFilters = filter_schema(RequirementFilterSet, "RequirementFilters", annotations={"item": IdOrCode})
REFS = {"item": Item, "destination": Location, "recipient": Organisation}


def _requirements(user: Any) -> Any:
    return Requirement.objects.for_user(user)


def _with_details(queryset: Any) -> Any:
    return queryset.with_fill().select_related("recipient", "item", "destination")


@router.get("/requirements", response={200: list[RequirementOut], **READ_ERRORS})
@paginated
def list_requirements(request: HttpRequest, filters: Query[RequirementFilters]) -> Any:  # type: ignore[valid-type]
    return _with_details(apply_filters(RequirementFilterSet, filters, _requirements(actor(request))))


@router.post("/requirements", response={201: RequirementOut, **ERRORS})
def create_requirement(request: HttpRequest, payload: RequirementIn) -> Any:
    user = actor(request)
    data = payload.dict()
    if data["recipient"] is None:
        del data["recipient"]
    return Status(201, services.create_requirement(actor=user, **resolve_refs(user, data, REFS)))


@router.get("/requirements/{requirement_id}", response={200: RequirementOut, **READ_ERRORS})
def get_requirement(request: HttpRequest, requirement_id: int) -> Any:
    return get_visible_or_404(_with_details(_requirements(actor(request))), requirement_id)


@router.patch("/requirements/{requirement_id}", response={200: RequirementOut, **ERRORS})
def update_requirement(request: HttpRequest, requirement_id: int, payload: RequirementPatch) -> Any:  # type: ignore[valid-type]
    user = actor(request)
    requirement = get_visible_or_404(_requirements(user), requirement_id)
    changes = resolve_refs(user, changes_of(payload), REFS)
    return services.update_requirement(actor=user, requirement=requirement, changes=changes)


def _transition(
    request: HttpRequest, requirement_id: int, service: Callable[..., Requirement]
) -> Requirement:
    user = actor(request)
    requirement = get_visible_or_404(_requirements(user), requirement_id)
    return service(actor=user, requirement=requirement)


@router.post("/requirements/{requirement_id}/submit", response={200: RequirementOut, **ERRORS})
def submit_requirement(request: HttpRequest, requirement_id: int) -> Any:
    """Draft → submitted (the recipient's editors)."""
    return _transition(request, requirement_id, services.submit_requirement)


@router.post("/requirements/{requirement_id}/validate", response={200: RequirementOut, **ERRORS})
def validate_requirement(request: HttpRequest, requirement_id: int) -> Any:
    """Submitted → validated (coordinator editors)."""
    return _transition(request, requirement_id, services.validate_requirement)


@router.post("/requirements/{requirement_id}/return", response={200: RequirementOut, **ERRORS})
def return_requirement(request: HttpRequest, requirement_id: int) -> Any:
    """Submitted → draft, for the recipient to rework."""
    return _transition(request, requirement_id, services.return_requirement)


@router.post("/requirements/{requirement_id}/close", response={200: RequirementOut, **ERRORS})
def close_requirement(request: HttpRequest, requirement_id: int) -> Any:
    """Validated → closed (coordinator editors)."""
    return _transition(request, requirement_id, services.close_requirement)


@router.post("/requirements/{requirement_id}/cancel", response={200: RequirementOut, **ERRORS})
def cancel_requirement(request: HttpRequest, requirement_id: int) -> Any:
    """Any open status → cancelled, unless goods are in transit."""
    return _transition(request, requirement_id, services.cancel_requirement)
