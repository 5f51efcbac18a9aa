"""Shared by the import tests: building sheets in memory and running them through the engine."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from aidbridge.interop.running import import_file
from aidbridge.interop.tabular.engine import ImportReport

CORPUS = Path(__file__).resolve().parent / "corpus" / "sheets"


def csv_bytes(rows: Iterable[Sequence[Any]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(kind: str, content: bytes, actor: Any, *, dry_run: bool = False, mapping: dict[str, str] | None = None,
        filename: str = "sheet.csv") -> ImportReport:
    return import_file(kind=kind, stream=io.BytesIO(content), actor=actor, filename=filename, mapping=mapping,
                       dry_run=dry_run)
