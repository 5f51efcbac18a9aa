"""Geometry for the server-rendered SVG charts.

Templates only copy these numbers into ``<rect>`` and ``<text>``. Coordinates are SVG user units of a
``viewBox`` that is ``width`` wide, so the SVG scales to its container.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

Number = int | float | Decimal


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    full_label: str
    value: Number
    value_label: str
    x: int
    y: float
    width: float
    text_y: float
    label_x: int
    value_x: float


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    width: int
    height: int
    bar_height: int
    plot_width: int


def horizontal_bars(
    rows: Sequence[tuple[str, Number]],
    *,
    width: int = 640,
    label_width: int = 220,
    value_width: int = 110,
    bar_height: int = 18,
    gap: int = 8,
    label_chars: int = 30,
    fmt: Callable[[Number], str] = lambda v: f"{v:,.0f}",
) -> BarChart:
    """One bar per row, scaled so the largest value fills the plot area."""
    plot = width - label_width - value_width
    top = max((float(v) for _, v in rows), default=0.0)
    bars = []
    for i, (label, value) in enumerate(rows):
        y = float(i * (bar_height + gap))
        w = round(plot * float(value) / top, 2) if top > 0 and float(value) > 0 else 0.0
        bars.append(Bar(
            label=_short(label, label_chars), full_label=label, value=value, value_label=fmt(value),
            x=label_width, y=y, width=w, text_y=round(y + bar_height * 0.72, 2), label_x=label_width - 8,
            value_x=round(label_width + w + 6, 2),
        ))
    height = max(len(bars) * (bar_height + gap) - gap, bar_height)
    return BarChart(tuple(bars), width, height, bar_height, plot)


@dataclass(frozen=True)
class Segment:
    series: str
    index: int
    value: Number
    x: float
    width: float
    percent: int


@dataclass(frozen=True)
class StackedRow:
    label: str
    total: Number
    y: float
    text_y: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class StackedChart:
    rows: tuple[StackedRow, ...]
    series: tuple[tuple[int, str], ...]
    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int

    @property
    def label_x(self) -> int:
        return self.label_width - 8

    @property
    def total_x(self) -> int:
        return self.label_width + self.plot_width + 8


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[Number]]],
    series: Sequence[str],
    *,
    width: int = 640,
    label_width: int = 110,
    total_width: int = 110,
    bar_height: int = 22,
    gap: int = 10,
) -> StackedChart:
    """One 100% bar per row: each segment's width is its share of the row's total."""
    plot = width - label_width - total_width
    out = []
    for i, (label, values) in enumerate(rows):
        total = sum(float(v) for v in values)
        x = float(label_width)
        segments = []
        for index, (name, value) in enumerate(zip(series, values, strict=True)):
            share = float(value) / total if total > 0 else 0.0
            w = round(plot * share, 2)
            segments.append(Segment(name, index, value, round(x, 2), w, round(100 * share)))
            x += w
        y = float(i * (bar_height + gap))
        out.append(StackedRow(label, sum(values, 0), y, round(y + bar_height * 0.72, 2), tuple(segments)))
    height = max(len(out) * (bar_height + gap) - gap, bar_height)
    return StackedChart(tuple(out), tuple(enumerate(series)), width, height, label_width, plot, bar_height)
