"""The seed scenario's money: ECB-style rates imported through the service, financial pledges walked through
their lifecycle by the donors' liaisons, every figure convertible into the reporting currency."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue import ecb
from aidbridge.catalogue.models import ExchangeRate
from aidbridge.catalogue.money import Rates
from aidbridge.core.models import Releasability
from aidbridge.pledges.models import FinancialPledge
from aidbridge.seed import catalogue as ref
from aidbridge.seed import money

pytestmark = pytest.mark.slow  # on the seed scenario, built once per session (see conftest.py)


@pytest.fixture
def world(seed_scenario, db):
    return seed_scenario


def test_rates_cover_every_donor_currency_up_to_the_last_business_day(world):
    today = timezone.localdate()
    foreign = {donor.currency for donor in ref.DONORS} - {"EUR"}
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == foreign
    latest = ExchangeRate.objects.order_by("-date").first().date
    assert today - dt.timedelta(days=5) <= latest < today
    dates = set(ExchangeRate.objects.values_list("date", flat=True))
    assert all(day.weekday() < 5 and (day.month, day.day) not in money.CLOSED for day in dates)
    assert set(ExchangeRate.objects.values_list("source", flat=True)) == {"ecb"}
    assert world.counts["exchange_rates"] == ExchangeRate.objects.count() == len(dates) * len(foreign)


def test_the_rates_were_imported_by_the_coordinator_one_event_per_day(world):
    events = AuditEvent.objects.filter(action="exchange_rate.import")
    assert set(events.values_list("actor_name", flat=True)) == {"coordinator"}
    assert events.count() == ExchangeRate.objects.values("date").distinct().count()


def test_the_generated_file_is_the_ecb_history_layout():
    content = money.rates_csv(dt.date(2028, 2, 29), random.Random(1))
    parsed = ecb.parse(content)
    assert not parsed.errors and parsed.layout == "history"
    assert content.startswith(b"Date,CAD,GBP,USD,\n2028-02-28,")  # newest first; 29 February's rate is not out yet


def test_financial_pledges_cover_every_status_and_releasability(world):
    pledges = FinancialPledge.objects.all()
    assert 20 <= pledges.count() == world.counts["financial_pledges"] <= 40
    assert set(pledges.values_list("status", flat=True)) == set(FinancialPledge.Status.values)
    assert set(pledges.values_list("releasability", flat=True)) == set(Releasability.values)
    today = timezone.localdate()
    public = pledges.filter(releasability=Releasability.PUBLIC)
    assert public.filter(disclosure_date__lte=today).exists() and public.filter(disclosure_date__gt=today).exists()
    assert set(FinancialPledge.objects.for_user(AnonymousUser()).values_list("pk", flat=True)) == set(
        public.filter(disclosure_date__lte=today).values_list("pk", flat=True))
    currency = {donor.org.short_name: donor.currency for donor in ref.DONORS}
    for pledge in pledges.select_related("donor"):
        assert pledge.currency == currency[pledge.donor.short_name]
        assert pledge.pledged_on < today and pledge.sector and pledge.recipient_country == "UA"
        if pledge.status != "announced":
            assert pledge.pledged_on <= pledge.status_date < today


def test_every_financial_pledge_is_audited_by_its_donors_liaison(world):
    for pledge in FinancialPledge.objects.select_related("donor"):
        events = list(AuditEvent.objects.for_object(pledge).order_by("seq"))
        assert events[0].action == "financial_pledge.create"
        assert {e.actor_name for e in events} <= {"donor-de", "donor-us", f"donor-{pledge.donor.country.lower()}"}
        steps = {"announced": 1, "committed": 2, "disbursed": 3, "withdrawn": 2}[pledge.status]
        assert len(events) == steps


def test_every_financial_pledge_converts_into_the_reporting_currency(world):
    rates = Rates()
    total = rates.total((p.amount, p.currency) for p in FinancialPledge.objects.all())
    assert total.complete and total.amount > 0 and total.rate_date is not None
    for pledge in FinancialPledge.objects.exclude(currency="EUR"):
        assert rates.convert(pledge.amount, pledge.currency, pledge.pledged_on) is not None, pledge.reference
