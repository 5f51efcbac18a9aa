"""Login throttling and lock-out, optional TOTP two-factor sign-in, argon2 hashing, CSP and cookies."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from aidbridge.accounts import twofactor
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import PASSWORD


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_five_failures_lock_the_account_out_with_a_clear_message(personas):
    client = Client()
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "donor-de", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "donor-de", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_password_logs_in_and_resets_the_count(personas):
    client = Client()
    for _ in range(3):
        client.post("/accounts/login/", {"username": "donor-de", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "donor-de", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(personas.donor_de.pk)


def test_two_factor_enrolment_and_login(personas, login):
    coordinator = login(personas.coordinator)
    assert coordinator.post("/accounts/two-factor/", {"action": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=personas.coordinator)
    page = coordinator.get("/accounts/two-factor/").content.decode()
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", "")
    response = coordinator.post("/accounts/two-factor/", {"action": "confirm", "token": "000000"})
    assert "not valid" in response.content.decode()
    coordinator.post("/accounts/two-factor/", {"action": "confirm", "token": _code(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action__in=["2fa.enrol", "2fa.confirm"]).count() == 2

    client = Client()
    response = client.post("/accounts/login/", {"username": "coordinator", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/code/"
    assert "_auth_user_id" not in client.session  # the password alone does not log in
    assert "not valid" in client.post("/accounts/login/code/", {"token": "123456"}).content.decode()
    device.refresh_from_db()
    # A code is good once (replay protection): pretend the confirm happened a step earlier, and clear the
    # failed attempt's throttle, as the passing of time would.
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post("/accounts/login/code/", {"token": _code(device)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(personas.coordinator.pk)


def test_two_factor_is_for_coordinators_and_admins(personas, login):
    assert login(personas.donor_de).get("/accounts/two-factor/").status_code == 404
    assert not twofactor.may_enrol(personas.outsider)


def test_code_page_without_a_password_step_goes_back_to_login(db):
    assert Client().get("/accounts/login/code/")["Location"] == "/accounts/login/"


def test_passwords_are_hashed_with_argon2_outside_tests(monkeypatch):
    import importlib

    from aidbridge import settings as live

    monkeypatch.delenv("AIDBRIDGE_TESTING", raising=False)
    try:
        fresh = importlib.reload(live)
        assert fresh.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    finally:
        monkeypatch.setenv("AIDBRIDGE_TESTING", "1")
        importlib.reload(live)


def test_pages_carry_a_content_security_policy_without_inline_script(client, db):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("url", ["/accounts/login/"])
def test_forms_are_csrf_protected(db, url):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url, {"username": "x", "password": "y"}).status_code == 403


def test_session_cookie_is_secure_and_httponly(personas):
    client = Client()
    client.post("/accounts/login/", {"username": "donor-de", "password": PASSWORD})
    cookie = client.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"]
