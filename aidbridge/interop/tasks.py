"""Spreadsheet imports as background tasks (Django Tasks, database backend: ``aidbridge db_worker``).

:func:`run_import_task` claims a queued :class:`~aidbridge.interop.models.ImportJob`, runs its dry run or commit
over the stored file and writes the report. Progress reaches the page two ways: through the job row
(:class:`~aidbridge.core.progress.RowProgress`) while the file is counted, and, while the rows are written inside
the import's one transaction (whose writes nobody else sees until it ends), through a small progress file next
to the upload, which :func:`live_progress` reads. A failure never escapes: the job is marked failed with the error.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_tasks import task

from aidbridge.audit.services import record_event
from aidbridge.core import clock
from aidbridge.core.progress import RowProgress
from aidbridge.interop.models import ImportJob
from aidbridge.interop.running import finish_fields, import_file

Status = ImportJob.Status


def progress_path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{int(job_id)}.json"


class FileProgress:
    """A ``progress(fraction, message)`` callback writing ``{"progress", "message"}`` to the job's progress file
    (atomically: a reader never sees half a file), at most every :attr:`every` seconds."""

    def __init__(self, job_id: int, lo: float = 0.0, hi: float = 1.0, every: float = 0.5) -> None:
        self.path, self.lo, self.hi, self.every = progress_path(job_id), lo, hi, every
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self.last < self.every and fraction < 1.0:
            return
        self.last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(".tmp")
        value = self.lo + (self.hi - self.lo) * min(1.0, max(0.0, float(fraction)))
        scratch.write_text(json.dumps({"progress": value, "message": str(message)[:200]}), encoding="utf-8")
        os.replace(scratch, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def live_progress(job: ImportJob) -> tuple[float, str]:
    """The job's progress as a page should show it: the progress file while the rows are written, else the row."""
    if job.is_active:
        try:
            data = json.loads(progress_path(job.pk).read_text(encoding="utf-8"))
            if float(data["progress"]) >= float(job.progress or 0):
                return float(data["progress"]), str(data.get("message", ""))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return float(job.progress or 0), job.progress_message


def _claim(job_id: int) -> bool:
    return ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=clock.now(), progress=0.0, progress_message="Reading the file") == 1


@task()
def run_import_task(job_id: int) -> str:
    """Claim a queued import job and run its dry run or commit."""
    return execute_import(job_id)


def execute_import(job_id: int, progress: Callable[[float, str], None] | None = None) -> str:
    """The task's body (tests and the command line call it directly)."""
    if not _claim(job_id):
        return "not queued"
    job = ImportJob.objects.select_related("created_by", "started_by").get(pk=job_id)
    actor = job.started_by or job.created_by
    row = RowProgress(ImportJob, job_id, 0.0, 0.05)
    live = FileProgress(job_id, 0.05, 1.0)

    def report(fraction: float, message: str) -> None:
        (live if fraction > 0 else row)(fraction, message)
        if progress is not None:
            progress(fraction, message)

    try:
        with job.file.open("rb") as stream:
            result = import_file(kind=job.kind, stream=stream, actor=actor, filename=job.original_name,
                                 mapping=dict(job.mapping or {}), dry_run=job.dry_run, progress=report,
                                 sha256=job.sha256)
        with transaction.atomic():
            ImportJob.objects.filter(pk=job_id).update(**finish_fields(result))
            record_event(actor=actor, action="import_job.finish", obj=job,
                         after={k: v for k, v in result.as_dict().items() if k not in ("errors", "mapping")})
        return "done"
    except Exception as exc:  # the job records any failure; the worker itself must keep going
        error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=5)}"[:4000]
        with transaction.atomic():
            ImportJob.objects.filter(pk=job_id).update(status=Status.FAILED, error=error, finished_at=clock.now(),
                                                        progress_message="Failed")
            record_event(actor=actor, action="import_job.fail", obj=job,
                         after={"error": str(exc)[:500]})
        return "failed"
    finally:
        live.clear()

