"""The map of flows: releasability, tonnages, the period, the geometry and the page for every persona."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aidbridge.accounts.principal import principal
from aidbridge.allocation import services as allocation
from aidbridge.core import clock
from aidbridge.core.charts import text_width
from aidbridge.core.tests.test_pages import assert_self_contained
from aidbridge.dashboard import maps
from aidbridge.pledges import services as pledges


@pytest.fixture(autouse=True)
def _no_cached_flows() -> None:
    """Each test starts without flows cached by another (whose data may have had the same stamp)."""
    cache.clear()


SVG = re.compile(r'<svg viewBox="0 0 (\d+) (\d+)" role="img"[^>]*class="flow-map".*?</svg>', re.S)
NS = "{http://www.w3.org/2000/svg}"


def the_svg(page: str) -> ET.Element:
    match = SVG.search(page)
    assert match, "no flow map on the page"
    return ET.fromstring(match.group(0).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def flow_titles(page: str) -> list[str]:
    svg = the_svg(page)
    return [g.find(f"{NS}title").text for g in svg.iter(f"{NS}g")  # type: ignore[union-attr]
            if (g.get("class") or "").startswith("flow ")]


def assert_valid_map(page: str) -> None:
    """Well-formed, a text alternative, and every marker and label inside the viewBox."""
    svg = the_svg(page)
    width, height = (float(v) for v in svg.get("viewBox", "").split()[2:])
    assert svg.get("role") == "img"
    ids = svg.get("aria-labelledby", "").split()
    texts = {el.get("id"): el.text for el in svg if el.tag in (f"{NS}title", f"{NS}desc")}
    assert ids and all(texts.get(i) for i in ids), "the map has no title and description"
    for el in svg.iter(f"{NS}text"):
        x, y, anchor, text = float(el.get("x")), float(el.get("y")), el.get("text-anchor"), el.text or ""
        w = text_width(text)
        left = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
        assert left >= 0 and left + w <= width and 0 <= y <= height, f"{text!r} runs past the viewBox"
    for el in [*svg.iter(f"{NS}circle"), *svg.iter(f"{NS}rect")]:
        x = float(el.get("cx") or el.get("x"))
        y = float(el.get("cy") or el.get("y"))
        assert 0 <= x <= width and 0 <= y <= height, f"a marker at {x}, {y} is off the map"


@pytest.fixture
def flows(world, personas):
    """21 t of a coalition pledge through Rzeszów and 42 t of a coordinators-only pledge through Suceava, both
    from Germany to Kyiv, allocated today."""
    hidden = pledges.commit_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)
    c = personas.coordinator
    allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement, hub=world.hub,
                        quantity=10)
    allocation.allocate(actor=c, pledge=hidden, requirement=world.requirement, hub=world.hub_ro, quantity=20)
    return world


HIDDEN_LEG = "From Suceava hub to Kyiv: 42.0 t"
SHOWN_LEG = "From Rzeszów hub to Kyiv: 21.0 t"


def test_the_coordinator_sees_every_flow_and_the_tonnes_add_up(flows, personas, login):
    page = login(personas.coordinator).get("/map/").content.decode()
    titles = flow_titles(page)
    assert HIDDEN_LEG in titles and SHOWN_LEG in titles
    assert "From Germany to Rzeszów hub: 21.0 t" in titles
    assert "From Germany to Suceava hub: 42.0 t" in titles
    context = maps.flow_map_context(personas.coordinator, clock.today() - dt.timedelta(days=90), clock.today())
    assert context["total"] == Decimal("63")
    assert sorted(row.tonnes for row in context["rows"]) == [Decimal("21"), Decimal("42")]
    assert context["withheld"] == 0
    assert_valid_map(page)


@pytest.mark.parametrize("persona", ["donor_us", "recipient", "hub_pl"])
def test_a_flow_from_a_hidden_pledge_is_not_drawn(flows, personas, login, persona):
    page = login(getattr(personas, persona)).get("/map/").content.decode()
    titles = flow_titles(page)
    assert HIDDEN_LEG not in titles and "42.0 t" not in page
    assert SHOWN_LEG in titles
    context = maps.flow_map_context(getattr(personas, persona), clock.today() - dt.timedelta(days=90), clock.today())
    assert context["total"] == Decimal("21") and [row.tonnes for row in context["rows"]] == [Decimal("21")]
    # The coalition pledge is visible, but its origin country is withheld below the full view.
    assert not any(t.startswith("From Germany") for t in titles)
    assert "withheld" in page
    assert_valid_map(page)


def test_the_donor_sees_its_own_flows_with_their_origin(flows, personas, login):
    titles = flow_titles(login(personas.donor_de).get("/map/").content.decode())
    assert {HIDDEN_LEG, SHOWN_LEG, "From Germany to Suceava hub: 42.0 t"} <= set(titles)


def test_the_outsider_gets_an_empty_map(flows, personas, login):
    response = login(personas.outsider).get("/map/")
    assert response.status_code == 200
    page = response.content.decode()
    assert flow_titles(page) == []
    assert "No flows you may see in this period." in page
    assert "Rzeszów" not in page and "Kyiv" not in page
    assert_valid_map(page)


def test_the_period_selects_lines_by_dispatch_week(world, personas, login):
    week = clock.today() + dt.timedelta(days=12)  # the Monday after next: past the one-week lead time
    assert week.weekday() == 0
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition, requirement=world.requirement,
                        hub=world.hub, quantity=5, dispatch_week=week)
    client = login(personas.coordinator)
    assert flow_titles(client.get("/map/").content.decode()) == []  # by default, the last 90 days
    page = client.get(f"/map/?start={week.isoformat()}&end={week.isoformat()}").content.decode()
    assert "From Rzeszów hub to Kyiv: 10.5 t" in flow_titles(page)
    after = week + dt.timedelta(days=1)
    assert flow_titles(client.get(f"/map/?start={after.isoformat()}").content.decode()) == []


def test_a_period_that_ends_before_it_starts_is_refused(flows, personas, login):
    response = login(personas.coordinator).get("/map/?start=2026-03-10&end=2026-03-01")
    assert response.status_code == 200
    page = response.content.decode()
    assert "The period must end on or after its first day." in page
    assert SHOWN_LEG in flow_titles(page)  # the default period instead


def test_an_origin_far_away_is_pinned_to_the_edge(world, personas, login):
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_public, requirement=world.requirement,
                        hub=world.hub, quantity=4)
    page = login(personas.coordinator).get("/map/").content.decode()
    assert "From United States to Rzeszów hub: 8.4 t" in flow_titles(page)
    assert "United States (off map)" in page
    assert_valid_map(page)


def test_table_rows_link_to_the_lists_behind_them(flows, personas, login):
    page = htmllib.unescape(login(personas.coordinator).get("/map/").content.decode())
    de = personas.orgs["de"].pk
    assert f"/allocations/?donor={de}&hub={flows.hub.pk}" in page
    assert f"/allocations/?donor={de}&hub={flows.hub_ro.pk}" in page
    assert f"/pledges/?organisation={de}&origin_country=DE" in page
    assert "/requirements/?destination=UA+IEV" in page
    assert f"/hubs/{flows.hub.pk}/" in page


def test_every_persona_gets_the_page_and_anonymous_is_sent_to_login(flows, personas, login):
    for name, user in personas.all().items():
        response = login(user).get("/map/?start=2026-01-01&end=2026-03-31")
        assert response.status_code == 200, name
        page = response.content.decode()
        assert_self_contained(page)
        assert_valid_map(page)
    response = login(None).get("/map/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_the_query_count_does_not_grow_with_the_lines(flows, personas, login, django_assert_num_queries):
    client = login(personas.coordinator)
    client.get("/map/")

    def allocate(n: int) -> None:  # a write: the cached flows are summed again on the next page
        for _ in range(n):
            allocation.allocate(actor=personas.coordinator, pledge=flows.pledge_public,
                                requirement=flows.requirement, hub=flows.hub_ro, quantity=1)

    allocate(1)
    with CaptureQueriesContext(connection) as before:
        client.get("/map/")
    allocate(3)
    with django_assert_num_queries(len(before.captured_queries)):
        client.get("/map/")


def test_the_frame_fits_the_points_in_the_map_aspect():
    frame = maps.fit([(22.0, 50.1), (30.5, 50.45)])
    assert frame.west < 22.0 and frame.east > 30.5 and frame.south < 50.1 and frame.north > 50.45
    x0, y0 = frame.xy(frame.west, frame.north)
    x1, y1 = frame.xy(frame.east, frame.south)
    assert (round(x0, 6), round(y0, 6)) == (0, 0)
    assert (round(x1, 3), round(y1, 3)) == (maps.WIDTH, maps.HEIGHT)


def test_an_edge_point_lies_on_the_margin_towards_the_point():
    assert maps._edge(400, 260) is None
    x, y = maps._edge(-5000, 260)  # type: ignore[misc]
    assert (x, y) == (maps.MARGIN, 260)


def test_the_shipped_world_has_the_donor_countries():
    anchors = maps.anchors()
    for code, (lon, lat) in {"US": (-98, 39), "CA": (-100, 60), "JP": (138, 37), "NO": (13, 64)}.items():
        a_lon, a_lat = anchors[code]
        assert abs(a_lon - lon) < 8 and abs(a_lat - lat) < 8, code


def test_the_map_reads_a_few_queries_and_caches_the_flows_until_the_next_write(flows, personas,
                                                                               django_assert_num_queries):
    start, end = clock.today() - dt.timedelta(days=90), clock.today()
    principal(personas.donor_us)  # who the user is: read once per request, by the middleware on a page
    # The data version (the audit chain head), the flows, the donors, the hubs, the destinations.
    with django_assert_num_queries(5):
        first = maps.flow_map_context(personas.donor_us, start, end)
    with django_assert_num_queries(3):  # the version, the hubs, the destinations: the flows come from the cache
        again = maps.flow_map_context(personas.donor_us, start, end)
    assert first["total"] == again["total"] == Decimal("21")
    allocation.allocate(actor=personas.coordinator, pledge=flows.pledge_coalition, requirement=flows.requirement,
                        hub=flows.hub, quantity=1)
    assert maps.flow_map_context(personas.donor_us, start, end)["total"] == Decimal("23.1")
