"""Numbers that do not mislead on /transparency/ (issue #8, point 9)."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client

from aidbridge.core import charts
from aidbridge.core.tests.svgcheck import assert_texts_fit, chart_texts, labels_and_tooltips
from aidbridge.transparency.aggregates import Row


def test_long_donor_names_are_never_clipped_and_kept_whole_in_the_tooltip(world, personas):
    page = Client().get("/transparency/").content.decode()
    assert_texts_fit(page)
    donor = personas.orgs["us"].name  # "United States — Department of Defense"
    pairs = [(label, title) for label, title in labels_and_tooltips(page) if title.startswith(donor)]
    assert len(pairs) == 2  # the tonnes chart and the delivered chart
    for label, _title in pairs:
        assert label == donor or label.endswith("…")


def test_headlines_never_add_units_of_different_items(world, personas):
    page = Client().get("/transparency/").content.decode()
    assert "Units delivered" not in page and "Delivered, by weight" in page
    assert "(units)" not in page
    for _width, _title, texts in chart_texts(page):
        assert not any(text.endswith(" units") for _c, _x, _e, text in texts)
    # delivered share by weight: 1 of 100 trucks (2 t each) and all 1,000 kits (1 kg each) delivered is
    # 3 t of 201 t, not 1,001 of 1,100 units
    row = Row("x", "x", units=1100, delivered_units=1001, tonnes=Decimal("201"), delivered_tonnes=Decimal("3"))
    assert round(row.delivered_tonnes_percent, 1) == 1.5


def test_scoped_figures_say_so(world, personas):
    page = Client().get("/transparency/").content.decode()
    assert "public pledges only" in page


def test_large_numbers_have_thousands_separators(world, personas):
    from aidbridge.pledges import services as pledges

    pledges.update_pledge(actor=personas.donor_us, pledge=world.pledge_public, changes={"quantity": 2000})
    page = Client().get("/transparency/").content.decode()
    assert "4,200.0" in page  # 2,000 generators of 2.1 t, in the stats, the table and the charts
    tooltips = [title for _w, title, _t in chart_texts(page)]
    assert any("Not yet delivered 4,200.0 t (100%)" in title for title in tooltips), tooltips


def test_chart_geometry_fits_long_labels_and_wide_values():
    name = "Ministry of Defence of a Very Long Named Coalition Member State"
    chart = charts.horizontal_bars([(name, Decimal("123456789012")), ("B", 1)], width=400, label_width=120)
    bar = chart.bars[0]
    assert bar.full_label == name and bar.label.endswith("…")
    assert charts.text_width(bar.label) <= bar.label_x
    assert bar.value_x + charts.text_width(bar.value_label) <= chart.width
    stacked = charts.stacked_bars([(name, [1, 2])], ["a", "b"], fmt=lambda v: f"{v:,} t")
    row = stacked.rows[0]
    assert row.full_label == name and charts.text_width(row.label) <= stacked.label_x
    assert row.total_label == "3 t" and row.segments[1].value_label == "2 t"
