"""Reading the ECB's euro foreign exchange reference rates (CSV). Parsing only: the writes are in ``services``.

The ECB publishes two CSV layouts, each as a zip file holding the one CSV (:func:`unzip` opens it, or the CSV
may be given as it is):

- the daily file ``eurofxref.csv``: a header ``Date, USD, JPY, …`` and one row for the latest day, its date
  written out: ``06 December 2026, 1.0555, 158.97, …``;
- the history ``eurofxref-hist.csv``: the same header and one row per day, newest first, with ISO dates
  (``2026-12-04``) and ``N/A`` where a currency had no rate that day (before it was quoted, after it was
  replaced by the euro).

Both end every line with a comma, so the last column has no name; it is ignored when it is empty. A column whose
header is not a current ISO 4217 code (the ECB history keeps currencies that have since joined the euro, such as
CYP or HRK) is skipped and reported. Everything else that cannot be read is an error naming its row (the line of
the file, the header being row 1), its column and its value; the caller writes nothing when there is one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from aidbridge import data

EURO = "EUR"
MISSING = {"", "N/A", "NA", "-"}
MAX_DECIMALS = 8  # ExchangeRate.per_euro
MAX_INTEGER_DIGITS = 10
MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"), start=1)}
_LONG_DATE = re.compile(r"^(\d{1,2}) ([A-Za-z]+) (\d{4})$")
_CODE = re.compile(r"^[A-Z]{3}$")
MAX_ERRORS = 200  # a file wrong throughout is reported by its first errors, not by thousands of lines


# Why a column was not read: English in the API; ``RatesReport.lines`` shows it translated (its msgid is marked
# in ``catalogue.services``, as this module knows nothing of Django).
SKIPPED_NOT_CURRENT = "not a current ISO 4217 currency (replaced by the euro or withdrawn)"

@dataclass(frozen=True)
class CellError:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = f" “{self.value}”" if self.value else ""
        return f"Row {self.row}, column {self.column}{shown}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class Parsed:
    layout: str = ""  # "daily" or "history"
    days: list[tuple[int, dt.date, dict[str, Decimal]]] = field(default_factory=list)  # (row, date, rates)
    currencies: list[str] = field(default_factory=list)
    skipped_columns: dict[str, str] = field(default_factory=dict)  # header → why it was skipped
    missing_cells: int = 0  # N/A or empty
    errors: list[CellError] = field(default_factory=list)
    truncated: bool = False  # more errors than MAX_ERRORS

    def error(self, row: int, column: str, value: str, message: str) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.truncated = True
            return
        self.errors.append(CellError(row, column, value, message))


ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or the end record of an empty zip


def is_zip(content: bytes) -> bool:
    return content.startswith(ZIP_MAGIC)


def unzip(content: bytes, *, limit: int) -> tuple[str, bytes]:
    """The name and bytes of the one CSV in the ECB's zip (``eurofxref.zip``, ``eurofxref-hist.zip``).

    Raises ``ValueError`` with a plain message for anything else: not a zip, encrypted, not exactly one CSV,
    or a CSV larger than ``limit`` bytes. The size is checked as declared and again while reading, at most one
    byte past the limit, so a zip that lies about its contents cannot fill the memory (a "zip bomb").
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValueError(f"the zip file cannot be read ({exc}).") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        csvs = [info for info in members if info.filename.lower().endswith(".csv")]
        if len(csvs) != 1 or len(members) != 1:
            names = ", ".join(info.filename for info in members[:5]) or "nothing"
            raise ValueError(f"the ECB's zip holds one CSV file; this one holds {names}.")
        info = csvs[0]
        if info.flag_bits & 0x1:
            raise ValueError("the zip file is encrypted.")
        if info.file_size > limit:
            raise ValueError(f"the CSV inside is {info.file_size:,} bytes; the limit is {limit:,}.")
        try:
            with archive.open(info) as member:
                data = member.read(limit + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise ValueError(f"the CSV inside the zip cannot be read ({exc}).") from None
        if len(data) > limit:
            raise ValueError(f"the CSV inside is larger than the limit of {limit:,} bytes.")
        return info.filename, data


def parse_date(text: str) -> dt.date | None:
    """``2026-12-04`` (history) or ``06 December 2026`` (daily); None when it is neither."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    match = _LONG_DATE.match(text)
    if match is None:
        return None
    day, month, year = match.groups()
    number = MONTHS.get(month.lower())
    if number is None:
        return None
    try:
        return dt.date(int(year), number, int(day))
    except ValueError:
        return None


def parse_rate(text: str) -> Decimal | str:
    """A rate (units per euro) or the message saying why ``text`` is not one."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return "is not a number; write it with a decimal point, as the ECB does (1.0555)."
    if not value.is_finite() or value <= 0:
        return "a rate is a positive number of units per euro."
    sign, digits, exponent = value.normalize().as_tuple()
    decimals = -int(exponent) if int(exponent) < 0 else 0
    if decimals > MAX_DECIMALS:
        return f"has more than {MAX_DECIMALS} decimal places."
    if len(digits) - decimals > MAX_INTEGER_DIGITS:
        return f"is too large for a rate (more than {MAX_INTEGER_DIGITS} digits before the decimal point)."
    return value


def _decode(content: bytes, parsed: Parsed) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        parsed.error(1, "—", "", f"the file is not UTF-8 text (byte {exc.start + 1} cannot be read); "
                                 "upload the ECB's zip or the CSV inside it.")
        return None


def parse(content: bytes) -> Parsed:
    """Read an ECB CSV in either layout; ``errors`` lists every problem found (the first ``MAX_ERRORS``)."""
    parsed = Parsed()
    text = _decode(content, parsed)
    if text is None:
        return parsed
    if "\x00" in text:
        parsed.error(1, "—", "", "the file contains NUL characters; it is not a CSV file.")
        return parsed
    rows = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        header = next(rows, None)
    except csv.Error as exc:
        parsed.error(1, "—", "", f"the CSV cannot be read: {exc}.")
        return parsed
    if header is None or not any(cell.strip() for cell in header):
        parsed.error(1, "Date", "", "the file is empty; the first line names the columns: Date, USD, JPY, …")
        return parsed
    columns = _read_header([cell.strip() for cell in header], parsed)
    if parsed.errors:
        return parsed
    seen: dict[dt.date, int] = {}
    long_dates = iso_dates = 0
    try:
        for line, row in enumerate(rows, start=2):
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue  # a blank line
            if len(cells) > len(header) and any(cells[len(header):]):
                parsed.error(line, f"{len(header) + 1}", cells[len(header)],
                             f"this row has {len(cells)} cells but the header names {len(header)} columns.")
                continue
            day = parse_date(cells[0])
            if day is None:
                parsed.error(line, "Date", cells[0],
                             "is not a date; the ECB writes 2026-12-04 (history) or 06 December 2026 (daily).")
                continue
            if day in seen:
                parsed.error(line, "Date", cells[0], f"this date is already on row {seen[day]}.")
                continue
            seen[day] = line
            if _LONG_DATE.match(cells[0]):
                long_dates += 1
            else:
                iso_dates += 1
            rates: dict[str, Decimal] = {}
            for index, code in columns:
                value = cells[index] if index < len(cells) else ""
                if value.upper() in MISSING:
                    parsed.missing_cells += 1
                    continue
                rate = parse_rate(value)
                if isinstance(rate, str):
                    parsed.error(line, code, value, rate)
                else:
                    rates[code] = rate
            parsed.days.append((line, day, rates))
    except csv.Error as exc:
        parsed.error(rows.line_num, "—", "", f"the CSV cannot be read: {exc}.")
    if not parsed.days and not parsed.errors:
        parsed.error(2, "Date", "", "the file has a header but no rates.")
    parsed.layout = "daily" if long_dates and not iso_dates else "history"
    parsed.currencies = [code for _, code in columns]
    return parsed


def _read_header(header: list[str], parsed: Parsed) -> list[tuple[int, str]]:
    """The (index, currency) columns to read; skipped and bad headers are recorded on ``parsed``."""
    if header[0].lower() != "date":
        parsed.error(1, "1", header[0], "the first column of an ECB rates file is “Date”.")
        return []
    columns: list[tuple[int, str]] = []
    seen: set[str] = set()
    known = data.currencies()
    for index, name in enumerate(header[1:], start=1):
        code = name.upper()
        if not name:
            continue  # the empty column after the trailing comma (its cells are checked row by row)
        if not _CODE.match(code):
            parsed.error(1, str(index + 1), name, "a column is named by a three-letter ISO 4217 code, such as USD.")
        elif code == EURO:
            parsed.error(1, str(index + 1), name, "the rates are per euro; the euro itself needs no column.")
        elif code in seen:
            parsed.error(1, str(index + 1), name, f"{code} has two columns.")
        elif code not in known:
            parsed.skipped_columns[code] = SKIPPED_NOT_CURRENT
            seen.add(code)
        else:
            seen.add(code)
            columns.append((index, code))
    if not columns and not parsed.errors:
        parsed.error(1, "2", "", "the header names no currency; it reads: Date, USD, JPY, …")
    return columns
