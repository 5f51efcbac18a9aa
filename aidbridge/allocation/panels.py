"""What the allocation app adds to other apps' detail pages (``core.panels``): the allocation lines of a
requirement, with the manual allocation form for coordinators, and of a pledge."""

from __future__ import annotations

from typing import Any

from aidbridge.accounts.principal import principal
from aidbridge.allocation.forms import AllocateForm
from aidbridge.allocation.models import AllocationLine
from aidbridge.requirements.models import Requirement


def requirement_allocations(user: Any, requirement: Requirement) -> dict[str, Any]:
    lines = list(AllocationLine.objects.for_user(user).filter(requirement=requirement)
                 .select_related("pledge__donor", "hub").order_by("pk"))
    allocating = (requirement.status == Requirement.Status.VALIDATED and principal(user).is_coordinator_editor
                  and requirement.allocated < requirement.quantity)
    return {
        "lines": lines,
        "hidden_allocated": requirement.allocated - sum(line.quantity for line in lines),
        "allocate_form": AllocateForm(user=user, requirement=requirement) if allocating else None,
    }


def pledge_allocations(user: Any, pledge: Any) -> dict[str, Any]:
    """The pledge's lines the viewer may see, and how many allocated units are on lines they may not."""
    lines = list(AllocationLine.objects.for_user(user).filter(pledge=pledge)
                 .select_related("requirement__recipient", "hub").order_by("pk"))
    return {
        "lines": lines,
        "hidden_units": max(int(pledge.allocated or 0) - sum(int(line.quantity) for line in lines), 0),
    }
