"""Splitting a planned shipment and taking lines off it: services, page forms and API (issue #8, point 2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from aidbridge.accounts import services as accounts
from aidbridge.allocation import services as allocation
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import PASSWORD
from aidbridge.core import views as core_views
from aidbridge.core.errors import InvalidTransition, NotPermitted, ServiceError
from aidbridge.core.tests.api_helpers import as_user, assert_not_found, assert_refused, event_keys, new_events
from aidbridge.logistics import services
from aidbridge.logistics import views as logistics_views
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import Shipment, ShipmentLine
from aidbridge.logistics.planning import expected_arrival


@dataclass
class Lorry:
    shipment: Shipment  # planned outbound, PL-RZE → Kyiv
    big: ShipmentLine  # 10 units of the first allocation
    small: ShipmentLine  # 6 units of the second


@pytest.fixture
def lorry(world, personas) -> Lorry:
    """Two German allocations counted in at PL-RZE and planned onward on one lorry."""
    c = personas.coordinator
    first = allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement, hub=world.hub,
                                quantity=10)
    second = allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=world.requirement, hub=world.hub,
                                 quantity=6)
    (inbound,) = services.generate_shipments(actor=c)
    services.dispatch_shipment(actor=personas.donor_de, shipment=inbound)
    services.receive_shipment(actor=personas.hub_pl, shipment=inbound,
                              lines=[(line, line.quantity) for line in inbound.lines.order_by("pk")])
    shipment = Shipment.objects.get(leg="outbound")
    by_alloc = {line.allocation_line_id: line for line in shipment.lines.all()}
    return Lorry(shipment, by_alloc[first.pk], by_alloc[second.pk])


@pytest.fixture
def ro_operator(personas):
    return accounts.create_user(actor=None, username="hub-ro", password=PASSWORD, organisation=personas.orgs["ro"],
                                role="editor")


def carried(shipment: Shipment) -> list[tuple[int, int]]:
    return sorted(shipment.lines.values_list("allocation_line_id", "quantity"))


def test_split_moves_whole_and_part_lines_onto_a_new_planned_shipment(personas, lorry):
    big, small = lorry.big.allocation_line_id, lorry.small.allocation_line_id
    with new_events() as events:
        new = services.split_shipment(actor=personas.hub_pl, shipment=lorry.shipment,
                                      lines=[(lorry.big, 10), (lorry.small, 2)], note="Too heavy for one lorry")
    original = Shipment.objects.get(pk=lorry.shipment.pk)
    assert carried(new) == [(big, 10), (small, 2)] and carried(original) == [(small, 4)]
    assert (new.status, new.leg, new.hub, new.destination, new.week, new.expected_arrival) == (
        "planned", "outbound", original.hub, original.destination, original.week, original.expected_arrival)
    assert not new.generated and not original.generated  # arranged by hand: planning no longer tops them up
    assert event_keys(events) == [("shipment.split", "logistics.shipment", str(original.pk)),
                                  ("shipment.create", "logistics.shipment", str(new.pk))]
    split, create = events
    assert (split.actor, split.after["into"], split.after["moved"]) == (personas.hub_pl, new.pk, [[big, 10],
                                                                                                 [small, 2]])
    assert split.before["generated"] is True and create.after["split_from"] == original.pk
    # The timeline is shared by every viewer of the lorry: no units and no other shipment (those are in the history).
    assert original.events.latest("pk").note.startswith("Split: units moved to a new shipment.")
    assert new.events.get().note.startswith("Split off another shipment.")
    assert "12" not in original.events.latest("pk").note and original.reference not in new.events.get().note
    assert verify().ok
    for shipment in (original, new):  # both carry goods at the hub, so both can leave
        services.dispatch_shipment(actor=personas.hub_pl, shipment=shipment)
    report = verify()
    assert report.ok, report.violations


def test_split_into_another_week_follows_the_lead_time(world, personas, lorry):
    later = lorry.shipment.week + dt.timedelta(weeks=2, days=3)
    new = services.split_shipment(actor=personas.coordinator, shipment=lorry.shipment, lines=[(lorry.small, 6)],
                                  week=later)
    assert new.week == lorry.shipment.week + dt.timedelta(weeks=2)
    assert new.expected_arrival == expected_arrival(new.week, 1)  # one week from PL-RZE to Kyiv


def test_split_refusals_write_nothing(personas, lorry, ro_operator):
    before = (AuditEvent.objects.count(), Shipment.objects.count(), carried(lorry.shipment))
    with pytest.raises(ServiceError, match="leaves at least one unit"):
        services.split_shipment(actor=personas.hub_pl, shipment=lorry.shipment,
                                lines=[(lorry.big, 10), (lorry.small, 6)])
    with pytest.raises(ServiceError) as exc:
        services.split_shipment(actor=personas.hub_pl, shipment=lorry.shipment,
                                lines=[(lorry.big, 11), (lorry.small, 0), (lorry.big, 1)])
    assert exc.value.errors == {"lines": [
        f"GEN-100KW of {lorry.big.allocation_line.pledge.reference}: choose between 1 and 10 units.",
        f"GEN-100KW of {lorry.small.allocation_line.pledge.reference}: choose between 1 and 6 units.",
        f"GEN-100KW of {lorry.big.allocation_line.pledge.reference} is listed twice."]}
    with pytest.raises(ServiceError, match="at least one line"):
        services.split_shipment(actor=personas.hub_pl, shipment=lorry.shipment, lines=[])
    inbound = Shipment.objects.get(leg="inbound")
    with pytest.raises(ServiceError, match="is not on"):
        services.split_shipment(actor=personas.hub_pl, shipment=lorry.shipment, lines=[(inbound.lines.first(), 1)])
    for who in (personas.donor_de, personas.recipient, personas.auditor, ro_operator):
        with pytest.raises(NotPermitted):
            services.split_shipment(actor=who, shipment=lorry.shipment, lines=[(lorry.small, 1)])
    with pytest.raises(InvalidTransition, match="only a planned shipment can be split"):
        services.split_shipment(actor=personas.hub_pl, shipment=inbound, lines=[(inbound.lines.first(), 1)])
    assert (AuditEvent.objects.count(), Shipment.objects.count(), carried(lorry.shipment)) == before


def test_an_inbound_leg_split_cannot_leave_before_the_pledge_is_available(world, personas):
    allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition, requirement=world.requirement,
                        hub=world.hub, quantity=10)
    (inbound,) = services.generate_shipments(actor=personas.coordinator)
    line = inbound.lines.get()
    with pytest.raises(ServiceError, match="is not available in the week"):
        services.split_shipment(actor=personas.hub_pl, shipment=inbound, lines=[(line, 4)],
                                week=inbound.week - dt.timedelta(weeks=1))
    new = services.split_shipment(actor=personas.hub_pl, shipment=inbound, lines=[(line, 4)],
                                  week=inbound.week + dt.timedelta(weeks=1))
    assert (new.leg, new.donor_id, new.origin_country, carried(new)) == (
        "inbound", inbound.donor_id, "DE", [(line.allocation_line_id, 4)])
    assert verify().ok


def test_lines_taken_out_become_unplanned_and_are_planned_again(personas, lorry):
    small = lorry.small.allocation_line_id
    with new_events() as events:
        services.remove_shipment_lines(actor=personas.hub_pl, shipment=lorry.shipment, lines=[(lorry.small, 6)],
                                       reason="Held back for a quality check")
    assert carried(lorry.shipment) == [(lorry.big.allocation_line_id, 10)]
    assert not ShipmentLine.objects.filter(pk=lorry.small.pk).exists()
    assert event_keys(events) == [("shipment.remove_lines", "logistics.shipment", str(lorry.shipment.pk))]
    assert (events[0].after["removed"], events[0].after["reason"]) == ([[small, 6]], "Held back for a quality check")
    assert lorry.shipment.events.latest("pk").note == "Units taken off. Held back for a quality check"
    assert verify().ok
    # The units are still at the hub, on no lorry: planning picks them up again, on a lorry of their own.
    (again,) = services.generate_shipments(actor=personas.coordinator)
    assert again.pk != lorry.shipment.pk and carried(again) == [(small, 6)]
    assert verify().ok


def test_taking_part_of_a_line_out(personas, lorry):
    services.remove_shipment_lines(actor=personas.coordinator, shipment=lorry.shipment, lines=[(lorry.big, 3)],
                                   reason="Only seven fit")
    assert carried(lorry.shipment) == sorted([(lorry.big.allocation_line_id, 7), (lorry.small.allocation_line_id, 6)])
    services.dispatch_shipment(actor=personas.hub_pl, shipment=lorry.shipment)
    assert verify().ok


def test_taking_lines_out_needs_a_reason_a_planned_shipment_and_the_hub(personas, lorry, ro_operator):
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="Say why"):
        services.remove_shipment_lines(actor=personas.hub_pl, shipment=lorry.shipment, lines=[(lorry.small, 1)],
                                       reason=" ")
    with pytest.raises(ServiceError, match="cancel it instead"):
        services.remove_shipment_lines(actor=personas.hub_pl, shipment=lorry.shipment,
                                       lines=[(lorry.small, 6), (lorry.big, 10)], reason="Nothing goes")
    for who in (personas.donor_de, personas.recipient, ro_operator):
        with pytest.raises(NotPermitted):
            services.remove_shipment_lines(actor=who, shipment=lorry.shipment, lines=[(lorry.small, 1)], reason="x")
    services.dispatch_shipment(actor=personas.hub_pl, shipment=lorry.shipment)
    with pytest.raises(InvalidTransition):
        services.remove_shipment_lines(actor=personas.hub_pl, shipment=lorry.shipment, lines=[(lorry.small, 1)],
                                       reason="Too late")
    assert AuditEvent.objects.filter(action__in=["shipment.remove_lines", "shipment.split"]).count() == 0
    assert AuditEvent.objects.count() > before  # only the dispatch wrote


# --- the shipment page -----------------------------------------------------------------------------------------

def page(client: Any, shipment: Shipment) -> str:
    return client.get(reverse("logistics:shipment", args=[shipment.pk])).content.decode()


def test_the_page_offers_splitting_and_taking_out_to_the_hub_and_coordinators(personas, lorry, login):
    for who in (personas.hub_pl, personas.coordinator):
        html = page(login(who), lorry.shipment)
        assert "Split into a new shipment" in html and "Take lines out" in html
        assert f'name="split-move_{lorry.small.pk}"' in html and f'name="remove-remove_{lorry.big.pk}"' in html
    for who in (personas.donor_de, personas.recipient, personas.auditor):
        html = page(login(who), lorry.shipment)
        assert "Split into a new shipment" not in html and "Take lines out" not in html


def test_a_long_lorry_pages_its_lines_and_offers_rearranging_on_demand(personas, lorry, login, monkeypatch):
    """A shipment of more lines than a page shows them a page at a time, and its split and take-out forms (a field
    per line) come on asking, not with every view of the page."""
    monkeypatch.setattr(core_views, "ROWS_PER_PAGE", 1)
    monkeypatch.setattr(logistics_views, "ROWS_PER_PAGE", 1)
    client = login(personas.coordinator)
    url = reverse("logistics:shipment", args=[lorry.shipment.pk])
    first, second = (client.get(url, {"lines_page": n}).context["lines"].page for n in (1, 2))
    assert [line.pk for line in [*first, *second]] == sorted([lorry.big.pk, lorry.small.pk])
    html = client.get(url).content.decode()
    assert "Split into a new shipment" not in html and "Split it or take lines out (2 lines)" in html
    assert 'href="?lines_page=2#lines"' in html
    asked = client.get(url, {"rearrange": "1"}).content.decode()
    assert "Split into a new shipment" in asked and f'name="remove-remove_{lorry.big.pk}"' in asked


def test_a_long_lorry_offers_its_receipt_form_on_demand(personas, lorry, login, monkeypatch):
    """The receipt form of a lorry of more lines than a page (a row of fields per line) comes on asking; its
    receiver still gets it, and a short lorry shows it at once."""
    services.dispatch_shipment(actor=personas.hub_pl, shipment=lorry.shipment)
    client = login(personas.recipient)
    url = reverse("logistics:shipment", args=[lorry.shipment.pk])
    assert f'name="receive-good_{lorry.big.pk}"' in client.get(url).content.decode()
    monkeypatch.setattr(logistics_views, "ROWS_PER_PAGE", 1)
    html = client.get(url).content.decode()
    assert 'name="receive-good_' not in html and "Count goods off (2 lines)" in html
    asked = client.get(url, {"receive": "1"}).content.decode()
    assert f'name="receive-good_{lorry.big.pk}"' in asked and f'name="receive-good_{lorry.small.pk}"' in asked
    assert "Count goods off (2 lines)" not in login(personas.donor_de).get(url).content.decode()  # not its receiver


def test_splitting_from_the_page(personas, lorry, login):
    client = login(personas.hub_pl)
    with new_events() as events:
        response = client.post(reverse("logistics:shipment_split", args=[lorry.shipment.pk]), {
            f"split-move_{lorry.small.pk}": 2, f"split-move_{lorry.big.pk}": "", "split-note": "Second lorry"})
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Shipment.objects.exclude(pk=lorry.shipment.pk).get(leg="outbound")
    assert carried(new) == [(lorry.small.allocation_line_id, 2)]
    assert [e.action for e in events] == ["shipment.split", "shipment.create"]
    assert new.reference in client.get(response["Location"]).content.decode()  # the success message names it


def test_taking_lines_out_from_the_page(personas, lorry, login):
    client = login(personas.coordinator)
    target = reverse("logistics:shipment_remove_lines", args=[lorry.shipment.pk])
    response = client.post(target, {f"remove-remove_{lorry.small.pk}": 6})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    response = client.post(target, {"remove-reason": "Held back"})
    assert response.status_code == 422 and "Give the units to take off on at least one line" in (
        response.content.decode())
    response = client.post(target, {f"remove-remove_{lorry.small.pk}": 6, f"remove-remove_{lorry.big.pk}": 10,
                                    "remove-reason": "Held back"})
    assert response.status_code == 422 and "cancel it instead" in response.content.decode()
    with new_events() as events:
        response = client.post(target, {f"remove-remove_{lorry.small.pk}": 6, "remove-reason": "Held back"})
    assert response.status_code == 302
    assert event_keys(events) == [("shipment.remove_lines", "logistics.shipment", str(lorry.shipment.pk))]
    assert carried(lorry.shipment) == [(lorry.big.allocation_line_id, 10)]


def test_the_donor_is_refused_and_the_outsider_gets_404_on_the_page(personas, lorry, login):
    before = AuditEvent.objects.count()
    for name in ("shipment_split", "shipment_remove_lines"):
        data = {f"split-move_{lorry.small.pk}": 1, f"remove-remove_{lorry.small.pk}": 1, "remove-reason": "x"}
        target = reverse(f"logistics:{name}", args=[lorry.shipment.pk])
        assert login(personas.donor_de).post(target, data).status_code == 403
        assert login(personas.outsider).post(target, data).status_code == 404
    assert AuditEvent.objects.count() == before
    assert carried(lorry.shipment) == sorted([(lorry.big.allocation_line_id, 10), (lorry.small.allocation_line_id, 6)])


# --- the API ---------------------------------------------------------------------------------------------------

def test_split_through_the_api(personas, lorry):
    with new_events() as events:
        response = as_user(personas.hub_pl).post(f"/shipments/{lorry.shipment.pk}/split", {
            "lines": [{"line": lorry.small.pk, "quantity": 4}], "note": "Second lorry"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] != lorry.shipment.pk and body["status"] == "planned" and not body["generated"]
    assert [(line["allocation_line"], line["quantity"]) for line in body["lines"]] == [
        (lorry.small.allocation_line_id, 4)]
    assert [e.action for e in events if e.action != "token.create"] == ["shipment.split", "shipment.create"]
    assert verify().ok


def test_remove_lines_through_the_api(personas, lorry):
    api = as_user(personas.coordinator)
    path = f"/shipments/{lorry.shipment.pk}/remove-lines"
    assert_refused(api.post(path, {"lines": [{"line": lorry.small.pk, "quantity": 1}], "reason": ""}), 422,
                   field="reason")
    assert_refused(api.post(path, {"lines": [{"line": 987654, "quantity": 1}], "reason": "x"}), 422, field="lines")
    with new_events() as events:
        response = api.post(path, {"lines": [{"line": lorry.small.pk, "quantity": 6}], "reason": "Held back"})
    assert response.status_code == 200, response.content
    assert [line["quantity"] for line in response.json()["lines"]] == [10]
    assert [e.action for e in events if e.action != "token.create"] == ["shipment.remove_lines"]


def test_the_api_refuses_the_donor_and_hides_the_shipment_from_outsiders(personas, lorry, ro_operator):
    payload = {"lines": [{"line": lorry.small.pk, "quantity": 1}], "reason": "x"}
    for action in ("split", "remove-lines"):
        path = f"/shipments/{lorry.shipment.pk}/{action}"
        with new_events() as events:
            assert_refused(as_user(personas.donor_de).post(path, payload), 403)
            assert_not_found(as_user(personas.outsider).post(path, payload))
            assert_not_found(as_user(ro_operator).post(path, payload))
        assert [e for e in events if e.action != "token.create"] == []
