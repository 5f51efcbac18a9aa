"""Checkpoints every N minutes: a self-re-enqueuing task that every worker start makes sure is waiting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from aidbridge.audit.models import AuditEvent, TransparencyCheckpoint
from aidbridge.audit.tasks import periodic_checkpoint, schedule_periodic_checkpoint
from aidbridge.core import clock
from aidbridge.core.worker import _start_hooks, run_start_hooks


@pytest.fixture(autouse=True)
def log_key(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "keys" / "log_key"
    monkeypatch.setenv("AIDBRIDGE_LOG_KEY", str(path))
    return path


def _waiting() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=periodic_checkpoint.module_path,
                                            status=TaskResultStatus.READY))


def _add_event(personas, code: str) -> None:
    from aidbridge.catalogue import services

    services.create_item(actor=personas.coordinator, code=code, name="x", supply_class="I", unit="each",
                         weight_t="0.1")


def test_the_audit_app_registers_its_start_hook():
    assert schedule_periodic_checkpoint in _start_hooks


@pytest.mark.django_db
def test_one_task_waits_for_the_next_period_however_often_workers_start(settings):
    settings.LOG_CHECKPOINT_MINUTES = 15
    run_start_hooks()
    run_start_hooks()
    assert schedule_periodic_checkpoint() is False
    (waiting,) = _waiting()
    assert dt.timedelta(minutes=14) < waiting.run_after - clock.now() <= dt.timedelta(minutes=15)


@pytest.mark.django_db
def test_a_period_of_zero_turns_them_off(settings):
    settings.LOG_CHECKPOINT_MINUTES = 0
    run_start_hooks()
    assert _waiting() == []


def test_the_task_signs_only_when_the_trail_grew_and_always_queues_the_next(world, personas, settings):
    settings.LOG_CHECKPOINT_MINUTES = 30
    assert periodic_checkpoint.call() == AuditEvent.objects.count()
    assert len(_waiting()) == 1
    DBTaskResult.objects.all().delete()

    assert periodic_checkpoint.call() is None  # nothing new: no second checkpoint with the same head
    assert TransparencyCheckpoint.objects.count() == 1
    assert len(_waiting()) == 1

    _add_event(personas, "PER-1")
    assert periodic_checkpoint.call() == AuditEvent.objects.count()
    assert TransparencyCheckpoint.objects.count() == 2
    assert len(_waiting()) == 1  # it found its successor already waiting and queued no second one


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection, as a real one does
def test_db_worker_queues_the_chain_and_runs_it_when_due(world, personas, settings, time_machine):
    settings.LOG_CHECKPOINT_MINUTES = 10
    call_command("db_worker", batch=True, verbosity=0)  # runs the start hooks, then what is due (nothing yet)
    assert TransparencyCheckpoint.objects.count() == 0
    (first,) = _waiting()

    time_machine.move_to(clock.now() + dt.timedelta(minutes=11), tick=True)
    call_command("db_worker", batch=True, verbosity=0)
    first.refresh_from_db()
    assert first.status == TaskResultStatus.SUCCESSFUL
    assert TransparencyCheckpoint.objects.get().tree_size == AuditEvent.objects.count()
    (second,) = _waiting()
    assert dt.timedelta(minutes=9) < second.run_after - clock.now() <= dt.timedelta(minutes=10)
