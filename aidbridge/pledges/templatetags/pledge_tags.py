"""Template helpers for pledges: cells with withheld fields replaced, and allocations hidden from the viewer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.safestring import SafeString

from aidbridge.core.templatetags.aidbridge import cell, cells
from aidbridge.core.views import Column
from aidbridge.pledges.models import FinancialPledge
from aidbridge.pledges.tables import shown_columns, shown_money_columns

register = template.Library()


@register.simple_tag(takes_context=True)
def pledge_cell(context: template.Context, pledge: Any, column: Column) -> SafeString:
    """``cell`` for a pledge, in kind or financial, with the fields withheld from the requesting user replaced
    (releasability)."""
    request = context.get("request")
    shown = shown_money_columns if isinstance(pledge, FinancialPledge) else shown_columns
    return cell(pledge, shown(getattr(request, "user", None), pledge, [column])[0])


@register.simple_tag(takes_context=True)
def pledge_row(context: template.Context, pledge: Any, columns: Sequence[Column]) -> SafeString:
    """A pledge's row of cells, in kind or financial, with the fields withheld from the requesting user replaced
    (releasability, decided once for the row)."""
    request = context.get("request")
    shown = shown_money_columns if isinstance(pledge, FinancialPledge) else shown_columns
    return cells(pledge, columns, shown(getattr(request, "user", None), pledge, columns))


@register.simple_tag
def hidden_allocation(pledge: Any, visible_lines: Any) -> int:
    """Units of ``pledge`` allocated on lines the viewer may not see: its allocated total less the visible
    lines, so the total and the list of allocations tell one story."""
    return max(int(pledge.allocated or 0) - sum(int(line.quantity) for line in visible_lines), 0)
