"""Tables out: the CSV and XLSX writers behind every download of a list, a report or an API list.

One table is a header and rows of plain values (text, numbers, dates, ``None``). :func:`download` answers it as a
CSV or an XLSX attachment. Neither can turn a cell into a formula (OWASP "CSV Injection"):

- CSV goes through :mod:`aidbridge.core.csvsafe`: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return gets a leading ``'``; numbers passed as numbers stay numbers.
- XLSX stores every text cell as a string (:func:`safe_cells`): openpyxl would otherwise store text beginning with
  ``=`` as a formula. The text is kept as it is, since a string cell is never evaluated.

:func:`list_header` and :func:`list_row` turn a list page's columns (``aidbridge.core.views.Column``) into the
table's cells: a column's stored value, not its HTML, and a "withheld" cell where releasability hides one.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpResponse
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from aidbridge.core import clock, csvsafe

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMAT_MESSAGE = "Give format=csv or format=xlsx."
WITHHELD = "withheld"  # a cell releasability hides, as the page says it
MAX_SHEET_TITLE = 31  # Excel's limit on a sheet's name


# --- cells --------------------------------------------------------------------------------------------------

def _utc_naive(value: dt.datetime) -> dt.datetime:
    """A spreadsheet has no time zones: an aware instant becomes its UTC wall time."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def csv_cell(value: Any) -> Any:
    """A value as the CSV writes it: ``None`` empty, dates in ISO 8601 (UTC for instants), decimals in full."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return _utc_naive(value).isoformat(sep=" ") if value.tzinfo is not None else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value


def xlsx_cell(value: Any) -> Any:
    """A value as the workbook stores it: instants in UTC without a zone, everything else as it is."""
    if isinstance(value, dt.datetime):
        return _utc_naive(value)
    return value


def safe_cells(sheet: Worksheet) -> None:
    """Every text cell of ``sheet`` stored as a string, never a formula; dates shown as dates."""
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # whatever the text begins with
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif cell.is_date:
                cell.number_format = "yyyy-mm-dd"


# --- whole tables -------------------------------------------------------------------------------------------

def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    write_csv(buffer, header, rows)
    return buffer.getvalue()


def write_csv(f: Any, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    writer = csvsafe.writer(f)
    writer.writerow([csv_cell(v) for v in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])


def sheet_title(title: str) -> str:
    """``title`` as Excel accepts a sheet's name: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip().strip("'") or "Export"
    return cleaned[:MAX_SHEET_TITLE]


def xlsx_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
    """One sheet: the header in bold on row 1 (frozen), then the rows; text never becomes a formula."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(title)
    sheet.append([xlsx_cell(v) for v in header])
    widths = [len(str(v)) for v in header]
    for row in rows:
        values = [xlsx_cell(v) for v in row]
        sheet.append(values)
        for i, v in enumerate(values[:len(widths)]):
            widths[i] = max(widths[i], min(len(str(v)) if v is not None else 0, 60))
    safe_cells(sheet)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, width + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filename(stem: str, fmt: str) -> str:
    """``aidbridge-<stem>-<today>.<fmt>``, the stem reduced to letters, digits and hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "export"
    return f"aidbridge-{slug}-{clock.today().isoformat()}.{fmt}"


def download(fmt: str, stem: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], *,
             title: str = "") -> HttpResponse:
    """The table as an attachment in ``fmt`` (``csv`` or ``xlsx``)."""
    if fmt not in FORMATS:
        raise ValueError(FORMAT_MESSAGE)
    response = HttpResponse(content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename(stem, fmt)}"'
    if fmt == "csv":
        write_csv(response, header, rows)
    else:
        response.write(xlsx_bytes(header, rows, title=title or stem))
    return response


# --- list pages ---------------------------------------------------------------------------------------------

def resolve(obj: Any, accessor: str) -> Any:
    """A dotted path on ``obj`` (callables are called), as the list's cells read it."""
    value = obj
    for part in accessor.split("."):
        if value is None:
            return None
        value = getattr(value, part)
        if callable(value) and not isinstance(value, models.Manager):
            value = value()
    return value


def _labels(column: Any) -> list[str]:
    """The header cells one column becomes (a fill bar is three numbers, a value its amount and currency)."""
    if column.kind == "fill":
        return [gettext("Allocated"), gettext("In transit"), gettext("Delivered")]
    if column.kind == "use":
        return [str(column.label), gettext("Delivered")]
    if column.kind == "money":
        return [str(column.label), gettext("%(column)s currency") % {"column": column.label}]
    return [str(column.label)]


def list_header(columns: Sequence[Any]) -> list[str]:
    return [label for column in columns for label in _labels(column)]


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | str):
        return value
    return str(value)


def _cells(obj: Any, column: Any) -> list[Any]:
    kind = column.kind
    if kind == "fill":
        return [obj.allocated, obj.in_transit, obj.delivered]
    if kind == "use":
        return [obj.allocated, int(getattr(obj, "delivered_qty", 0) or 0)]
    value = resolve(obj, column.accessor)
    if kind == "money":
        return [value, getattr(obj, "currency", None) if value is not None else None]
    if value is None or value == "":
        return [None]
    if kind == "object":
        return [str(value)]
    if kind == "ref":
        return [value.reference]
    if kind == "month":
        return [value.strftime("%Y-%m")]
    if kind == "bool":
        return ["Yes" if value else "No"]
    # status, priority and choice columns hold the stored code, as the filters and the API take it.
    return [_scalar(value)]


def list_row(obj: Any, columns: Sequence[Any], shown: Sequence[Any] | None = None) -> list[Any]:
    """The cells of ``obj`` under ``columns``; ``shown`` is the same columns as the viewer may see them (a
    "withheld" kind where releasability hides the value, "month" where only the month is shown)."""
    out: list[Any] = []
    for column, visible in zip(columns, shown if shown is not None else columns, strict=True):
        width = len(_labels(column))
        if visible.kind == "withheld":
            out += [WITHHELD] * width  # the value is never read
        elif visible.kind != column.kind and visible.kind == "month":
            out += _cells(obj, visible) + [None] * (width - 1)
        else:
            out += _cells(obj, column)
    return out
