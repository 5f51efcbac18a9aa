"""The language of the pages: the user's own setting, else the browser's (Accept-Language), else English.

The assertions read the page's ``<html lang>``, the response's Content-Language and text that Django's own
catalogues translate (the login form's labels), so they hold whether or not the project's catalogues are built.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from aidbridge.accounts import services
from aidbridge.accounts.models import UserPreference
from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import NotPermitted, ServiceError

pytestmark = pytest.mark.django_db


def _lang(response) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    start = html.index('<html lang="') + len('<html lang="')
    return html[start:html.index('"', start)]


def test_the_browser_language_is_used_when_the_user_has_no_setting(personas, login):
    response = login(personas.coordinator).get("/hubs/", HTTP_ACCEPT_LANGUAGE="uk,en;q=0.5")
    assert response.status_code == 200
    assert _lang(response) == "uk" and response["Content-Language"] == "uk"


def test_without_a_setting_or_a_browser_preference_the_pages_are_in_english(personas, login):
    response = login(personas.coordinator).get("/hubs/")
    assert _lang(response) == "en-gb"


def test_the_users_setting_wins_over_the_browser(personas, login):
    services.set_language(actor=personas.coordinator, user=personas.coordinator, language="id")
    response = login(personas.coordinator).get("/hubs/", HTTP_ACCEPT_LANGUAGE="uk")
    assert _lang(response) == "id" and response["Content-Language"] == "id"
    # and over the language cookie another user of the same browser left behind
    client = login(personas.coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    assert _lang(client.get("/hubs/")) == "id"


def test_one_users_setting_does_not_leak_to_another(personas, login):
    services.set_language(actor=personas.coordinator, user=personas.coordinator, language="id")
    assert _lang(login(personas.donor_de).get("/hubs/", HTTP_ACCEPT_LANGUAGE="uk")) == "uk"


def test_the_login_page_follows_the_browser(db):
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="uk")
    html = response.content.decode()
    assert _lang(response) == "uk"
    assert "Пароль" in html  # the password field's label, from Django's own Ukrainian catalogue
    assert _lang(Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="id")) == "id"


def test_the_transparency_page_follows_the_browser(db):
    response = Client().get("/transparency/", HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 200 and _lang(response) == "id" and response["Content-Language"] == "id"


def test_the_switcher_saves_a_logged_in_users_choice_through_the_audited_service(personas, login):
    client = login(personas.recipient)
    response = client.post("/accounts/language/", {"language": "uk", "next": "/hubs/?page=2"})
    assert response.status_code == 302 and response["Location"] == "/hubs/?page=2"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"
    assert UserPreference.objects.get(user=personas.recipient).language == "uk"
    event = AuditEvent.objects.filter(action="preference.language").get()
    assert event.actor_id == personas.recipient.pk and event.after["language"] == "uk"
    # A fresh browser (no cookie) that asks for Indonesian still gets the saved Ukrainian.
    assert _lang(login(personas.recipient).get("/hubs/", HTTP_ACCEPT_LANGUAGE="id")) == "uk"


def test_choosing_the_same_language_again_writes_nothing(personas):
    services.set_language(actor=personas.recipient, user=personas.recipient, language="uk")
    services.set_language(actor=personas.recipient, user=personas.recipient, language="uk")
    assert AuditEvent.objects.filter(action="preference.language").count() == 1


def test_an_empty_choice_goes_back_to_the_browser(personas, login):
    services.set_language(actor=personas.recipient, user=personas.recipient, language="id")
    client = login(personas.recipient)
    response = client.post("/accounts/language/", {"language": "", "next": "/hubs/"})
    assert response.status_code == 302
    assert UserPreference.objects.get(user=personas.recipient).language == ""
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # the cookie is deleted
    assert _lang(client.get("/hubs/", HTTP_ACCEPT_LANGUAGE="uk")) == "uk"


def test_an_anonymous_choice_is_kept_in_the_language_cookie(db):
    client = Client()
    response = client.post("/accounts/language/", {"language": "id", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not UserPreference.objects.exists()
    assert _lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="uk")) == "id"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/hubs/", "javascript:alert(1)", ""])
def test_the_switcher_only_goes_back_to_this_site(db, target):
    response = Client().post("/accounts/language/", {"language": "uk", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_an_unknown_language_is_refused_and_nothing_is_saved(personas, login):
    response = login(personas.recipient).post("/accounts/language/", {"language": "xx", "next": "/hubs/"})
    assert response.status_code == 422
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert not UserPreference.objects.exists()
    with pytest.raises(ServiceError):
        services.set_language(actor=personas.recipient, user=personas.recipient, language="de")


def test_the_switcher_takes_only_a_form_submission(db):
    assert Client().get("/accounts/language/").status_code == 405


def test_nobody_chooses_another_users_language(personas):
    with pytest.raises(NotPermitted):
        services.set_language(actor=personas.coordinator, user=personas.recipient, language="uk")
    assert not UserPreference.objects.exists()


def test_every_page_offers_the_switcher_with_the_current_language_selected(personas, login):
    html = login(personas.coordinator).get("/hubs/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert 'action="/accounts/language/"' in html
    assert '<option value="uk" lang="uk" selected>Українська</option>' in html
    assert 'name="next" value="/hubs/"' in html
