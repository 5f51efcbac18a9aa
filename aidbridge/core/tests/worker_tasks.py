"""A task for the serve tests: it records the id of the process that ran it."""

from __future__ import annotations

import os
from pathlib import Path

from django_tasks import task


@task()
def record_pid(path: str) -> None:
    Path(path).write_text(str(os.getpid()), encoding="utf-8")
