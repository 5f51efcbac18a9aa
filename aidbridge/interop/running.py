"""Running an import over a whole file: shared by the background task and the command line."""

from __future__ import annotations

from typing import IO, Any

from django.utils.translation import gettext

from aidbridge.accounts.principal import principal
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import ServiceError
from aidbridge.interop.mappings import suggested_mapping
from aidbridge.interop.models import ImportJob
from aidbridge.interop.tabular import kinds, reader
from aidbridge.interop.tabular.engine import ImportReport, Progress, RowError, import_sheet
from aidbridge.interop.tabular.kinds import KindSpec


def spec_or_error(kind: str, *, field: str = "kind") -> KindSpec:
    try:
        return kinds.spec_of(kind)
    except ValueError as exc:
        raise ServiceError(str(exc), field=field) from None


def require_import(actor: Any, spec: KindSpec) -> None:
    core.require(spec.allowed(principal(actor)),
                 gettext("You may not import %(kind)s.") % {"kind": str(spec.label).lower()})


def import_file(*, kind: str, stream: IO[bytes], actor: Any, filename: str = "", mapping: dict[str, str] | None = None,
                dry_run: bool = True, progress: Progress | None = None, sheet_name: str = "",
                sha256: str = "") -> ImportReport:
    """Import a whole file (seekable binary ``stream``) of ``kind``; see :mod:`aidbridge.interop.tabular.engine`.

    Unreadable and hostile files come back as a report with one file-level problem, never as an exception.
    """
    spec = spec_or_error(kind)
    require_import(actor, spec)
    report = ImportReport(kind=spec.kind, dry_run=dry_run)
    try:
        total = reader.count_rows(stream, filename, sheet_name=sheet_name)
        if progress is not None:
            progress(0.0, f"{total:,} rows to read")
        with reader.open_sheet(stream, filename, sheet_name=sheet_name) as sheet:
            if mapping is None:
                mapping = suggested_mapping(actor, spec, sheet.headers)
            return import_sheet(spec=spec, sheet=sheet, actor=actor, mapping=mapping, dry_run=dry_run,
                                progress=progress, total=total, filename=filename, sha256=sha256)
    except reader.SheetError as exc:
        report.add(RowError(exc.row or 0, "", "", exc.message))
        return report


def finish_fields(report: ImportReport) -> dict[str, Any]:
    """The job's fields once its import has run."""
    if not report.ok:
        status = ImportJob.Status.REJECTED
    elif report.dry_run:
        status = ImportJob.Status.CHECKED
    else:
        status = ImportJob.Status.COMMITTED
    return {"status": status, "report": report.as_dict(), "progress": 1.0, "progress_message": report.summary()[:200],
            "finished_at": clock.now()}
