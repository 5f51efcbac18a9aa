"""``/locations`` and ``/hubs``, with each hub's inbound and outbound lead times."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from aidbridge.accounts.models import Organisation
from aidbridge.core.api import (
    ERRORS,
    READ_ERRORS,
    Text,
    actor,
    apply_filters,
    changes_of,
    filter_schema,
    get_visible_or_404,
    paginated,
    resolve_refs,
)
from aidbridge.locations import services
from aidbridge.locations.filtersets import HubFilterSet, LocationFilterSet
from aidbridge.locations.models import Hub, Location
from aidbridge.locations.schemas import (
    HubIn,
    HubOut,
    HubPatch,
    InboundLeadTimeIn,
    InboundLeadTimeOut,
    LeadTimesOut,
    LocationIn,
    LocationOut,
    LocationPatch,
    OutboundLeadTimeIn,
    OutboundLeadTimeOut,
)

router = Router(tags=["locations and hubs"])
LocationFilters = filter_schema(LocationFilterSet, "LocationFilters")
HubFilters = filter_schema(HubFilterSet, "HubFilters")
HUB_REFS = {"location": Location, "operator": Organisation}


def _hubs(user: Any) -> Any:
    return Hub.objects.for_user(user).select_related("location", "operator")


@router.get("/locations", response={200: list[LocationOut], **READ_ERRORS})
@paginated
def list_locations(request: HttpRequest, filters: Query[LocationFilters]) -> Any:  # type: ignore[valid-type]
    return apply_filters(LocationFilterSet, filters, Location.objects.for_user(actor(request)))


@router.post("/locations", response={201: LocationOut, **ERRORS})
def create_location(request: HttpRequest, payload: LocationIn) -> Any:
    return Status(201, services.create_location(actor=actor(request), **payload.dict()))


@router.get("/locations/{location_id}", response={200: LocationOut, **READ_ERRORS})
def get_location(request: HttpRequest, location_id: int) -> Any:
    return get_visible_or_404(Location.objects.for_user(actor(request)), location_id)


@router.patch("/locations/{location_id}", response={200: LocationOut, **ERRORS})
def update_location(request: HttpRequest, location_id: int, payload: LocationPatch) -> Any:  # type: ignore[valid-type]
    user = actor(request)
    location = get_visible_or_404(Location.objects.for_user(user), location_id)
    return services.update_location(actor=user, location=location, changes=changes_of(payload))


@router.get("/hubs", response={200: list[HubOut], **READ_ERRORS})
@paginated
def list_hubs(request: HttpRequest, filters: Query[HubFilters]) -> Any:  # type: ignore[valid-type]
    return apply_filters(HubFilterSet, filters, _hubs(actor(request)))


@router.post("/hubs", response={201: HubOut, **ERRORS})
def create_hub(request: HttpRequest, payload: HubIn) -> Any:
    user = actor(request)
    return Status(201, services.create_hub(actor=user, **resolve_refs(user, payload.dict(), HUB_REFS)))


@router.get("/hubs/{hub_id}", response={200: HubOut, **READ_ERRORS})
def get_hub(request: HttpRequest, hub_id: int) -> Any:
    return get_visible_or_404(_hubs(actor(request)), hub_id)


@router.patch("/hubs/{hub_id}", response={200: HubOut, **ERRORS})
def update_hub(request: HttpRequest, hub_id: int, payload: HubPatch) -> Any:  # type: ignore[valid-type]
    user = actor(request)
    hub = get_visible_or_404(_hubs(user), hub_id)
    changes = resolve_refs(user, changes_of(payload), HUB_REFS)
    return services.update_hub(actor=user, hub=hub, changes=changes)


@router.get("/hubs/{hub_id}/lead-times", response={200: LeadTimesOut, **READ_ERRORS})
def get_lead_times(request: HttpRequest, hub_id: int) -> Any:
    hub = get_visible_or_404(Hub.objects.for_user(actor(request)), hub_id)
    return {
        "inbound": hub.inbound_lead_times.order_by("origin_country"),
        "outbound": hub.outbound_lead_times.select_related("destination").order_by("destination__unlocode"),
    }


@router.put(
    "/hubs/{hub_id}/lead-times/inbound/{country}",
    response={200: InboundLeadTimeOut, 204: None, **ERRORS},
    summary="Set or remove (weeks: null) the route from an origin country to the hub",
)
def set_inbound_lead_time(request: HttpRequest, hub_id: int, country: Text, payload: InboundLeadTimeIn) -> Any:
    user = actor(request)
    hub = get_visible_or_404(Hub.objects.for_user(user), hub_id)
    row = services.set_inbound_lead_time(
        actor=user, hub=hub, origin_country=country.upper(), weeks=payload.weeks,
        cost_per_t=payload.cost_per_t,
    )
    return Status(200, row) if row is not None else Status(204, None)


@router.put(
    "/hubs/{hub_id}/lead-times/outbound/{location_id}",
    response={200: OutboundLeadTimeOut, 204: None, **ERRORS},
    summary="Set or remove (weeks: null) the route from the hub to a destination",
)
def set_outbound_lead_time(
    request: HttpRequest, hub_id: int, location_id: int, payload: OutboundLeadTimeIn
) -> Any:
    user = actor(request)
    hub = get_visible_or_404(Hub.objects.for_user(user), hub_id)
    destination = get_visible_or_404(Location.objects.for_user(user), location_id)
    row = services.set_outbound_lead_time(actor=user, hub=hub, destination=destination, weeks=payload.weeks)
    return Status(200, row) if row is not None else Status(204, None)
