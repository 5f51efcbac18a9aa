"""Background work of the audit app (Django Tasks API, database backend)."""

from __future__ import annotations

from django_tasks import task

from aidbridge.audit.log import make_checkpoint


@task()
def checkpoint_log() -> int:
    """Sign and store a checkpoint of the transparency log; returns its tree size."""
    return make_checkpoint().tree_size
