"""Geometry for the server-rendered SVG charts.

Templates only copy these numbers into ``<rect>`` and ``<text>``. Coordinates are SVG user units of a
``viewBox`` that is ``width`` wide, so the SVG scales to its container.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import ceil

Number = int | float | Decimal

FONT_SIZE = 12  # .c-label and .c-value in app.css
ELLIPSIS = "…"
# Advance widths in em of DejaVu Sans, the widest of the sans-serif fonts the stylesheet may fall back to
# (Segoe UI, Roboto, Noto Sans and Liberation Sans are narrower): a text that fits by these widths is never
# clipped by the viewBox, whichever of them the browser picks.
_EM = dict(zip(
    " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    (.318, .401, .460, .838, .636, .950, .780, .275, .390, .390, .500, .838, .318, .361, .318, .337,
     .337, .337, .838, .838, .838, .531, 1.0, .390, .337, .390, .838, .500, .500, .636, .337, .636, .838),
    strict=True,
)) | dict.fromkeys("0123456789", .636) | dict(zip(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    (.684, .686, .698, .770, .632, .575, .775, .752, .295, .295, .656, .557, .863, .748, .787, .603, .787,
     .695, .635, .611, .732, .684, .989, .685, .611, .685,
     .613, .635, .550, .635, .615, .352, .635, .634, .278, .278, .579, .278, .974, .634, .612, .635, .635,
     .411, .521, .392, .634, .592, .818, .592, .592, .525),
    strict=True,
)) | {"—": 1.0, "–": .5, "…": 1.0, "×": .838, "→": .838, "·": .318}


def _em(char: str) -> float:
    if char in _EM:
        return _EM[char]
    return 1.0 if ord(char) > 0x2E7F else .78  # CJK and the like; other letters (ó, ł, ß) as a wide capital


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """An upper estimate of the rendered width of ``text`` in SVG user units."""
    return sum(_em(c) for c in text) * font_size


def fit(label: str, space: float, font_size: float = FONT_SIZE) -> str:
    """``label`` if it fits in ``space`` user units, else its longest prefix that fits with an ellipsis."""
    if text_width(label, font_size) <= space:
        return label
    cut = label
    while cut and text_width(cut.rstrip() + ELLIPSIS, font_size) > space:
        cut = cut[:-1]
    word = cut.rsplit(" ", 1)[0]  # end on a whole word when that keeps most of what fits
    if " " in cut and len(word) >= len(cut) * 2 // 3:
        cut = word
    cut = cut.rstrip(" —–-,")
    return cut + ELLIPSIS if cut else ELLIPSIS


def _short(label: str, limit: int, space: float | None = None) -> str:
    short = label if len(label) <= limit else label[: limit - 1].rstrip() + ELLIPSIS
    return short if space is None else fit(short, space)


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
    """One bar per row, scaled so the largest value fills the plot area.

    A label longer than ``label_chars`` or wider than its column is shortened with an ellipsis (the template
    keeps the full label in the bar's ``<title>``); the value column widens to fit the widest value, so no
    text runs past the ``viewBox``.
    """
    values = [fmt(v) for _, v in rows]
    value_width = max(value_width, *(ceil(text_width(v)) + 8 for v in values)) if values else value_width
    plot = width - label_width - value_width
    top = max((float(v) for _, v in rows), default=0.0)
    bars = []
    for i, ((label, value), value_label) in enumerate(zip(rows, values, strict=True)):
        y = float(i * (bar_height + gap))
        w = round(plot * float(value) / top, 2) if top > 0 and float(value) > 0 else 0.0
        bars.append(Bar(
            label=_short(label, label_chars, label_width - 10), full_label=label, value=value,
            value_label=value_label,
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
    value_label: str = ""


@dataclass(frozen=True)
class StackedRow:
    label: str
    total: Number
    y: float
    text_y: float
    segments: tuple[Segment, ...]
    full_label: str = ""
    total_label: str = ""


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
    fmt: Callable[[Number], str] = lambda v: f"{v:,.0f} units",
    label_chars: int = 40,
) -> StackedChart:
    """One 100% bar per row: each segment's width is its share of the row's total.

    Labels are fitted to ``label_width`` like ``horizontal_bars`` (full text kept in ``full_label``); the
    totals column widens to fit the widest ``fmt(total)``.
    """
    totals = [fmt(sum(values, 0)) for _, values in rows]
    total_width = max(total_width, *(ceil(text_width(t)) + 8 for t in totals)) if totals else total_width
    plot = width - label_width - total_width
    out = []
    for i, (label, values) in enumerate(rows):
        total = sum(float(v) for v in values)
        x = float(label_width)
        segments = []
        for index, (name, value) in enumerate(zip(series, values, strict=True)):
            share = float(value) / total if total > 0 else 0.0
            w = round(plot * share, 2)
            segments.append(Segment(name, index, value, round(x, 2), w, round(100 * share), fmt(value)))
            x += w
        y = float(i * (bar_height + gap))
        out.append(StackedRow(_short(label, label_chars, label_width - 10), sum(values, 0), y,
                              round(y + bar_height * 0.72, 2), tuple(segments), full_label=label,
                              total_label=totals[i]))
    height = max(len(out) * (bar_height + gap) - gap, bar_height)
    return StackedChart(tuple(out), tuple(enumerate(series)), width, height, label_width, plot, bar_height)
