"""The seed scenario matches docs/design.md and is built entirely through the audited services."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum
from django.utils import timezone

from aidbridge import data
from aidbridge.accounts.models import Membership, Organisation
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.audit.services import GENESIS_HASH, chain_hash, event_payload
from aidbridge.catalogue.models import Item
from aidbridge.core.models import FillLevel, Releasability
from aidbridge.locations.models import Hub, InboundLeadTime, Location, OutboundLeadTime
from aidbridge.pledges.models import Pledge, SourceDocument
from aidbridge.requirements.models import Requirement
from aidbridge.seed import catalogue as ref
from aidbridge.seed import flows, scenario

User = get_user_model()

pytestmark = pytest.mark.slow  # the seed scenario takes a while to build (once per session: see conftest.py)


@pytest.fixture
def world(seed_scenario, db):
    """The seed scenario, built once per session; each test's changes are rolled back after it."""
    return seed_scenario


def test_it_has_at_least_fourteen_coalition_donors(world):
    donors = Organisation.objects.filter(kind=Organisation.Kind.DONOR, in_coalition=True)
    assert donors.count() >= 14
    assert donors.filter(pledges__isnull=False).distinct().count() == donors.count()


@pytest.mark.parametrize("include_withdrawn", [False, True])
def test_the_largest_donor_holds_about_forty_percent_of_pledged_value(world, include_withdrawn):
    values = scenario.donor_values(include_withdrawn=include_withdrawn)
    largest = max(values, key=lambda k: values[k])
    assert largest == "us-dod"
    assert 0.35 <= float(values[largest] / sum(values.values())) <= 0.45


def test_the_coordinator_sits_at_wiesbaden_with_a_liaison_at_mons(world):
    cell = Organisation.objects.get(kind=Organisation.Kind.COORDINATOR)
    assert cell.country == "DE" and "Wiesbaden" in cell.name
    wiesbaden = Location.objects.get(unlocode="DE WIB")
    assert (round(float(wiesbaden.latitude), 2), round(float(wiesbaden.longitude), 2)) == (50.09, 8.12)
    assert Location.objects.filter(unlocode="BE MQS").exists()


def test_hubs_in_poland_and_romania_reach_every_donor_and_both_destinations(world):
    hubs = {hub.code: hub for hub in Hub.objects.select_related("location", "operator")}
    assert set(hubs) == {"PL-RZE", "RO-SCV"}
    assert hubs["PL-RZE"].location.unlocode == "PL RZE" and hubs["RO-SCV"].location.unlocode == "RO SCV"
    for hub in hubs.values():
        assert hub.operator.kind == Organisation.Kind.HUB_OPERATOR and hub.capacity_t_per_week > 0
        donor_countries = set(Organisation.objects.filter(kind="donor", in_coalition=True)
                              .values_list("country", flat=True))
        inbound = InboundLeadTime.objects.filter(hub=hub)
        assert set(inbound.values_list("origin_country", flat=True)) == donor_countries
        assert all(1 <= row.weeks <= 4 and row.cost_per_t < 1 for row in inbound)
        outbound = {row.destination.unlocode: row.weeks for row in OutboundLeadTime.objects.filter(hub=hub)}
        assert set(outbound) == {"UA LWO", "UA IEV"} and all(0 <= w <= 2 for w in outbound.values())


def test_the_catalogue_spans_all_ten_supply_classes_with_valid_nsns(world):
    items = list(Item.objects.all())
    assert 35 <= len(items) <= 45
    assert {item.supply_class for item in items} == set(Item.SupplyClass.values)
    with_nsn = [item for item in items if item.nsn]
    assert len(with_nsn) >= 10
    for item in with_nsn:
        assert item.nsn[:4] == item.fsc and item.fsc in data.fsc_classes()


def test_requirements_cover_every_status_priority_and_some_packages(world):
    requirements = Requirement.objects.all()
    assert 180 <= requirements.count() <= 220
    assert set(requirements.values_list("status", flat=True)) == set(Requirement.Status.values)
    assert set(requirements.values_list("priority", flat=True)) == {1, 2, 3, 4}
    assert {"field-hospital", "artillery-battery"} <= set(requirements.values_list("package", flat=True))
    assert set(requirements.values_list("destination__unlocode", flat=True)) == {"UA LWO", "UA IEV"}
    assert set(requirements.values_list("recipient__short_name", flat=True)) == {"ua-mod"}


def test_pledges_cover_every_status_releasability_and_several_currencies(world):
    pledges = Pledge.objects.all()
    assert pledges.count() >= 400
    assert set(pledges.values_list("status", flat=True)) == set(Pledge.Status.values)
    assert set(pledges.values_list("releasability", flat=True)) == set(Releasability.values)
    today = timezone.localdate()
    public = pledges.filter(releasability=Releasability.PUBLIC)
    assert public.filter(disclosure_date__lte=today).exists() and public.filter(disclosure_date__gt=today).exists()
    assert {"EUR", "USD", "GBP"} <= set(pledges.values_list("currency", flat=True))


def test_allocations_respect_quantities_and_match_pledge_states(world):
    for pledge in Pledge.objects.with_use():
        assert pledge.allocated <= pledge.quantity
        if pledge.status in ("allocated", "shipped", "delivered"):
            assert pledge.allocated > 0
        if pledge.status in ("announced", "withdrawn"):
            assert pledge.allocated == 0
    for requirement in Requirement.objects.with_fill():
        assert requirement.allocated <= requirement.quantity
    lines = AllocationLine.objects.values("pledge__status").annotate(
        q=Sum("quantity"), t=Sum("in_transit_quantity"), d=Sum("delivered_quantity"), lost=Sum("lost_quantity"))
    by_status = {row["pledge__status"]: row for row in lines}
    # A delivered pledge's units have all arrived: received good, or written off as damaged or lost on the way.
    assert by_status["delivered"]["q"] == by_status["delivered"]["d"] + by_status["delivered"]["lost"]
    assert by_status["delivered"]["t"] == 0
    assert by_status["shipped"]["t"] > 0 and by_status["allocated"]["t"] == by_status["allocated"]["d"] == 0


def test_fill_levels_are_mixed(world):
    requirements = list(Requirement.objects.with_fill())
    for level in ("allocated_fill", "delivered_fill"):
        seen = {getattr(r, level) for r in requirements}
        assert {FillLevel.NONE, FillLevel.PARTIAL, FillLevel.COMPLETE} <= seen, level
    assert FillLevel.PARTIAL in {r.in_transit_fill for r in requirements}
    assert all(r.delivered > 0 for r in requirements if r.status == Requirement.Status.CLOSED)


def test_the_seed_article_is_attached_by_url_and_digest(world):
    document = SourceDocument.objects.get(title=ref.ARTICLE_TITLE)
    assert document.url.startswith("https://www.tempo.co/") and not document.file
    assert document.sha256 == ref.ARTICLE_SHA256
    pledges = list(document.pledges.select_related("donor"))
    assert 3 <= len(pledges) <= 6 and {p.donor.short_name for p in pledges} == {"us-dod"}


def test_the_article_file_is_uploaded_when_the_environment_names_it(world, tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    article = tmp_path / "article.txt"
    article.write_text("TEMPO.CO — a stand-in for the article text.\n", encoding="utf-8")
    monkeypatch.setenv(ref.ARTICLE_ENV, str(article))
    donor = User.objects.get(username="donor-us")
    pledge = Pledge.objects.filter(donor__short_name="us-dod").first()
    document = flows.attach_article(actor=donor, pledges=[pledge])
    assert document.sha256 == hashlib.sha256(article.read_bytes()).hexdigest()
    assert document.file and document.original_name == "article.txt" and document.url == ref.ARTICLE_URL


def test_every_persona_can_log_in_with_the_demo_password(world, client):
    for persona in scenario.PERSONAS:
        assert client.login(username=persona.username, password=ref.DEMO_PASSWORD), persona.username
        membership = Membership.objects.get(user__username=persona.username)
        assert (membership.organisation.short_name, membership.role) == (persona.organisation, persona.role)
        client.logout()
    # The other donors' liaison accounts act in the scenario but cannot log in.
    assert not User.objects.get(username="donor-gb").has_usable_password()
    assert not client.login(username="donor-gb", password=ref.DEMO_PASSWORD)


def test_the_outsider_sees_no_requirement_and_only_what_the_public_sees(world):
    outsider = User.objects.get(username="outsider")
    assert not Organisation.objects.get(short_name="northbridge").in_coalition
    assert not Requirement.objects.for_user(outsider).exists()
    visible = set(Pledge.objects.for_user(outsider).values_list("pk", flat=True))
    assert visible == set(Pledge.objects.for_user(AnonymousUser()).values_list("pk", flat=True))
    assert not Pledge.objects.filter(pk__in=visible).exclude(
        releasability=Releasability.PUBLIC, disclosure_date__lte=timezone.localdate()).exists()
    assert not Item.objects.for_user(outsider).exists()


def test_every_object_has_an_audit_event(world):
    audited: dict[str, set[str]] = defaultdict(set)
    for object_type, object_id in AuditEvent.objects.values_list("object_type", "object_id"):
        audited[object_type].add(object_id)
    for model in (Organisation, User, Membership, Location, Hub, InboundLeadTime, OutboundLeadTime, Item,
                  Requirement, Pledge, AllocationLine, SourceDocument):
        ids = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        missing = ids - audited[model._meta.label_lower]
        assert not missing, f"{model.__name__} without audit events: {sorted(missing)[:5]}"
    created = set(AuditEvent.objects.filter(action="pledge.create").values_list("object_id", flat=True))
    assert created == {str(pk) for pk in Pledge.objects.values_list("pk", flat=True)}


def test_the_audit_chain_is_intact_and_names_the_personas(world):
    previous = GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq"):
        assert event.prev_hash == previous and event.hash == chain_hash(previous, event_payload(event))
        previous = event.hash
    actors = set(AuditEvent.objects.values_list("actor_name", flat=True))
    assert {"system", "coordinator", "recipient", "donor-de", "donor-us"} <= actors
    assert set(AuditEvent.objects.filter(action="requirement.validate").values_list("actor_name", flat=True)) == {
        "coordinator"}
    assert set(AuditEvent.objects.filter(action="allocation.deliver").values_list("actor_name", flat=True)) == {
        "recipient"}


def test_dates_are_relative_to_today(world):
    today = timezone.localdate()
    due = Requirement.objects.values_list("due_date", flat=True)
    assert min(due) >= today - dt.timedelta(weeks=4) and max(due) <= today + dt.timedelta(weeks=26)
    available = Pledge.objects.values_list("available_from", flat=True)
    assert min(available) >= today - dt.timedelta(weeks=8) and max(available) <= today + dt.timedelta(weeks=20)


def test_loading_twice_changes_nothing(world):
    events = AuditEvent.objects.count()
    summary = scenario.load()
    assert summary.already_loaded
    assert summary.counts == world.counts
    assert AuditEvent.objects.count() == events


def test_the_summary_reports_what_was_loaded(world):
    assert world.counts["pledges"] == Pledge.objects.count()
    assert world.largest_donor == "us-dod" and 0.35 <= world.largest_donor_share <= 0.45
    assert any("Largest donor" in line for line in world.lines())


def test_the_logistics_history_is_loaded_and_the_ledger_verifies(world):
    from django.core.management import call_command

    from aidbridge.logistics.invariants import verify
    from aidbridge.logistics.models import ProofOfDelivery, ReceiptLine, Shipment

    assert set(Shipment.objects.values_list("status", flat=True)) == set(Shipment.Status.values)
    assert ReceiptLine.objects.filter(damaged__gt=0).exists()
    assert ReceiptLine.objects.filter(lost__gt=0).exists()
    assert ProofOfDelivery.objects.filter(shipment__status=Shipment.Status.RECEIVED).count() >= 3
    report = verify()
    assert report.ok, report.violations[:10]
    call_command("ledger", "verify")  # exits non-zero (SystemExit/CommandError) on any violation
