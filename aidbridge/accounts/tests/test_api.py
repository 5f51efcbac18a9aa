"""/api/v1/organisations, authentication (bearer tokens and sessions) and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import ApiToken, Organisation
from aidbridge.conftest import PASSWORD
from aidbridge.core.tests.api_helpers import (
    API,
    ListEndpointChecks,
    as_user,
    assert_not_found,
    assert_one_event,
    assert_refused,
    new_events,
)

NEW_ORG = {"name": "Poland — Ministry of National Defence", "short_name": "pl-mod", "kind": "donor",
           "country": "PL", "iati_identifier": "PL-1"}


class TestOrganisationEndpoints(ListEndpointChecks):
    path = "/organisations"
    outsider_sees = 1  # their own organisation

    @pytest.fixture
    def target(self, world, personas):
        return personas.orgs["cell"]

    def add_rows(self, world, personas, n):
        for i in range(n):
            Organisation.objects.create(name=f"Donor {i}", short_name=f"donor-{i}", kind="donor", country="NL")

    def test_outsider_sees_only_their_own_organisation(self, personas):
        body = as_user(personas.outsider).get("/organisations").json()
        assert [row["id"] for row in body["items"]] == [personas.orgs["other"].pk]


def test_coordinator_creates_an_organisation_and_it_is_audited(personas):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post("/organisations", NEW_ORG)
    assert response.status_code == 201, response.content
    organisation = Organisation.objects.get(pk=response.json()["id"])
    assert response.json()["short_name"] == "pl-mod"
    assert_one_event(events, "organisation.create", organisation)


def test_donor_may_not_create_an_organisation(personas):
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.post("/organisations", NEW_ORG)
    assert_refused(response, 403, events=events)
    assert not Organisation.objects.filter(short_name="pl-mod").exists()


def test_outsider_may_not_create_an_organisation(personas):
    api = as_user(personas.outsider)
    with new_events() as events:
        assert_refused(api.post("/organisations", NEW_ORG), 403, events=events)


def test_bad_country_and_kind_are_named(personas):
    api = as_user(personas.coordinator)
    assert_refused(api.post("/organisations", {**NEW_ORG, "country": "XX"}), 422, field="country")
    assert_refused(api.post("/organisations", {**NEW_ORG, "kind": "pirate"}), 422, field="kind")
    assert_refused(api.post("/organisations", {**NEW_ORG, "name": personas.orgs["de"].name}), 422, field="name")


def test_patch_changes_only_what_is_sent_and_is_audited(personas):
    organisation = personas.orgs["de"]
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.patch(f"/organisations/{organisation.pk}", {"iati_identifier": "DE-1"})
    assert response.status_code == 200, response.content
    organisation.refresh_from_db()
    assert (organisation.iati_identifier, organisation.kind) == ("DE-1", "donor")
    assert_one_event(events, "organisation.update", organisation)


def test_member_may_see_but_not_change_their_organisation(personas):
    organisation = personas.orgs["de"]
    api = as_user(personas.donor_de)
    with new_events() as events:
        response = api.patch(f"/organisations/{organisation.pk}", {"name": "Renamed"})
    assert_refused(response, 403, events=events)
    organisation.refresh_from_db()
    assert organisation.name != "Renamed"


def test_outsider_patching_another_organisation_gets_404(personas):
    api = as_user(personas.outsider)
    with new_events() as events:
        assert_not_found(api.patch(f"/organisations/{personas.orgs['cell'].pk}", {"name": "Renamed"}))
    assert events == []


def test_kind_filter_narrows_the_list(personas):
    body = as_user(personas.coordinator).get("/organisations", {"kind": "hub_operator"}).json()
    assert {row["short_name"] for row in body["items"]} == {"pl-hub", "ro-hub"}
    assert_refused(as_user(personas.coordinator).get("/organisations", {"kind": "pirate"}), 422, field="kind")


# --- authentication ---------------------------------------------------------------------------------------

def _bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_valid_token_authenticates(personas):
    token, secret = accounts.create_api_token(actor=None, user=personas.coordinator)
    response = _bearer(secret).get(f"{API}/organisations")
    assert response.status_code == 200
    assert response.json()["count"] == Organisation.objects.count()
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_missing_header_gets_401_json(personas):
    response = Client().get(f"{API}/organisations")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer", "Bearer nonsense", "Bearer abt_0000_nope", "Basic dXNlcjpwYXNz"])
def test_malformed_or_unknown_tokens_get_401(personas, header):
    assert Client(HTTP_AUTHORIZATION=header).get(f"{API}/organisations").status_code == 401


def test_a_revoked_token_gets_401(personas):
    token, secret = accounts.create_api_token(actor=None, user=personas.coordinator)
    accounts.revoke_api_token(actor=None, token=token)
    assert _bearer(secret).get(f"{API}/organisations").status_code == 401
    assert _bearer(secret).post(f"{API}/organisations", NEW_ORG, content_type="application/json").status_code == 401


def test_an_expired_token_gets_401(personas):
    token, secret = accounts.create_api_token(
        actor=None, user=personas.coordinator, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _bearer(secret).get(f"{API}/organisations").status_code == 401


def test_a_token_of_a_deactivated_user_gets_401(personas):
    _, secret = accounts.create_api_token(actor=None, user=personas.coordinator)
    type(personas.coordinator).objects.filter(pk=personas.coordinator.pk).update(is_active=False)
    assert _bearer(secret).get(f"{API}/organisations").status_code == 401


def test_a_read_token_reads_but_may_not_write(personas):
    api = as_user(personas.coordinator, scope="read")
    assert api.get("/organisations").status_code == 200
    organisation = personas.orgs["de"]
    with new_events() as events:
        created = api.post("/organisations", NEW_ORG)
        changed = api.patch(f"/organisations/{organisation.pk}", {"name": "Renamed"})
    for response in (created, changed):
        body = assert_refused(response, 403, events=events)
        assert "read-only" in body["detail"]
    assert not Organisation.objects.filter(short_name="pl-mod").exists()


def test_a_logged_in_session_works_and_writes_need_the_csrf_token(personas):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="coordinator", password=PASSWORD)
    assert client.get(f"{API}/organisations").status_code == 200
    body = json.dumps(NEW_ORG)
    refused = client.post(f"{API}/organisations", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get(f"{API}/docs")  # sets the csrftoken cookie, as the docs page does for the browser
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(f"{API}/organisations", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201, accepted.content


def test_a_bad_token_is_not_rescued_by_a_session_cookie(personas):
    client = Client(HTTP_AUTHORIZATION="Bearer abt_0000_revoked")
    client.force_login(personas.coordinator)
    assert client.get(f"{API}/organisations").status_code == 401


# --- the OpenAPI document and the docs page -----------------------------------------------------------------

def test_openapi_schema_lists_every_path(db):
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = set(schema["paths"])
    for path in ("/organisations", "/items", "/locations", "/hubs", "/hubs/{hub_id}/lead-times",
                 "/hubs/{hub_id}/lead-times/inbound/{country}", "/requirements",
                 "/requirements/{requirement_id}/validate", "/pledges", "/pledges/{pledge_id}/documents",
                 "/allocations", "/allocations/{allocation_id}/release"):
        assert f"{API}{path}" in paths
    parameters = {p["name"] for p in schema["paths"][f"{API}/requirements"]["get"]["parameters"]}
    assert {"status", "priority", "item", "organisation", "supply_class", "limit", "offset"} <= parameters
    assert set(schema["components"]["securitySchemes"]) == {"BearerAuth", "SessionAuth"}


def test_docs_page_is_served_locally_without_any_cdn(db):
    response = Client().get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    assert urls, "the page should load its own scripts and styles"
    assert not [url for url in urls if re.match(r"(?i)(https?:)?//", url)]
    assert "cdn" not in html.lower()
    settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))
    assert settings["validatorUrl"] is None  # Swagger UI would otherwise call validator.swagger.io
