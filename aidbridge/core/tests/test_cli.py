"""The ``aidbridge`` command line: demo, serve, createuser and token."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from aidbridge.accounts.models import ApiToken, Membership
from aidbridge.accounts.services import authenticate_token
from aidbridge.audit.models import AuditEvent
from aidbridge.core.progress import ProgressBar
from aidbridge.pledges.models import Pledge
from aidbridge.seed.catalogue import DEMO_PASSWORD
from aidbridge.seed.scenario import PERSONAS

User = get_user_model()
STRONG = "Tall-Cedar-Harbour-42"


def run(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    options: dict[str, Any] = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.mark.parametrize("argv", [["demo"], ["serve"], ["createuser"], ["token"], ["token", "create"],
                                  ["token", "list"], ["token", "revoke"]])
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command(*argv, "--help")
    assert exit_.value.code == 0
    assert "usage:" in capsys.readouterr().out


# --- createuser ---------------------------------------------------------------------------------------------

def test_createuser_creates_a_member_with_an_audited_request(personas):
    output = run("createuser", "alice", "--organisation", "de-mod", "--role", "editor", "--password", STRONG)
    assert "alice" in output
    alice = User.objects.get(username="alice")
    assert alice.check_password(STRONG)
    assert (alice.membership.organisation.short_name, alice.membership.role) == ("de-mod", Membership.Role.EDITOR)
    # By (type, id): on PostgreSQL a user and a membership of different people can share the same id.
    events = (AuditEvent.objects.filter(action="user.create", object_type="auth.user", object_id=str(alice.pk))
              | AuditEvent.objects.filter(action="membership.create", object_type="accounts.membership",
                                          object_id=str(alice.membership.pk)))
    assert events.count() == 2
    assert {e.actor_name for e in events} == {"system"}
    assert len({e.request_id for e in events}) == 1 and events[0].request_id


def test_createuser_reads_the_password_from_stdin(personas):
    run("createuser", "bob", "--organisation", "ua-mod", "--password-stdin", stdin=STRONG + "\n")
    assert User.objects.get(username="bob").check_password(STRONG)
    assert User.objects.get(username="bob").membership.role == Membership.Role.VIEWER


def test_createuser_without_a_password_makes_an_account_that_cannot_log_in(personas):
    output = run("createuser", "carol", "--organisation", "cell", "--role", "auditor", stdin="")
    assert "cannot log in" in output
    assert not User.objects.get(username="carol").has_usable_password()


def test_createuser_names_the_available_organisations_when_one_is_unknown(personas):
    with pytest.raises(CommandError) as error:
        run("createuser", "dave", "--organisation", "nowhere", "--password", STRONG)
    assert "nowhere" in str(error.value) and "de-mod" in str(error.value) and "us-dod" in str(error.value)
    assert not User.objects.filter(username="dave").exists()


def test_createuser_refuses_a_duplicate(personas):
    with pytest.raises(CommandError, match="already exists"):
        run("createuser", "coordinator", "--organisation", "cell", "--password", STRONG)


def test_createuser_refuses_a_weak_password_and_a_missing_organisation(personas):
    with pytest.raises(CommandError, match="password"):
        run("createuser", "erin", "--organisation", "cell", "--password", "password")
    with pytest.raises(CommandError, match="--organisation"):
        run("createuser", "erin", "--password", STRONG)
    assert not User.objects.filter(username="erin").exists()


def test_createuser_exits_with_status_1_and_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AIDBRIDGE_DATABASE_URL"}
    env.update(AIDBRIDGE_VAR_DIR=str(tmp_path), AIDBRIDGE_TESTING="1")
    command = [sys.executable, "-m", "aidbridge"]
    subprocess.run([*command, "migrate", "-v0"], env=env, check=True, capture_output=True, timeout=300)
    result = subprocess.run([*command, "createuser", "frank", "--organisation", "nope", "--password", STRONG],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Unknown organisation “nope”" in result.stderr


# --- token --------------------------------------------------------------------------------------------------

def test_token_create_prints_the_secret_last_and_it_authenticates(personas):
    output = run("token", "create", "--user", "donor-de", "--name", "sync job", "--scope", "read-write",
                 "--expires-days", "30")
    secret = output.strip().splitlines()[-1]
    user, token = authenticate_token(secret)
    assert user == personas.donor_de
    assert (token.name, token.scope, token.expires_at is not None) == ("sync job", "read-write", True)
    assert AuditEvent.objects.filter(action="token.create", object_id=str(token.pk), actor_name="system").exists()


def test_token_create_defaults_to_read_only_and_never_expiring(personas):
    secret = run("token", "create", "--user", "auditor").strip().splitlines()[-1]
    _, token = authenticate_token(secret)
    assert (token.scope, token.expires_at) == (ApiToken.Scope.READ, None)


def test_token_create_rejects_an_unknown_user_and_a_bad_expiry(personas):
    with pytest.raises(CommandError, match="no user called"):
        run("token", "create", "--user", "ghost")
    with pytest.raises(CommandError, match="at least 1"):
        run("token", "create", "--user", "donor-de", "--expires-days", "0")


def test_token_revoke_stops_the_token_working(personas):
    secret = run("token", "create", "--user", "donor-us").strip().splitlines()[-1]
    _, token = authenticate_token(secret)
    assert "Revoked" in run("token", "revoke", token.prefix)
    assert authenticate_token(secret) is None
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).exists()
    with pytest.raises(CommandError, match="already revoked"):
        run("token", "revoke", secret)  # the whole secret is accepted too
    with pytest.raises(CommandError, match="no token"):
        run("token", "revoke", "ffffffff")


def test_token_list_shows_prefixes_users_and_states(personas):
    first = run("token", "create", "--user", "donor-de").strip().splitlines()[-1]
    second = run("token", "create", "--user", "recipient").strip().splitlines()[-1]
    _, revoked = authenticate_token(first)
    run("token", "revoke", revoked.prefix)
    _, active = authenticate_token(second)
    listing = run("token", "list")
    assert revoked.prefix in listing and active.prefix in listing
    assert "revoked" in listing and "active" in listing
    only = run("token", "list", "--user", "recipient")
    assert active.prefix in only and revoked.prefix not in only
    assert first not in listing  # secrets are never shown again
    assert "No tokens" in run("token", "list", "--user", "hub-pl")


# --- serve and demo -----------------------------------------------------------------------------------------

@pytest.fixture
def waitress_calls(monkeypatch, settings, tmp_path):
    """Capture what would be handed to waitress (waitress itself serves in production)."""
    import waitress

    settings.STATIC_ROOT = tmp_path / "static"
    calls = _Calls()
    monkeypatch.setattr(waitress, "serve", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setattr("aidbridge.core.worker.start_background_worker", lambda **kw: calls.workers.append(True))
    # Nothing listens here, so the port is whatever the test names, even if something on this machine (a demo
    # served while the suite runs) holds it. The busy-port check itself is tested with a real listener.
    monkeypatch.setattr("aidbridge.core.management.commands.serve._can_bind", lambda host, port: True)
    return calls


class _Calls(list):
    """Calls handed to waitress, plus the in-process task workers started."""

    def __init__(self) -> None:
        super().__init__()
        self.workers: list[bool] = []


def test_serve_starts_the_task_worker_unless_told_not_to(waitress_calls):
    run("serve")
    run("serve", "--no-worker")
    assert waitress_calls.workers == [True]


def test_serve_hands_the_wsgi_application_to_waitress(waitress_calls):
    from aidbridge.wsgi import application

    output = run("serve", "--host", "0.0.0.0", "--port", "8765", "--threads", "4")
    assert "http://0.0.0.0:8765/" in output
    (args, kwargs), = waitress_calls
    assert args == (application,)
    assert (kwargs["host"], kwargs["port"], kwargs["threads"]) == ("0.0.0.0", 8765, 4)


def test_serve_defaults_to_localhost_8000(waitress_calls):
    assert "http://127.0.0.1:8000/" in run("serve")
    assert (waitress_calls[0][1]["host"], waitress_calls[0][1]["port"]) == ("127.0.0.1", 8000)


def test_serve_refuses_an_impossible_port(waitress_calls):
    with pytest.raises(CommandError, match="port"):
        run("serve", "--port", "70000")
    assert waitress_calls == []


@pytest.mark.slow  # builds the whole seed scenario through the command, then collects the static files
def test_demo_loads_the_scenario_once_prints_the_logins_and_serves(db, waitress_calls, settings):
    output = run("demo", "--port", "8123")
    assert Pledge.objects.count() >= 400
    for persona in PERSONAS:
        assert persona.username in output
    assert DEMO_PASSWORD in output and "demo only" in output
    assert waitress_calls[0][1]["port"] == 8123
    assert any(Path(settings.STATIC_ROOT).iterdir())  # collectstatic ran before serving
    # The second run finds the scenario and only prints the logins.
    events = AuditEvent.objects.count()
    again = run("demo", "--no-serve")
    assert "already loaded" in again and "coordinator" in again
    assert AuditEvent.objects.count() == events
    assert len(waitress_calls) == 1


def test_demo_reset_only_deletes_an_embedded_sqlite_file(db):
    # The test database is in memory (SQLite) or PostgreSQL: either way there is no file to delete.
    with pytest.raises(CommandError, match="SQLite"):
        run("demo", "--reset", "--no-serve")


# --- progress bar -------------------------------------------------------------------------------------------

def test_progress_bar_prints_a_line_per_tenth_when_not_on_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream=stream, width=10)
    for step in range(101):
        bar.update(step / 100, "working")
    bar.finish("done")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[4] == "[####......]  40%  working"
    assert lines[-1].startswith("[##########] 100%")


def test_progress_bar_redraws_in_place_on_a_terminal_and_counts_towards_a_total():
    stream = io.StringIO()
    bar = ProgressBar(total=4, stream=stream, width=4, tty=True)
    bar.update(1, "one")
    bar(2)
    bar.finish()
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n")
    assert "[#...]  25%  one" in text and "[##..]  50%" in text and "[####] 100%" in text
