"""Blank templates to download: the header row of a kind, one example row, and (in the workbook) a sheet that
explains each column. Text cells are stored as text, never as formulas; the CSV goes through ``core.csvsafe``."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

from aidbridge.core import csvsafe
from aidbridge.interop.tabular.kinds import KindSpec

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename(spec: KindSpec, extension: str) -> str:
    return f"aidbridge-{spec.kind}-template.{extension}"


def template_csv(spec: KindSpec) -> str:
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer)
    writer.writerow([c.name for c in spec.columns])
    writer.writerow([c.example for c in spec.columns])
    return buffer.getvalue()


def template_xlsx(spec: KindSpec) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = spec.kind[:31]
    for col, column in enumerate(spec.columns, start=1):
        _text(sheet.cell(row=1, column=col), column.name).font = Font(bold=True)
        _text(sheet.cell(row=2, column=col), column.example)
        sheet.column_dimensions[sheet.cell(row=1, column=col).column_letter].width = max(12, len(column.name) + 4)
    notes = book.create_sheet("About the columns")
    for col, title in enumerate(("Column", "Label", "Needed", "What to write"), start=1):
        _text(notes.cell(row=1, column=col), title).font = Font(bold=True)
    for row, column in enumerate(spec.columns, start=2):
        for col, value in enumerate((column.name, column.label, "yes" if column.required else "no",
                                     column.help), start=1):
            _text(notes.cell(row=row, column=col), value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(cell, value: str):  # type: ignore[no-untyped-def]
    """Store ``value`` as a text cell: openpyxl would turn text beginning with ``=`` into a formula."""
    cell.value = value
    cell.data_type = TYPE_STRING
    return cell
