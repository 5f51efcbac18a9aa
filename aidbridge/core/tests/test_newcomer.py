"""What a newcomer meets first (issue #8, points 7 and 10): the command line, the API index, plain error pages."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django import forms

from aidbridge.__main__ import main
from aidbridge.core.errors import InvalidTransition, ServiceError
from aidbridge.core.tests.api_helpers import as_user
from aidbridge.core.views import apply_service_errors

# --- the command line -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [[], ["--help"], ["-h"], ["help"]])
def test_help_lists_aidbridges_own_commands_one_line_each(argv, capsys):
    main(argv)
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    for command in ("demo", "serve", "db_worker", "createuser", "token", "allocate", "audit", "ledger", "stock"):
        assert command in lines, out
        assert len(lines[command].split(None, 1)[1]) > 10  # a description, on the same line
    assert "migrate" not in lines and "collectstatic" not in lines and "runserver" not in lines
    assert "aidbridge django" in out


def test_djangos_commands_run_under_aidbridge_django(capsys):
    main(["django", "help"])
    listed = capsys.readouterr().out
    assert "migrate" in listed and "db_worker" in listed
    main(["django", "--help"])
    assert "migrate" in capsys.readouterr().out
    main(["django", "check"])  # runs a Django command
    assert "System check identified no issues" in capsys.readouterr().out


def test_commands_named_directly_still_run(capsys):
    main(["check"])  # as `aidbridge migrate` and `aidbridge db_worker` do
    assert "System check identified no issues" in capsys.readouterr().out


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize("command", [["serve", "--no-worker"], ["demo"]])
def test_serve_on_a_busy_port_says_so_in_one_line_and_exits_1(busy_port, tmp_path, command):
    env = {k: v for k, v in os.environ.items() if k != "AIDBRIDGE_DATABASE_URL"}
    env.update(AIDBRIDGE_VAR_DIR=str(tmp_path), AIDBRIDGE_TESTING="1")
    result = subprocess.run([sys.executable, "-m", "aidbridge", *command, "--port", str(busy_port)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""  # no "serving at…", no "Database migrated."
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"port {busy_port} is in use; try --port ")
    assert int(lines[0].rsplit(" ", 1)[1]) != busy_port


# --- the API index --------------------------------------------------------------------------------------------

def test_the_api_root_is_an_index_of_resources_with_the_docs(personas):
    for api in (as_user(None), as_user(personas.coordinator)):
        response = api.get("/")
        assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
        body = response.json()
        assert body["docs"] == "/api/v1/docs" and body["openapi"] == "/api/v1/openapi.json"
        for name in ("requirements", "pledges", "items", "locations", "hubs", "organisations"):
            assert body["resources"][name] == f"/api/v1/{name}"
        assert "--scope read-write" in body["authentication"]
    resources = as_user(personas.coordinator).get("/").json()["resources"]
    assert as_user(personas.coordinator).get(resources["requirements"][len("/api/v1"):]).status_code == 200


# --- error pages and messages ---------------------------------------------------------------------------------

def test_a_405_answers_with_a_page(personas, world, login):
    response = login(personas.coordinator).get(f"/requirements/{world.requirement.pk}/close/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = response.content.decode()
    assert "<h1>Not allowed here</h1>" in html and "use the button on the page" in html
    assert f'href="/requirements/{world.requirement.pk}/"' in html


def test_a_405_from_any_django_view_answers_with_a_page(personas, login):
    response = login(personas.coordinator).get("/accounts/logout/")  # Django's LogoutView: POST only
    assert response.status_code == 405 and response["Allow"] == "POST, OPTIONS"
    assert "<h1>Not allowed here</h1>" in response.content.decode()
    api = as_user(personas.coordinator).client.delete("/api/v1/")  # the API answers its own way
    assert api.status_code == 405 and "Not allowed here" not in api.content.decode()


def test_service_messages_for_people_carry_no_internal_field_names():
    error = ServiceError({"run": ["The plan is stale; re-run it."], "lines": ["Count at least one line."]})
    assert error.message == "The plan is stale; re-run it. Count at least one line."
    assert error.detail == "run: The plan is stale; re-run it. lines: Count at least one line."  # the API's


def test_a_service_error_about_no_form_field_is_shown_as_written():
    class Form(forms.Form):
        quantity = forms.IntegerField()

    form = Form({"quantity": "3"})
    assert form.is_valid()
    apply_service_errors(form, ServiceError({"run": ["The plan is stale."], "quantity": ["Too many."]}))
    assert form.non_field_errors() == ["The plan is stale."]
    assert form.errors["quantity"] == ["Too many."]


def test_a_refused_transition_is_reported_without_the_field_name(personas, world, login):
    client = login(personas.recipient)
    response = client.post(f"/requirements/{world.requirement.pk}/submit/", follow=True)
    html = response.content.decode()
    assert "Cannot move requirement" in html
    assert "status: Cannot" not in html and "Status: Cannot" not in html
    with pytest.raises(InvalidTransition) as refused:
        raise InvalidTransition("Cannot move it.", field="status")
    assert refused.value.message == "Cannot move it."
