from __future__ import annotations

from aidbridge.core.views import Column

PLEDGE_COLUMNS = [
    Column("Reference", "reference", "link"),
    Column("Donor", "donor", "object"),
    Column("Item", "item", "object"),
    Column("Quantity", "quantity", "number"),
    Column("Available", "available_from", "date"),
    Column("Origin", "origin_country"),
    Column("Value", "total_value", "money"),
    Column("Status", "status", "status"),
    Column("Releasability", "releasability", "choice"),
    Column("Allocated", "quantity", "use"),
]

PLEDGE_FIELDS = [
    Column("Donor", "donor", "object"),
    Column("Item", "item", "object"),
    Column("Quantity", "quantity", "number"),
    Column("Available from", "available_from", "date"),
    Column("Origin country", "origin_country"),
    Column("Unit value", "unit_value", "money"),
    Column("Total value", "total_value", "money"),
    Column("Funding source", "funding_source", "choice"),
    Column("Releasability", "releasability", "choice"),
    Column("Disclosure date", "disclosure_date", "date"),
    Column("Notes", "notes"),
    Column("Created", "created_at", "datetime"),
]
