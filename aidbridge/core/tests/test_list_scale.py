"""Lists at scale (issue 14): a page sums allocations for its own rows only, counts without joining or
grouping, keeps a total order, and stops counting past a cap, saying so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aidbridge.core import clock
from aidbridge.core import views as core_views
from aidbridge.core.views import CappedPaginator
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement


def more_pledges(world, personas, n: int) -> None:
    for i in range(n):
        pledges.create_pledge(actor=personas.donor_de, item=world.other_item, quantity=5 + i,
                              available_from=clock.today() + dt.timedelta(days=i % 9), origin_country="DE",
                              unit_value=Decimal("10"), currency="EUR", funding_source="stockpile")


def pledge_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if 'FROM "pledges_pledge"' in q["sql"]]


def test_the_pledge_list_sums_per_row_and_counts_the_plain_rows(world, personas, login, allocate_line):
    allocate_line(10)
    with CaptureQueriesContext(connection) as captured:
        response = login(personas.coordinator).get("/pledges/")
    assert response.status_code == 200
    rows = {p.pk: p for p in response.context["page"].object_list}
    assert rows[world.pledge_coalition.pk].allocated == 10
    assert rows[world.pledge_coordinators.pk].allocated == 0
    count = [s for s in pledge_queries(captured) if "COUNT(" in s]
    assert count and all("allocation_allocationline" not in s for s in count)


def test_with_use_and_with_fill_neither_group_nor_lose_the_ordering(world):
    for qs in (Pledge.objects.with_use(), Requirement.objects.with_fill()):
        assert qs.query.group_by is None  # the sums are subqueries: the outer query is not grouped
        assert qs.ordered
    with CaptureQueriesContext(connection) as captured:
        Pledge.objects.with_use().count()
    assert "allocation" not in captured[0]["sql"]


def test_the_list_takes_as_many_queries_for_many_rows_as_for_few(world, personas, login):
    client = login(personas.donor_de)
    client.get("/pledges/")  # warm whatever is cached per process
    with CaptureQueriesContext(connection) as few:
        assert client.get("/pledges/").status_code == 200
    more_pledges(world, personas, 12)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/pledges/")
    assert len(response.context["page"].object_list) == Pledge.objects.for_user(personas.donor_de).count()
    assert len(many) == len(few)


def test_pages_follow_the_models_order_without_gaps_or_repeats(world, personas, login):
    more_pledges(world, personas, 7)
    expected = list(Pledge.objects.for_user(personas.coordinator).order_by("available_from", "pk")
                    .values_list("pk", flat=True))
    seen = []
    page = CappedPaginator(Pledge.objects.for_user(personas.coordinator).with_use(), 3)
    for number in page.page_range:
        seen += [p.pk for p in page.page(number).object_list]
    assert seen == expected


def test_past_the_cap_the_list_says_more_than_and_stops_counting(world, personas, login, monkeypatch):
    client = login(personas.coordinator)
    total = Pledge.objects.for_user(personas.coordinator).count()
    assert total == 4
    response = client.get("/pledges/")
    assert f"{total} results" in response.content.decode()
    monkeypatch.setattr(core_views, "COUNT_CAP", 2)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/pledges/")
    text = response.content.decode()
    assert "More than 2 results" in text and f"{total} results" not in text
    assert "Last »" not in text
    page = response.context["page"]
    assert page.paginator.capped and page.paginator.count == 3
    assert any("LIMIT 3" in q["sql"] and "COUNT(" in q["sql"] for q in captured)


@pytest.mark.parametrize("rows, capped", [(0, False), (2, False), (3, True)])
def test_a_capped_count_is_exact_up_to_the_cap(rows, capped):
    paginator = CappedPaginator(list(range(rows)), 1, cap=2)
    assert paginator.capped is capped
    assert paginator.count == min(rows, 3)
