"""The signed delivery note is an upload like any other (issue #9, part 4): limited before it is read,
identified by its content and stored under the extension of its detected type."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.urls import reverse

from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import ServiceError
from aidbridge.logistics import services
from aidbridge.logistics.models import ProofOfDelivery
from aidbridge.logistics.tests.conftest import only_line

LIMIT = 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def signed(personas, at_hub, settings, tmp_path):
    """Five units sent on to Kyiv, counted off and signed for without a scan."""
    settings.MEDIA_ROOT = tmp_path
    settings.MAX_UPLOAD_BYTES = LIMIT
    services.cancel_shipment(actor=personas.hub_pl, shipment=at_hub.outbound, reason="Five go by road")
    outbound = services.create_shipment(actor=personas.hub_pl, leg="outbound", hub=at_hub.outbound.hub,
                                        lines=[(at_hub.line, 5)], carrier="Nova Poshta Cargo")
    services.dispatch_shipment(actor=personas.hub_pl, shipment=outbound)
    services.receive_shipment(actor=personas.recipient, shipment=outbound,
                              lines=[services.Received(only_line(outbound), good=5)])
    services.record_proof_of_delivery(actor=personas.recipient, shipment=outbound, signatory="Capt. O. Kovalenko")
    return outbound


def test_a_png_scan_named_pdf_is_stored_as_png(personas, signed):
    proof = services.attach_proof_document(actor=personas.recipient, shipment=signed, content=PNG,
                                           filename="note.pdf")
    assert (proof.content_type, proof.original_name) == ("image/png", "note.png")
    assert proof.document.name.endswith(".png")


def test_an_html_scan_is_refused(personas, signed):
    with pytest.raises(ServiceError) as exc:
        services.attach_proof_document(actor=personas.recipient, shipment=signed, content=HTML, filename="a.txt")
    assert "document" in exc.value.errors
    assert not ProofOfDelivery.objects.get(shipment=signed).document


def test_an_oversize_scan_is_refused_before_it_is_read(personas, signed, login, monkeypatch):
    def guarded(self):  # type: ignore[no-untyped-def]
        def read(n=-1):  # type: ignore[no-untyped-def]
            assert n is not None and 0 <= n <= LIMIT + 1, f"read({n}) of an upload past the limit"
            return self.file.read(n)
        return read

    monkeypatch.setattr(InMemoryUploadedFile, "read", property(guarded))
    upload = io.BytesIO(b"a" * 5 * LIMIT)
    upload.name = "huge.txt"
    response = login(personas.recipient).post(reverse("logistics:shipment_proof_document", args=[signed.pk]),
                                              {"scan-document": upload})
    assert response.status_code == 422 and "limit" in response.content.decode()
    assert not AuditEvent.objects.filter(action="shipment.proof_document").exists()
