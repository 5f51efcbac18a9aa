"""Every chart partial has a text alternative (``<title>`` and ``<desc>`` in an ``role="img"`` SVG) and a table
view holding the same numbers as the bars, segments and points it draws."""

from __future__ import annotations

from html.parser import HTMLParser

from django.template.loader import render_to_string

from aidbridge.core.charts import horizontal_bars, stacked_bars
from aidbridge.training.charts import LinkedChart, LinkedRow
from aidbridge.whatif import charts as whatif_charts


class Chart(HTMLParser):
    """What a screen reader and the table view get from a rendered chart partial."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.svg_attrs: dict[str, str | None] = {}
        self.title = self.desc = ""
        self.values: list[str] = []  # the texts drawn as values (class c-value) in the SVG
        self.rows: list[list[str]] = []  # the table view's body rows, header cell first
        self.head: list[str] = []
        self._stack: list[str] = []
        self._text: list[str] | None = None
        self._cell: list[str] | None = None
        self._depth_svg = 0
        self._in = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg" and not self.svg_attrs and a.get("role") == "img":
            self.svg_attrs = a
        if tag == "svg":
            self._depth_svg += 1
        if self._depth_svg == 1 and tag in ("title", "desc") and len(self._stack) and self._stack[-1] == "svg":
            self._in, self._text = tag, []
        elif tag == "text" and (a.get("class") or "").split() == ["c-value"]:
            self._in, self._text = "value", []
        elif tag == "tr":
            self._row: list[str] = []
        elif tag in ("td", "th"):
            self._cell = []
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()
        if tag == "svg":
            self._depth_svg -= 1
        if self._text is not None and tag in ("title", "desc", "text"):
            text = "".join(self._text).strip()
            if self._in == "title" and not self.title:
                self.title = text
            elif self._in == "desc":
                self.desc = text
            elif self._in == "value":
                self.values.append(text)
            self._text, self._in = None, ""
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            if "thead" in self._stack:
                self.head = self._row
            else:
                self.rows.append(self._row)

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _alternative(chart: Chart, label: str, names: list[str]) -> None:
    assert chart.svg_attrs.get("role") == "img" and chart.svg_attrs.get("aria-label") == label
    assert chart.title == label
    for name in names:
        assert name in chart.desc


def test_bar_chart_table_has_the_bars_numbers():
    rows = [("Germany — Federal Ministry of Defence and a very long name indeed", 3_150_000),
            ("United States", 600_000), ("Poland", 0)]
    chart = horizontal_bars(rows, fmt=lambda v: f"{v:,.0f} EUR")
    page = Chart(render_to_string("core/_bar_chart.html", {"chart": chart, "label": "Pledged value"}))
    _alternative(page, "Pledged value", [name for name, _ in rows])
    assert page.rows == [[name, f"{value:,.0f} EUR"] for name, value in rows]
    assert [row[1] for row in page.rows] == page.values  # the table says what the bars say
    assert page.rows[0][0] != chart.bars[0].label  # the table gives the full label, the bar a shortened one


def test_stacked_chart_table_has_each_segment_and_total():
    chart = stacked_bars([("P1 critical", [30, 10, 60]), ("P2 high", [0, 0, 0])], ["Delivered", "In transit", "Open"])
    page = Chart(render_to_string("core/_stacked_chart.html", {"chart": chart, "label": "Fill by priority"}))
    _alternative(page, "Fill by priority", ["P1 critical", "Delivered 30 units (30%)", "P2 high"])
    assert page.head == ["Name", "Delivered", "In transit", "Open", "Total"]
    assert page.rows == [["P1 critical", "30 units (30%)", "10 units (10%)", "60 units (60%)", "100 units"],
                         ["P2 high", "0 units (0%)", "0 units (0%)", "0 units (0%)", "0 units"]]
    assert [row[-1] for row in page.rows] == page.values


def test_readiness_chart_table_links_each_row_like_its_bar():
    chart = stacked_bars([("P1 critical", [2, 1]), ("P2 high", [0, 3])], ["Ready", "Neither"],
                         fmt=lambda v: f"{v} capabilities")
    linked = LinkedChart(chart, (LinkedRow(chart.rows[0], "/training/readiness/?priority=1"),
                                 LinkedRow(chart.rows[1], "/training/readiness/?priority=2")), False)
    html = render_to_string("training/_readiness_chart.html", {"linked": linked, "label": "Readiness by priority"})
    page = Chart(html)
    _alternative(page, "Readiness by priority", ["P1 critical: Ready 2 (67%), Neither 1 (33%)"])
    assert page.rows == [["P1 critical", "2 (67%)", "1 (33%)", "3 capabilities"],
                         ["P2 high", "0 (0%)", "3 (100%)", "3 capabilities"]]
    assert [row[-1] for row in page.rows] == page.values
    assert html.count('href="/training/readiness/?priority=1"') == 2  # the bar and the table row


def test_line_chart_table_has_every_point_by_week():
    chart = whatif_charts.coverage_lines([("Baseline", [1.0, 0.9, 0.8]), ("Scenario", [1.0, None, 0.25])],
                                         week_labels=["9 Mar", "16 Mar", "23 Mar"], threshold=0.9)
    label = "P1 coverage by week"
    page = Chart(render_to_string("whatif/_line_chart.html", {"chart": chart, "label": label}))
    _alternative(page, label, ["Baseline, 9 Mar: 100.0%", "Scenario, 23 Mar: 25.0%", "threshold 90%"])
    assert page.head == ["Week", "Baseline", "Scenario"]
    assert page.rows == [["9 Mar", "100.0%", "100.0%"], ["16 Mar", "90.0%", "—"], ["23 Mar", "80.0%", "25.0%"]]
    titles = {p.title for s in chart.series for p in s.points}
    for week, *values in page.rows:
        for name, value in zip(("Baseline", "Scenario"), values, strict=True):
            assert value == "—" or f"{name}, {week}: {value}" in titles


def test_tornado_table_has_each_bar_and_its_link():
    rows = [whatif_charts.TornadoRow("United States", 0.125, "donor", "/whatif/runs/2/"),
            whatif_charts.TornadoRow("Germany", 0.4, "donor", "/whatif/runs/1/"),
            whatif_charts.TornadoRow("PL-RZE Rzeszów hub", 0.0, "hub", "")]
    chart = whatif_charts.tornado(rows)
    html = render_to_string("whatif/_tornado.html", {"chart": chart, "label": "Exposure"})
    page = Chart(html)
    _alternative(page, "Exposure", ["Germany (donor): 40.0%", "PL-RZE Rzeszów hub (hub): 0.0%"])
    assert page.rows == [["Germany", "donor", "40.0%"], ["United States", "donor", "12.5%"],
                         ["PL-RZE Rzeszów hub", "hub", "0.0%"]]
    assert [row[-1] for row in page.rows] == page.values[-3:]  # after the axis' tick labels, the bars' values
    assert html.count('href="/whatif/runs/1/"') == 2


def test_a_page_that_tables_the_figures_itself_leaves_the_partials_table_out():
    chart = horizontal_bars([("A", 1)])
    html = render_to_string("core/_bar_chart.html", {"chart": chart, "label": "x", "table": False})
    assert "<table" not in html and "<desc>A: 1</desc>" in html
