"""Issue #9, uploads: the size limit before reading, content-identified types, and withdrawing documents."""

from __future__ import annotations

import hashlib
import io

import pytest
import waitress
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.urls import reverse

from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.management.commands import serve
from aidbridge.core.tests.api_helpers import as_user, assert_not_found, assert_one_event, assert_refused, new_events
from aidbridge.pledges import services
from aidbridge.pledges.models import SourceDocument

LIMIT = 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n% a tiny test document\n"
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57  # valid UTF-8 byte for byte, and an executable
SVG = b'  <svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MAX_UPLOAD_BYTES = LIMIT
    return tmp_path


class GreedyReadFails(io.RawIOBase):
    """A file-like whose declared size lies; reading more than one byte past the limit fails the test."""

    def __init__(self, data: bytes, size: int | None = None) -> None:
        self.data, self.pos, self.size, self.name = data, 0, size, "big.txt"

    def read(self, n: int | None = -1) -> bytes:
        assert n is not None and n >= 0, "the whole body was asked for"
        assert self.pos + n <= LIMIT + 1, f"read up to byte {self.pos + n}, past the limit of {LIMIT}"
        chunk = self.data[self.pos:self.pos + n]
        self.pos += len(chunk)
        return chunk


# --- the size limit, before the body is read --------------------------------------------------------------

def test_read_upload_refuses_an_oversize_file_without_reading_it(uploads):
    with pytest.raises(ServiceError) as exc:
        services.read_upload(GreedyReadFails(b"a" * 10 * LIMIT, size=10 * LIMIT))
    assert "file" in exc.value.errors
    lying = GreedyReadFails(b"a" * 10 * LIMIT, size=None)
    with pytest.raises(ServiceError):
        services.read_upload(lying)
    assert lying.pos == LIMIT + 1
    assert services.read_upload(GreedyReadFails(b"a" * LIMIT)) == b"a" * LIMIT


@pytest.fixture
def greedy_reads_fail(monkeypatch):
    """Uploaded files whose read() of more than the limit fails the test (the UI and API paths)."""

    def guarded(self):  # type: ignore[no-untyped-def]
        def read(n=-1):  # type: ignore[no-untyped-def]
            assert n is not None and 0 <= n <= LIMIT + 1, f"read({n}) of an upload past the limit"
            return self.file.read(n)
        return read

    monkeypatch.setattr(InMemoryUploadedFile, "read", property(guarded))


def _client_file(data: bytes) -> io.BytesIO:
    """What the test client sends (a plain file-like: only the server's uploaded file is guarded)."""
    f = io.BytesIO(data)
    f.name = "huge.txt"
    return f


def test_ui_refuses_an_oversize_upload_before_reading_it(personas, world, uploads, login, greedy_reads_fail):
    client = login(personas.donor_de)
    response = client.post(reverse("pledges:pledge_documents", args=[world.pledge_coalition.pk]),
                           {"title": "Huge", "url": "", "sha256": "",
                            "file": _client_file(b"a" * 5 * LIMIT)})
    assert response.status_code == 422
    assert "limit" in response.content.decode()
    assert not SourceDocument.objects.exists()


def test_api_refuses_an_oversize_upload_before_reading_it(personas, world, uploads, greedy_reads_fail):
    api = as_user(personas.donor_de)
    with new_events() as events:
        assert_refused(api.upload(f"/pledges/{world.pledge_coalition.pk}/documents",
                                  {"title": "Huge", "file": _client_file(b"a" * 5 * LIMIT)}),
                       422, field="file", events=events)
    assert not SourceDocument.objects.exists()


def test_waitress_limits_the_request_body(monkeypatch, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    calls = []
    monkeypatch.setattr(waitress, "serve", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(serve, "_can_bind", lambda host, port: True)
    serve.run_server(host="127.0.0.1", port=8000, threads=1, stdout=io.StringIO(), worker=False)
    assert calls[0]["max_request_body_size"] == settings.MAX_REQUEST_BODY_BYTES
    assert settings.MAX_UPLOAD_BYTES < settings.MAX_REQUEST_BODY_BYTES <= settings.MAX_UPLOAD_BYTES + 2 ** 21


# --- types identified by content --------------------------------------------------------------------------

def _add(personas, world, content, filename):  # type: ignore[no-untyped-def]
    return services.add_source_document(actor=personas.donor_de, pledges=[world.pledge_coalition],
                                        title="Scan", content=content, filename=filename)


def test_a_png_named_pdf_is_stored_as_png(personas, world, uploads):
    document = _add(personas, world, PNG, "delivery-note.pdf")
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")
    assert document.original_name == "delivery-note.png"
    assert document.sha256 == hashlib.sha256(PNG).hexdigest()


def test_each_accepted_type_keeps_its_own_extension(personas, world, uploads):
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
    for content, content_type, ext in ((PDF, "application/pdf", ".pdf"), (jpeg, "image/jpeg", ".jpg"),
                                       ("Übergabe: 40 × Generator\n".encode(), "text/plain", ".txt")):
        document = _add(personas, world, content, "upload.bin")
        assert (document.content_type, document.file.name[-4:], document.original_name) == (
            content_type, ext, f"upload{ext}")


@pytest.mark.parametrize("content", [HTML, SVG, ELF, b"MZ\x90\x00\x03" + b"\x00" * 60, b"text\x00with a NUL"],
                         ids=["html", "svg", "elf", "pe", "nul"])
def test_markup_and_executables_are_refused(personas, world, uploads, content):
    with pytest.raises(ServiceError) as exc:
        _add(personas, world, content, "notes.txt")
    assert "file" in exc.value.errors
    assert not SourceDocument.objects.exists()


def test_text_must_decode_as_utf8_in_full(personas, world, uploads, settings):
    settings.MAX_UPLOAD_BYTES = 10_000
    with pytest.raises(ServiceError):
        _add(personas, world, b"plain words " * 200 + b"\xff\xfe", "notes.txt")  # bad bytes past byte 2048
    euros = "€" * 1000  # 3000 bytes; a prefix cut at byte 2048 would split a character, the whole file does not
    assert _add(personas, world, euros.encode(), "prices.txt").content_type == "text/plain"


# --- withdrawal -------------------------------------------------------------------------------------------

@pytest.fixture
def document(personas, world, uploads):
    return _add(personas, world, PDF, "letter.pdf")


@pytest.mark.parametrize(("persona", "allowed"), [
    ("donor_de", True), ("donor_us", False), ("coordinator", True), ("auditor", False), ("outsider", False),
])
def test_withdrawal_permissions_and_audit(personas, document, persona, allowed):
    actor = getattr(personas, persona)
    with new_events() as events:
        if allowed:
            services.withdraw_document(actor=actor, document=document, reason="Superseded by the signed copy")
        else:
            with pytest.raises(NotPermitted):
                services.withdraw_document(actor=actor, document=document, reason="Not mine")
    document.refresh_from_db()
    if allowed:
        assert_one_event(events, "source_document.withdraw", document)
        event = AuditEvent.objects.get(action="source_document.withdraw")
        assert event.after["withdrawal_reason"] == "Superseded by the signed copy"
        assert document.withdrawn_at is not None and document.withdrawn_by == actor
        # Hidden, not deleted: the file and its digest are kept as evidence.
        assert document.file and document.file.read() == PDF and document.sha256 == hashlib.sha256(PDF).hexdigest()
    else:
        assert events == [] and document.withdrawn_at is None


def test_withdrawal_needs_a_reason_and_happens_once(personas, document):
    with pytest.raises(ServiceError) as exc:
        services.withdraw_document(actor=personas.donor_de, document=document, reason="  ")
    assert "reason" in exc.value.errors
    services.withdraw_document(actor=personas.donor_de, document=document, reason="Wrong file")
    with pytest.raises(ServiceError):
        services.withdraw_document(actor=personas.coordinator, document=document, reason="Again")


@pytest.mark.parametrize(("persona", "sees"), [
    ("donor_de", False), ("donor_us", None), ("coordinator", False), ("auditor", True), ("outsider", None),
])
def test_withdrawn_documents_vanish_except_for_auditors(personas, world, document, login, persona, sees):
    """``sees``: True listed and downloadable (marked withdrawn); False hidden; None: no access to documents."""
    services.withdraw_document(actor=personas.donor_de, document=document, reason="Wrong file")
    user = getattr(personas, persona)
    listing = as_user(user).get(f"/pledges/{world.pledge_coalition.pk}/documents")
    download = login(user).get(reverse("pledges:document_download", args=[document.pk]))
    page = login(user).get(reverse("pledges:pledge", args=[world.pledge_coalition.pk]))
    if sees is None:
        assert listing.status_code == 404 and download.status_code == 404
        return
    items = listing.json()["items"]
    if sees:
        assert [(d["id"], d["withdrawn"], d["withdrawal_reason"]) for d in items] == [
            (document.pk, True, "Wrong file")]
        assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
        assert "Withdrawn" in page.content.decode() and "letter.pdf" in page.content.decode()
    else:
        assert items == [] and download.status_code == 404
        assert "letter.pdf" not in page.content.decode()


def test_api_withdraw_endpoint(personas, world, document):
    path = f"/pledges/{world.pledge_coalition.pk}/documents/{document.pk}/withdraw"
    us, outsider, auditor = as_user(personas.donor_us), as_user(personas.outsider), as_user(personas.auditor)
    de, coordinator = as_user(personas.donor_de), as_user(personas.coordinator)
    with new_events() as events:
        assert_not_found(us.post(path, {"reason": "x"}))
        assert_not_found(outsider.post(path, {"reason": "x"}))
        assert_refused(auditor.post(path, {"reason": "x"}), 403)
        assert_refused(de.post(path, {"reason": ""}), 422)
    assert events == []
    with new_events() as events:
        response = de.post(path, {"reason": "Uploaded by mistake"})
    assert response.status_code == 200, response.content
    assert response.json()["withdrawn"] is True
    assert_one_event(events, "source_document.withdraw", document)
    assert_not_found(coordinator.post(path, {"reason": "again"}))  # now hidden from them


def test_ui_withdraw_button(personas, world, document, login):
    detail = reverse("pledges:pledge", args=[world.pledge_coalition.pk])
    url = reverse("pledges:document_withdraw", args=[world.pledge_coalition.pk])
    assert url in login(personas.donor_de).get(detail).content.decode()
    assert url in login(personas.coordinator).get(detail).content.decode()
    assert url not in login(personas.auditor).get(detail).content.decode()
    assert login(personas.outsider).post(url, {"document": document.pk, "reason": "x"}).status_code == 404
    assert login(personas.auditor).post(url, {"document": document.pk, "reason": "x"}).status_code == 403
    refused = login(personas.donor_de).post(url, {"document": document.pk, "reason": ""})
    assert refused.status_code == 422 and "Not withdrawn: This field is required." in refused.content.decode()
    with new_events() as events:
        response = login(personas.donor_de).post(url, {"document": document.pk, "reason": "Wrong file"})
    assert response.status_code == 302
    assert_one_event(events, "source_document.withdraw", document)
    document.refresh_from_db()
    assert document.withdrawal_reason == "Wrong file"
    assert "letter.pdf" not in login(personas.donor_de).get(detail).content.decode()
