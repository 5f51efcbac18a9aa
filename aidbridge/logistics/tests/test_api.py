"""``/shipments``, ``/stock-movements`` and ``/hubs/{id}/stock``: visibility, audit, refusals, bounded queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from aidbridge.accounts import services as accounts
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import PASSWORD
from aidbridge.core.tests.api_helpers import (
    ListEndpointChecks,
    as_user,
    assert_not_found,
    assert_refused,
    event_keys,
)
from aidbridge.core.tests.api_helpers import new_events as _new_events
from aidbridge.logistics import services
from aidbridge.logistics.models import Shipment, StockMovement
from aidbridge.logistics.tests.conftest import only_line

Received = services.Received
PDF = b"%PDF-1.4\n% signed delivery note\n"


@contextmanager
def new_events() -> Iterator[list[Any]]:
    """The audit events written inside the block, apart from the test client's own token creation."""
    with _new_events() as events:
        yield events
    events[:] = [e for e in events if e.action != "token.create"]


@pytest.fixture
def ro_operator(personas):
    return accounts.create_user(actor=None, username="hub-ro", password=PASSWORD, organisation=personas.orgs["ro"],
                                role="editor")


class TestShipmentEndpoints(ListEndpointChecks):
    path = "/shipments"

    @pytest.fixture
    def target(self, legs):
        return legs.inbound

    def add_rows(self, world, personas, n):
        from aidbridge.allocation import services as allocation

        for _ in range(n + 1):  # the first tops up the target's own planned lorry
            allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition,
                                requirement=world.requirement, hub=world.hub, quantity=1)
            services.generate_shipments(actor=personas.coordinator)
            for s in Shipment.objects.filter(status="planned"):
                services.cancel_shipment(actor=personas.coordinator, shipment=s, reason="re-plan")


class TestStockMovementEndpoints:
    def test_list_filters_and_visibility(self, at_hub, world, personas):
        body = as_user(personas.hub_pl).get("/stock-movements", {"hub": world.hub.pk, "kind": "receipt"}).json()
        assert body["count"] == 1 and body["items"][0]["delta"] == 10
        assert as_user(personas.outsider).get("/stock-movements").json() == {"count": 0, "items": []}
        assert as_user(personas.coordinator).get("/stock-movements", {"kind": "issue"}).json()["count"] == 0
        assert as_user(personas.coordinator).get("/stock-movements", {"item": world.other_item.pk}).json()[
            "count"] == 0

    def test_list_query_count_is_bounded(self, at_hub, world, personas, django_assert_max_num_queries):
        api = as_user(personas.coordinator)
        api.get("/stock-movements")
        with django_assert_max_num_queries(5):
            api.get("/stock-movements")
        services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=6, reason="count")
        for _ in range(6):
            services.issue_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=1)
        with django_assert_max_num_queries(5):
            assert api.get("/stock-movements").json()["count"] == 8

    def test_issue_writes_one_audit_event(self, at_hub, world, personas):
        services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=5, reason="count",
                              note="Found in bay 2")  # free stock: the ten received are reserved
        with new_events() as events:
            response = as_user(personas.hub_pl).post("/stock-movements", {
                "hub": world.hub.pk, "item": world.item.pk, "kind": "issue", "quantity": 4, "note": "to unit"})
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["kind"], body["quantity"], body["delta"]) == ("issue", 4, -4)
        assert event_keys(events) == [("stock.issue", "logistics.stockmovement", str(body["id"]))]

    def test_hub_and_item_can_be_named_by_their_codes(self, at_hub, world, personas):
        api = as_user(personas.hub_pl)
        response = api.post("/stock-movements", {"hub": "PL-RZE", "item": "GEN-100KW", "kind": "adjustment",
                                                 "quantity": 2, "reason": "count"})
        assert response.status_code == 201, response.content
        movement = StockMovement.objects.get(pk=response.json()["id"])
        assert (movement.hub_id, movement.item_id) == (world.hub.pk, world.item.pk)
        refused = api.post("/stock-movements", {"hub": "PL-RZE", "item": "NO-SUCH-ITEM", "kind": "adjustment",
                                                "quantity": 2, "reason": "count"})
        assert refused.status_code == 422 and "NO-SUCH-ITEM" in refused.json()["errors"]["item"][0]
        assert as_user(personas.outsider).post("/stock-movements", {
            "hub": "PL-RZE", "item": "GEN-100KW", "kind": "adjustment", "quantity": 2, "reason": "count",
        }).status_code == 404

    def test_adjustment_and_write_off(self, at_hub, world, personas):
        api = as_user(personas.coordinator)
        assert api.post("/stock-movements", {"hub": world.hub.pk, "item": world.item.pk, "kind": "adjustment",
                                             "quantity": -2, "reason": "count"}).status_code == 201
        assert api.post("/stock-movements", {"hub": world.hub.pk, "item": world.item.pk, "kind": "write_off",
                                             "quantity": 1, "reason": "expired"}).status_code == 201
        assert StockMovement.objects.filter(hub=world.hub).on_hand() == 7
        assert_refused(api.post("/stock-movements", {"hub": world.hub.pk, "item": world.item.pk,
                                                     "kind": "adjustment", "quantity": 1}), 422, field="reason")

    def test_insufficient_stock_answers_409(self, at_hub, world, personas):
        with new_events() as events:
            response = as_user(personas.hub_pl).post("/stock-movements", {
                "hub": world.hub.pk, "item": world.item.pk, "kind": "issue", "quantity": 11})
        body = assert_refused(response, 409, field="quantity", events=events)
        assert "Only 10" in body["detail"] and "on hand at PL-RZE" in body["detail"]
        assert StockMovement.objects.filter(hub=world.hub).on_hand() == 10

    def test_receipt_by_hand_is_refused(self, at_hub, world, personas):
        response = as_user(personas.hub_pl).post("/stock-movements", {
            "hub": world.hub.pk, "item": world.item.pk, "kind": "receipt", "quantity": 1})
        assert_refused(response, 422, field="kind")

    def test_outsider_and_other_hub_operator_get_404(self, at_hub, world, personas, ro_operator):
        payload = {"hub": world.hub.pk, "item": world.item.pk, "kind": "issue", "quantity": 1}
        for user in (personas.outsider, ro_operator, personas.donor_de):
            with new_events() as events:
                assert_not_found(as_user(user).post("/stock-movements", payload))
            assert events == []
        assert as_user(ro_operator).post("/stock-movements", {**payload, "hub": world.hub_ro.pk}).status_code == 409


class TestHubStock:
    def test_format(self, at_hub, world, personas):
        response = as_user(personas.hub_pl).get(f"/hubs/{world.hub.pk}/stock")
        assert response.status_code == 200
        assert response.json() == {"count": 1, "items": [
            {"item": world.item.pk, "on_hand": 10, "reserved": 10, "free": 0}]}
        services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=3, reason="count")
        services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.other_item, quantity=2, reason="count")
        assert as_user(personas.hub_pl).get(f"/hubs/{world.hub.pk}/stock").json()["items"] == [
            {"item": world.item.pk, "on_hand": 13, "reserved": 10, "free": 3},
            {"item": world.other_item.pk, "on_hand": 2, "reserved": 0, "free": 2}]

    def test_outsiders_get_404(self, at_hub, world, personas, ro_operator):
        for user in (personas.outsider, ro_operator, personas.donor_de, personas.recipient):
            assert_not_found(as_user(user).get(f"/hubs/{world.hub.pk}/stock"))
        assert as_user(personas.auditor).get(f"/hubs/{world.hub.pk}/stock").status_code == 200

    def test_query_count_is_bounded(self, at_hub, world, personas, django_assert_max_num_queries):
        api = as_user(personas.coordinator)
        api.get(f"/hubs/{world.hub.pk}/stock")
        with django_assert_max_num_queries(6):
            api.get(f"/hubs/{world.hub.pk}/stock")


class TestShipmentWrites:
    def test_generate_writes_events_and_is_for_coordinators(self, world, personas, allocate_line):
        allocate_line(10)
        with new_events() as events:
            assert_refused(as_user(personas.outsider).post("/shipments/generate"), 403)
        assert events == []
        with new_events() as events:
            response = as_user(personas.coordinator).post("/shipments/generate")
        assert response.status_code == 200
        assert {row["leg"] for row in response.json()} == {"inbound"}  # outbound legs wait for the goods
        assert [e.action for e in events] == ["shipment.plan"]

    def test_create_by_hand(self, world, personas, allocate_line):
        line = allocate_line(10)
        with new_events() as events:
            response = as_user(personas.donor_de).post("/shipments", {
                "leg": "inbound", "hub": world.hub.pk, "lines": [{"allocation_line": line.pk, "quantity": 4}],
                "carrier": "DHL Freight"})
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["carrier"] == "DHL Freight" and body["lines"][0]["quantity"] == 4
        assert [e.action for e in events] == ["shipment.create"]
        assert_refused(as_user(personas.outsider).post("/shipments", {
            "leg": "inbound", "hub": world.hub.pk, "lines": [{"allocation_line": line.pk, "quantity": 1}]}),
            422, field="hub")
        assert_refused(as_user(personas.donor_us).post("/shipments", {
            "leg": "inbound", "hub": world.hub.pk, "lines": [{"allocation_line": line.pk, "quantity": 1}]}),
            403)

    def test_detail_shows_lines_and_timeline(self, legs, personas):
        body = as_user(personas.donor_de).get(f"/shipments/{legs.inbound.pk}").json()
        assert body["lines"][0]["quantity"] == 10 and body["events"][0]["status"] == "planned"

    @pytest.mark.parametrize("action", ["dispatch", "in-transit", "arrived", "cancel", "receipts"])
    def test_outsider_gets_404_on_writes(self, legs, personas, action):
        with new_events() as events:
            assert_not_found(as_user(personas.outsider).post(f"/shipments/{legs.inbound.pk}/{action}",
                                                             {"reason": "x", "lines": []}))
        assert events == []

    def test_outsider_gets_404_on_proof_of_delivery(self, at_hub, personas):
        from django.core.files.uploadedfile import SimpleUploadedFile

        for path in ("proof-of-delivery", "proof-of-delivery/document"):
            with new_events() as events:
                response = as_user(personas.outsider).upload(f"/shipments/{at_hub.outbound.pk}/{path}", {
                    "signatory": "X", "document": SimpleUploadedFile("pod.pdf", PDF, "application/pdf")})
            assert_not_found(response)
            assert events == []

    def test_whole_life_writes_one_event_per_step(self, legs, personas):
        inbound = legs.inbound.pk
        donor, hub, recipient = as_user(personas.donor_de), as_user(personas.hub_pl), as_user(personas.recipient)
        steps = [
            (donor, f"/shipments/{inbound}/dispatch", {"carrier": "DB Schenker", "tracking_reference": "T1"},
             ["shipment.dispatch"]),
            (donor, f"/shipments/{inbound}/in-transit", {"place": "A4 near Kraków"}, ["shipment.track"]),
            (hub, f"/shipments/{inbound}/arrived", {}, ["shipment.arrive"]),
            # counting the goods in also plans them onward: one event for the receipt, one for the new lorry
            (hub, f"/shipments/{inbound}/receipts",
             {"lines": [{"line": only_line(legs.inbound).pk, "good": 9, "damaged": 1, "reason": "handling"}]},
             ["shipment.receive", "shipment.plan"]),
        ]
        for api, path, data, actions in steps:
            with new_events() as events:
                response = api.post(path, data)
            assert response.status_code in (200, 201), (path, response.content)
            assert [e.action for e in events if e.action.startswith("shipment.")] == actions
        assert response.json()["status"] == "received"
        assert response.json()["lines"][0]["damaged"] == 1
        assert Shipment.objects.get(pk=inbound).tracking_reference == "T1"
        outbound = Shipment.objects.get(leg="outbound")
        assert only_line(outbound).quantity == 9  # the damaged unit was written off at the hub
        for api, path, data, actions in [
            (hub, f"/shipments/{outbound.pk}/dispatch", {}, ["shipment.dispatch"]),
            (recipient, f"/shipments/{outbound.pk}/receipts", {"lines": [{"line": only_line(outbound).pk, "good": 8,
                                                                           "lost": 1, "reason": "theft"}]},
             ["shipment.receive"]),
        ]:
            with new_events() as events:
                response = api.post(path, data)
            assert response.status_code in (200, 201), (path, response.content)
            assert [e.action for e in events if e.action.startswith("shipment.")] == actions
        assert response.json()["status"] == "received"

    def test_cancel_needs_reason_and_writes_one_event(self, legs, personas):
        api = as_user(personas.coordinator)
        assert_refused(api.post(f"/shipments/{legs.inbound.pk}/cancel", {"reason": " "}), 422, field="reason")
        with new_events() as events:
            assert api.post(f"/shipments/{legs.inbound.pk}/cancel", {"reason": "No lorry"}).json()["status"] == \
                "cancelled"
        assert event_keys(events) == [("shipment.cancel", "logistics.shipment", str(legs.inbound.pk))]

    def test_illegal_transition_answers_409_and_changes_nothing(self, legs, personas):
        with new_events() as events:
            body = assert_refused(as_user(personas.hub_pl).post(f"/shipments/{legs.inbound.pk}/arrived"), 409,
                                  field="status", events=events)
        assert "Cannot move shipment" in body["detail"]
        assert Shipment.objects.get(pk=legs.inbound.pk).status == "planned"

    def test_wrong_party_gets_403(self, legs, personas):
        with new_events() as events:
            assert_refused(as_user(personas.hub_pl).post(f"/shipments/{legs.inbound.pk}/dispatch"), 403,
                           events=events)

    def test_over_count_is_refused(self, at_hub, personas):
        services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
        with new_events() as events:
            assert_refused(as_user(personas.recipient).post(f"/shipments/{at_hub.outbound.pk}/receipts", {
                "lines": [{"line": only_line(at_hub.outbound).pk, "good": 11}]}), 422, events=events)

    def test_proof_of_delivery_multipart(self, at_hub, personas):
        from django.core.files.uploadedfile import SimpleUploadedFile

        services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
        services.receive_shipment(actor=personas.recipient, shipment=at_hub.outbound,
                                  lines=[Received(only_line(at_hub.outbound), good=10)])
        with new_events() as events:
            response = as_user(personas.recipient).upload(f"/shipments/{at_hub.outbound.pk}/proof-of-delivery", {
                "signatory": "Maj. A. M.", "document": SimpleUploadedFile("pod.pdf", PDF, "application/pdf")})
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["has_file"] and body["content_type"] == "application/pdf" and body["size"] == len(PDF)
        assert [e.action for e in events] == ["shipment.proof_of_delivery"]
        again = as_user(personas.recipient).upload(f"/shipments/{at_hub.outbound.pk}/proof-of-delivery",
                                                   {"signatory": "Again"})
        assert_refused(again, 409)
        assert AuditEvent.objects.filter(action="shipment.proof_of_delivery").count() == 1
