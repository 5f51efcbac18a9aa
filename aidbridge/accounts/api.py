"""``/organisations``: the coalition's members and the organisations they deal with."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from aidbridge.accounts import services
from aidbridge.accounts.filtersets import OrganisationFilterSet
from aidbridge.accounts.models import Organisation
from aidbridge.accounts.schemas import OrganisationIn, OrganisationOut, OrganisationPatch
from aidbridge.core.api import (
    ERRORS,
    READ_ERRORS,
    actor,
    apply_filters,
    changes_of,
    filter_schema,
    get_visible_or_404,
    paginated,
)

router = Router(tags=["organisations"])
OrganisationFilters = filter_schema(OrganisationFilterSet, "OrganisationFilters")


@router.get("/organisations", response={200: list[OrganisationOut], **READ_ERRORS})
@paginated
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilters]) -> Any:  # type: ignore[valid-type]
    return apply_filters(OrganisationFilterSet, filters, Organisation.objects.for_user(actor(request)))


@router.post("/organisations", response={201: OrganisationOut, **ERRORS})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    return Status(201, services.create_organisation(actor=actor(request), **payload.dict()))


@router.get("/organisations/{organisation_id}", response={200: OrganisationOut, **READ_ERRORS})
def get_organisation(request: HttpRequest, organisation_id: int) -> Any:
    return get_visible_or_404(Organisation.objects.for_user(actor(request)), organisation_id)


@router.patch("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS})
def update_organisation(request: HttpRequest, organisation_id: int, payload: OrganisationPatch) -> Any:  # type: ignore[valid-type]
    user = actor(request)
    organisation = get_visible_or_404(Organisation.objects.for_user(user), organisation_id)
    return services.update_organisation(actor=user, organisation=organisation, changes=changes_of(payload))
