from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aidbridge.core.views import Column
from aidbridge.pledges import releasability

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


def shown_columns(user: Any, pledge: Any, columns: Sequence[Column]) -> list[Column]:
    """``columns`` as ``user`` may see them on ``pledge``: withheld fields render as a "withheld" badge and a
    withheld ``available_from`` as its month (``aidbridge.pledges.releasability`` holds the rule)."""
    shown = releasability.visible_fields(user, pledge)
    out = []
    for column in columns:
        field = column.accessor
        if field in shown or field not in releasability.ALL_FIELDS:
            out.append(column)
        elif field == "available_from" and "available_month" in shown:
            out.append(Column(column.label, field, "month"))
        else:
            out.append(Column(column.label, field, "withheld"))
    return out
