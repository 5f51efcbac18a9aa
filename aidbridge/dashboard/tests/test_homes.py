"""The home page of each role (issue 14, point 1): who gets which home, what it counts, and that it counts only
what the viewer may see, in a bounded number of queries, at awkward dates, cached until the next write."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aidbridge.allocation import run_services as runs
from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationRun
from aidbridge.allocation.tasks import execute_run
from aidbridge.core import clock
from aidbridge.dashboard import homes
from aidbridge.dashboard.views import coordinator_context, donor_context, hub_context, recipient_context
from aidbridge.logistics import services as logistics
from aidbridge.logistics.models import Shipment
from aidbridge.pledges import services as pledges

HOMES = {
    "coordinator": "Awaiting action",
    "auditor": "Awaiting action",
    "donor_de": "Where your goods are",
    "donor_us": "Where your goods are",
    "recipient": "Arrivals due this week",
    "hub_pl": "Shipments in and out of your hubs",
    "outsider": "Open the transparency page",
}


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.parametrize("name", list(HOMES))
def test_each_persona_gets_the_home_of_its_role(world, personas, login, name):
    response = login(getattr(personas, name)).get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for other, marker in HOMES.items():
        assert (marker in page) is (marker == HOMES[name]), (name, other)


def test_anonymous_users_are_sent_to_log_in(db, client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_a_user_without_an_organisation_gets_the_pointer_to_the_transparency_page(db, login, django_user_model):
    user = django_user_model.objects.create_user(username="lonely", password="x")
    page = login(user).get("/").content.decode()
    assert 'href="/transparency/"' in page and "Awaiting action" not in page


def _commit(personas, pledge):  # type: ignore[no-untyped-def]
    return pledges.commit_pledge(actor=personas.donor_de, pledge=pledge)


def test_the_coordinator_inbox_counts_each_queue_and_links_to_it(world, personas, login):
    context = coordinator_context(personas.coordinator)
    # REQ validated, the draft not submitted; two committed pledges (DE coalition, US public).
    assert context["inbox"] == homes.Inbox(to_validate=0, to_allocate=2, stale_runs=0, finished_runs=0, overdue=0,
                                           discrepancies=0)
    page = login(personas.coordinator).get("/").content.decode()
    assert 'href="/requirements/?status=submitted"' in page
    assert 'href="/pledges/?status=committed"' in page
    assert 'href="/shipments/discrepancies/"' in page
    assert 'href="/allocations/runs/"' in page


def test_every_chart_of_the_coordinator_links_to_the_list_behind_it(world, personas, login, allocate_line):
    allocate_line(10)
    page = login(personas.coordinator).get("/").content.decode()
    assert 'href="/pledges/?status=allocated"' in page  # the pipeline
    assert "/requirements/?supply_class=VII&amp;status=submitted" in page  # coverage by supply class
    assert f'href="/shipments/?hub={world.hub.pk}"' in page  # hub throughput
    assert f'href="/pledges/?organisation={personas.orgs["de"].pk}"' in page  # the largest donor
    assert 'href="/training/readiness/"' in page
    assert "{% block" not in page


def test_the_coordinator_sees_the_pipeline_in_tonnes_and_the_largest_donor(world, personas):
    context = coordinator_context(personas.coordinator)
    stages = {s.status: (s.pledges, s.tonnes) for s in context["pipeline"]}
    # Committed: 50 DE + 50 US generators of 2.1 t; announced: 20 DE generators and 5,000 kits of 4 kg.
    assert stages["committed"] == (2, Decimal("210"))
    assert stages["announced"] == (2, Decimal("62"))
    assert "withdrawn" not in stages
    # DE: 70 × 45,000 EUR; the US pledges are in USD (no rate in this world) and the kits in EUR: 600,000.
    assert context["largest"].name == personas.orgs["de"].name
    assert context["largest_percent"] == pytest.approx(84.0)


def test_a_hidden_pledge_never_counts_on_a_recipients_home(world, personas):
    _commit(personas, world.pledge_coordinators)  # released to coordinators only
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coordinators, requirement=world.requirement,
                        hub=world.hub, quantity=20)
    rows = {r.key: r for r in recipient_context(personas.recipient)["priority_rows"]}
    assert rows["1"].needed == Decimal("168")  # 80 generators of 2.1 t (the draft does not count)
    assert rows["1"].allocated == 0 and rows["1"].covered_percent == 0
    coordinator = {r.key: r for r in homes.coverage(personas.coordinator, "priority")}
    assert coordinator["1"].allocated == Decimal("42")  # the coordinator sees the 20 generators
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition, requirement=world.requirement,
                        hub=world.hub, quantity=10)
    rows = {r.key: r for r in recipient_context(personas.recipient)["priority_rows"]}
    assert rows["1"].allocated == Decimal("21") and rows["1"].covered_percent == 12  # 12.5, rounded half to even


def test_a_hidden_pledge_never_counts_on_another_donors_home(world, personas, login):
    _commit(personas, world.pledge_coordinators)
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coordinators, requirement=world.requirement,
                        hub=world.hub, quantity=20)
    # The US has pledged generators before: the 80 required are all short for it, the hidden 20 do not count.
    backfill = donor_context(personas.donor_us)["backfill"]
    assert [(b.code, b.requirements, b.units_short) for b in backfill] == [("GEN-100KW", 1, 80)]
    # Germany sees its own allocation: 60 short.
    assert [(b.code, b.units_short) for b in donor_context(personas.donor_de)["backfill"]] == [("GEN-100KW", 60)]
    us = donor_context(personas.donor_us)
    assert {s.status: s.pledges for s in us["pledge_status"]}["committed"] == 1  # its own only
    assert personas.orgs["de"].name not in [row.name for row in us["value_rows"] if row.total.amount]
    page = login(personas.donor_us).get("/").content.decode()
    assert "/requirements/?item=GEN-100KW&amp;status=submitted&amp;status=validated" in page


def test_a_donor_follows_its_goods_from_origin_to_delivery(world, personas, allocate_line):
    allocate_line(10)
    (inbound,) = logistics.generate_shipments(actor=personas.coordinator)
    stages = {s.key: (s.units, s.tonnes) for s in donor_context(personas.donor_de)["goods"]}
    assert stages["origin"] == (70, Decimal("147")) and stages["to_hub"] == (0, 0)
    logistics.dispatch_shipment(actor=personas.donor_de, shipment=inbound)
    stages = {s.key: (s.units, s.tonnes) for s in donor_context(personas.donor_de)["goods"]}
    assert stages["origin"] == (60, Decimal("126")) and stages["to_hub"] == (10, Decimal("21"))
    logistics.receive_shipment(actor=personas.hub_pl, shipment=inbound,
                               lines=[logistics.Received(inbound.lines.get(), good=10)])
    stages = {s.key: (s.units, s.tonnes) for s in donor_context(personas.donor_de)["goods"]}
    assert stages["to_hub"] == (0, 0) and stages["hub"] == (10, Decimal("21"))
    # The US sees none of it.
    assert all(s.units == 0 for s in donor_context(personas.donor_us)["goods"] if s.key != "origin")


def _to_hub_and_onward(world, personas, allocate_line) -> Shipment:  # type: ignore[no-untyped-def]
    allocate_line(10)
    (inbound,) = logistics.generate_shipments(actor=personas.coordinator)
    logistics.dispatch_shipment(actor=personas.donor_de, shipment=inbound)
    logistics.receive_shipment(actor=personas.hub_pl, shipment=inbound,
                               lines=[logistics.Received(inbound.lines.get(), good=10)])
    return Shipment.objects.get(leg=Shipment.Leg.OUTBOUND)


def test_the_hub_operator_sees_its_legs_today_and_this_week_and_its_stock(world, personas, allocate_line, login):
    outbound = _to_hub_and_onward(world, personas, allocate_line)
    with clock.at(dt.datetime.combine(outbound.week, dt.time(9), tzinfo=dt.UTC)):
        context = hub_context(personas.hub_pl)
        page = login(personas.hub_pl).get("/").content.decode()
    (day,) = context["hub_days"]
    assert day.code == world.hub.code and day.outbound_week == 1
    assert [s.pk for s in context["week_shipments"] if s.leg == "outbound"] == [outbound.pk]
    (stock,) = context["stock"]
    assert [(line.code, line.on_hand, line.reserved, line.free) for line in stock.lines] == [("GEN-100KW", 10, 10, 0)]
    assert f'href="/shipments/{outbound.pk}/"' in page
    # The other hub's operator is not in this world; the Romanian hub never shows on the Polish operator's home.
    assert world.hub_ro.code not in [d.code for d in context["hub_days"]]


def test_the_recipient_sees_the_arrivals_due_this_week(world, personas, allocate_line, login):
    outbound = _to_hub_and_onward(world, personas, allocate_line)
    count, rows = homes.arrivals_this_week(personas.recipient, personas.orgs["ua"].pk, outbound.expected_arrival)
    assert count == 1 and rows[0].pk == outbound.pk and rows[0].tonnes == Decimal("21")
    later = outbound.expected_arrival + dt.timedelta(days=7)
    assert homes.arrivals_this_week(personas.recipient, personas.orgs["ua"].pk, later)[0] == 0


@pytest.mark.parametrize("today, monday, sunday", [
    (dt.date(2026, 12, 31), dt.date(2026, 12, 28), dt.date(2027, 1, 3)),  # a Thursday at the year end
    (dt.date(2027, 1, 1), dt.date(2026, 12, 28), dt.date(2027, 1, 3)),
    (dt.date(2028, 2, 29), dt.date(2028, 2, 28), dt.date(2028, 3, 5)),  # a leap day
    (dt.date(2026, 2, 28), dt.date(2026, 2, 23), dt.date(2026, 3, 1)),  # a month end on a Saturday
    (dt.date(2026, 3, 1), dt.date(2026, 2, 23), dt.date(2026, 3, 1)),  # a Sunday
])
def test_this_week_runs_monday_to_sunday_across_month_and_year_ends(today, monday, sunday):
    assert homes.week_of(today) == (monday, sunday)


def test_arrivals_this_week_across_the_year_end(world, personas, allocate_line):
    outbound = _to_hub_and_onward(world, personas, allocate_line)
    ua = personas.orgs["ua"].pk
    for arrival, today, due in [
        (dt.date(2027, 1, 2), dt.date(2026, 12, 31), True),  # Saturday next year, seen on Thursday
        (dt.date(2026, 12, 28), dt.date(2027, 1, 3), True),  # Monday last year, seen on Sunday
        (dt.date(2026, 12, 27), dt.date(2026, 12, 31), False),  # the Sunday before
        (dt.date(2027, 1, 4), dt.date(2026, 12, 31), False),  # the Monday after
    ]:
        Shipment.objects.filter(pk=outbound.pk).update(expected_arrival=arrival)  # test set-up, not a write path
        assert (homes.arrivals_this_week(personas.recipient, ua, today)[0] == 1) is due, (arrival, today)


@pytest.mark.parametrize("instant", [
    dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC), dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC),
])
def test_every_home_renders_at_awkward_dates(world, personas, login, instant):
    with clock.at(instant):
        start, end = homes.week_of(clock.today())
        for name in HOMES:
            response = login(getattr(personas, name)).get("/")
            assert response.status_code == 200, name
        page = _text(login(personas.recipient).get("/"))
    assert f"expected from {start:%a} {start.day} {start:%b %Y} to {end:%a} {end.day} {end:%b %Y}" in page


def test_hub_throughput_sums_tonnes_per_week_against_capacity(world, personas, allocate_line):
    outbound = _to_hub_and_onward(world, personas, allocate_line)
    loads = {h.code: h for h in homes.hub_throughput(personas.coordinator, outbound.week)}
    this_week = loads[world.hub.code].this_week
    assert this_week[0] == outbound.week and this_week[2] == Decimal("21")  # the outbound leg's planned week
    assert loads[world.hub.code].capacity_t == Decimal("800") and not loads[world.hub.code].over_capacity
    assert loads[world.hub_ro.code].load_t == 0
    # The recipient may not see the Polish hub's inbound leg's donor goods, but counts nothing it cannot see.
    assert all(h.load_t == 0 for h in homes.hub_throughput(personas.outsider, outbound.week))


def _queries(client) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", list(HOMES))
def test_the_number_of_queries_does_not_grow_with_the_data(world, personas, login, name):
    client = login(getattr(personas, name))

    def allocate_and_ship(count: int) -> None:
        for n in range(count):
            pledge = pledges.create_pledge(actor=personas.donor_de, item=world.item, quantity=5 + n,
                                           available_from=clock.today(), origin_country="DE",
                                           unit_value=Decimal("100"), currency="EUR", funding_source="stockpile",
                                           releasability="coalition")
            pledge = _commit(personas, pledge)
            allocation.allocate(actor=personas.coordinator, pledge=pledge, requirement=world.requirement,
                                hub=world.hub, quantity=1)
        logistics.generate_shipments(actor=personas.coordinator)

    # One flow first (the map looks up the places of the flows it draws, and none when there is none) ...
    allocate_and_ship(1)
    before = _queries(client)
    allocate_and_ship(4)  # ... then more pledges, allocated and shipped: the same number of queries
    assert _queries(client) == before


@pytest.mark.parametrize("name", list(HOMES))
def test_a_home_read_again_without_a_write_costs_a_few_queries(world, personas, login, name,
                                                                django_assert_max_num_queries):
    client = login(getattr(personas, name))
    draws_map = b"flow-map" in client.get("/").content
    # The session, the user, its membership, the audit chain head; and what the page's menu asks. The
    # coordinator's home also draws the map of flows: its cache key (the chain head, the newest line) and the
    # hubs and places it marks.
    with django_assert_max_num_queries(10 if draws_map else 6):
        client.get("/")


def test_a_write_shows_on_the_next_request(world, personas, login):
    client = login(personas.coordinator)

    def to_allocate() -> str:
        page = _text(client.get("/"))
        return re.search(r"Committed pledges to allocate (\d+)", page).group(1)  # type: ignore[union-attr]

    assert to_allocate() == "2"
    assert to_allocate() == "2"  # cached
    pledge = pledges.create_pledge(actor=personas.donor_de, item=world.item, quantity=3,
                                   available_from=clock.today(), origin_country="DE", unit_value=Decimal("10"),
                                   currency="EUR", funding_source="stockpile", releasability="coalition")
    _commit(personas, pledge)
    assert to_allocate() == "3"


def test_two_personas_never_share_a_cached_home(world, personas, login):
    de = _text(login(personas.donor_de).get("/"))
    us = _text(login(personas.donor_us).get("/"))
    # Germany's own pledges: 50 + 20 generators, 147 t at origin; the US: 50 generators and 5,000 kits, 125 t.
    assert "At origin 70 147.0" in de and "At origin 5,050 125.0" in us
    assert _text(login(personas.donor_de).get("/")) == de


def test_a_finished_run_counts_as_stale_once_a_planning_input_is_written(world, personas):
    run = runs.start_run(actor=personas.coordinator)
    execute_run.call(run.pk)
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.DONE and runs.stale_reasons(run) == []
    inbox = homes.inbox(personas.coordinator, clock.today())
    assert (inbox.finished_runs, inbox.stale_runs) == (1, 0)
    _commit(personas, world.pledge_coordinators)  # a pledge the plan read changes
    assert runs.stale_reasons(run) != []  # the run's page agrees
    assert homes.stale_runs(personas.coordinator, clock.today()) == [run.pk]
    # Its first week passing makes it stale too, without any write.
    assert homes.stale_runs(personas.coordinator, run.start_date + dt.timedelta(days=7)) == [run.pk]
    assert homes.inbox(personas.donor_de, clock.today()).finished_runs == 0  # runs are for coordinators
