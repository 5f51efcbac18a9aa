"""An in-process task worker for the embedded default.

``aidbridge serve`` starts one so a single process on a laptop runs allocation runs and imports with no
broker and nothing else to start. Larger deployments run ``aidbridge db_worker`` processes instead (as many
as needed, on as many machines): they all claim work from the same database table.

Apps that keep work recurring (the audit app's periodic checkpoints) register a start hook with
:func:`on_worker_start` in their ``AppConfig.ready``; every worker, in-process or ``db_worker``, runs the hooks
once as it starts. This is an explicit registry, so ``core`` names no app above it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

_start_hooks: list[Callable[[], object]] = []


def on_worker_start(hook: Callable[[], object]) -> Callable[[], object]:
    """Register ``hook`` to run each time a task worker starts (idempotent per hook)."""
    if hook not in _start_hooks:
        _start_hooks.append(hook)
    return hook


def run_start_hooks() -> None:
    """Run every start hook; one that fails is logged and does not stop the worker or the others."""
    for hook in _start_hooks:
        try:
            hook()
        except Exception:
            logger.exception("A task-worker start hook failed: %s", getattr(hook, "__qualname__", hook))


def start_background_worker(*, interval: float = 1.0) -> threading.Thread:
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"], interval=interval, batch=False, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id=f"serve-{os.getpid()}", excluded_queue_names=[],
    )

    def run() -> None:
        try:
            run_start_hooks()
            worker.run()
        except Exception:  # keep serving pages even if the worker dies; the log says why
            logger.exception("The in-process task worker stopped")

    thread = threading.Thread(target=run, name="aidbridge-task-worker", daemon=True)
    thread.start()
    return thread
