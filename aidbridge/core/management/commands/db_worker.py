"""``aidbridge db_worker``: django-tasks-db's worker, which first runs the apps' worker start hooks.

Run as many as needed, on as many machines as share the database; they claim tasks from one table.
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from aidbridge.core.worker import run_start_hooks


class Command(DatabaseWorkerCommand):
    help = ("Run background tasks (allocation runs, transparency-log checkpoints) from the database queue. "
            "Start as many as you need, on any machine that reaches the database.")

    def handle(self, *args: Any, **options: Any) -> None:
        run_start_hooks()
        super().handle(*args, **options)
