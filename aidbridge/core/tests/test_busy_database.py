"""SQLite's "database is locked" is a clean 409 "try again" from every front door, for every service.

Under SQLite one writer holds the whole database. A second writer that cannot get it within the busy timeout
fails; its transaction is rolled back whole, so the person is told to try again, never shown a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from aidbridge.__main__ import main
from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import BUSY_MESSAGE
from aidbridge.core.tests.api_helpers import as_user
from aidbridge.pledges.models import Pledge

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's database-wide write lock"),
    pytest.mark.django_db(transaction=True),
]


@contextmanager
def another_writer_holds_the_database(world) -> Iterator[None]:
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Pledge.objects.filter(pk=world.pledge_coordinators.pk).update(notes="held by another writer")
                holding.set()
                done.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    try:
        yield
    finally:
        done.set()
        holder.join()


def test_a_web_form_gets_a_try_again_page(world, personas, login):
    client = login(personas.donor_de)
    events = AuditEvent.objects.count()
    with another_writer_holds_the_database(world):
        response = client.post(f"/pledges/{world.pledge_coordinators.pk}/commit/")
    assert response.status_code == 409
    page = response.content.decode()
    assert BUSY_MESSAGE in page and "Traceback" not in page
    assert Pledge.objects.get(pk=world.pledge_coordinators.pk).status == "announced"
    assert AuditEvent.objects.count() == events


def test_the_api_answers_409_with_the_message(world, personas):
    api = as_user(personas.donor_de)
    events = AuditEvent.objects.count()
    with another_writer_holds_the_database(world):
        response = api.post(f"/pledges/{world.pledge_coordinators.pk}/commit")
    assert response.status_code == 409
    assert response.json()["detail"] == BUSY_MESSAGE
    assert AuditEvent.objects.count() == events


def test_the_command_line_says_try_again_and_exits_1(world, personas, capsys):
    with another_writer_holds_the_database(world), pytest.raises(SystemExit) as exit_:
        main(["createuser", "newcomer", "--organisation", "de-mod", "--role", "viewer",
              "--password", "correct horse battery"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.strip().endswith(BUSY_MESSAGE) and "Traceback" not in err
