from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.audit import writes
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import services as core
from aidbridge.core.errors import ServiceError
from aidbridge.locations.models import Hub, InboundLeadTime, Location, OutboundLeadTime

LOCATION_FIELDS = ("unlocode", "name", "country", "latitude", "longitude")
HUB_FIELDS = ("code", "name", "location", "operator", "capacity_t_per_week", "active")


def _require_manager(actor: Any) -> None:
    core.require(principal(actor).manages_reference_data,
                 gettext("Only coordinator editors may change locations and hubs."))


def _check_country(location: Location) -> None:
    if location.unlocode[:2] != location.country:
        raise ServiceError(
            gettext("The UN/LOCODE “%(unlocode)s” belongs to %(its_country)s, not %(country)s.")
            % {"unlocode": location.unlocode, "its_country": location.unlocode[:2], "country": location.country},
            field="unlocode",
        )


@transaction.atomic
def create_location(*, actor: Any, **fields: Any) -> Location:
    _require_manager(actor)
    location = Location(**fields)
    core.full_clean(location)
    _check_country(location)
    return writes.create(actor=actor, obj=location, action="location.create")


@transaction.atomic
def update_location(*, actor: Any, location: Location, changes: dict[str, Any]) -> Location:
    _require_manager(actor)
    location = writes.update(
        actor=actor, obj=location, changes=changes, editable=LOCATION_FIELDS, action="location.update"
    )
    _check_country(location)
    return location


def _check_operator(hub: Hub) -> None:
    if hub.operator.kind != Organisation.Kind.HUB_OPERATOR:
        raise ServiceError(gettext("%(organisation)s is not a hub operator.") % {"organisation": hub.operator},
                           field="operator")


@transaction.atomic
def create_hub(*, actor: Any, **fields: Any) -> Hub:
    _require_manager(actor)
    hub = Hub(**fields)
    core.full_clean(hub)
    _check_operator(hub)
    return writes.create(actor=actor, obj=hub, action="hub.create")


@transaction.atomic
def update_hub(*, actor: Any, hub: Hub, changes: dict[str, Any]) -> Hub:
    _require_manager(actor)
    hub = writes.update(actor=actor, obj=hub, changes=changes, editable=HUB_FIELDS, action="hub.update")
    _check_operator(hub)
    return hub


@transaction.atomic
def set_inbound_lead_time(
    *, actor: Any, hub: Hub, origin_country: str, weeks: int | None, cost_per_t: Any = 0
) -> InboundLeadTime | None:
    """Set the weeks from an origin country to a hub; ``weeks=None`` removes the route."""
    _require_manager(actor)
    row = InboundLeadTime.objects.select_for_update().filter(hub=hub, origin_country=origin_country).first()
    before = snapshot(row) if row else None
    if weeks is None:
        if row is None:
            raise ServiceError(gettext("There is no route from %(country)s to %(hub)s.")
                               % {"country": origin_country, "hub": hub.code}, field="origin_country")
        record_event(actor=actor, action="lead_time.inbound.delete", obj=row, before=before)
        row.delete()
        return None
    row = row or InboundLeadTime(hub=hub, origin_country=origin_country)
    row.weeks, row.cost_per_t = weeks, cost_per_t
    core.full_clean(row, exclude=["hub"])
    row.save()
    record_event(actor=actor, action="lead_time.inbound.set", obj=row, before=before, after=snapshot(row))
    return row


@transaction.atomic
def set_outbound_lead_time(
    *, actor: Any, hub: Hub, destination: Location, weeks: int | None
) -> OutboundLeadTime | None:
    """Set the weeks from a hub to a destination; ``weeks=None`` removes the route."""
    _require_manager(actor)
    row = OutboundLeadTime.objects.select_for_update().filter(hub=hub, destination=destination).first()
    before = snapshot(row) if row else None
    if weeks is None:
        if row is None:
            raise ServiceError(gettext("%(hub)s does not serve %(destination)s.")
                               % {"hub": hub.code, "destination": destination.unlocode}, field="destination")
        record_event(actor=actor, action="lead_time.outbound.delete", obj=row, before=before)
        row.delete()
        return None
    row = row or OutboundLeadTime(hub=hub, destination=destination)
    row.weeks = weeks
    core.full_clean(row, exclude=["hub", "destination"])
    row.save()
    record_event(actor=actor, action="lead_time.outbound.set", obj=row, before=before, after=snapshot(row))
    return row
