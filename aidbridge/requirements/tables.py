from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.utils.translation import gettext_lazy

from aidbridge.core.views import Column

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

REQUIREMENT_COLUMNS = [
    Column(_("Reference"), "reference", "link"),
    Column(_("Item"), "item", "object"),
    Column(_("Quantity"), "quantity", "number"),
    Column(_("Priority"), "priority", "priority"),
    Column(_("Due"), "due_date", "date"),
    Column(_("Destination"), "destination", "object"),
    Column(_("Status"), "status", "status"),
    Column(_("Fill"), "quantity", "fill"),
]

REQUIREMENT_FIELDS = [
    Column(_("Recipient"), "recipient", "object"),
    Column(_("Item"), "item", "object"),
    Column(_("Quantity"), "quantity", "number"),
    Column(_("Priority"), "priority", "priority"),
    Column(_("Due"), "due_date", "date"),
    Column(_("Destination"), "destination", "object"),
    Column(_("Package"), "package"),
    Column(_("Notes"), "notes"),
    Column(_("Created"), "created_at", "datetime"),
]
