"""Logistics pages: visibility (404 for outsiders), one audit event per write, clear refusals, bounded queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aidbridge.accounts import services as accounts
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import PASSWORD
from aidbridge.core.tests.api_helpers import event_keys, new_events
from aidbridge.core.tests.test_pages import assert_self_contained
from aidbridge.logistics import services
from aidbridge.logistics.models import ProofOfDelivery, Shipment, StockMovement
from aidbridge.logistics.tests.conftest import only_line

Received = services.Received
PDF = b"%PDF-1.4\n% signed delivery note\n"


def url(name: str, *args) -> str:
    return reverse(f"logistics:{name}", args=args)


@pytest.fixture
def delivered(at_hub, personas):
    """Both legs done: outbound dispatched by the hub, counted off by the recipient (one lost), signed for."""
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound, carrier="DSV Road")
    services.receive_shipment(actor=personas.recipient, shipment=at_hub.outbound,
                              lines=[Received(only_line(at_hub.outbound), good=9, lost=1, reason="theft")])
    services.record_proof_of_delivery(actor=personas.recipient, shipment=at_hub.outbound, signatory="Capt. O. K.",
                                      content=PDF, filename="pod.pdf")
    return at_hub


@pytest.fixture
def ro_operator(personas):
    return accounts.create_user(actor=None, username="hub-ro", password=PASSWORD, organisation=personas.orgs["ro"],
                                role="editor")


def test_pages_render_self_contained(delivered, world, personas, login):
    client = login(personas.coordinator)
    pages = [url("shipment_list"), url("shipment", delivered.inbound.pk), url("shipment", delivered.outbound.pk),
             url("hub_stock", world.hub.pk), url("discrepancies"), reverse("locations:hub", args=[world.hub.pk]),
             reverse("pledges:pledge_custody", args=[world.pledge_coalition.pk]),
             reverse("pledges:pledge", args=[world.pledge_coalition.pk])]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert_self_contained(response.content.decode())


def test_shipment_detail_shows_lines_timeline_receipts_and_proof(delivered, personas, login):
    html = login(personas.coordinator).get(url("shipment", delivered.outbound.pk)).content.decode()
    assert "DSV Road" in html and "Capt. O. K." in html and "Theft or pilferage" in html
    assert url("proof_download", delivered.outbound.pk) in html
    assert "hub-pl" in html  # who dispatched, on the timeline


def test_shipment_list_filters_and_nav(at_hub, world, personas, login):
    legs = at_hub
    client = login(personas.coordinator)
    html = client.get(url("shipment_list"), {"leg": "outbound"}).content.decode()
    assert legs.outbound.reference in html and legs.inbound.reference not in html
    html = client.get(url("shipment_list"), {"status": "planned", "hub": world.hub.pk}).content.decode()
    assert legs.outbound.reference in html and legs.inbound.reference not in html
    html = client.get(url("shipment_list"), {"hub": world.hub.pk}).content.decode()
    assert legs.outbound.reference in html and legs.inbound.reference in html
    assert "Generate shipments" in html and 'href="/shipments/"' in html
    assert "Generate shipments" not in login(personas.hub_pl).get(url("shipment_list")).content.decode()


def test_shipment_list_query_count_is_bounded(at_hub, world, personas, login, allocate_line,
                                              django_assert_max_num_queries):
    client = login(personas.coordinator)
    client.get(url("shipment_list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url("shipment_list"))
    for _ in range(4):
        allocate_line(5)
        services.generate_shipments(actor=personas.coordinator)
        for s in Shipment.objects.filter(status="planned"):
            services.cancel_shipment(actor=personas.coordinator, shipment=s, reason="re-plan")
    assert Shipment.objects.count() >= 6
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("shipment_list"))


def test_ledger_and_discrepancy_pages_query_counts_are_bounded(delivered, world, personas, login,
                                                               django_assert_max_num_queries):
    client = login(personas.coordinator)
    for n in range(5):
        services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=1, reason="count",
                             note=f"n{n}")
    with django_assert_max_num_queries(20):
        assert client.get(url("hub_stock", world.hub.pk)).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(url("discrepancies")).status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(reverse("locations:hub", args=[world.hub.pk])).status_code == 200


@pytest.mark.parametrize("name", ["dispatch", "in_transit", "arrived", "cancel", "receive", "proof", "proof_document",
                                  "split", "remove_lines"])
def test_outsider_gets_404_on_every_shipment_write(legs, personas, login, name):
    before = AuditEvent.objects.count()
    response = login(personas.outsider).post(url(f"shipment_{name}", legs.inbound.pk), {"cancel-reason": "x"})
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


def test_outsider_gets_404_on_reads(delivered, world, personas, login):
    client = login(personas.outsider)
    for page in (url("shipment", delivered.outbound.pk), url("proof_download", delivered.outbound.pk),
                 url("hub_stock", world.hub.pk), url("discrepancies"),
                 reverse("pledges:pledge_custody", args=[world.pledge_coalition.pk])):
        assert client.get(page).status_code == 404, page
    html = client.get(url("shipment_list")).content.decode()
    assert "0 results" in html
    hub_page = login(personas.donor_us).get(reverse("locations:hub", args=[world.hub.pk])).content.decode()
    assert "Stock on hand" not in hub_page and "Overdue shipments" in hub_page


def test_outsider_may_not_generate(legs, personas, login):
    before = AuditEvent.objects.count()
    assert login(personas.outsider).post(url("shipment_generate")).status_code == 403
    assert AuditEvent.objects.count() == before


def test_generate_writes_audit_events(world, personas, login, allocate_line):
    allocate_line(10)
    with new_events() as events:
        response = login(personas.coordinator).post(url("shipment_generate"))
    assert response.status_code == 302
    assert [e.action for e in events] == ["shipment.plan"]  # the inbound leg; the outbound one waits


def test_dispatch_track_arrive_receive_each_write_one_audit_event(legs, personas, login):
    donor, hub = login(personas.donor_de), login(personas.hub_pl)
    pk = legs.inbound.pk
    steps = [
        (donor, "shipment_dispatch", {"dispatch-carrier": "DB Schenker", "dispatch-tracking_reference": "T1"},
         "shipment.dispatch"),
        (donor, "shipment_in_transit", {"track-place": "A4 near Kraków"}, "shipment.track"),
        (hub, "shipment_arrived", {}, "shipment.arrive"),
        (hub, "shipment_receive", {f"receive-good_{only_line(legs.inbound).pk}": 8,
                                   f"receive-damaged_{only_line(legs.inbound).pk}": 2,
                                   f"receive-reason_{only_line(legs.inbound).pk}": "handling"},
         "shipment.receive"),
    ]
    for client, name, data, action in steps:
        with new_events() as events:
            response = client.post(url(name, pk), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        # the receipt also plans the eight good units onward, on a lorry of their own
        expected = [action, "shipment.plan"] if action == "shipment.receive" else [action]
        assert [e.action for e in events if e.action.startswith("shipment.")] == expected
    s = Shipment.objects.get(pk=pk)
    assert (s.status, s.carrier, s.tracking_reference) == ("received", "DB Schenker", "T1")
    assert s.events.filter(place="A4 near Kraków").exists()


def test_cancel_writes_one_audit_event_and_needs_a_reason(legs, personas, login):
    client = login(personas.coordinator)
    response = client.post(url("shipment_cancel", legs.inbound.pk), {"cancel-reason": ""})
    assert response.status_code == 422
    with new_events() as events:
        assert client.post(url("shipment_cancel", legs.inbound.pk), {"cancel-reason": "No lorry"}).status_code == 302
    assert event_keys(events) == [("shipment.cancel", "logistics.shipment", str(legs.inbound.pk))]


def test_proof_of_delivery_upload_and_download(at_hub, personas, login):
    services.dispatch_shipment(actor=personas.hub_pl, shipment=at_hub.outbound)
    services.receive_shipment(actor=personas.recipient, shipment=at_hub.outbound,
                              lines=[Received(only_line(at_hub.outbound), good=10)])
    client = login(personas.recipient)
    with new_events() as events:
        response = client.post(url("shipment_proof", at_hub.outbound.pk),
                               {"proof-signatory": "Maj. A. M.",
                                "proof-document": SimpleUploadedFile("pod.pdf", PDF, "application/pdf")})
    assert response.status_code == 302
    assert [e.action for e in events] == ["shipment.proof_of_delivery"]
    download = client.get(url("proof_download", at_hub.outbound.pk))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF
    # the donor of the pledge sees the shipment, hence the proof; an outsider does not
    assert login(personas.donor_de).get(url("proof_download", at_hub.outbound.pk)).status_code == 200
    assert login(personas.outsider).get(url("proof_download", at_hub.outbound.pk)).status_code == 404
    assert ProofOfDelivery.objects.count() == 1


def test_illegal_transition_is_refused_clearly_and_changes_nothing(legs, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.hub_pl).post(url("shipment_arrived", legs.inbound.pk), {})
    assert response.status_code == 422
    assert "Cannot move shipment" in response.content.decode()
    assert Shipment.objects.get(pk=legs.inbound.pk).status == "planned"
    assert AuditEvent.objects.count() == before


def test_wrong_party_gets_403_and_nothing_changes(legs, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.hub_pl).post(url("shipment_dispatch", legs.inbound.pk), {})
    assert response.status_code == 403
    assert Shipment.objects.get(pk=legs.inbound.pk).status == "planned"
    assert AuditEvent.objects.count() == before


def test_stock_movement_form_writes_one_audit_event(at_hub, world, personas, login):
    services.adjust_stock(actor=personas.hub_pl, hub=world.hub, item=world.item, quantity=3, reason="count")
    with new_events() as events:
        response = login(personas.hub_pl).post(url("stock_movement_add", world.hub.pk), {
            "movement-kind": "issue", "movement-item": world.item.pk, "movement-quantity": 3})
    assert response.status_code == 302
    assert [e.action for e in events] == ["stock.issue"]
    assert StockMovement.objects.filter(hub=world.hub, item=world.item).on_hand() == 10


def test_stock_movement_insufficient_stock_is_refused(at_hub, world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.coordinator).post(url("stock_movement_add", world.hub.pk), {
        "movement-kind": "write_off", "movement-item": world.item.pk, "movement-quantity": 11,
        "movement-reason": "damaged"})
    assert response.status_code == 422
    assert "Only 10" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_other_hub_operator_gets_404_on_this_hubs_stock(at_hub, world, personas, login, ro_operator):
    client = login(ro_operator)
    assert client.get(url("hub_stock", world.hub.pk)).status_code == 404
    before = AuditEvent.objects.count()
    response = client.post(url("stock_movement_add", world.hub.pk), {
        "movement-kind": "issue", "movement-item": world.item.pk, "movement-quantity": 1})
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before
    assert login(personas.outsider).post(url("stock_movement_add", world.hub.pk), {}).status_code == 404
    assert client.get(url("hub_stock", world.hub_ro.pk)).status_code == 200


def test_auditor_sees_the_ledger_but_may_not_write(at_hub, world, personas, login):
    client = login(personas.auditor)
    html = client.get(url("hub_stock", world.hub.pk)).content.decode()
    assert world.item.code in html and "Issue, adjust or write off" not in html
    response = client.post(url("stock_movement_add", world.hub.pk), {
        "movement-kind": "issue", "movement-item": world.item.pk, "movement-quantity": 1})
    assert response.status_code == 403


def test_hub_page_shows_stock_chart_and_overdue(at_hub, world, personas, login):
    Shipment.objects.filter(pk=at_hub.outbound.pk).update(expected_arrival="2020-01-06")
    html = login(personas.hub_pl).get(reverse("locations:hub", args=[world.hub.pk])).content.decode()
    assert "Stock on hand" in html and world.item.code in html
    assert 'class="c-capacity"' in html and "<svg" in html
    assert at_hub.outbound.reference in html  # overdue


def test_custody_timeline_lists_every_handover(delivered, world, personas, login):
    html = login(personas.donor_de).get(reverse("pledges:pledge_custody",
                                                args=[world.pledge_coalition.pk])).content.decode()
    assert html.count('class="tl-') == 5  # dispatched, received at hub, dispatched, received, signed
    assert "Capt. O. K." in html and "DB Schenker" in html
    assert reverse("pledges:pledge_custody", args=[world.pledge_coalition.pk]) in login(personas.donor_de).get(
        reverse("pledges:pledge", args=[world.pledge_coalition.pk])).content.decode()


def test_discrepancy_report_for_donor_and_coordinator(delivered, personas, login):
    for user in (personas.donor_de, personas.coordinator):
        html = login(user).get(url("discrepancies")).content.decode()
        assert "Theft or pilferage" in html and delivered.outbound.reference in html
    html = login(personas.donor_us).get(url("discrepancies")).content.decode()
    assert "No discrepancies." in html
