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
    return _withhold(columns, releasability.visible_fields(user, pledge), releasability.ALL_FIELDS,
                     ("available_from", "available_month"))


def _withhold(columns: Sequence[Column], shown: Any, governed: Any, dated: tuple[str, str]) -> list[Column]:
    """Each column of a field in ``governed`` but not ``shown`` becomes "withheld"; the date field ``dated[0]``
    becomes its month instead where ``dated[1]`` (its month) is shown."""
    out = []
    for column in columns:
        field = column.accessor
        if field in shown or field not in governed:
            out.append(column)
        elif field == dated[0] and dated[1] in shown:
            out.append(Column(column.label, field, "month"))
        else:
            out.append(Column(column.label, field, "withheld"))
    return out


FINANCIAL_COLUMNS = [
    Column("Reference", "reference", "link"),
    Column("Donor", "donor", "object"),
    Column("Amount", "amount", "money"),
    Column("Pledged", "pledged_on", "date"),
    Column("Sector", "sector"),
    Column("Purpose", "purpose"),
    Column("Recipient", "recipient_country"),
    Column("Status", "status", "status"),
    Column("Releasability", "releasability", "choice"),
]

FINANCIAL_FIELDS = [
    Column("Donor", "donor", "object"),
    Column("Amount", "amount", "money"),
    Column("Pledged on", "pledged_on", "date"),
    Column("Status since", "status_date", "date"),
    Column("Sector (DAC)", "sector"),
    Column("Purpose", "purpose"),
    Column("Recipient country", "recipient_country"),
    Column("Releasability", "releasability", "choice"),
    Column("Disclosure date", "disclosure_date", "date"),
    Column("Source identifier", "external_id"),
    Column("Notes", "notes"),
    Column("Created", "created_at", "datetime"),
]


def shown_money_columns(user: Any, pledge: Any, columns: Sequence[Column]) -> list[Column]:
    """``columns`` as ``user`` may see them on the financial pledge ``pledge``: withheld fields render as a
    "withheld" badge, a withheld ``pledged_on`` as its month (``releasability.MONEY_VISIBLE``)."""
    return _withhold(columns, releasability.money_visible_fields(user, pledge), releasability.MONEY_ALL_FIELDS,
                     ("pledged_on", "pledged_month"))
