"""Spreadsheet imports: upload a file, map its columns (remembered per organisation and template), check it (a dry
run), commit it — each a keyword-only, atomic, audited service shared by the UI, the API and the command line.

The import itself runs as a background task (:mod:`aidbridge.interop.tasks`) over the stored file, through
:func:`aidbridge.interop.running.import_file`, which the command line also calls directly.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.audit import writes
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import services as core
from aidbridge.core.errors import InvalidTransition, ServiceError
from aidbridge.interop.mappings import headers_digest, suggested_mapping
from aidbridge.interop.models import ImportJob, ImportMapping
from aidbridge.interop.running import require_import, spec_or_error
from aidbridge.interop.tabular import kinds, reader
from aidbridge.interop.tabular.engine import check_mapping
from aidbridge.interop.tabular.kinds import KindSpec
from aidbridge.interop.tasks import run_import_task


def may_see_imports(actor: Any) -> bool:
    """The imports pages and API are the coalition's (and auditors'); anyone else gets 404."""
    p = principal(actor)
    return p.user_id is not None and (p.in_coalition or p.sees_everything)


def may_import(actor: Any, kind: str) -> bool:
    spec = kinds.KINDS.get(kind)
    return spec is not None and spec.allowed(principal(actor))


def importable_kinds(actor: Any) -> list[KindSpec]:
    p = principal(actor)
    return [spec for spec in kinds.KINDS.values() if spec.allowed(p)]


def _organisation(actor: Any) -> Organisation | None:
    org_id = principal(actor).organisation_id
    return Organisation.objects.filter(pk=org_id).first() if org_id else None


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


# --- mappings ---------------------------------------------------------------------------------------------------

def clean_mapping(spec: KindSpec, headers: list[str], mapping: dict[str, Any]) -> dict[str, str]:
    """A mapping as the person gave it (field → header; empty headers dropped), or refused naming what is wrong."""
    cleaned = {str(k): str(v) for k, v in (mapping or {}).items() if v not in (None, "")}
    problems = check_mapping(spec, headers, cleaned)
    if problems:
        raise ServiceError({"mapping": [p.message if not p.column else f"{p.column}: {p.message}"
                                        for p in problems]})
    return cleaned


@transaction.atomic
def save_mapping(*, actor: Any, kind: str, headers: list[str], columns: dict[str, Any], name: str = ""
                 ) -> ImportMapping:
    """Remember ``columns`` for the actor's organisation, this kind and this header row (updated if it exists)."""
    spec = spec_or_error(kind)
    require_import(actor, spec)
    columns = clean_mapping(spec, headers, columns)
    organisation = _organisation(actor)
    digest = headers_digest(headers)
    name = (name or "").strip()[:100] or f"Template {digest[:8]}"
    existing = (ImportMapping.objects.select_for_update()
                .filter(organisation=organisation, kind=spec.kind, name=name).first())
    if existing is not None:
        return writes.update(actor=actor, obj=existing, changes={"headers": headers, "headers_digest": digest,
                                                                 "columns": columns},
                             editable=("headers", "headers_digest", "columns"), action="import_mapping.update")
    mapping = ImportMapping(organisation=organisation, kind=spec.kind, name=name, headers_digest=digest,
                            headers=list(headers), columns=columns, created_by=_user(actor))
    return writes.create(actor=actor, obj=mapping, action="import_mapping.create")


# --- files --------------------------------------------------------------------------------------------------------

def max_bytes() -> int:
    return int(settings.MAX_UPLOAD_BYTES)


def read_headers(stream: IO[bytes], filename: str = "", *, sheet_name: str = "") -> tuple[str, list[str]]:
    """The file's format and header row, or ``ServiceError`` on the field ``file`` saying why it cannot be read."""
    try:
        with reader.open_sheet(stream, filename, sheet_name=sheet_name) as sheet:
            return sheet.file_format, list(sheet.headers)
    except reader.SheetError as exc:
        raise ServiceError(exc.message, field="file") from None
    finally:
        stream.seek(0)


@transaction.atomic
def upload_import(*, actor: Any, kind: str, content: bytes, filename: str = "") -> ImportJob:
    """Store an uploaded spreadsheet as an import job, ready to be mapped and checked. Nothing is imported yet."""
    spec = spec_or_error(kind)
    require_import(actor, spec)
    if len(content) > max_bytes():
        raise ServiceError(gettext("The file is %(size)s bytes; the limit is %(limit)s.")
                           % {"size": f"{len(content):,}", "limit": f"{max_bytes():,}"}, field="file")
    if not content:
        raise ServiceError(gettext("The file is empty."), field="file")
    file_format, headers = read_headers(ContentFile(content), filename)
    sha256 = hashlib.sha256(content).hexdigest()
    original = PurePath((filename or "").replace("\\", "/")).name[:255] or f"upload.{file_format}"
    job = ImportJob(kind=spec.kind, organisation=_organisation(actor), created_by=_user(actor),
                    original_name=original, file_format=file_format, size=len(content), sha256=sha256,
                    headers=headers, mapping=suggested_mapping(actor, spec, headers))
    job.file.save(f"{sha256[:16]}.{file_format}", ContentFile(content), save=False)
    core.full_clean(job, exclude=["file"])
    job.save()
    record_event(actor=actor, action="import_job.upload", obj=job, after=snapshot(job))
    return job


def may_run(actor: Any, job: ImportJob) -> bool:
    """The uploader, and the editors of its organisation, may check and commit a job."""
    p = principal(actor)
    if p.user_id is None:
        return False
    if job.created_by_id == p.user_id:
        return True
    return job.organisation_id is not None and p.writes_for(job.organisation_id)


@transaction.atomic
def start_import(*, actor: Any, job: ImportJob, dry_run: bool, mapping: dict[str, Any] | None = None,
                 remember: bool = True, mapping_name: str = "", enqueue: bool = True) -> ImportJob:
    """Queue a dry run (``dry_run=True``) or the commit of ``job``, with ``mapping`` (field → header) if given.

    The mapping is remembered for the organisation and this template (the file's header row), under
    ``mapping_name`` if given (the command line's ``--mapping NAME``). The rows are written as ``actor``. The
    background worker runs the import once this transaction commits (``enqueue=False``: the caller runs it).
    """
    spec = spec_or_error(job.kind)
    require_import(actor, spec)
    job = core.lock(job)
    core.require(may_run(actor, job), gettext("Only the organisation that uploaded this file may import it."))
    if job.is_active:
        raise InvalidTransition(gettext("%(job)s is already %(status)s; wait for it.")
                                % {"job": job.reference, "status": job.get_status_display().lower()}, field="status")
    columns = clean_mapping(spec, list(job.headers), mapping if mapping is not None else dict(job.mapping))
    if remember and mapping is not None:
        save_mapping(actor=actor, kind=spec.kind, headers=list(job.headers), columns=columns,
                     name=mapping_name or f"Template {headers_digest(list(job.headers))[:8]}")
    before = snapshot(job)
    job.mapping, job.dry_run, job.status = columns, bool(dry_run), ImportJob.Status.QUEUED
    job.started_by = _user(actor)
    job.progress, job.progress_message, job.report, job.error = 0.0, "Queued", None, ""
    job.started_at = job.finished_at = None
    job.save()
    record_event(actor=actor, action="import_job.dry_run" if dry_run else "import_job.commit", obj=job,
                 before=before, after=snapshot(job))
    if enqueue:
        def queue() -> None:
            result = run_import_task.enqueue(job.pk)
            ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])

        transaction.on_commit(queue)
    return job
