"""Spreadsheet imports in the browser: upload, map the columns, check (dry run, with a preview), commit.

The imports area is the coalition's and the auditors' (anyone else gets 404). An import job belongs to the
organisation that uploaded it: its members see it, auditors see all. The runs go to the background worker; the
job page shows a progress bar polled by htmx while one is active.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.views import Column, list_download
from aidbridge.interop import services
from aidbridge.interop.models import ImportJob
from aidbridge.interop.tabular import kinds, reader, template_files
from aidbridge.interop.tasks import live_progress
from aidbridge.pledges.services import read_upload

PREVIEW_ROWS = 5
JOB_COLUMNS = (
    Column(_("Import"), "reference"), Column(_("Kind"), "get_kind_display"), Column(_("File"), "original_name"),
    Column(_("Status"), "get_status_display"), Column(_("By"), "created_by"),
    Column(_("Uploaded"), "created_at", "date"),
)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(label=_("CSV or XLSX file"))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(spec.kind, gettext(spec.label)) for spec in services.importable_kinds(user)]


def _area(request: HttpRequest) -> None:
    if not services.may_see_imports(request.user):
        raise Http404("No imports here.")


def _job(request: HttpRequest, pk: int) -> ImportJob:
    _area(request)
    return get_object_or_404(ImportJob.objects.for_user(request.user).select_related("created_by"), pk=pk)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


@login_required
def import_index(request: HttpRequest) -> HttpResponse:
    """The imports page; ``?format=csv|xlsx`` downloads its list of jobs."""
    _area(request)
    jobs = ImportJob.objects.for_user(request.user).select_related("created_by").defer("report")
    if (download := list_download(request, "imports", JOB_COLUMNS, jobs)) is not None:
        return download
    return _index(request, UploadForm(user=request.user))


def _index(request: HttpRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    allowed = {spec.kind for spec in services.importable_kinds(request.user)}
    return render(request, "interop/imports.html", {
        "title": "Imports", "form": form, "may_upload": bool(allowed),
        "kinds": [(spec, spec.kind in allowed) for spec in kinds.KINDS.values()],
        "jobs": ImportJob.objects.for_user(request.user).select_related("created_by").defer("report")[:100],
    }, status=status)


@login_required
@require_POST
def import_upload(request: HttpRequest) -> HttpResponse:
    _area(request)
    if not services.importable_kinds(request.user):
        return _forbidden(request, gettext("You may not import anything."))
    form = UploadForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            content = read_upload(upload)
            job = services.upload_import(actor=request.user, kind=form.cleaned_data["kind"], content=content,
                                         filename=upload.name or "")
        except NotPermitted as exc:
            return _forbidden(request, exc.message)
        except ServiceError as exc:
            for field, texts in exc.errors.items():
                form.add_error(field if field in form.fields else None, list(texts))
        else:
            messages.success(request, gettext("Uploaded %(name)s: check the columns, then run the dry run.")
                             % {"name": job.original_name})
            return HttpResponseRedirect(reverse("interop:import_detail", args=[job.pk]))
    return _index(request, form, status=422)


def _preview(job: ImportJob) -> list[tuple[int, list[str]]]:
    """The first rows of the stored file, for the mapping page."""
    rows: list[tuple[int, list[str]]] = []
    try:
        with job.file.open("rb") as stream, reader.open_sheet(stream, job.original_name) as sheet:
            for number, cells in sheet.rows():
                rows.append((number, cells))
                if len(rows) >= PREVIEW_ROWS:
                    break
    except (reader.SheetError, OSError):
        return []
    return rows


def _mapping_rows(job: ImportJob, mapping: dict[str, str]) -> list[dict[str, Any]]:
    spec = kinds.spec_of(job.kind)
    return [{"column": column, "selected": mapping.get(column.name, "")} for column in spec.columns]


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return _detail(request, job)


def _detail(request: HttpRequest, job: ImportJob, *, mapping: dict[str, str] | None = None,
            mapping_errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    spec = kinds.spec_of(job.kind)
    may_run = (services.may_import(request.user, job.kind) and not job.is_active
               and services.may_run(request.user, job))
    report = job.report or None
    errors = (report or {}).get("errors") or []
    headers = list(job.headers or [])
    preview = _preview(job) if may_run else []
    index = {h: i for i, h in enumerate(headers)}
    selected = mapping if mapping is not None else dict(job.mapping or {})
    mapped_preview = [(number, [cells[index[selected[c.name]]] if c.name in selected and selected[c.name] in index
                                else "" for c in spec.columns]) for number, cells in preview]
    progress, message = live_progress(job)
    return render(request, "interop/import_detail.html", {
        "title": str(job), "job": job, "spec": spec, "report": report, "errors": errors,
        "headers": headers, "mapping_rows": _mapping_rows(job, selected), "preview": mapped_preview,
        "may_run": may_run, "mapping_errors": mapping_errors or [], "percent": round(100 * progress),
        "progress_message": message,
    }, status=status)


def _posted_mapping(request: HttpRequest, job: ImportJob) -> dict[str, str]:
    spec = kinds.spec_of(job.kind)
    return {column.name: request.POST.get(f"map-{column.name}", "") for column in spec.columns
            if request.POST.get(f"map-{column.name}", "")}


def _start(request: HttpRequest, pk: int, *, dry_run: bool) -> HttpResponse:
    job = _job(request, pk)
    mapping = _posted_mapping(request, job) if dry_run else None
    name = request.POST.get("mapping_name", "").strip()[:100]
    try:
        job = services.start_import(actor=request.user, job=job, dry_run=dry_run, mapping=mapping, mapping_name=name)
    except NotPermitted as exc:
        return _forbidden(request, exc.message)
    except ServiceError as exc:
        texts = [text for messages_ in exc.errors.values() for text in messages_]
        return _detail(request, job, mapping=mapping, mapping_errors=texts, status=422)
    messages.success(request, gettext("The dry run is queued.") if dry_run else gettext("The import is queued."))
    return HttpResponseRedirect(reverse("interop:import_detail", args=[job.pk]))


@login_required
@require_POST
def import_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    return _start(request, pk, dry_run=True)


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    return _start(request, pk, dry_run=False)


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by htmx every second while the job is active; asks for a full refresh once it is over."""
    job = _job(request, pk)
    progress, message = live_progress(job)
    response = render(request, "interop/_import_progress.html", {
        "job": job, "percent": round(100 * progress), "progress_message": message})
    if not job.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
def import_template(request: HttpRequest, kind: str, extension: str) -> HttpResponse:
    _area(request)
    spec = kinds.KINDS.get(kind)
    if spec is None or extension not in ("csv", "xlsx"):
        raise Http404("No such template.")
    if extension == "csv":
        response = HttpResponse(template_files.template_csv(spec), content_type=template_files.CSV_TYPE)
    else:
        response = HttpResponse(template_files.template_xlsx(spec), content_type=template_files.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{template_files.filename(spec, extension)}"'
    return response
