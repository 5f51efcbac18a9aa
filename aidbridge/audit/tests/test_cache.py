"""Cached aggregates (``aidbridge.audit.cache``): a write invalidates them, and viewers of different scopes never
share one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from aidbridge.audit.cache import cached, data_version, scope
from aidbridge.catalogue import services as catalogue
from aidbridge.core import clock


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
