"""Proof of delivery signs for what was received good, and its signed scan may follow the signature
(issue #8, point 4)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aidbridge.accounts import services as accounts
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import PASSWORD
from aidbridge.core.errors import Conflict, NotPermitted, ServiceError
from aidbridge.core.tests.api_helpers import as_user, assert_not_found, assert_refused, new_events
from aidbridge.logistics import services
from aidbridge.logistics.invariants import verify
from aidbridge.logistics.models import ProofOfDelivery
from aidbridge.logistics.tests.conftest import only_line

Received = services.Received
PDF = b"%PDF-1.4\n% signed delivery note\n"


@pytest.fixture
def signed(personas, at_hub):
    """Five units sent on to Kyiv: four counted off good, one lost; signed for without a scan."""
    services.cancel_shipment(actor=personas.hub_pl, shipment=at_hub.outbound, reason="Five go by road")
    outbound = services.create_shipment(actor=personas.hub_pl, leg="outbound", hub=at_hub.outbound.hub,
                                        lines=[(at_hub.line, 5)], carrier="Nova Poshta Cargo")
    services.dispatch_shipment(actor=personas.hub_pl, shipment=outbound)
    services.receive_shipment(actor=personas.recipient, shipment=outbound,
                              lines=[Received(only_line(outbound), good=4, lost=1, reason="theft")])
    services.record_proof_of_delivery(actor=personas.recipient, shipment=outbound, signatory="Capt. O. Kovalenko")
    at_hub.outbound = outbound
    return at_hub


def test_the_proof_counts_what_was_received_good(personas, signed):
    proof = ProofOfDelivery.objects.get(shipment=signed.outbound)
    event = AuditEvent.objects.get(action="shipment.proof_of_delivery")
    assert event.after["received_good"] == 4
    # The timeline is shared with every viewer of the lorry, so it does not count units (the history does).
    assert signed.outbound.events.latest("pk").note == "Proof of delivery signed by Capt. O. Kovalenko."
    body = as_user(personas.recipient).get(f"/shipments/{signed.outbound.pk}").json()
    assert body["status"] == "received" and proof.signatory == "Capt. O. Kovalenko"


def test_the_custody_page_says_the_same_thing_twice(world, personas, signed, login):
    """Reported: "4 units, 1 lost" and then "Signed 5 units". The signature covers the four received good."""
    html = login(personas.donor_de).get(reverse("pledges:pledge_custody",
                                                args=[world.pledge_coalition.pk])).content.decode()
    assert "4 units received good, 1 lost · on" in html
    assert "Signed for 4 units received good, 1 lost · on" in html
    assert "Signed for 5" not in html and "5 units received" not in html
    assert "5 units loaded" in html  # what left the hub is still shown, as the dispatch


def test_the_shipment_page_says_what_was_signed_for(personas, signed, login):
    html = login(personas.recipient).get(reverse("logistics:shipment", args=[signed.outbound.pk])).content.decode()
    assert "4 units received good" in html and "5 units; the rest damaged or lost" in html
    assert "No scan of the signed delivery note yet." in html and "Attach the signed scan" in html


def test_a_scan_can_be_attached_after_the_signature(personas, signed):
    with new_events() as events:
        proof = services.attach_proof_document(actor=personas.recipient, shipment=signed.outbound, content=PDF,
                                               filename="note.pdf")
    assert (proof.sha256, proof.size, proof.content_type, proof.original_name) == (
        hashlib.sha256(PDF).hexdigest(), len(PDF), "application/pdf", "note.pdf")
    proof.document.open("rb")
    assert proof.document.read() == PDF
    (event,) = events
    assert (event.action, event.object_type, event.actor) == (
        "shipment.proof_document", "logistics.proofofdelivery", personas.recipient)
    assert event.before["sha256"] == "" and event.after["sha256"] == proof.sha256
    assert "Signed delivery note attached: note.pdf" in signed.outbound.events.latest("pk").note
    assert verify().ok


def test_a_scan_is_never_replaced_and_needs_a_signature_first(personas, at_hub, signed):
    with pytest.raises(ServiceError, match="record the signature first"):
        services.attach_proof_document(actor=personas.coordinator, shipment=at_hub.inbound, content=PDF)
    services.attach_proof_document(actor=personas.recipient, shipment=signed.outbound, content=PDF)
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="never replaced"):
        services.attach_proof_document(actor=personas.recipient, shipment=signed.outbound, content=PDF + b"x")
    assert AuditEvent.objects.count() == before


def test_only_the_receiver_attaches_the_scan_and_only_a_real_document(settings, personas, signed):
    for who in (personas.hub_pl, personas.donor_de, personas.auditor):
        with pytest.raises(NotPermitted):
            services.attach_proof_document(actor=who, shipment=signed.outbound, content=PDF)
    with pytest.raises(ServiceError, match="Only PDF, PNG, JPEG"):
        services.attach_proof_document(actor=personas.recipient, shipment=signed.outbound,
                                       content=b"\x00\x01\xfe\xff" * 10)
    settings.MAX_UPLOAD_BYTES = 16
    with pytest.raises(ServiceError, match="the limit is 16"):
        services.attach_proof_document(actor=personas.recipient, shipment=signed.outbound, content=PDF)
    assert not ProofOfDelivery.objects.get(shipment=signed.outbound).document
    assert not AuditEvent.objects.filter(action="shipment.proof_document").exists()


def test_attaching_the_scan_from_the_page(personas, signed, login):
    client = login(personas.recipient)
    target = reverse("logistics:shipment_proof_document", args=[signed.outbound.pk])
    with new_events() as events:
        response = client.post(target, {"scan-document": SimpleUploadedFile("pod.pdf", PDF, "application/pdf")})
    assert response.status_code == 302
    assert [e.action for e in events] == ["shipment.proof_document"]
    download = client.get(reverse("logistics:proof_download", args=[signed.outbound.pk]))
    assert b"".join(download.streaming_content) == PDF
    html = client.get(reverse("logistics:shipment", args=[signed.outbound.pk])).content.decode()
    assert "Attach the signed scan" not in html and "pod.pdf" in html
    assert login(personas.outsider).post(target, {"scan-document": SimpleUploadedFile(
        "x.pdf", PDF, "application/pdf")}).status_code == 404
    assert client.post(target, {"scan-document": SimpleUploadedFile("again.pdf", PDF, "application/pdf")}
                       ).status_code == 422


def test_attaching_the_scan_through_the_api(personas, signed):
    path = f"/shipments/{signed.outbound.pk}/proof-of-delivery/document"
    other = accounts.create_user(actor=None, username="hub-ro", password=PASSWORD, organisation=personas.orgs["ro"],
                                 role="editor")
    assert_not_found(as_user(other).upload(path, {"document": SimpleUploadedFile("x.pdf", PDF, "application/pdf")}))
    assert_refused(as_user(personas.hub_pl).upload(path, {"document": SimpleUploadedFile(
        "x.pdf", PDF, "application/pdf")}), 403)
    with new_events() as events:
        response = as_user(personas.recipient).upload(path, {"document": SimpleUploadedFile(
            "pod.pdf", PDF, "application/pdf")})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["has_file"] and body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["received_good"] == 4
    assert [e.action for e in events if e.action != "token.create"] == ["shipment.proof_document"]
    assert_refused(as_user(personas.recipient).upload(path, {"document": SimpleUploadedFile(
        "pod.pdf", PDF, "application/pdf")}), 409, field="document")
