from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.utils.translation import gettext_lazy

from aidbridge.core.views import Column

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

LINE_COLUMNS = [
    Column(_("Line"), "pk", "link"),
    Column(_("Pledge"), "pledge", "ref"),
    Column(_("Donor"), "pledge.donor", "object"),
    Column(_("Requirement"), "requirement", "ref"),
    Column(_("Item"), "requirement.item", "object"),
    Column(_("Hub"), "hub", "object"),
    Column(_("Quantity"), "quantity", "number"),
    Column(_("In transit"), "in_transit_quantity", "number"),
    Column(_("Delivered"), "delivered_quantity", "number"),
    Column(_("Dispatch week"), "dispatch_week", "date"),
]

RUN_COLUMNS = [  # the allocation run list's download
    Column(_("Run"), "pk"),
    Column(_("Status"), "status", "status"),
    Column(_("Fallback to greedy"), "fallback_reason"),
    Column(_("Method"), "method", "choice"),
    Column(_("Horizon (weeks)"), "weeks", "number"),
    Column(_("Started by"), "started_by", "object"),
    Column(_("Created"), "created_at", "datetime"),
    Column(_("Duration (s)"), "duration_seconds", "number"),
    Column(_("Objective"), "objective", "number"),
    Column(_("Bound"), "bound", "number"),
    Column(_("Greedy objective"), "greedy_objective", "number"),
    Column(_("Approved by"), "approved_by", "object"),
    Column(_("Approved"), "approved_at", "datetime"),
]

LINE_FIELDS = [
    Column(_("Pledge"), "pledge", "ref"),
    Column(_("Donor"), "pledge.donor", "object"),
    Column(_("Requirement"), "requirement", "ref"),
    Column(_("Recipient"), "requirement.recipient", "object"),
    Column(_("Item"), "requirement.item", "object"),
    Column(_("Hub"), "hub", "object"),
    Column(_("Quantity"), "quantity", "number"),
    Column(_("In transit"), "in_transit_quantity", "number"),
    Column(_("Delivered"), "delivered_quantity", "number"),
    Column(_("Damaged or lost"), "lost_quantity", "number"),
    Column(_("Dispatch week"), "dispatch_week", "date"),
    Column(_("Created"), "created_at", "datetime"),
]
