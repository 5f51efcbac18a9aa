"""Server-rendered SVG geometry of a hub's weekly inbound and outbound tonnes against its capacity."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aidbridge.logistics.queries import HubWeek


@dataclass(frozen=True)
class WeekColumn:
    week: object
    inbound: Decimal
    outbound: Decimal
    x: float
    in_y: float
    in_height: float
    out_y: float
    out_height: float
    over: bool


@dataclass(frozen=True)
class HubChart:
    columns: tuple[WeekColumn, ...]
    width: int
    height: int
    capacity: Decimal
    capacity_y: float
    column_width: float
    peak: Decimal


def hub_week_chart(weeks: list[HubWeek], *, width: int = 640, height: int = 160) -> HubChart:
    """Stacked columns (inbound below, outbound above) per week, and the y of the capacity line."""
    capacity = weeks[0].capacity_t if weeks else Decimal(0)
    top = float(max([capacity, *(w.load_t for w in weeks), Decimal("0.001")]))
    scale = (height - 4) / top
    col_w = width / max(len(weeks), 1)
    columns = []
    for n, w in enumerate(weeks):
        in_h = float(w.inbound_t) * scale
        out_h = float(w.outbound_t) * scale
        columns.append(WeekColumn(
            week=w.week, inbound=w.inbound_t, outbound=w.outbound_t, x=round(n * col_w + 1, 2),
            in_y=round(height - in_h, 2), in_height=round(in_h, 2), out_y=round(height - in_h - out_h, 2),
            out_height=round(out_h, 2), over=w.over_capacity,
        ))
    return HubChart(tuple(columns), width, height, capacity, round(height - float(capacity) * scale, 2),
                    round(max(col_w - 2, 1), 2), max((w.load_t for w in weeks), default=Decimal(0)))
