"""Readable histories and the audit search for auditors and coordinators (issue #8, point 8)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from aidbridge.accounts.principal import forget
from aidbridge.audit.labels import parse_object, readable_changes
from aidbridge.audit.models import AuditEvent
from aidbridge.audit.services import record_event
from aidbridge.catalogue import services as catalogue
from aidbridge.requirements import services as requirements


def history_of(html: str) -> str:
    """The History card of a detail page."""
    start = html.index('id="history-heading"')
    return html[start:html.index("</section>", start)]


def listed(html: str) -> set[int]:
    """The events a search page lists, by primary key."""
    return {int(pk) for pk in re.findall(r'href="/audit/(\d+)/"', html)}


# --- the audit search -------------------------------------------------------------------------------------

def test_object_filter_accepts_a_reference(world, personas, login):
    client = login(personas.auditor)
    for obj in (world.pledge_coalition, world.requirement):
        html = client.get("/audit/", {"object": obj.reference}).content.decode()
        assert listed(html) == set(AuditEvent.objects.for_object(obj).values_list("pk", flat=True))
    # without the zero padding, and as type:id
    short = f"PLG-{world.pledge_public.pk}"
    assert listed(client.get("/audit/", {"object": short}).content.decode()) == set(
        AuditEvent.objects.for_object(world.pledge_public).values_list("pk", flat=True))
    typed = f"requirements.requirement:{world.draft_requirement.pk}"
    assert listed(client.get("/audit/", {"object": typed}).content.decode()) == set(
        AuditEvent.objects.for_object(world.draft_requirement).values_list("pk", flat=True))


def test_parse_object():
    assert parse_object("PLG-00431") == ("pledges.pledge", "431")
    assert parse_object(" req-31 ") == ("requirements.requirement", "31")
    assert parse_object("SHP-00012") == ("logistics.shipment", "12")
    assert parse_object("XYZ-00012") is None and parse_object("Generator") is None


@pytest.mark.parametrize("name", ["auditor", "coordinator", "donor_de", "outsider"])
def test_audit_search_by_persona(world, personas, login, name):
    """Auditors read everything; coordinators the events on objects they may see; donors and outsiders nothing."""
    client = login(getattr(personas, name))
    draft = AuditEvent.objects.for_object(world.draft_requirement).first()  # a draft: only its recipient sees it
    visible = AuditEvent.objects.for_object(world.requirement).first()
    accounts = AuditEvent.objects.filter(object_type="auth.user").first()
    response = client.get("/audit/")
    if name in ("donor_de", "outsider"):
        assert response.status_code == 404
        for event in (draft, visible):
            assert client.get(f"/audit/{event.pk}/").status_code == 404
        assert "/audit/" not in client.get("/").content.decode()  # no menu entry
        return
    assert response.status_code == 200
    assert 'href="/audit/"' in client.get("/").content.decode()
    everything = name == "auditor"
    assert client.get(f"/audit/{visible.pk}/").status_code == 200
    assert client.get(f"/audit/{draft.pk}/").status_code == (200 if everything else 404)
    by_reference = listed(client.get("/audit/", {"object": world.draft_requirement.reference}).content.decode())
    assert bool(by_reference) is everything
    for obj in (world.requirement, world.pledge_coordinators, world.item):
        assert listed(client.get("/audit/", {"object_type": obj._meta.label_lower,
                                             "object_id": obj.pk}).content.decode()) == set(
            AuditEvent.objects.for_object(obj).values_list("pk", flat=True))
    expected = AuditEvent.objects.for_user(getattr(personas, name))
    assert expected.filter(pk=accounts.pk).exists() is everything  # account events stay with the auditors
    assert expected.count() == (AuditEvent.objects.count() if everything else
                                AuditEvent.objects.count() - AuditEvent.objects.filter(
                                    object_type__in=["accounts.organisation", "accounts.membership", "auth.user",
                                                     "otp_totp.totpdevice", "accounts.apitoken"]).count()
                                - AuditEvent.objects.for_object(world.draft_requirement).count())


def test_audit_list_shows_seconds_and_links_requests(world, personas, login):
    event = AuditEvent.objects.for_object(world.requirement).order_by("-seq").first()
    html = login(personas.coordinator).get("/audit/", {"object": world.requirement.reference}).content.decode()
    assert event.created_at.strftime("%Y-%m-%d %H:%M:%S") in html
    assert f'href="/audit/?request_id={event.request_id}"' in html


def test_coordinator_trail_query_count_is_bounded(world, personas, login, django_assert_max_num_queries):
    client = login(personas.coordinator)
    with django_assert_max_num_queries(12):
        assert client.get("/audit/").status_code == 200


# --- object histories ---------------------------------------------------------------------------------------

def test_history_shows_labels_not_ids_with_seconds_and_request_link(world, personas, login):
    html = login(personas.coordinator).get(
        reverse("requirements:requirement", args=[world.requirement.pk])).content.decode()
    history = history_of(html)
    assert "Generator 100 kW (GEN-100KW)" in history
    assert "Ukraine — Ministry of Defence" in history
    assert f">{world.item.pk}<" not in history and f"<ins>{world.kyiv.pk}</ins>" not in history
    assert "P1 critical" in history  # a choice, by its label
    event = AuditEvent.objects.for_object(world.requirement).order_by("-seq").first()
    assert event.created_at.strftime("%Y-%m-%d %H:%M:%S") in history
    link = f'href="/audit/?request_id={event.request_id}"'
    assert link in history
    listing = login(personas.coordinator).get(f"/audit/?request_id={event.request_id}").content.decode()
    assert f'href="/audit/{event.pk}/"' in listing


def test_request_link_only_for_those_who_may_search(world, personas, login):
    html = login(personas.recipient).get(
        reverse("requirements:requirement", args=[world.requirement.pk])).content.decode()
    history = history_of(html)
    assert "Generator 100 kW (GEN-100KW)" in history  # the recipient sees the catalogue
    assert "/audit/?request_id=" not in history


def test_history_never_labels_what_the_viewer_may_not_see(world, personas, login):
    """An outsider sees a public pledge, but neither the coalition's catalogue nor its organisations."""
    html = login(personas.outsider).get(
        reverse("pledges:pledge", args=[world.pledge_public.pk])).content.decode()
    history = history_of(html)
    assert "an item you cannot see" in history and "an organisation you cannot see" in history
    assert "GEN-100KW" not in history and "United States" not in history
    assert "/audit/?request_id=" not in history


def test_history_renders_large_numbers_with_separators(world, personas, login):
    requirements.update_requirement(actor=personas.recipient, requirement=world.draft_requirement,
                                    changes={"quantity": 125000})
    html = login(personas.recipient).get(
        reverse("requirements:requirement", args=[world.draft_requirement.pk])).content.decode()
    assert "<del>10</del> → <ins>125,000</ins>" in history_of(html)


def test_labels_are_resolved_in_bulk(world, personas, django_assert_max_num_queries):
    """One query per kind of object mentioned, however many events mention one."""
    draft = world.draft_requirement
    for i in range(6):
        item = catalogue.create_item(actor=personas.coordinator, code=f"BULK-{i}", name=f"Bulk item {i}",
                                     supply_class="I", unit="each", weight_t=Decimal("0.01"))
        draft = requirements.update_requirement(actor=personas.recipient, requirement=draft,
                                                changes={"item": item})
    events = list(AuditEvent.objects.for_object(draft).order_by("-seq"))
    assert len(events) >= 7
    user = personas.recipient
    forget(user)
    with django_assert_max_num_queries(4):  # the principal, then items, organisations and locations
        rows = readable_changes(user, events)
    texts = {str(change.after) for changes in rows for change in changes if change.name == "item"}
    assert {f"Bulk item {i} (BULK-{i})" for i in range(6)} <= texts


def test_objects_without_their_own_visibility_rule_are_labelled_for_auditors_only(world, personas):
    """A membership names a user; users have no ``for_user``, so only those who see everything read the name."""
    events = list(AuditEvent.objects.filter(object_type="accounts.membership", after__user_id=personas.donor_de.pk))
    assert events
    for viewer, expected in ((personas.auditor, "donor-de"), (personas.coordinator, "a user you cannot see")):
        users = {str(change.after) for changes in readable_changes(viewer, events) for change in changes
                 if change.name == "user"}
        assert users == {expected}


def test_coordinator_trail_matches_events_to_visible_objects_by_key(world, personas):
    """The coordinator's trail looks each event's object up by primary key: an event naming a pledge it may see
    is listed, one naming a pledge that does not exist or an id that is not a number is not, and neither breaks
    the query (the cast is guarded)."""
    visible = world.pledge_coalition
    with transaction.atomic():
        odd = [record_event(actor=None, action="test.odd", object_type="pledges.pledge", object_id=object_id)
               for object_id in ("PLG-1", "", "99999999999999999999", str(visible.pk + 10_000))]
        mine = record_event(actor=None, action="test.odd", object_type="pledges.pledge", object_id=str(visible.pk))
    shown = set(AuditEvent.objects.for_user(personas.coordinator).filter(action="test.odd")
                .values_list("pk", flat=True))
    assert shown == {mine.pk}
    assert set(AuditEvent.objects.for_user(personas.auditor).filter(action="test.odd")
               .values_list("pk", flat=True)) == {mine.pk, *(e.pk for e in odd)}
