"""Geometry of the what-if charts: coverage by week (lines) and exposure (a tornado of horizontal bars).

Pure functions, like :mod:`aidbridge.core.charts`: the templates only copy these numbers into ``<path>``,
``<rect>`` and ``<text>``. Coordinates are SVG user units of a ``viewBox`` that is ``width`` wide, so the SVG
scales to its container. Every point and bar carries a ``title`` with its numbers, for screen readers and
hover; the pages also show the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil

from django.utils.translation import gettext

from aidbridge.core.charts import FONT_SIZE, fit, text_width


def percent(share: float | None, digits: int = 1) -> str:
    """``0.1234`` → ``"12.3%"``; ``None`` → ``"—"``."""
    if share is None:
        return "—"
    return f"{100 * float(share):.{digits}f}%"


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    title: str
    week: int = 0  # the index of its week in ``LineChart.week_labels``


@dataclass(frozen=True)
class Series:
    name: str
    index: int
    path: str  # the SVG path's ``d``: "M x y L x y …", restarting ("M") after a missing value
    points: tuple[Point, ...]


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    threshold: float | None
    threshold_y: float | None
    threshold_label: str
    marker_x: float | None  # a vertical line at ``marker_week`` (time-to-survive), if given
    marker_label: str
    y_label_x: float
    x_label_y: float
    x_title: str
    x_title_x: float
    x_title_y: float
    week_labels: tuple[str, ...] = ()

    @property
    def table(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The chart's numbers by week: (week label, each series' value as drawn in its point's title, or "—")."""
        by_week = [{p.week: percent(p.value) for p in s.points} for s in self.series]
        return tuple((label, tuple(values.get(i, "—") for values in by_week))
                     for i, label in enumerate(self.week_labels))

    @property
    def tick_end(self) -> float:
        return self.bottom + 4

    @property
    def y_title_y(self) -> float:
        return round((self.top + self.bottom) / 2, 2)


def _clamp(v: float) -> float:
    return min(1.0, max(0.0, v))


def coverage_lines(
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    week_labels: Sequence[str] = (),
    threshold: float | None = None,
    marker_week: int | None = None,
    marker_label: str = "",
    width: int = 720,
    height: int = 280,
    max_x_ticks: int = 9,
    x_title: str = "week (starting Monday)",
) -> LineChart:
    """Shares (0..1) per week, one line per series, on a 0–100% axis, with an optional threshold line.

    ``week_labels[i]`` names week ``i`` (a date, say); without them the weeks are numbered. At most
    ``max_x_ticks`` week labels are drawn, evenly spaced. Values are clamped to 0..1 for drawing only: the
    point titles carry the real figure. ``None`` leaves a gap in the line.
    """
    n = max((len(values) for _, values in series), default=0)
    labels = [week_labels[i] if i < len(week_labels) else f"W{i}" for i in range(n)]
    y_label_width = ceil(text_width("100%", 10)) + 8
    left, right = float(y_label_width + 22), float(width - 16)
    top, bottom = 10.0, float(height - 42)
    # the last week label is centred on the right edge: keep half of it inside the viewBox
    if labels:
        right = min(right, width - ceil(text_width(labels[-1], 10) / 2) - 2)

    def x_of(i: int) -> float:
        return round(left + (right - left) * (i / (n - 1) if n > 1 else 0.5), 2)

    def y_of(v: float) -> float:
        return round(bottom - (bottom - top) * _clamp(v), 2)

    out = []
    for index, (name, values) in enumerate(series):
        parts: list[str] = []
        points = []
        pen_up = True
        for i, v in enumerate(values):
            if v is None:
                pen_up = True
                continue
            x, y = x_of(i), y_of(float(v))
            parts.append(f"{'M' if pen_up else 'L'}{x} {y}")
            pen_up = False
            points.append(Point(x, y, float(v), f"{name}, {labels[i]}: {percent(v)}", i))
        out.append(Series(name, index, " ".join(parts), tuple(points)))
    step = max(1, ceil(n / max_x_ticks)) if n else 1
    x_ticks = tuple(Tick(x_of(i), labels[i]) for i in range(0, n, step))
    y_ticks = tuple(Tick(y_of(v / 100), f"{v}%") for v in (0, 25, 50, 75, 100))
    threshold_y = y_of(threshold) if threshold is not None else None
    marker_x = x_of(marker_week) if marker_week is not None and 0 <= marker_week < n else None
    return LineChart(
        width=width, height=height, left=left, right=right, top=top, bottom=bottom, series=tuple(out),
        x_ticks=x_ticks, y_ticks=y_ticks, threshold=threshold, threshold_y=threshold_y,
        threshold_label=gettext("threshold %(share)s") % {"share": percent(threshold, 0)} if threshold is not None
        else "",
        marker_x=marker_x, marker_label=marker_label, y_label_x=left - 6, x_label_y=bottom + 16,
        x_title=x_title, x_title_x=round((left + right) / 2, 2), x_title_y=float(height - 6),
        week_labels=tuple(labels),
    )


# --- tornado -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TornadoRow:
    """One target of a sweep: its label, its loss share (0..1), its kind ("donor" or "hub"), its run's page."""

    label: str
    value: float
    kind: str = ""
    href: str = ""


@dataclass(frozen=True)
class TornadoBar:
    label: str
    full_label: str
    value: float
    value_label: str
    kind: str
    kind_index: int
    href: str
    x: float
    y: float
    width: float
    text_y: float
    label_x: float
    value_x: float


@dataclass(frozen=True)
class TornadoChart:
    bars: tuple[TornadoBar, ...]
    width: int
    height: int
    left: float
    plot_width: float
    bar_height: int
    axis_y: float
    ticks: tuple[Tick, ...]
    scale_max: float
    kinds: tuple[tuple[int, str], ...]  # (series index, kind) for the legend, in order of first appearance

    @property
    def plot_top(self) -> float:
        return self.axis_y + 6

    @property
    def plot_bottom(self) -> float:
        return float(self.height)


NICE_MAXIMA = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0)


def nice_max(value: float) -> float:
    """The smallest of 1%, 2%, 5%, 10%, 20%, 25%, 50%, 100% at least ``value`` (shares above 1 give 1)."""
    for m in NICE_MAXIMA:
        if value <= m + 1e-12:
            return m
    return 1.0


def tornado(
    rows: Sequence[TornadoRow],
    *,
    width: int = 800,
    label_width: int = 310,
    value_width: int = 64,
    bar_height: int = 18,
    gap: int = 6,
    label_chars: int = 48,
    ticks: int = 5,
) -> TornadoChart:
    """Horizontal bars of loss share, the largest on top (ties by label), on a common 0..``nice_max`` axis.

    The axis is labelled in percent above the bars. Labels longer than their column end in an ellipsis (the
    full label stays in ``full_label`` for the bar's ``<title>``).
    """
    ordered = sorted(rows, key=lambda r: (-float(r.value), r.label))
    value_labels = [percent(r.value) for r in ordered]
    value_width = max(value_width, *(ceil(text_width(v)) + 10 for v in value_labels)) if value_labels else value_width
    plot = float(width - label_width - value_width)
    top_value = max((float(r.value) for r in ordered), default=0.0)
    scale = nice_max(top_value) if top_value > 0 else 0.1
    axis_y = float(FONT_SIZE + 2)
    first = axis_y + 10
    kinds: list[tuple[int, str]] = []
    bars = []
    for i, (row, value_label) in enumerate(zip(ordered, value_labels, strict=True)):
        if row.kind not in [k for _, k in kinds]:
            kinds.append((len(kinds), row.kind))
        kind_index = next(index for index, k in kinds if k == row.kind)
        y = first + i * (bar_height + gap)
        w = round(plot * min(float(row.value), scale) / scale, 2) if float(row.value) > 0 else 0.0
        short = row.label if len(row.label) <= label_chars else row.label[: label_chars - 1].rstrip() + "…"
        bars.append(TornadoBar(
            label=fit(short, label_width - 10), full_label=row.label, value=float(row.value),
            value_label=value_label, kind=row.kind, kind_index=kind_index, href=row.href,
            x=float(label_width), y=round(y, 2), width=w, text_y=round(y + bar_height * 0.72, 2),
            label_x=float(label_width - 8), value_x=round(label_width + w + 6, 2),
        ))
    tick_marks = tuple(
        Tick(round(label_width + plot * k / ticks, 2), percent(scale * k / ticks, 0 if scale >= 0.05 else 1))
        for k in range(ticks + 1)
    )
    height = int(ceil(first + max(len(bars), 1) * (bar_height + gap) - gap))
    return TornadoChart(tuple(bars), width, height, float(label_width), plot, bar_height, axis_y, tick_marks,
                        scale, tuple(kinds))
