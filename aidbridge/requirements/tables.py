from __future__ import annotations

from aidbridge.core.views import Column

REQUIREMENT_COLUMNS = [
    Column("Reference", "reference", "link"),
    Column("Item", "item", "object"),
    Column("Quantity", "quantity", "number"),
    Column("Priority", "priority", "priority"),
    Column("Due", "due_date", "date"),
    Column("Destination", "destination", "object"),
    Column("Status", "status", "status"),
    Column("Fill", "quantity", "fill"),
]

REQUIREMENT_FIELDS = [
    Column("Recipient", "recipient", "object"),
    Column("Item", "item", "object"),
    Column("Quantity", "quantity", "number"),
    Column("Priority", "priority", "priority"),
    Column("Due", "due_date", "date"),
    Column("Destination", "destination", "object"),
    Column("Package", "package"),
    Column("Notes", "notes"),
    Column("Created", "created_at", "datetime"),
]
