"""Read a CSV or XLSX file row by row, in bounded memory, and refuse hostile files before they cost anything.

- **CSV**: UTF-8 (a byte-order mark is fine), comma, semicolon or tab separated (decided from the header line).
  Rows are read one at a time from the file; a cell is at most :data:`MAX_CELL_CHARS` characters.
- **XLSX**: opened with openpyxl in read-only mode (rows are parsed as they are read, never the whole sheet; its
  XML goes through defusedxml). Before openpyxl sees the file, the zip's directory is checked: at most
  :data:`MAX_ZIP_ENTRIES` entries, at most :data:`MAX_XLSX_UNCOMPRESSED` bytes once unpacked, no entry packed
  more tightly than :data:`MAX_RATIO` to one (a zip bomb unpacks a few kilobytes into gigabytes). Python's
  ``zipfile`` never inflates an entry past the size its directory declares, so checking the declared sizes bounds
  what is unpacked. Formulas are never evaluated: a cell gives the value the spreadsheet saved for it.
- Both: at most :data:`MAX_ROWS` data rows and :data:`MAX_COLUMNS` columns; the first non-empty row is the header.

Every refusal is a :class:`SheetError` with a plain message (and the row number, where there is one).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from openpyxl import load_workbook

MAX_ROWS = 200_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 10_000
MAX_ZIP_ENTRIES = 2_000
MAX_XLSX_UNCOMPRESSED = 256 * 1024 * 1024
MAX_RATIO = 200
# Small entries (styles, the workbook's own XML) may pack tightly without unpacking to much.
RATIO_FLOOR = 1024 * 1024
CSV = "csv"
XLSX = "xlsx"
ZIP_MAGIC = b"PK\x03\x04"


class SheetError(ValueError):
    """The file cannot be read as a spreadsheet, or is refused; nothing was imported."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass
class Sheet:
    """An open spreadsheet: its header and a one-pass iterator over its data rows."""

    file_format: str
    headers: list[str]
    _rows: Iterator[tuple[int, list[str]]]
    _closers: list[Any] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(row number as the spreadsheet shows it, cells as text)``, empty rows skipped."""
        return self._rows

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self._closers.clear()

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def detect_format(head: bytes, filename: str = "") -> str:
    """``xlsx`` for a zip file, ``csv`` otherwise; an old binary ``.xls`` is refused by name."""
    if head.startswith(ZIP_MAGIC):
        return XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetError("This is an old Excel 97–2003 (.xls) file; save it as .xlsx or CSV and upload that.")
    return CSV


def open_sheet(stream: IO[bytes], filename: str = "", *, sheet_name: str = "") -> Sheet:
    """Open a seekable binary stream (an uploaded file, an open file) as a :class:`Sheet`."""
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise SheetError("The file is empty.")
    if detect_format(head, filename) == XLSX:
        return _open_xlsx(stream, sheet_name)
    return _open_csv(stream)


# --- CSV -------------------------------------------------------------------------------------------------------

def _open_csv(stream: IO[bytes]) -> Sheet:
    if stream.read(3) != codecs.BOM_UTF8:
        stream.seek(0)
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="strict", newline="")
    try:
        first = text.readline(MAX_CELL_CHARS * MAX_COLUMNS)
    except UnicodeDecodeError as exc:
        raise SheetError(_not_utf8(exc, 1)) from None
    delimiter = max((",", ";", "\t"), key=first.count)
    lines = _chain([first], text)
    reader = csv.reader(_lines_checked(lines), delimiter=delimiter, strict=True)
    csv.field_size_limit(MAX_CELL_CHARS + 1)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as exc:
            if "field larger" in str(exc):
                raise SheetError(f"Row {reader.line_num + 1}: a cell is longer than {MAX_CELL_CHARS:,} characters.",
                                 row=reader.line_num + 1) from None
            raise SheetError(f"Row {reader.line_num}: the CSV cannot be read ({exc}).", row=reader.line_num) from None
        except UnicodeDecodeError as exc:
            raise SheetError(_not_utf8(exc, reader.line_num + 1), row=reader.line_num + 1) from None

    return _with_header(CSV, rows(), [text.detach])


def _not_utf8(exc: UnicodeDecodeError, row: int) -> str:
    return (f"Row {row}: the file is not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r}); save the sheet "
            "as “CSV UTF-8” or as .xlsx and upload that.")


def _chain(first: list[str], rest: IO[str]) -> Iterator[str]:
    yield from first
    # Over ``readline``, not the wrapper itself: closing this generator must not close the (detached) wrapper.
    yield from iter(rest.readline, "")


def _lines_checked(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        if "\x00" in line:
            raise SheetError("The file contains NUL bytes: it is not a text CSV file.")
        yield line


# --- XLSX ------------------------------------------------------------------------------------------------------

def check_zip(stream: IO[bytes]) -> None:
    """Refuse a zip that would unpack too far (a zip bomb), before anything is unpacked."""
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise SheetError("The file looks like an .xlsx workbook but is not a readable zip archive.") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise SheetError(f"The workbook has {len(entries):,} parts; at most {MAX_ZIP_ENTRIES:,} are accepted.")
        total = 0
        for info in entries:
            total += info.file_size
            if total > MAX_XLSX_UNCOMPRESSED:
                raise SheetError(f"The workbook would unpack to more than {MAX_XLSX_UNCOMPRESSED // 2**20:,} MB; "
                                 "it is refused (split it, or save it as CSV).")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise SheetError(f"The workbook's part “{info.filename}” is compressed "
                                 f"{info.file_size // max(info.compress_size, 1):,} to 1, far beyond any real "
                                 "spreadsheet: it looks like a zip bomb and is refused.")
        names = {info.filename for info in entries}
        if "xl/workbook.xml" not in names:
            raise SheetError("The zip file is not an .xlsx workbook (it has no xl/workbook.xml).")
    stream.seek(0)


def _open_xlsx(stream: IO[bytes], sheet_name: str) -> Sheet:
    check_zip(stream)
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except SheetError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook; all mean "cannot read it"
        raise SheetError(f"The workbook cannot be read: {type(exc).__name__}: {str(exc)[:200]}") from None
    if sheet_name:
        if sheet_name not in book.sheetnames:
            book.close()
            raise SheetError(f"The workbook has no sheet “{sheet_name}”; it has: {', '.join(book.sheetnames)}.")
        ws = book[sheet_name]
    else:
        ws = book.worksheets[0]

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if len(values) > MAX_COLUMNS and any(v is not None for v in values[MAX_COLUMNS:]):
                    raise SheetError(f"Row {number} has more than {MAX_COLUMNS} columns.", row=number)
                yield number, [cell_text(v) for v in values[:MAX_COLUMNS]]
        except SheetError:
            raise
        except Exception as exc:
            raise SheetError(f"The workbook cannot be read: {type(exc).__name__}: {str(exc)[:200]}") from None

    return _with_header(XLSX, rows(), [book.close])


def cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV would hold: dates as ISO dates, whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    text = str(value)
    if len(text) > MAX_CELL_CHARS:
        raise SheetError(f"A cell is longer than {MAX_CELL_CHARS:,} characters.")
    return text


# --- both ------------------------------------------------------------------------------------------------------

def _with_header(file_format: str, rows: Iterator[tuple[int, list[str]]], closers: list[Any]) -> Sheet:
    headers: list[str] | None = None
    for _number, cells in rows:
        if any(c.strip() for c in cells):
            headers = [c.strip() for c in cells]
            break
    if headers is None:
        for closer in closers:
            closer()
        raise SheetError("The file has no header row (it is empty).")
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise SheetError(f"The header has {len(headers)} columns; at most {MAX_COLUMNS} are accepted.", row=1)
    seen: set[str] = set()
    for name in headers:
        key = name.casefold()
        if key and key in seen:
            raise SheetError(f"The header names the column “{name}” twice; give each column its own name.", row=1)
        seen.add(key)
    return Sheet(file_format, headers, _data_rows(rows, len(headers)), closers)


def _data_rows(rows: Iterator[tuple[int, list[str]]], width: int) -> Iterator[tuple[int, list[str]]]:
    count = 0
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise SheetError(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.", row=number)
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise SheetError(f"Row {number} has values beyond the last named column; give every column a header.",
                             row=number)
        yield number, (cells + [""] * (width - len(cells)))[:width]


def count_rows(stream: IO[bytes], filename: str = "", *, sheet_name: str = "") -> int:
    """How many data rows the file has (one streamed pass), for the progress bar."""
    with open_sheet(stream, filename, sheet_name=sheet_name) as sheet:
        total = sum(1 for _ in sheet.rows())
    stream.seek(0)
    return total
