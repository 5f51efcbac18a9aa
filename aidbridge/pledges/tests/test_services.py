from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import InvalidTransition, NotPermitted, ServiceError
from aidbridge.pledges import services
from aidbridge.pledges.models import Pledge

S = Pledge.Status


def _force(pledge: Pledge, status: str) -> Pledge:
    Pledge.objects.filter(pk=pledge.pk).update(status=status)
    pledge.refresh_from_db()
    return pledge


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (S.WITHDRAWN, "commit"),
        (S.COMMITTED, "commit"),
        (S.ALLOCATED, "commit"),
        (S.SHIPPED, "commit"),
        (S.DELIVERED, "commit"),
        (S.DELIVERED, "withdraw"),
        (S.WITHDRAWN, "withdraw"),
    ],
)
def test_it_refuses_illegal_transitions_and_changes_nothing(world, personas, start, action):
    pledge = _force(world.pledge_coordinators, start)
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition) as exc:
        getattr(services, f"{action}_pledge")(actor=personas.donor_de, pledge=pledge)
    assert "Cannot move" in str(exc.value)
    pledge.refresh_from_db()
    assert pledge.status == start
    assert AuditEvent.objects.count() == events


def test_commit_writes_one_audit_event_with_before_and_after(world, personas):
    before = AuditEvent.objects.count()
    pledge = services.commit_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)
    assert pledge.status == S.COMMITTED
    events = list(AuditEvent.objects.filter(seq__gt=before))
    assert [e.action for e in events] == ["pledge.commit"]
    assert events[0].before["status"] == "announced" and events[0].after["status"] == "committed"
    assert events[0].actor == personas.donor_de


def test_another_donor_may_not_commit(world, personas):
    with pytest.raises(NotPermitted):
        services.commit_pledge(actor=personas.donor_us, pledge=world.pledge_coordinators)


def test_viewer_may_not_commit(world, personas):
    from aidbridge.accounts.models import Membership
    from aidbridge.accounts.principal import forget

    Membership.objects.filter(user=personas.donor_de).update(role=Membership.Role.VIEWER)
    forget(personas.donor_de)
    with pytest.raises(NotPermitted):
        services.commit_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)


def test_public_pledge_needs_a_disclosure_date(world, personas):
    with pytest.raises(ServiceError) as exc:
        services.create_pledge(
            actor=personas.donor_de, item=world.item, quantity=1, available_from=dt.date.today(),
            origin_country="DE", unit_value=Decimal("1"), currency="EUR", funding_source="stockpile",
            releasability="public",
        )
    assert "disclosure_date" in exc.value.errors


def test_bad_codes_name_their_fields(world, personas):
    with pytest.raises(ServiceError) as exc:
        services.create_pledge(
            actor=personas.donor_de, item=world.item, quantity=0, available_from=dt.date.today(),
            origin_country="XX", unit_value=Decimal("1"), currency="EURO", funding_source="stockpile",
        )
    assert {"quantity", "origin_country", "currency"} <= set(exc.value.errors)
    assert Pledge.objects.filter(quantity=0).count() == 0


def test_quantity_cannot_drop_below_allocated(world, personas, allocate_line):
    allocate_line(30)
    with pytest.raises(ServiceError) as exc:
        services.update_pledge(actor=personas.donor_de, pledge=world.pledge_coalition, changes={"quantity": 20})
    assert "quantity" in exc.value.errors


def test_update_audits_only_real_changes(world, personas):
    before = AuditEvent.objects.count()
    services.update_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators, changes={"quantity": 20})
    assert AuditEvent.objects.count() == before
    services.update_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators, changes={"quantity": 25})
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.before["quantity"], event.after["quantity"]) == ("pledge.update", 20, 25)


def test_update_refuses_unknown_fields(world, personas):
    with pytest.raises(ServiceError) as exc:
        services.update_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators,
                               changes={"status": "delivered"})
    assert "status" in exc.value.errors


def test_withdraw_releases_unmoved_allocations_and_keeps_moving_goods(world, personas, allocate_line):
    from aidbridge.allocation import services as allocation

    moving = allocate_line(10)
    allocation.dispatch_allocation(actor=personas.coordinator, line=moving, quantity=4)
    idle = allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition,
                               requirement=world.requirement, hub=world.hub_ro, quantity=5)
    services.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    moving.refresh_from_db()
    assert moving.quantity == 4
    assert not type(idle).objects.filter(pk=idle.pk).exists()


def test_source_document_upload_is_hashed_and_type_checked(world, personas):
    doc = services.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                       title="Note", content=b"%PDF-1.4 test", filename="note.pdf")
    assert doc.content_type == "application/pdf" and len(doc.sha256) == 64
    with pytest.raises(ServiceError) as exc:
        services.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                     title="Binary", content=b"\x00\x01\x02\xff\xfe", filename="x.exe")
    assert "file" in exc.value.errors


def test_url_document_records_a_given_digest(world, personas):
    doc = services.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                       title="Article", url="https://example.org/a", sha256="A" * 64)
    assert doc.sha256 == "a" * 64
    with pytest.raises(ServiceError):
        services.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                     title="Article", url="https://example.org/a", sha256="nothex")
