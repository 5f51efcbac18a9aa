"""The dashboard's capability readiness: by priority and over time, each bar linking to the filtered readiness
page, over what the viewer may see."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from aidbridge.core.tests.test_pages import assert_self_contained
from aidbridge.training import charts
from aidbridge.training.tests import test_views_helpers as h


@pytest.fixture
def training(world, personas) -> h.Training:
    return h.build(world, personas)


def test_the_dashboard_shows_readiness_by_priority_and_over_time(training, world, personas, login):
    response = login(personas.coordinator).get("/")
    html = response.content.decode()
    page = h.text(response)
    assert "Capability readiness by priority (1)" in page and "Capability readiness over time" in page
    assert 'href="/training/readiness/?priority=1"' in html
    assert "P1 critical: Ready 0 (0%)" in page or "P1 critical:" in page
    assert_self_contained(html)


def test_the_dashboard_counts_only_what_the_viewer_sees(training, personas, login):
    # An outsider's home is a pointer to the transparency page, with no readiness of its own.
    page = h.text(login(personas.outsider).get("/"))
    assert "Capability readiness" not in page and "Open the transparency page" in page


def _row(status: str, priority: int, ready: dt.date | None) -> SimpleNamespace:
    return SimpleNamespace(status=status, priority=priority, ready_date=ready)


def test_readiness_by_priority_counts_each_status_and_links_each_priority():
    rows = [_row("ready", 1, dt.date(2026, 4, 2)), _row("at risk", 1, dt.date(2026, 5, 30)),
            _row("neither", 3, None)]
    linked = charts.readiness_by_priority(rows, "/training/readiness/")
    assert [r.href for r in linked.rows] == [f"/training/readiness/?priority={p}" for p in (1, 2, 3, 4)]
    p1 = linked.rows[0].row
    assert [s.value for s in p1.segments] == [1, 1, 0, 0, 0] and p1.total_label == "2 capabilities"
    assert [s.value for s in linked.rows[2].row.segments] == [0, 0, 0, 0, 1]
    assert not linked.empty and charts.readiness_by_priority([], "/r/").empty


def test_readiness_over_time_is_cumulative_by_month_end_across_a_year_end():
    rows = [_row("ready", 1, dt.date(2026, 11, 30)), _row("at risk", 2, dt.date(2027, 1, 31)),
            _row("neither", 2, None), _row("crews only", 2, dt.date(2026, 12, 1))]
    linked = charts.readiness_over_time(rows, "/training/readiness/")
    assert [r.row.label for r in linked.rows] == ["Nov 2026", "Dec 2026", "Jan 2027"]
    assert [[s.value for s in r.row.segments] for r in linked.rows] == [[1, 3], [2, 2], [3, 1]]
    assert [r.href for r in linked.rows][-1] == "/training/readiness/?ready_by=2027-01"
    assert charts.readiness_over_time([_row("neither", 1, None)], "/r/").empty


def test_month_end_handles_february_of_a_leap_year():
    assert charts.month_end(dt.date(2028, 2, 10)) == dt.date(2028, 2, 29)
    assert charts.month_end(dt.date(2026, 12, 31)) == dt.date(2026, 12, 31)
