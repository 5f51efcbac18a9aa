"""Small steps shared by the shipment services: status moves, timeline rows and the one audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import InvalidTransition
from aidbridge.locations.models import Location
from aidbridge.logistics.models import Shipment, ShipmentEvent


def lock(shipment: Shipment) -> Shipment:
    # FOR UPDATE OF the shipment alone: PostgreSQL cannot lock the nullable side of the destination join.
    return (Shipment.objects.select_for_update(of=("self",)).select_related("hub", "hub__location", "destination")
            .get(pk=shipment.pk))


def check_transition(shipment: Shipment, to: str) -> None:
    allowed = Shipment.TRANSITIONS.get(shipment.status, set())
    if to in allowed:
        return
    labels = dict(Shipment.Status.choices)
    now = labels.get(shipment.status, shipment.status)
    options = ", ".join(f"“{labels[s]}”" for s in sorted(allowed))
    raise InvalidTransition(
        (_("Cannot move shipment %(reference)s from “%(now)s” to “%(to)s”; from “%(now)s” it can go to: %(options)s.")
         if options else _("Cannot move shipment %(reference)s from “%(now)s” to “%(to)s”: “%(now)s” is final."))
        % {"reference": shipment.reference, "now": now, "to": labels.get(to, to), "options": options},
        field="status",
    )


def advance(shipment: Shipment, to: str, **fields: Any) -> Shipment:
    """Move along ``Shipment.TRANSITIONS`` (staying put is allowed) and save the status with ``fields``."""
    if to != shipment.status:
        check_transition(shipment, to)
    shipment.status = to
    for name, value in fields.items():
        setattr(shipment, name, value)
    shipment.save(update_fields=["status", "updated_at", *fields])
    return shipment


def timeline(
    *,
    actor: Any,
    shipment: Shipment,
    at: dt.datetime | None = None,
    location: Location | None = None,
    place: str = "",
    carrier: str = "",
    tracking_reference: str = "",
    note: str = "",
) -> ShipmentEvent:
    return ShipmentEvent.objects.create(
        shipment=shipment, status=shipment.status, at=at or clock.now(),
        recorded_by=actor if getattr(actor, "pk", None) else None, location=location, place=place[:200],
        carrier=carrier[:120], tracking_reference=tracking_reference[:120], note=note,
    )


def audit(*, actor: Any, action: str, shipment: Shipment, before: dict[str, Any] | None, **extra: Any) -> None:
    """The one audit event of a shipment service: the shipment before and after, plus what else it wrote."""
    record_event(actor=actor, action=action, obj=shipment, before=before, after={**snapshot(shipment), **extra})


def lines_payload(shipment: Shipment) -> list[list[int]]:
    return [[line.allocation_line_id, line.quantity] for line in shipment.lines.order_by("pk")]


def full(shipment: Shipment) -> None:
    core.full_clean(shipment)
