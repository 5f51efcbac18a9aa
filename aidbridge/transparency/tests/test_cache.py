"""The transparency page is cached until the next write: a newly released pledge shows on the next request."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.test import Client

from aidbridge.core import clock
from aidbridge.pledges import services as pledges


def _released_pledges(client: Client) -> str:
    rows = client.get("/transparency/aidbridge-transparency.csv").content.decode().splitlines()
    (total,) = [row for row in rows if row.startswith("total,")]
    return total.split(",")[3]


def test_a_newly_released_pledge_changes_the_cached_numbers(world, personas, django_assert_max_num_queries):
    client = Client()
    assert client.get("/transparency/").status_code == 200
    assert _released_pledges(client) == "1"
    with django_assert_max_num_queries(3):  # the chain head, the latest checkpoint: the sums come from the cache
        page = client.get("/transparency/").content.decode()
    assert re.search(r"aidbridge-transparency\.csv", page)
    pledges.create_pledge(actor=personas.donor_de, item=world.item, quantity=4, available_from=clock.today(),
                          origin_country="DE", unit_value=Decimal("10"), currency="EUR", funding_source="stockpile",
                          releasability="public", disclosure_date=clock.today() - dt.timedelta(days=1))
    assert _released_pledges(client) == "2"


def test_a_pledge_released_today_counts_from_its_disclosure_date_without_any_write(world, personas):
    client = Client()
    assert _released_pledges(client) == "1"
    # world.pledge_public_later is disclosed a year from now.
    with clock.at(clock.now() + dt.timedelta(days=366)):
        assert _released_pledges(client) == "2"
