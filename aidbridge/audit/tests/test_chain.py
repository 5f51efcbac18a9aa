from __future__ import annotations

import pytest

from aidbridge.audit.models import AuditChainHead, AuditEvent
from aidbridge.audit.services import chain_hash, event_payload


def test_every_event_links_to_the_previous_one(world):
    events = list(AuditEvent.objects.order_by("seq"))
    assert events, "the world fixture writes through audited services"
    prev = "0" * 64
    for expected_seq, event in enumerate(events, start=1):
        assert event.seq == expected_seq
        assert event.prev_hash == prev
        assert event.hash == chain_hash(prev, event_payload(event))
        prev = event.hash
    assert AuditChainHead.objects.get(pk=1).hash == prev


def test_events_cannot_be_changed_or_deleted_through_the_orm(world):
    event = AuditEvent.objects.first()
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_events_in_one_request_share_a_request_id(personas):
    from aidbridge.catalogue import services
    from aidbridge.core.requestid import request_id

    with request_id("abc123"):
        services.create_item(actor=personas.coordinator, code="A", name="A", supply_class="I", unit="each",
                             weight_t="0.1")
    assert AuditEvent.objects.latest("seq").request_id == "abc123"
