"""Cached aggregates (``aidbridge.audit.cache``): a write invalidates them, and viewers of different scopes never
share one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction

from aidbridge.audit.cache import cached, data_version, scope
from aidbridge.catalogue import services as catalogue
from aidbridge.core import clock, versioned
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import Pledge


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_a_value_is_computed_once_until_a_write(personas):
    compute = Counter()
    assert cached(("n",), compute) == 1
    assert cached(("n",), compute) == 1 and compute.calls == 1
    version = data_version()
    catalogue.create_item(actor=personas.coordinator, code="WATER", name="Water", supply_class="I", unit="l",
                           weight_t=Decimal("0.001"))
    assert data_version() != version  # every audited write moves the chain head
    assert cached(("n",), compute) == 2


def test_viewers_of_different_scopes_never_share_a_value(personas):
    assert scope(personas.donor_de) != scope(personas.donor_us)
    assert scope(personas.coordinator) != scope(personas.auditor)  # same organisation, the auditor sees more
    assert scope(personas.recipient) != scope(personas.hub_pl) != scope(None)
    values = {name: cached(("home", scope(user)), lambda name=name: name) for name, user in personas.all().items()}
    assert values == {name: name for name in personas.all()}


def test_the_day_is_part_of_the_key(personas):
    """Releasability opens on disclosure dates and "this week" moves, without any write."""
    compute = Counter()
    assert cached(("n",), compute) == 1
    with clock.at(clock.now() + dt.timedelta(days=1)):
        assert cached(("n",), compute) == 2
    assert cached(("n",), compute) == 1


def test_a_cached_none_is_a_hit(db):
    compute = Counter()
    assert cached(("none",), lambda: compute() and None) is None
    assert cached(("none",), lambda: compute() and None) is None
    assert compute.calls == 1


@pytest.mark.django_db(transaction=True)
def test_list_counts_are_cached_until_a_write_and_follow_what_the_viewer_sees(world, personas,
                                                                            django_assert_num_queries):
    """Outside a transaction a list's count comes from the cache until the next write; viewers who see different
    rows count different SQL, so never share a count; inside a transaction it is always counted afresh."""
    assert not connection.in_atomic_block
    mine = Pledge.objects.for_user(personas.donor_de)
    theirs = Pledge.objects.for_user(personas.donor_us)
    n_mine, n_theirs = versioned.count(mine), versioned.count(theirs)
    assert (n_mine, n_theirs) == (mine.count(), theirs.count()) and n_mine != n_theirs
    with django_assert_num_queries(1):  # the data version only
        assert versioned.count(mine) == n_mine
    assert versioned.count(mine, limit=1) == 1
    pledges.create_pledge(actor=personas.donor_de, item=world.item, quantity=3,
                          available_from=world.pledge_coalition.available_from, origin_country="DE",
                          unit_value=Decimal("100"), currency="EUR", funding_source="stockpile",
                          releasability="coordinators")
    assert versioned.count(mine) == n_mine + 1  # the write moved the version
    assert versioned.count(theirs) == n_theirs  # a pledge for coordinators only: donor-us does not see it
    assert versioned.count(Pledge.objects.none()) == 0
    with transaction.atomic(), django_assert_num_queries(1):  # counted, no version read
        assert versioned.count(mine) == n_mine + 1


@pytest.mark.django_db(transaction=True)
def test_where_nothing_is_cached_the_uncached_form_is_given(db):
    """``versioned.cached(..., uncached=...)``: outside a transaction the computed value, cached; inside one the
    uncached form (a subquery, say), and nothing computed."""
    assert not connection.in_atomic_block
    compute, fresh = Counter(), Counter()
    assert versioned.cached(("uncached", 1), compute, uncached=lambda: -fresh()) == 1
    assert versioned.cached(("uncached", 1), compute, uncached=lambda: -fresh()) == 1
    assert (compute.calls, fresh.calls) == (1, 0)
    with transaction.atomic():
        assert versioned.cached(("uncached", 1), compute, uncached=lambda: -fresh()) == -1
        assert versioned.cached(("uncached", 1), compute) == 2  # without an uncached form: computed afresh
    assert (compute.calls, fresh.calls) == (2, 1)
