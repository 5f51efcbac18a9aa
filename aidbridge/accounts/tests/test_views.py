from __future__ import annotations

import pytest
from django.urls import reverse

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import ApiToken, Organisation
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import PASSWORD


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# Login and logout


def test_login_page_renders_for_anonymous(db, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_login_with_the_right_password_goes_to_the_dashboard(personas, client):
    response = client.post("/accounts/login/", {"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_with_a_wrong_password_shows_an_error(personas, client):
    response = client.post("/accounts/login/", {"username": "coordinator", "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content
    assert client.get("/").status_code == 302


def test_login_follows_next(personas, client):
    response = client.post("/accounts/login/?next=/pledges/",
                           {"username": "coordinator", "password": PASSWORD, "next": "/pledges/"})
    assert response["Location"] == "/pledges/"


def test_logout_is_a_post_and_ends_the_session(personas, login):
    client = login(personas.coordinator)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_header_shows_organisation_and_role(personas, login):
    html = login(personas.donor_de).get("/").content.decode()
    assert "Germany — Federal Ministry of Defence" in html
    assert "Editor" in html


# Organisations


def test_organisation_list_shows_the_coalition_to_the_coordinator(personas, login,
                                                                  django_assert_max_num_queries):
    client = login(personas.coordinator)
    with django_assert_max_num_queries(8):
        html = client.get("/organisations/").content.decode()
    assert "Rzeszów Logistics Hub" in html and "Unrelated Agency" in html


def test_organisation_list_query_count_is_bounded(personas, login, django_assert_max_num_queries):
    for i in range(30):
        Organisation.objects.create(name=f"Donor {i}", short_name=f"d{i}", kind="donor", country="FR")
    client = login(personas.coordinator)
    with django_assert_max_num_queries(8):
        client.get("/organisations/")


def test_outsider_lists_only_its_own_organisation(personas, login):
    html = login(personas.outsider).get("/organisations/").content.decode()
    assert "Unrelated Agency" in html
    assert "Rzeszów Logistics Hub" not in html and "Coalition Coordination Cell" not in html


def test_outsider_gets_404_for_another_organisation(personas, login):
    client = login(personas.outsider)
    org = personas.orgs["de"]
    assert client.get(reverse("accounts:organisation", args=[org.pk])).status_code == 404
    assert client.get(reverse("accounts:organisation_edit", args=[org.pk])).status_code == 404
    assert client.post(reverse("accounts:organisation_edit", args=[org.pk]), {"name": "x"}).status_code == 404


def test_organisation_detail_shows_history(personas, login):
    accounts.update_organisation(actor=personas.coordinator, organisation=personas.orgs["pl"],
                                 changes={"iati_identifier": "XM-PL-1"})
    html = login(personas.coordinator).get(
        reverse("accounts:organisation", args=[personas.orgs["pl"].pk])).content.decode()
    assert "organisation.update" in html and "XM-PL-1" in html


def org_form(**overrides: object) -> dict[str, object]:
    data = {"name": "Estonia — Ministry of Defence", "short_name": "ee-mod", "kind": "donor", "country": "EE",
            "iati_identifier": "", "in_coalition": "on"}
    data.update(overrides)
    return data


def test_coordinator_creates_an_organisation_and_it_is_audited(personas, login):
    before = events("organisation.create")
    response = login(personas.coordinator).post("/organisations/add/", org_form())
    org = Organisation.objects.get(short_name="ee-mod")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:organisation", args=[org.pk])
    assert events("organisation.create") == before + 1


def test_coordinator_edits_an_organisation_and_it_is_audited(personas, login):
    org = personas.orgs["us"]
    before = events("organisation.update")
    data = org_form(name=org.name, short_name=org.short_name, country="US", iati_identifier="US-GOV-1")
    response = login(personas.coordinator).post(reverse("accounts:organisation_edit", args=[org.pk]), data)
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.iati_identifier == "US-GOV-1"
    assert events("organisation.update") == before + 1


def test_organisation_form_errors_are_shown_next_to_the_field(personas, login):
    response = login(personas.coordinator).post("/organisations/add/", org_form(short_name="de-mod"))
    assert response.status_code == 422
    form = response.context["form"]
    assert "short_name" in form.errors
    assert b'class="field has-error' in response.content


def test_a_donor_may_not_add_organisations(personas, login):
    client = login(personas.donor_de)
    assert client.get("/organisations/add/").status_code == 403
    before = AuditEvent.objects.count()
    assert client.post("/organisations/add/", org_form()).status_code == 403
    assert AuditEvent.objects.count() == before


# API tokens


def test_tokens_page_lists_only_my_tokens(personas, login):
    accounts.create_api_token(actor=personas.donor_de, user=personas.donor_de, name="mine")
    accounts.create_api_token(actor=personas.donor_us, user=personas.donor_us, name="theirs")
    html = login(personas.donor_de).get("/accounts/tokens/").content.decode()
    assert "mine" in html and "theirs" not in html


def test_creating_a_token_shows_the_secret_once_and_audits(personas, login):
    client = login(personas.donor_de)
    before = events("token.create")
    response = client.post("/accounts/tokens/", {"name": "ci", "scope": "read"})
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("abt_") and secret in response.content.decode()
    assert events("token.create") == before + 1
    assert accounts.authenticate_token(secret)[0] == personas.donor_de
    assert secret not in client.get("/accounts/tokens/").content.decode()


def test_token_expiry_in_the_past_is_refused_next_to_the_field(personas, login):
    response = login(personas.donor_de).post("/accounts/tokens/",
                                             {"name": "old", "scope": "read", "expires_on": "2000-01-01"})
    assert response.status_code == 422
    assert ApiToken.objects.count() == 0
    assert response.context["form"].non_field_errors()


def test_revoking_my_token_is_audited(personas, login):
    token, _ = accounts.create_api_token(actor=personas.donor_de, user=personas.donor_de)
    before = events("token.revoke")
    response = login(personas.donor_de).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert events("token.revoke") == before + 1


def test_revoking_twice_shows_the_error_and_changes_nothing(personas, login):
    token, _ = accounts.create_api_token(actor=personas.donor_de, user=personas.donor_de)
    accounts.revoke_api_token(actor=personas.donor_de, token=token)
    before = AuditEvent.objects.count()
    response = login(personas.donor_de).post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert "already revoked" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_someone_elses_token_is_404(personas, login):
    token, _ = accounts.create_api_token(actor=personas.donor_us, user=personas.donor_us)
    before = AuditEvent.objects.count()
    response = login(personas.outsider).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and AuditEvent.objects.count() == before


@pytest.mark.parametrize("url", ["/accounts/tokens/", "/organisations/"])
def test_anonymous_is_redirected_to_login(db, client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
