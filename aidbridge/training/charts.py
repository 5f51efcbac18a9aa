"""Geometry of the readiness charts: by priority, and over time by month.

Pure functions over :class:`aidbridge.training.readiness.Readiness` rows, built on
:func:`aidbridge.core.charts.stacked_bars`; every row of a chart links to the readiness page filtered on it.
The pages show the same numbers in a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge.core.charts import StackedChart, StackedRow, stacked_bars

# Readiness statuses in the order the charts stack them (best first); the CSS classes ``rd-0`` … ``rd-4``.
ORDER = ("ready", "at risk", "equipment only", "crews only", "neither")
LABELS = {"ready": _("Ready"), "at risk": _("At risk"), "equipment only": _("Equipment only"),
          "crews only": _("Crews only"), "neither": _("Neither")}
PRIORITIES = ((1, _("P1 critical")), (2, _("P2 high")), (3, _("P3 medium")), (4, _("P4 low")))
MAX_MONTHS = 24


def status_class(status: str) -> str:
    """``"equipment only"`` → ``"equipment-only"``: a badge's CSS class."""
    return status.replace(" ", "-")


@dataclass(frozen=True)
class LinkedRow:
    row: StackedRow
    href: str


@dataclass(frozen=True)
class LinkedChart:
    chart: StackedChart
    rows: tuple[LinkedRow, ...]
    empty: bool


def _count(n: Any) -> str:
    return f"{int(n):,} capabilit{'y' if int(n) == 1 else 'ies'}"


def _linked(chart: StackedChart, hrefs: Sequence[str], empty: bool) -> LinkedChart:
    return LinkedChart(chart, tuple(LinkedRow(r, h) for r, h in zip(chart.rows, hrefs, strict=True)), empty)


def readiness_by_priority(rows: Sequence[Any], url: str, *, width: int = 640) -> LinkedChart:
    """One 100% bar per priority: how many capabilities are in each readiness status."""
    data = []
    hrefs = []
    for value, label in PRIORITIES:
        mine = [r for r in rows if int(r.priority) == value]
        data.append((str(label), [sum(1 for r in mine if r.status == s) for s in ORDER]))
        hrefs.append(f"{url}?{urlencode({'priority': value})}")
    chart = stacked_bars(data, [str(LABELS[s]) for s in ORDER], width=width, fmt=_count, label_width=100)
    return _linked(chart, hrefs, not rows)


def month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _over_time_series() -> list[str]:
    return [gettext("Ready by month end"), gettext("Not yet")]


def readiness_over_time(rows: Sequence[Any], url: str, *, width: int = 640) -> LinkedChart:
    """One bar per month from the earliest to the latest ready date (at most ``MAX_MONTHS``): capabilities
    ready by the month's end, against those not yet ready then (including those with no ready date)."""
    dated = sorted(r.ready_date for r in rows if r.ready_date is not None)
    if not dated:
        return _linked(stacked_bars([], _over_time_series(), width=width, fmt=_count), [], True)
    months: list[dt.date] = []
    month = dated[0].replace(day=1)
    last = dated[-1].replace(day=1)
    while month <= last and len(months) < MAX_MONTHS:
        months.append(month)
        month = _next_month(month)
    data = []
    hrefs = []
    total = len(rows)
    for m in months:
        ready = sum(1 for d in dated if d <= month_end(m))
        data.append((date_format(m, "M Y"), [ready, total - ready]))
        hrefs.append(f"{url}?{urlencode({'ready_by': m.strftime('%Y-%m')})}")
    chart = stacked_bars(data, _over_time_series(), width=width, fmt=_count, label_width=90)
    return _linked(chart, hrefs, False)
