from __future__ import annotations

import pytest

from aidbridge.audit.filtersets import AuditEventFilterSet, actions
from aidbridge.audit.models import AuditEvent


def test_auditor_searches_by_actor_action_object_and_time(world, personas, login):
    client = login(personas.auditor)
    page = client.get("/audit/", {"actor": "donor-de", "action": "pledge.commit"}).content.decode()
    commits = AuditEvent.objects.filter(actor_name="donor-de", action="pledge.commit")
    assert commits.exists()
    for event in commits:
        assert f"/audit/{event.pk}/" in page
    assert "requirement.validate" not in page
    pledge = world.pledge_coalition
    page = client.get("/audit/", {"object_type": "pledges.pledge", "object_id": str(pledge.pk)}).content.decode()
    assert page.count("pledges.pledge #") == AuditEvent.objects.for_object(pledge).count()
    first = AuditEvent.objects.order_by("seq").first()
    page = client.get("/audit/", {"before": first.created_at.isoformat()}).content.decode()
    assert f"/audit/{first.pk}/" in page


def test_event_detail_shows_before_and_after(world, personas, login):
    event = AuditEvent.objects.filter(action="pledge.commit").first()
    page = login(personas.auditor).get(f"/audit/{event.pk}/").content.decode()
    assert "committed" in page and event.hash in page


@pytest.mark.parametrize("name", ["donor_de", "recipient", "hub_pl", "outsider"])
def test_only_auditors_and_coordinators_see_the_trail(world, personas, login, name):
    client = login(getattr(personas, name))
    event = AuditEvent.objects.first()
    assert client.get("/audit/").status_code == 404
    assert client.get(f"/audit/{event.pk}/").status_code == 404


def test_audit_list_query_count_is_bounded(world, personas, login, django_assert_max_num_queries):
    client = login(personas.auditor)
    with django_assert_max_num_queries(10):
        assert client.get("/audit/").status_code == 200


def test_the_action_filter_matches_a_prefix_of_the_actions_case_aside(world, personas):
    """``pledge.commit`` is one action (or any that begins so), ``pledge.`` and ``PLEDGE`` a family; the filter
    asks by the trail's distinct actions, so the index on (action, seq) serves it."""
    assert sorted(actions()) == sorted(set(AuditEvent.objects.values_list("action", flat=True)))
    events = AuditEvent.objects.all()

    def matched(text: str) -> set[int]:
        return set(AuditEventFilterSet({"action": text}, queryset=events).qs.values_list("pk", flat=True))

    for text in ("pledge.commit", "PLEDGE.Commit", "pledge.", "Pledge", "pledge.c", "p", "no.such", ""):
        expected = {e.pk for e in events if e.action.lower().startswith(text.strip().lower())}
        assert matched(text) == expected, text
    assert matched("pledge.commit") and not matched("no.such")
