"""Import the rows of a sheet: all or nothing, every problem named by row, column and value.

One pass over the file, inside one transaction. Each row is parsed cell by cell (a bad cell is reported and the
row skipped); a row whose cells are all good goes to its kind's ``create_*`` or ``update_*`` service in a
savepoint, and whatever the service refuses is reported against the column of the field it names. At the end
the transaction is rolled back if this was a dry run or if any row had a problem; otherwise it commits, with one
audit event summing the import up (each record's own event was written by its service).

Re-importing is idempotent: each row's external id (see :mod:`aidbridge.interop.tabular.kinds`) and a digest of
its values are kept in :class:`~aidbridge.interop.models.ExternalRef`; a row seen before with the same digest is
"unchanged" and not written again, a changed one updates the record it made.

Memory stays bounded: rows are never held, only the set of external ids seen (to catch one given twice), the
references looked up (cached) and at most :data:`MAX_ERRORS` problems (all are counted).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import csvsafe
from aidbridge.core.errors import ServiceError
from aidbridge.core.services import _messages
from aidbridge.interop.models import ExternalRef
from aidbridge.interop.tabular import cells
from aidbridge.interop.tabular.kinds import EXTERNAL_ID, KindSpec, auto_mapping
from aidbridge.interop.tabular.reader import Sheet, SheetError

MAX_ERRORS = 1000
PROGRESS_EVERY = 250
Progress = Callable[[float, str], None]


class _Blank:
    def __repr__(self) -> str:
        return "BLANK"


BLANK: Any = _Blank()


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str  # the header of the column, or "" for the whole row or file
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}

    def line(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        if self.column:
            where += f", column “{self.column}”"
        value = f" (value “{self.value[:80]}”)" if self.value else ""
        return f"{where}{value}: {self.message}"


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    file_format: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "dry_run": self.dry_run, "ok": self.ok, "committed": self.committed,
            "format": self.file_format, "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "error_count": self.error_count,
            "errors": [e.as_dict() for e in self.errors], "errors_shown": len(self.errors),
            "mapping": dict(self.mapping),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        report = cls(kind=data.get("kind", ""), dry_run=bool(data.get("dry_run")))
        for name in ("rows", "created", "updated", "unchanged", "error_count"):
            setattr(report, name, int(data.get(name) or 0))
        report.file_format = data.get("format", "")
        report.committed = bool(data.get("committed"))
        report.errors = [RowError(**e) for e in data.get("errors") or []]
        report.mapping = dict(data.get("mapping") or {})
        return report

    def summary(self) -> str:
        if not self.ok:
            return (f"{self.error_count:,} problem{'s' if self.error_count != 1 else ''} in {self.rows:,} rows; "
                    "nothing was written.")
        counts = f"{self.created:,} new, {self.updated:,} changed, {self.unchanged:,} unchanged"
        if self.dry_run:
            return f"Dry run: {self.rows:,} rows are fine ({counts}); nothing was written yet."
        return f"Imported {self.rows:,} rows: {counts}."

    def lines(self) -> list[str]:
        out = [self.summary()]
        out += [e.line() for e in self.errors]
        if self.error_count > len(self.errors):
            out.append(f"… and {self.error_count - len(self.errors):,} more.")
        return out


def check_mapping(spec: KindSpec, headers: list[str], mapping: dict[str, str]) -> list[RowError]:
    """What is wrong with a mapping (field → header) for this sheet, as row-1 problems."""
    problems = []
    used: dict[str, str] = {}
    for name, header in mapping.items():
        if name not in spec.by_name:
            problems.append(RowError(1, header, "", f"“{name}” is not a field of {spec.label.lower()}; the fields "
                                                    f"are: {', '.join(spec.by_name)}."))
        elif header not in headers:
            problems.append(RowError(1, header, "", f"The file has no column “{header}” (for {name})."))
        elif header in used:
            problems.append(RowError(1, header, "", f"The column feeds both {used[header]} and {name}."))
        used[header] = name
    for column in spec.required():
        if column.name not in mapping:
            problems.append(RowError(1, "", "", f"No column gives “{column.label}” ({column.name}), which every "
                                                "row needs; map one."))
    return problems


def unescape(raw: str) -> str:
    """Undo :mod:`aidbridge.core.csvsafe`: a text cell our own exports wrote as ``'=…`` (so that no spreadsheet
    evaluates it) comes back as ``=…``. Nothing is evaluated either way: a cell is only ever text here."""
    if raw.startswith("'") and raw[1:].startswith(csvsafe.FORMULA_PREFIXES):
        return raw[1:]
    return raw


def digest_of(values: dict[str, Any]) -> str:
    normal = {k: (None if v is BLANK else cells.normal(v)) for k, v in sorted(values.items())}
    return hashlib.sha256(json.dumps(normal, sort_keys=True, default=str).encode()).hexdigest()


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "updated_at"}


def state_digest(obj: Any) -> str:
    """SHA-256 of a record's fields as stored (its audit snapshot, without ``updated_at``)."""
    return hashlib.sha256(json.dumps(_comparable(snapshot(obj)), sort_keys=True, default=str).encode()).hexdigest()


class _Run:
    def __init__(self, spec: KindSpec, sheet: Sheet, actor: Any, mapping: dict[str, str], report: ImportReport
                 ) -> None:
        self.spec, self.sheet, self.actor, self.report = spec, sheet, actor, report
        self.index = {name: sheet.headers.index(header) for name, header in mapping.items()}
        self.header = dict(mapping)
        self.lookups = cells.Lookups(actor)
        self.own_org = principal(actor).organisation_id
        self.seen: dict[str, int] = {}
        self.occurrences: dict[str, int] = {}
        self._own: Organisation | None = None

    def own_organisation(self) -> Organisation | None:
        """The importing user's organisation: the owner of rows that name none (and not reference data)."""
        if self.spec.shared or self.own_org is None:
            return None
        if self._own is None:
            self._own = Organisation.objects.filter(pk=self.own_org).first()
        return self._own

    def error(self, row: int, name: str, message: str, cells_: list[str]) -> None:
        header = self.header.get(name, "")
        value = cells_[self.index[name]] if name in self.index else ""
        self.report.add(RowError(row, header, value.strip(), message))

    def row(self, number: int, cells_: list[str]) -> None:
        spec = self.spec
        values: dict[str, Any] = {}
        bad = False
        for name, i in self.index.items():
            column = spec.by_name[name]
            raw = unescape(cells_[i].strip())
            if not raw:
                if column.required:
                    self.error(number, name, f"{column.label} is needed; the cell is empty.", cells_)
                    bad = True
                else:
                    values[name] = BLANK
                continue
            if "\x00" in raw:
                self.error(number, name, "The cell contains a NUL character.", cells_)
                bad = True
                continue
            try:
                values[name] = column.parse(raw, self.lookups)
            except ValueError as exc:
                self.error(number, name, str(exc), cells_)
                bad = True
        if bad:
            return
        digest = digest_of(values)
        owner = values.pop(spec.owner, BLANK) if spec.owner else BLANK
        owner = owner if isinstance(owner, Organisation) else self.own_organisation()
        given_id = values.pop(EXTERNAL_ID, BLANK)
        if spec.identity != EXTERNAL_ID:
            external_id = str(cells.normal(values[spec.identity]))
            id_field = spec.identity
        elif given_id is not BLANK:
            external_id, id_field = str(given_id), EXTERNAL_ID
        else:  # no id: the row is known by its content (and which copy of it this is, for identical rows)
            n = self.occurrences[digest] = self.occurrences.get(digest, 0) + 1
            external_id, id_field = f"row:{digest[:40]}:{n}", ""
        if id_field:
            first = self.seen.setdefault(external_id, number)
            if first != number:
                self.error(number, id_field, f"Row {first} has the same {spec.by_name[id_field].label.lower()}; "
                                             "each row needs its own.", cells_)
                return
        organisation_id = None if spec.shared else (owner.pk if owner else self.own_org)
        try:
            with transaction.atomic():
                self._write(values, owner, organisation_id, external_id, given_id, digest)
        except ServiceError as exc:
            for name, messages in exc.errors.items():
                for message in messages:
                    self.error(number, name, message, cells_)
        except ValidationError as exc:
            for name, messages in _messages(exc).items():
                for message in messages:
                    self.error(number, name, message, cells_)
        except IntegrityError:
            self.error(number, "__all__", "The row conflicts with another record (a code or id already in use).",
                       cells_)

    def _write(self, values: dict[str, Any], owner: Organisation | None, organisation_id: int | None,
               external_id: str, given_id: Any, digest: str) -> None:
        spec, report = self.spec, self.report
        owned: dict[str, Any] = {"organisation_id": organisation_id}  # None: the coalition's reference data
        ref = ExternalRef.objects.filter(kind=spec.kind, external_id=external_id, **owned).first()
        obj = None
        if ref is not None:
            obj = spec.model._default_manager.filter(pk=ref.object_id).first()
            if obj is not None and ref.row_digest == digest and ref.object_digest == state_digest(obj):
                report.unchanged += 1
                return
        if obj is None and spec.find_existing is not None:
            obj = spec.find_existing(self.actor, owner, external_id)
        if obj is None:
            create = {k: v for k, v in values.items() if v is not BLANK}
            if spec.stores_external_id and given_id is not BLANK:
                create[EXTERNAL_ID] = external_id
            obj = spec.create(self.actor, owner, create)
            obj.refresh_from_db()
            report.created += 1
        else:
            if not spec.model._default_manager.for_user(self.actor).filter(pk=obj.pk).exists():  # type: ignore
                raise ServiceError(f"The record this row names ({external_id}) is not one you can see or change.",
                                   field=EXTERNAL_ID)
            changes: dict[str, Any] = {}
            for name, value in values.items():
                if name not in spec.editable:
                    continue
                if value is BLANK:
                    value = spec.by_name[name].blank
                    if value is None:
                        continue
                changes[name] = value
            before = _comparable(snapshot(obj))
            obj = spec.update(self.actor, obj, changes)
            obj.refresh_from_db()
            if _comparable(snapshot(obj)) == before:
                report.unchanged += 1
            else:
                report.updated += 1
        written = state_digest(obj)
        if ref is None:
            ExternalRef.objects.create(kind=spec.kind, organisation_id=organisation_id, external_id=external_id,
                                       object_id=obj.pk, row_digest=digest, object_digest=written)
        else:
            ExternalRef.objects.filter(pk=ref.pk).update(object_id=obj.pk, row_digest=digest, object_digest=written)


def import_sheet(*, spec: KindSpec, sheet: Sheet, actor: Any, mapping: dict[str, str] | None = None,
                 dry_run: bool = True, progress: Progress | None = None, total: int | None = None,
                 filename: str = "", sha256: str = "") -> ImportReport:
    """Import ``sheet`` as ``spec``'s kind; ``mapping`` (field → header) defaults to the headers' own names."""
    mapping = dict(mapping) if mapping is not None else auto_mapping(spec, sheet.headers)
    report = ImportReport(kind=spec.kind, dry_run=dry_run, file_format=sheet.file_format, mapping=mapping)
    for problem in check_mapping(spec, sheet.headers, mapping):
        report.add(problem)
    if not report.ok:
        return report
    run = _Run(spec, sheet, actor, mapping, report)
    try:
        with transaction.atomic():
            for number, row_cells in sheet.rows():
                report.rows += 1
                run.row(number, row_cells)
                if progress is not None and report.rows % PROGRESS_EVERY == 0:
                    of = f" of {total:,}" if total else ""
                    progress(report.rows / total if total else 0.0, f"Row {report.rows:,}{of}")
            if dry_run or not report.ok:
                transaction.set_rollback(True)
            else:
                if report.created or report.updated:
                    record_event(actor=actor, action="import.commit", object_type="interop.import",
                                 object_id=sha256[:16], object_repr=f"{spec.label}: {filename}"[:200],
                                 after={"kind": spec.kind, "file": filename, "sha256": sha256, "rows": report.rows,
                                        "created": report.created, "updated": report.updated,
                                        "unchanged": report.unchanged})
                report.committed = True
    except SheetError as exc:
        report.add(RowError(exc.row or 0, "", "", exc.message))
        report.committed = False
    if progress is not None:
        progress(1.0, report.summary())
    return report
