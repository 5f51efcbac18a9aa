"""``/imports``: spreadsheet imports through the API — upload, dry run, commit, status, and the templates.

1. ``POST /imports`` (multipart: ``kind``, ``file``, optionally ``mapping`` as a JSON object field → column
   header): stores the file and queues its dry run. The answer names the file's headers and the mapping used
   (if the headers alone do not give every needed field, the job waits, ``uploaded``, for a mapping).
2. ``GET /imports/{id}``: poll ``status`` and ``progress``; once ``checked`` (or ``rejected``) the ``report``
   lists every problem by row, column and value.
3. ``POST /imports/{id}/commit`` (optionally with another ``mapping``): queue the import itself; all or nothing.
   ``POST /imports/{id}/dry-run`` checks again (say, with a corrected mapping).

The imports run in the background worker (``aidbridge db_worker``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from aidbridge.core.api import ERRORS, NOT_FOUND, READ_ERRORS, InputSchema, actor, get_visible_or_404, paginated
from aidbridge.core.errors import ServiceError
from aidbridge.interop import services
from aidbridge.interop.models import ImportJob
from aidbridge.interop.tabular import kinds, template_files
from aidbridge.interop.tasks import live_progress
from aidbridge.pledges.services import read_upload

router = Router(tags=["imports"])


class ColumnOut(Schema):
    name: str
    label: str
    required: bool
    help: str
    example: str


class KindOut(Schema):
    kind: str
    label: str
    description: str
    identity: str = Field(description="The column that recognises a row again: a code, or external_id.")
    allowed: bool = Field(description="Whether you may import this kind.")
    columns: list[ColumnOut]
    template_csv: str
    template_xlsx: str


class JobOut(Schema):
    id: int
    reference: str
    kind: str
    status: str
    dry_run: bool
    progress: float
    progress_message: str
    original_name: str
    file_format: str
    size: int
    sha256: str
    headers: list[str]
    mapping: dict[str, str] = Field(description="Field → the column header that feeds it.")
    report: dict[str, Any] | None = Field(
        None, description="Counts (rows, created, updated, unchanged) and every problem: row, column, value, message.")
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_progress(obj: ImportJob) -> float:
        return live_progress(obj)[0]

    @staticmethod
    def resolve_progress_message(obj: ImportJob) -> str:
        return live_progress(obj)[1]


class RunIn(InputSchema):
    mapping: dict[str, str] | None = Field(None, description="Field → column header; empty: the job's mapping.")


def _area(user: Any) -> None:
    if not services.may_see_imports(user):
        raise Http404(NOT_FOUND)


def _kind_out(request: HttpRequest, spec: kinds.KindSpec) -> dict[str, Any]:
    base = request.path.split("/imports", 1)[0]
    return {
        "kind": spec.kind, "label": spec.label, "description": spec.description, "identity": spec.identity,
        "allowed": services.may_import(actor(request), spec.kind),
        "columns": [{"name": c.name, "label": c.label, "required": c.required, "help": c.help, "example": c.example}
                    for c in spec.columns],
        "template_csv": f"{base}/imports/templates/{spec.kind}.csv",
        "template_xlsx": f"{base}/imports/templates/{spec.kind}.xlsx",
    }


@router.get("/imports/kinds", response={200: list[KindOut], **READ_ERRORS})
def import_kinds(request: HttpRequest) -> Any:
    """What can be imported: each kind's columns, whether you may import it, and its templates."""
    _area(actor(request))
    return [_kind_out(request, spec) for spec in kinds.KINDS.values()]


def _spec(kind: str) -> kinds.KindSpec:
    spec = kinds.KINDS.get(kind)
    if spec is None:
        raise Http404(NOT_FOUND)
    return spec


@router.get("/imports/templates/{kind}.csv", response={200: None, **READ_ERRORS})
def template_csv(request: HttpRequest, kind: str) -> HttpResponse:
    """A blank CSV template: the header row and one example row."""
    _area(actor(request))
    spec = _spec(kind)
    response = HttpResponse(template_files.template_csv(spec), content_type=template_files.CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{template_files.filename(spec, "csv")}"'
    return response


@router.get("/imports/templates/{kind}.xlsx", response={200: None, **READ_ERRORS})
def template_xlsx(request: HttpRequest, kind: str) -> HttpResponse:
    """A blank XLSX template: the header row, one example row, and a sheet explaining the columns."""
    _area(actor(request))
    spec = _spec(kind)
    response = HttpResponse(template_files.template_xlsx(spec), content_type=template_files.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{template_files.filename(spec, "xlsx")}"'
    return response


@router.get("/imports", response={200: list[JobOut], **READ_ERRORS})
@paginated
def list_imports(request: HttpRequest) -> Any:
    """The import jobs of your organisation (auditors: all), newest first."""
    user = actor(request)
    _area(user)
    return ImportJob.objects.for_user(user)


@router.get("/imports/{job_id}", response={200: JobOut, **READ_ERRORS})
def get_import(request: HttpRequest, job_id: int) -> Any:
    user = actor(request)
    _area(user)
    return get_visible_or_404(ImportJob.objects.for_user(user), job_id)


def _mapping_field(mapping: str) -> dict[str, str] | None:
    if not mapping.strip():
        return None
    try:
        data = json.loads(mapping)
    except ValueError:
        raise ServiceError("Give the mapping as a JSON object: {\"field\": \"column header\", …}.",
                           field="mapping") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ServiceError("Give the mapping as a JSON object: {\"field\": \"column header\", …}.", field="mapping")
    return data


@router.post("/imports", response={201: JobOut, **ERRORS})
def upload_import(request: HttpRequest, kind: Form[str], file: File[UploadedFile], mapping: Form[str] = "") -> Any:
    """Upload a CSV or XLSX file of ``kind`` and queue its dry run (nothing is written until you commit).

    Without ``mapping``, the mapping remembered for the file's headers (or the headers' own names) is used; if it
    leaves a needed field without a column, the job stays ``uploaded`` and its ``mapping`` shows what was found:
    send the full mapping to ``POST /imports/{id}/dry-run``. A ``mapping`` that does not fit is refused (422) and
    nothing is stored.
    """
    user = actor(request)
    _area(user)
    columns = _mapping_field(mapping)
    content = read_upload(file)
    with transaction.atomic():
        job = services.upload_import(actor=user, kind=kind, content=content, filename=file.name or "")
        if columns is not None:
            job = services.start_import(actor=user, job=job, dry_run=True, mapping=columns)
        else:
            try:
                with transaction.atomic():
                    job = services.start_import(actor=user, job=job, dry_run=True)
            except ServiceError as exc:
                if "mapping" not in exc.errors:
                    raise
    return Status(201, job)


def _start(request: HttpRequest, job_id: int, payload: RunIn | None, dry_run: bool) -> Any:
    user = actor(request)
    _area(user)
    job = get_visible_or_404(ImportJob.objects.for_user(user), job_id)
    mapping = payload.mapping if payload is not None else None
    job = services.start_import(actor=user, job=job, dry_run=dry_run, mapping=mapping)
    return Status(202, job)


@router.post("/imports/{job_id}/dry-run", response={202: JobOut, **ERRORS})
def dry_run_import(request: HttpRequest, job_id: int, payload: RunIn | None = None) -> Any:
    """Check the file again (optionally with another mapping); nothing is written."""
    return _start(request, job_id, payload, True)


@router.post("/imports/{job_id}/commit", response={202: JobOut, **ERRORS})
def commit_import(request: HttpRequest, job_id: int, payload: RunIn | None = None) -> Any:
    """Import the file: every row through its service, all or nothing. Poll the job for the outcome."""
    return _start(request, job_id, payload, False)
