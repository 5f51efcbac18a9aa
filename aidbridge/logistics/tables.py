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
