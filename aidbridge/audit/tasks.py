"""Background work of the audit app (Django Tasks API, database backend).

Checkpoints are signed after each allocation approval (``checkpoint_log``) and every
``AIDBRIDGE_CHECKPOINT_MINUTES`` minutes (``periodic_checkpoint``). The database backend has no scheduler, so
the periodic task re-enqueues itself with ``run_after``; every worker start (``aidbridge serve`` and
``aidbridge db_worker``) makes sure one such task is waiting. Two workers starting at once may queue two; the
surplus one sees the other waiting and does not re-enqueue itself, so the chain settles back to one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from aidbridge.audit.log import latest_checkpoint, make_checkpoint
from aidbridge.audit.models import AuditEvent
from aidbridge.core import clock


@task()
def checkpoint_log() -> int:
    """Sign and store a checkpoint of the transparency log; returns its tree size."""
    return make_checkpoint().tree_size


def _waiting() -> bool:
    return DBTaskResult.objects.filter(
        task_path=periodic_checkpoint.module_path, status=TaskResultStatus.READY
    ).exists()


def schedule_periodic_checkpoint() -> bool:
    """Queue the next periodic checkpoint unless one is already waiting (or the period is 0: off).

    Returns whether a task was queued.
    """
    minutes = settings.LOG_CHECKPOINT_MINUTES
    if minutes <= 0 or _waiting():
        return False
    periodic_checkpoint.using(run_after=clock.now() + dt.timedelta(minutes=minutes)).enqueue()
    return True


@task()
def periodic_checkpoint() -> int | None:
    """Sign a checkpoint if the trail grew since the last one, then queue the next run.

    Returns the new tree size, or None when nothing was added since the last checkpoint.
    """
    try:
        last = latest_checkpoint()
        if last is not None and last.tree_size == AuditEvent.objects.count():
            return None
        return make_checkpoint().tree_size
    finally:
        schedule_periodic_checkpoint()
