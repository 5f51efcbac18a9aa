from __future__ import annotations

from aidbridge.core.views import Column

SHIPMENT_COLUMNS = [
    Column("Reference", "reference", "link"),
    Column("Leg", "leg", "choice"),
    Column("Route", "released_route"),
    Column("Hub", "hub", "object"),
    Column("Donor", "donor", "object"),
    Column("Week", "week", "date"),
    Column("Expected", "expected_arrival", "date"),
    Column("Carrier", "carrier"),
    Column("Status", "status", "status"),
]

DISCREPANCY_COLUMNS = [  # the discrepancy report's download
    Column("Received", "receipt.received_at", "datetime"),
    Column("Shipment", "shipment_line.shipment.reference"),
    Column("Leg", "shipment_line.shipment.leg", "choice"),
    Column("Where", "receipt.location", "object"),
    Column("Donor", "shipment_line.allocation_line.pledge.donor", "object"),
    Column("Pledge", "shipment_line.allocation_line.pledge", "ref"),
    Column("Item", "shipment_line.item.code"),
    Column("Good", "good", "number"),
    Column("Damaged", "damaged", "number"),
    Column("Lost", "lost", "number"),
    Column("Reason", "reason", "choice"),
    Column("Note", "note"),
    Column("Counted by", "receipt.received_by", "object"),
]

MOVEMENT_COLUMNS = [  # a hub's stock ledger download
    Column("#", "pk"),
    Column("When", "at", "datetime"),
    Column("Kind", "kind", "choice"),
    Column("Reverses #", "reverses_id"),
    Column("Item", "item.code"),
    Column("Change", "delta", "number"),
    Column("Reason", "reason", "choice"),
    Column("Shipment", "shipment.reference"),
    Column("By", "actor.username"),
    Column("Note", "note"),
    Column("Override reason", "override_reason"),
]

SHIPMENT_FIELDS = [
    Column("Leg", "leg", "choice"),
    Column("Route", "released_route"),
    Column("Hub", "hub", "object"),
    Column("Donor", "donor", "object"),
    Column("Origin", "origin_text"),
    Column("Origin country", "released_origin_country"),
    Column("Destination", "destination", "object"),
    Column("Week", "week", "date"),
    Column("Expected arrival", "expected_arrival", "date"),
    Column("Carrier", "carrier"),
    Column("Tracking reference", "tracking_reference"),
    Column("Dispatched", "dispatched_at", "datetime"),
    Column("Arrived", "arrived_at", "datetime"),
    Column("Received", "received_at", "datetime"),
    Column("Generated", "generated", "bool"),
    Column("Notes", "notes"),
]
