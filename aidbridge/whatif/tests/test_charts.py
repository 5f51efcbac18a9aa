"""The what-if chart builders are pure geometry: no database, no templates."""

from __future__ import annotations

import re

import pytest

from aidbridge.core.charts import text_width
from aidbridge.whatif import charts


def test_percent_formats_shares_and_missing_values():
    assert charts.percent(0.1234) == "12.3%"
    assert charts.percent(1) == "100.0%"
    assert charts.percent(0.5, 0) == "50%"
    assert charts.percent(None) == "—"


def test_coverage_lines_scale_weeks_across_and_shares_up_the_axis():
    chart = charts.coverage_lines([("Baseline", [1.0, 1.0, 1.0]), ("Scenario", [1.0, 0.5, 0.0])],
                                  week_labels=["2 Mar", "9 Mar", "16 Mar"], threshold=0.9)
    base, scen = chart.series
    assert [p.x for p in base.points] == [chart.left, round((chart.left + chart.right) / 2, 2), chart.right]
    assert [p.y for p in scen.points] == [chart.top, round((chart.top + chart.bottom) / 2, 2), chart.bottom]
    assert scen.path.startswith(f"M{chart.left} {chart.top} L")
    assert scen.path.count("L") == 2
    # threshold at 90%: a tenth of the plot's height below the top
    assert chart.threshold_y == pytest.approx(chart.bottom - 0.9 * (chart.bottom - chart.top), abs=0.01)
    assert chart.threshold_label == "threshold 90%"
    assert [t.label for t in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert [t.label for t in chart.x_ticks] == ["2 Mar", "9 Mar", "16 Mar"]


def test_point_titles_carry_the_real_figure_even_when_clamped():
    chart = charts.coverage_lines([("Scenario", [1.2, -0.1])], week_labels=["a", "b"])
    first, second = chart.series[0].points
    assert first.y == chart.top and second.y == chart.bottom
    assert first.title == "Scenario, a: 120.0%" and second.title == "Scenario, b: -10.0%"


def test_missing_values_break_the_line():
    chart = charts.coverage_lines([("Scenario", [1.0, None, 0.5, 0.5])])
    path = chart.series[0].path
    assert path.count("M") == 2 and path.count("L") == 1
    assert len(chart.series[0].points) == 3
    assert [t.label for t in chart.x_ticks] == ["W0", "W1", "W2", "W3"]


def test_week_labels_are_thinned_to_the_maximum():
    chart = charts.coverage_lines([("Scenario", [0.5] * 52)], max_x_ticks=9)
    assert len(chart.x_ticks) <= 9
    assert chart.x_ticks[0].label == "W0"


def test_the_time_to_survive_marker_sits_on_its_week():
    chart = charts.coverage_lines([("Scenario", [1, 1, 0.2, 0.2, 0.2])], marker_week=2, marker_label="week 2")
    assert chart.marker_x == chart.series[0].points[2].x
    assert charts.coverage_lines([("S", [1, 1])], marker_week=5).marker_x is None
    assert charts.coverage_lines([("S", [1, 1])]).threshold_y is None


def test_a_single_week_is_centred_and_nothing_is_drawn_for_no_data():
    one = charts.coverage_lines([("S", [0.7])])
    assert one.series[0].points[0].x == round((one.left + one.right) / 2, 2)
    empty = charts.coverage_lines([])
    assert empty.series == () and empty.x_ticks == ()


def test_every_line_chart_text_fits_the_view_box():
    labels = [f"{d} Dec" for d in range(10, 36)]
    chart = charts.coverage_lines([("S", [0.5] * 26)], week_labels=labels)
    last = chart.x_ticks[-1]
    assert last.at + text_width(last.label, 10) / 2 <= chart.width


def test_tornado_puts_the_largest_loss_on_top_with_ties_by_label():
    chart = charts.tornado([
        charts.TornadoRow("Poland", 0.05, "donor", "/whatif/runs/3/"),
        charts.TornadoRow("Germany", 0.40, "donor", "/whatif/runs/1/"),
        charts.TornadoRow("PL-RZE Rzeszów hub", 0.10, "hub", "/whatif/runs/9/"),
        charts.TornadoRow("Austria", 0.05, "donor", "/whatif/runs/4/"),
    ])
    assert [b.full_label for b in chart.bars] == ["Germany", "PL-RZE Rzeszów hub", "Austria", "Poland"]
    assert [b.y for b in chart.bars] == sorted(b.y for b in chart.bars)
    assert chart.bars[0].href == "/whatif/runs/1/"
    assert chart.scale_max == 0.5  # the next nice maximum above 40%
    assert chart.bars[0].width == pytest.approx(chart.plot_width * 0.8, abs=0.01)
    assert chart.bars[0].value_label == "40.0%"
    assert chart.kinds == ((0, "donor"), (1, "hub"))
    assert [b.kind_index for b in chart.bars] == [0, 1, 0, 0]
    assert [t.label for t in chart.ticks] == ["0%", "10%", "20%", "30%", "40%", "50%"]


def test_tornado_bars_never_run_past_the_plot_and_zero_draws_nothing():
    chart = charts.tornado([charts.TornadoRow("All", 1.7), charts.TornadoRow("None", 0.0)])
    assert chart.scale_max == 1.0
    assert chart.bars[0].width == chart.plot_width
    assert chart.bars[1].width == 0.0
    assert chart.bars[0].value_x + text_width(chart.bars[0].value_label) <= chart.width


def test_tornado_small_shares_get_a_finer_axis():
    chart = charts.tornado([charts.TornadoRow("A", 0.003)])
    assert chart.scale_max == 0.01
    assert chart.ticks[1].label == "0.2%"


def test_tornado_long_labels_are_shortened_and_kept_whole_in_the_title():
    name = "Federal Ministry of Defence of a Very Long Named Country — Procurement Directorate"
    bar = charts.tornado([charts.TornadoRow(name, 0.2)], label_width=200).bars[0]
    assert bar.full_label == name and bar.label.endswith("…")
    assert text_width(bar.label) <= 200 - 10


def test_tornado_of_nothing_has_a_height():
    chart = charts.tornado([])
    assert chart.bars == () and chart.height > 0


@pytest.mark.parametrize("value,expected", [(0.0001, 0.01), (0.01, 0.01), (0.011, 0.02), (0.3, 0.5), (0.99, 1.0),
                                            (3.0, 1.0)])
def test_nice_max(value, expected):
    assert charts.nice_max(value) == expected


def test_no_chart_number_is_localised_into_a_comma():
    chart = charts.coverage_lines([("S", [0.333333, 0.5])], week_labels=["a", "b"])
    assert all(re.fullmatch(r"[ML\d. ]+", s.path) for s in chart.series)
