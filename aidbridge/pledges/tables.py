from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from django.utils.translation import gettext_lazy

from aidbridge.core.views import Column
from aidbridge.pledges import releasability

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

PLEDGE_COLUMNS = [
    Column(_("Reference"), "reference", "link"),
    Column(_("Donor"), "donor", "object"),
    Column(_("Item"), "item", "object"),
    Column(_("Quantity"), "quantity", "number"),
    Column(_("Available"), "available_from", "date"),
    Column(_("Origin"), "origin_country"),
    Column(_("Value"), "total_value", "money"),
    Column(_("Status"), "status", "status"),
    Column(_("Releasability"), "releasability", "choice"),
    Column(_("Allocated"), "quantity", "use"),
]

PLEDGE_FIELDS = [
    Column(_("Donor"), "donor", "object"),
    Column(_("Item"), "item", "object"),
    Column(_("Quantity"), "quantity", "number"),
    Column(_("Available from"), "available_from", "date"),
    Column(_("Origin country"), "origin_country"),
    Column(_("Unit value"), "unit_value", "money"),
    Column(_("Total value"), "total_value", "money"),
    Column(_("Funding source"), "funding_source", "choice"),
    Column(_("Releasability"), "releasability", "choice"),
    Column(_("Disclosure date"), "disclosure_date", "date"),
    Column(_("Notes"), "notes"),
    Column(_("Created"), "created_at", "datetime"),
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
    Column(_("Reference"), "reference", "link"),
    Column(_("Donor"), "donor", "object"),
    Column(_("Amount"), "amount", "money"),
    Column(_("Pledged"), "pledged_on", "date"),
    Column(_("Sector"), "sector"),
    Column(_("Purpose"), "purpose"),
    Column(_("Recipient"), "recipient_country"),
    Column(_("Status"), "status", "status"),
    Column(_("Releasability"), "releasability", "choice"),
]

FINANCIAL_FIELDS = [
    Column(_("Donor"), "donor", "object"),
    Column(_("Amount"), "amount", "money"),
    Column(_("Pledged on"), "pledged_on", "date"),
    Column(_("Status since"), "status_date", "date"),
    Column(_("Sector (DAC)"), "sector"),
    Column(_("Purpose"), "purpose"),
    Column(_("Recipient country"), "recipient_country"),
    Column(_("Releasability"), "releasability", "choice"),
    Column(_("Disclosure date"), "disclosure_date", "date"),
    Column(_("Source identifier"), "external_id"),
    Column(_("Notes"), "notes"),
    Column(_("Created"), "created_at", "datetime"),
]


def shown_money_columns(user: Any, pledge: Any, columns: Sequence[Column]) -> list[Column]:
    """``columns`` as ``user`` may see them on the financial pledge ``pledge``: withheld fields render as a
    "withheld" badge, a withheld ``pledged_on`` as its month (``releasability.MONEY_VISIBLE``)."""
    return _withhold(columns, releasability.money_visible_fields(user, pledge), releasability.MONEY_ALL_FIELDS,
                     ("pledged_on", "pledged_month"))
