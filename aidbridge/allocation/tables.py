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

RUN_COLUMNS = [  # the allocation run list's download
    Column("Run", "pk"),
    Column("Status", "status", "status"),
    Column("Fallback to greedy", "fallback_reason"),
    Column("Method", "method", "choice"),
    Column("Horizon (weeks)", "weeks", "number"),
    Column("Started by", "started_by", "object"),
    Column("Created", "created_at", "datetime"),
    Column("Duration (s)", "duration_seconds", "number"),
    Column("Objective", "objective", "number"),
    Column("Bound", "bound", "number"),
    Column("Greedy objective", "greedy_objective", "number"),
    Column("Approved by", "approved_by", "object"),
    Column("Approved", "approved_at", "datetime"),
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
