"""Two real ``aidbridge db_worker`` processes share one sweep through the database queue, and the answer is the
one a single worker gives.

Both workers are separate processes that see the test database, so it must be a server database
(PostgreSQL) and the test transactional (its writes committed, as a request's are).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import Membership, Organisation
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import PASSWORD
from aidbridge.core import clock
from aidbridge.pledges import services as pledges
from aidbridge.requirements import services as requirements
from aidbridge.whatif import services, tasks
from aidbridge.whatif.models import Status, Sweep

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="two worker processes must share the test database: needs PostgreSQL (set "
                              "AIDBRIDGE_DATABASE_URL); an in-memory SQLite test database is private to this process"),
]

EXTRA_DONORS = ("fr", "gb", "nl", "se", "pl", "no")


def _more_donors_and_demand(personas, world) -> None:
    """Six more donors with a committed pledge each, and more demand than supply, so every withdrawal costs."""
    c, today = personas.coordinator, clock.today()
    for index, code in enumerate(EXTRA_DONORS):
        org = accounts.create_organisation(actor=c, short_name=f"{code}-mod", name=f"Donor {code.upper()}",
                                           kind=Organisation.Kind.DONOR, country=code.upper(), in_coalition=True)
        liaison = accounts.create_user(actor=None, username=f"donor-{code}", password=PASSWORD, organisation=org,
                                       role=Membership.Role.EDITOR)
        pledge = pledges.create_pledge(
            actor=liaison, item=world.item, quantity=15 + 5 * index,
            available_from=today + dt.timedelta(weeks=index % 3),
            origin_country="DE" if index % 2 else "US", unit_value=Decimal("40000"), currency="EUR",
            funding_source="stockpile", releasability="coalition")
        pledges.commit_pledge(actor=liaison, pledge=pledge)
    for quantity, priority, days, place in ((120, 2, 42, world.lviv), (60, 1, 21, world.lviv)):
        requirement = requirements.create_requirement(
            actor=personas.recipient, item=world.item, quantity=quantity, priority=priority,
            due_date=today + dt.timedelta(days=days), destination=place)
        requirements.submit_requirement(actor=personas.recipient, requirement=requirement)
        requirements.validate_requirement(actor=c, requirement=requirement)


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "") + "@" if s.get("USER") else ""
    return f"postgresql://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def _start_worker(worker_id: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AIDBRIDGE_DATABASE_URL": _database_url(), "AIDBRIDGE_CHECKPOINT_MINUTES": "0",
           "AIDBRIDGE_LOG_LEVEL": "INFO", "AIDBRIDGE_TESTING": "1"}
    with log.open("wb") as stream:
        return subprocess.Popen(
            [sys.executable, "-m", "aidbridge", "db_worker", "--worker-id", worker_id, "--interval", "0.05",
             "--no-startup-delay"], stdout=stream, stderr=subprocess.STDOUT, env=env)


def _wait_for(predicate, what: str, timeout: float, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    output = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{output}")


def _answers(sweep: Sweep) -> list[tuple[str, float, float, float | None, int | None]]:
    sweep.refresh_from_db()
    assert sweep.status == Status.DONE, sweep.error
    return [(s["target"], round(s["objective"], 6), round(s["loss_share"], 9),
             None if s["bound"] is None else round(s["bound"], 6), s["time_to_survive_week"])
            for s in sweep.result["scenarios"]]


@pytest.mark.django_db(transaction=True)
def test_two_workers_split_a_sweep_and_agree_with_one(personas, world, tmp_path, settings):
    settings.LOG_CHECKPOINT_MINUTES = 0
    _more_donors_and_demand(personas, world)
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    workers = [_start_worker("w1", logs[0]), _start_worker("w2", logs[1])]
    try:
        # Both must be polling before there is anything to take, or the first one up could take it all.
        _wait_for(lambda: all("Starting worker" in log.read_text(errors="replace") for log in logs),
                  "both workers to start", 60, logs)
        shared = services.start_sweep(actor=personas.coordinator, kind="donors", weeks=10)
        _wait_for(lambda: Sweep.objects.get(pk=shared.pk).status in (Status.DONE, Status.FAILED),
                  "the sweep to finish", 240, logs)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a worker that ignores SIGTERM
                worker.kill()
                worker.wait()
    shared.refresh_from_db()
    assert shared.total == 8 and shared.runs.filter(status=Status.DONE).count() == 8

    # Each run task ran once, and each worker ran at least one of them.
    run_tasks = DBTaskResult.objects.filter(task_path=tasks.run_sweep_scenario_task.module_path)
    assert run_tasks.count() == 8
    assert all(t.status == "SUCCESSFUL" and len(t.worker_ids) == 1 for t in run_tasks), [
        (t.status, t.worker_ids) for t in run_tasks]
    per_worker = {w: sum(1 for t in run_tasks if t.worker_ids == [w]) for w in ("w1", "w2")}
    assert per_worker["w1"] >= 1 and per_worker["w2"] >= 1, per_worker
    # Exactly one worker summed the sweep up.
    assert AuditEvent.objects.filter(action="sweep.finish", object_id=str(shared.pk)).count() == 1

    # The same sweep with one worker (in this process) gives the same answers, scenario by scenario.
    DBTaskResult.objects.all().delete()
    single = services.start_sweep(actor=personas.coordinator, kind="donors", weeks=10)
    call_command("db_worker", batch=True, verbosity=0, worker_id="solo")
    assert _answers(shared) == _answers(single)
    assert {w for t in DBTaskResult.objects.all() for w in t.worker_ids} == {"solo"}
    assert any(loss > 0 for _, _, loss, _, _ in _answers(single))  # withdrawals do cost something

