"""Hub stock on hand, reserved for allocations and free; issuing reserved stock needs an audited override
(issue #8, point 2)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import Conflict
from aidbridge.core.tests.api_helpers import as_user, assert_refused, new_events
from aidbridge.logistics import queries, services
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import StockBalance, StockMovement


def figures(hub, item) -> tuple[int, int, int]:
    (row,) = [r for r in queries.stock_on_hand(hub) if r.item == item]
    return row.on_hand, row.reserved, row.free


@pytest.fixture
def found(world, personas, at_hub):
    """Ten generators received for the allocation (reserved) and three more found on a count (free)."""
    services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=3, reason="count",
                          note="Found in bay 2")
    return at_hub


def test_received_goods_are_reserved_until_their_outbound_leg_leaves(world, personas, found):
    assert figures(world.hub, world.item) == (13, 10, 3)
    services.dispatch_shipment(actor=personas.hub_pl, shipment=found.outbound)
    assert figures(world.hub, world.item) == (3, 0, 3)


def test_free_stock_is_issued_without_an_override(world, personas, found):
    movement = services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=3,
                                    note="To 1st Bde", override_reason="Not needed")
    assert movement.override_reason == ""  # nothing reserved was taken: not an override
    event = AuditEvent.objects.get(action="stock.issue")
    assert event.after["stock"] == {"on_hand_before": 13, "reserved": 10, "free_before": 3}
    assert figures(world.hub, world.item) == (10, 10, 0)


def test_issuing_reserved_stock_is_refused_without_an_override(world, personas, found):
    before = (AuditEvent.objects.count(), StockMovement.objects.count())
    with pytest.raises(Conflict) as exc:
        services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=4)
    assert exc.value.errors == {"override_reason": [
        "Only 3 each of GEN-100KW at PL-RZE are free: 13 on hand, 10 reserved for allocations still to be sent on. "
        "To issue reserved stock, give the reason for the override."]}
    with pytest.raises(Conflict, match="Only 13 each of GEN-100KW on hand"):  # more than is there: no override helps
        services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=14,
                             override_reason="Urgent")
    assert (AuditEvent.objects.count(), StockMovement.objects.count()) == before


def test_the_override_names_its_reason_and_is_audited(world, personas, found):
    movement = services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=7,
                                    note="Field hospital Lviv", override_reason=" Generators failed at the hospital ")
    assert movement.override_reason == "Generators failed at the hospital"
    event = AuditEvent.objects.get(action="stock.issue")
    assert event.actor == personas.hub_pl and event.object_id == str(movement.pk)
    assert event.after["override_reason"] == "Generators failed at the hospital"
    assert event.after["stock"] == {"on_hand_before": 13, "reserved": 10, "free_before": 3, "override": {
        "reason": "Generators failed at the hospital", "reserved_units_taken": 4}}
    # Four reserved units are now missing from the shelf: the hub sees the shortfall.
    assert figures(world.hub, world.item) == (6, 10, -4)
    assert verify().ok


def test_write_offs_and_adjustments_need_no_override(world, personas, found):
    services.write_off_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=5, reason="expired")
    services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=-2, reason="count")
    assert figures(world.hub, world.item) == (6, 10, -4)


def test_pages_show_on_hand_reserved_and_free(world, personas, found, login):
    services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=5, override_reason="Urgent")
    client = login(personas.hub_pl)
    for page in (reverse("logistics:hub_stock", args=[world.hub.pk]), reverse("locations:hub", args=[world.hub.pk])):
        response = client.get(page)
        html = response.content.decode()
        assert [(r.on_hand, r.reserved, r.free) for r in response.context["stock"]] == [(8, 10, -2)], page
        assert ">Reserved</abbr>" in html and ">Free</abbr>" in html and "short 2" in html, page
    ledger = client.get(reverse("logistics:hub_stock", args=[world.hub.pk])).content.decode()
    assert ">Override</span> Urgent" in ledger


def test_the_form_asks_for_the_override_reason(world, personas, found, login):
    client = login(personas.hub_pl)
    target = reverse("logistics:stock_movement_add", args=[world.hub.pk])
    data = {"movement-kind": "issue", "movement-item": world.item.pk, "movement-quantity": 5}
    before = AuditEvent.objects.count()
    response = client.post(target, data)
    assert response.status_code == 422
    assert "Only 3 each of GEN-100KW at PL-RZE are free" in response.content.decode()
    assert response.context["form"].errors["override_reason"]
    assert AuditEvent.objects.count() == before
    with new_events() as events:
        response = client.post(target, {**data, "movement-override_reason": "Convoy ambushed; replacement now"})
    assert response.status_code == 302
    (event,) = events
    assert (event.action, event.after["stock"]["override"]["reserved_units_taken"]) == ("stock.issue", 2)
    assert StockBalance.objects.get(hub=world.hub, item=world.item).on_hand == 8


def test_the_api_answers_409_naming_the_override(world, personas, found):
    api = as_user(personas.hub_pl)
    payload = {"hub": world.hub.pk, "item": world.item.pk, "kind": "issue", "quantity": 4}
    with new_events() as events:
        response = api.post("/stock-movements", payload)
    assert_refused(response, 409, field="override_reason")
    assert [e for e in events if e.action != "token.create"] == []
    with new_events() as events:
        response = api.post("/stock-movements", {**payload, "override_reason": "Urgent handover"})
    assert response.status_code == 201, response.content
    assert response.json()["override_reason"] == "Urgent handover"
    assert [e.action for e in events if e.action != "token.create"] == ["stock.issue"]
    assert as_user(personas.hub_pl).get(f"/hubs/{world.hub.pk}/stock").json()["items"] == [
        {"item": world.item.pk, "on_hand": 9, "reserved": 10, "free": -1}]
