from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.utils.translation import gettext_lazy

from aidbridge.core.views import Column

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

SHIPMENT_COLUMNS = [
    Column(_("Reference"), "reference", "link"),
    Column(_("Leg"), "leg", "choice"),
    Column(_("Route"), "released_route"),
    Column(_("Hub"), "hub", "object"),
    Column(_("Donor"), "donor", "object"),
    Column(_("Week"), "week", "date"),
    Column(_("Expected"), "expected_arrival", "date"),
    Column(_("Carrier"), "carrier"),
    Column(_("Status"), "status", "status"),
]

DISCREPANCY_COLUMNS = [  # the discrepancy report's download
    Column(_("Received"), "receipt.received_at", "datetime"),
    Column(_("Shipment"), "shipment_line.shipment.reference"),
    Column(_("Leg"), "shipment_line.shipment.leg", "choice"),
    Column(_("Where"), "receipt.location", "object"),
    Column(_("Donor"), "shipment_line.allocation_line.pledge.donor", "object"),
    Column(_("Pledge"), "shipment_line.allocation_line.pledge", "ref"),
    Column(_("Item"), "shipment_line.item.code"),
    Column(_("Good"), "good", "number"),
    Column(_("Damaged"), "damaged", "number"),
    Column(_("Lost"), "lost", "number"),
    Column(_("Reason"), "reason", "choice"),
    Column(_("Note"), "note"),
    Column(_("Counted by"), "receipt.received_by", "object"),
]

MOVEMENT_COLUMNS = [  # a hub's stock ledger download
    Column(_("#"), "pk"),
    Column(_("When"), "at", "datetime"),
    Column(_("Kind"), "kind", "choice"),
    Column(_("Reverses #"), "reverses_id"),
    Column(_("Item"), "item.code"),
    Column(_("Change"), "delta", "number"),
    Column(_("Reason"), "reason", "choice"),
    Column(_("Shipment"), "shipment.reference"),
    Column(_("By"), "actor.username"),
    Column(_("Note"), "note"),
    Column(_("Override reason"), "override_reason"),
]

SHIPMENT_FIELDS = [
    Column(_("Leg"), "leg", "choice"),
    Column(_("Route"), "released_route"),
    Column(_("Hub"), "hub", "object"),
    Column(_("Donor"), "donor", "object"),
    Column(_("Origin"), "origin_text"),
    Column(_("Origin country"), "released_origin_country"),
    Column(_("Destination"), "destination", "object"),
    Column(_("Week"), "week", "date"),
    Column(_("Expected arrival"), "expected_arrival", "date"),
    Column(_("Carrier"), "carrier"),
    Column(_("Tracking reference"), "tracking_reference"),
    Column(_("Dispatched"), "dispatched_at", "datetime"),
    Column(_("Arrived"), "arrived_at", "datetime"),
    Column(_("Received"), "received_at", "datetime"),
    Column(_("Generated"), "generated", "bool"),
    Column(_("Notes"), "notes"),
]
