"""An in-process task worker for the embedded default.

``aidbridge serve`` starts one so a single process on a laptop runs allocation runs and imports with no
broker and nothing else to start. Larger deployments run ``aidbridge db_worker`` processes instead (as many
as needed, on as many machines): they all claim work from the same database table.
"""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)


def start_background_worker(*, interval: float = 1.0) -> threading.Thread:
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"], interval=interval, batch=False, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id=f"serve-{os.getpid()}", excluded_queue_names=[],
    )

    def run() -> None:
        try:
            worker.run()
        except Exception:  # keep serving pages even if the worker dies; the log says why
            logger.exception("The in-process task worker stopped")

    thread = threading.Thread(target=run, name="aidbridge-task-worker", daemon=True)
    thread.start()
    return thread
