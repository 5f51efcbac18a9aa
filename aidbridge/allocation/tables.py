from __future__ import annotations

from aidbridge.core.views import Column

LINE_COLUMNS = [
    Column("Line", "pk", "link"),
    Column("Pledge", "pledge", "ref"),
    Column("Donor", "pledge.donor", "object"),
    Column("Requirement", "requirement", "ref"),
    Column("Item", "requirement.item", "object"),
    Column("Hub", "hub", "object"),
    Column("Quantity", "quantity", "number"),
    Column("In transit", "in_transit_quantity", "number"),
    Column("Delivered", "delivered_quantity", "number"),
    Column("Dispatch week", "dispatch_week", "date"),
]

LINE_FIELDS = [
    Column("Pledge", "pledge", "ref"),
    Column("Donor", "pledge.donor", "object"),
    Column("Requirement", "requirement", "ref"),
    Column("Recipient", "requirement.recipient", "object"),
    Column("Item", "requirement.item", "object"),
    Column("Hub", "hub", "object"),
    Column("Quantity", "quantity", "number"),
    Column("In transit", "in_transit_quantity", "number"),
    Column("Delivered", "delivered_quantity", "number"),
    Column("Damaged or lost", "lost_quantity", "number"),
    Column("Dispatch week", "dispatch_week", "date"),
    Column("Created", "created_at", "datetime"),
]
