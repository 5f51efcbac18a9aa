"""The seed scenario holds every invariant whatever day it is built on.

The scenario's dates follow its clock. A scenario built at a month end, on 29 February, on a Monday or a
Sunday, or on New Year's Eve must be as sound as one built on an ordinary Wednesday: no date arithmetic may
slip past the end of a month or year, and no week may start on the wrong day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Q, Sum

from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.verify import verify_chain
from aidbridge.catalogue.models import ExchangeRate
from aidbridge.catalogue.money import Rates
from aidbridge.core import clock
from aidbridge.core.models import Releasability
from aidbridge.core.requestid import request_id
from aidbridge.logistics.invariants import verify as verify_ledger
from aidbridge.logistics.models import Shipment
from aidbridge.pledges.models import FinancialPledge, Pledge
from aidbridge.requirements.models import Requirement
from aidbridge.seed import scenario

CLOCKS = {
    "month end (Saturday 31 January)": dt.datetime(2026, 1, 31, 23, 50, tzinfo=dt.UTC),
    "29 February": dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC),
    "a Monday morning": dt.datetime(2026, 3, 9, 0, 5, tzinfo=dt.UTC),
    "a Sunday night": dt.datetime(2026, 3, 15, 23, 55, tzinfo=dt.UTC),
    "year end (New Year's Eve)": dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC),
}


def check_invariants(now: dt.datetime) -> None:
    today = now.date()
    # Allocation quantities: never more than pledged or required, and consistent with the pledge's state.
    for pledge in Pledge.objects.with_use():
        assert pledge.allocated <= pledge.quantity, pledge.reference
        if pledge.status in ("allocated", "shipped", "delivered"):
            assert pledge.allocated > 0, pledge.reference
        if pledge.status in ("announced", "withdrawn"):
            assert pledge.allocated == 0, pledge.reference
    for requirement in Requirement.objects.with_fill():
        assert requirement.allocated <= requirement.quantity, requirement.reference
    assert not AllocationLine.objects.filter(
        Q(in_transit_quantity__gt=F("quantity") - F("delivered_quantity") - F("lost_quantity"))).exists()
    lines = {row["pledge__status"]: row for row in AllocationLine.objects.values("pledge__status").annotate(
        q=Sum("quantity"), t=Sum("in_transit_quantity"), d=Sum("delivered_quantity"), lost=Sum("lost_quantity"))}
    assert lines["delivered"]["q"] == lines["delivered"]["d"] + lines["delivered"]["lost"]
    assert lines["shipped"]["t"] > 0
    # Every state is represented, and dates follow the clock.
    assert set(Pledge.objects.values_list("status", flat=True)) == set(Pledge.Status.values)
    assert set(Requirement.objects.values_list("status", flat=True)) == set(Requirement.Status.values)
    assert set(Shipment.objects.values_list("status", flat=True)) == set(Shipment.Status.values)
    public = Pledge.objects.filter(releasability=Releasability.PUBLIC)
    assert public.filter(disclosure_date__lte=today).exists() and public.filter(disclosure_date__gt=today).exists()
    due = list(Requirement.objects.values_list("due_date", flat=True))
    assert min(due) >= today - dt.timedelta(weeks=4) and max(due) <= today + dt.timedelta(weeks=26)
    # Money: rates up to the last business day, every financial pledge convertible at the day it was pledged.
    latest = ExchangeRate.objects.order_by("-date").values_list("date", flat=True).first()
    assert latest is not None and today - dt.timedelta(days=5) <= latest < today
    rates = Rates()
    for money in FinancialPledge.objects.all():
        assert money.pledged_on < today and (money.status_date is None or money.status_date < today)
        assert rates.convert(money.amount, money.currency, money.pledged_on) is not None, money.reference
    assert set(FinancialPledge.objects.values_list("status", flat=True)) == set(FinancialPledge.Status.values)
    # Nothing happened in the future, and the books balance.
    assert not Shipment.objects.filter(events__at__gt=now + dt.timedelta(minutes=5)).exists()
    ledger = verify_ledger()
    assert ledger.ok, ledger.violations[:10]
    chain = verify_chain()
    assert chain.ok, chain.finding


@pytest.mark.slow  # builds the whole scenario once per clock
@pytest.mark.parametrize("now", list(CLOCKS.values()), ids=list(CLOCKS))
def test_the_scenario_holds_every_invariant_at_awkward_clocks(now, db):
    with request_id():
        summary = scenario.load(now=now)
    assert not summary.already_loaded
    with clock.at(now + dt.timedelta(minutes=1)):
        check_invariants(now)
