"""The request id is the server's own; a client's X-Request-ID is kept apart as the client request id."""

from __future__ import annotations

from django.test import Client

from aidbridge.accounts import services as accounts
from aidbridge.audit.models import AuditEvent
from aidbridge.audit.verify import verify_chain

NEW_ORG = {"name": "Forged Request Agency", "short_name": "fra", "kind": "donor", "country": "FR"}


def _post(personas, **headers):
    _, secret = accounts.create_api_token(actor=None, user=personas.coordinator)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", **headers).post(
        "/api/v1/organisations", NEW_ORG, content_type="application/json")


def test_a_forged_request_id_is_kept_as_the_client_id_not_as_the_request_id(personas):
    forged = AuditEvent.objects.latest("seq").request_id  # an id that already ties other events together
    response = _post(personas, HTTP_X_REQUEST_ID=forged)
    assert response.status_code == 201
    event = AuditEvent.objects.latest("seq")
    assert event.action == "organisation.create"
    assert event.request_id != forged
    assert event.client_request_id == forged
    assert response["X-Request-ID"] == event.request_id
    assert response["X-Client-Request-ID"] == forged
    assert verify_chain().ok


def test_a_malformed_client_id_is_dropped(personas):
    response = _post(personas, HTTP_X_REQUEST_ID="<script>")
    assert response.status_code == 201
    event = AuditEvent.objects.latest("seq")
    assert event.client_request_id == "" and event.request_id
    assert response["X-Request-ID"] == event.request_id
    assert "X-Client-Request-ID" not in response


def test_without_a_client_id_the_server_makes_one(personas):
    response = _post(personas)
    event = AuditEvent.objects.latest("seq")
    assert event.client_request_id == ""
    assert response["X-Request-ID"] == event.request_id and len(event.request_id) == 32


def test_the_client_id_is_covered_by_the_event_hash(personas):
    _post(personas, HTTP_X_REQUEST_ID="proxy-42")
    event = AuditEvent.objects.latest("seq")
    AuditEvent.objects.filter(pk=event.pk).update(client_request_id="proxy-43")
    report = verify_chain()
    assert not report.ok and report.finding is not None
