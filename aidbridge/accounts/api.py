"""How API requests authenticate (bearer tokens, or the browser session), and ``/organisations``: the
coalition's members and the organisations they deal with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from aidbridge.accounts import services
from aidbridge.accounts.filtersets import OrganisationFilterSet
from aidbridge.accounts.models import ApiToken, Organisation
from aidbridge.accounts.schemas import OrganisationIn, OrganisationOut, OrganisationPatch
from aidbridge.core.api import (
    ERRORS,
    READ_ERRORS,
    SAFE_METHODS,
    actor,
    apply_filters,
    changes_of,
    filter_schema,
    get_visible_or_404,
    paginated,
)

# --- authentication ---------------------------------------------------------------------------------------

class BearerAuth(HttpBearer):
    """``Authorization: Bearer abt_…``. A read-scope token may only read."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = services.authenticate_token(token.strip())
        if found is None:
            return None
        user, api_token = found
        if api_token.scope != ApiToken.Scope.WRITE and request.method not in SAFE_METHODS:
            raise HttpError(403, "This token is read-only; use a read-write token to make changes.")
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """A logged-in browser session (the UI and the docs page), CSRF-protected on writes.

    A request that carries an ``Authorization`` header is judged by that header alone, so a revoked token
    answers 401 rather than falling back to a cookie (or tripping the CSRF check).
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie.")
        return request.COOKIES.get(self.param_name) or "session"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if key and request.user.is_authenticated else None


AUTH = [BearerAuth(), SessionAuth()]



# --- organisations ------------------------------------------------------------------------------------------

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
