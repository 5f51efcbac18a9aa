"""The spreadsheet reader: CSV and XLSX read row by row, and every malformed or hostile file refused plainly."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from aidbridge.interop.tabular import reader
from aidbridge.interop.tabular.reader import SheetError, open_sheet
from aidbridge.interop.tests.helpers import CORPUS, csv_bytes, xlsx_bytes


def read(content: bytes, filename: str = "f.csv") -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    with open_sheet(io.BytesIO(content), filename) as sheet:
        return sheet.file_format, sheet.headers, list(sheet.rows())


def test_csv_with_a_byte_order_mark_and_semicolons():
    content = "\ufeffcode;name\nGEN-1;Générateur\n\nMED-2;Kit\n".encode()
    fmt, headers, rows = read(content)
    assert fmt == "csv"
    assert headers == ["code", "name"]
    assert rows == [(2, ["GEN-1", "Générateur"]), (4, ["MED-2", "Kit"])]  # row numbers as the sheet shows them


def test_tab_separated_and_short_rows_padded():
    fmt, headers, rows = read(b"a\tb\tc\n1\t2\n")
    assert headers == ["a", "b", "c"]
    assert rows == [(2, ["1", "2", ""])]


def test_quoted_cells_keep_commas_and_newlines():
    content = csv_bytes([["code", "notes"], ["A", "one, two\nthree"]])
    assert read(content)[2] == [(3, ["A", "one, two\nthree"])]


def test_xlsx_cells_become_text_as_a_csv_would_hold_them():
    content = xlsx_bytes([
        ["code", "quantity", "weight", "due", "flag", "empty"],
        ["GEN-1", 12, 2.5, dt.datetime(2026, 4, 30), True, None],
        [None, None, None, None, None, None],
        ["GEN-2", 3.0, 0.1, dt.date(2026, 5, 1), False, "x"],
    ])
    fmt, headers, rows = read(content, "f.xlsx")
    assert fmt == "xlsx"
    assert headers == ["code", "quantity", "weight", "due", "flag", "empty"]
    assert rows == [(2, ["GEN-1", "12", "2.5", "2026-04-30", "true", ""]),
                    (4, ["GEN-2", "3", "0.1", "2026-05-01", "false", "x"])]


def test_xlsx_formulas_are_never_evaluated():
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name"])
    sheet.append(["GEN-1", "=HYPERLINK(\"http://example.invalid\",\"x\")"])
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl saved a formula without a cached value: the reader gives the empty value saved, not a result.
    assert read(buffer.getvalue(), "f.xlsx")[2] == [(2, ["GEN-1", ""])]


def test_a_named_sheet_is_read_and_an_unknown_one_refused():
    book = Workbook()
    book.active.append(["ignored"])
    other = book.create_sheet("Needs")
    other.append(["code"])
    other.append(["A"])
    buffer = io.BytesIO()
    book.save(buffer)
    with open_sheet(io.BytesIO(buffer.getvalue()), sheet_name="Needs") as sheet:
        assert sheet.headers == ["code"]
        assert list(sheet.rows()) == [(2, ["A"])]
    with pytest.raises(SheetError, match="no sheet “Missing”"):
        open_sheet(io.BytesIO(buffer.getvalue()), sheet_name="Missing")


CORPUS_EXPECTED = {
    "empty.csv": "The file is empty.",
    "blank-lines.csv": "no header row",
    "not-utf8.csv": "not UTF-8",
    "ragged.csv": "Row 2 has values beyond the last named column",
    "duplicate-header.csv": "names the column “Code” twice",
    "nul-bytes.csv": "NUL bytes",
    "unterminated-quote.csv": "Row 2",
    "old-excel.xls": "old Excel 97–2003",
    "zip-not-workbook.xlsx": "not an .xlsx workbook",
    "truncated.xlsx": "not a readable zip archive",
}


def test_the_corpus_is_complete():
    assert {p.name for p in CORPUS.iterdir() if p.suffix != ".md"} == set(CORPUS_EXPECTED)


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_every_malformed_file_is_refused_with_a_plain_message(name):
    content = (CORPUS / name).read_bytes()
    with pytest.raises(SheetError) as caught:
        read(content, name)
    assert CORPUS_EXPECTED[name] in caught.value.message


def _bomb(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(monkeypatch):
    content = _bomb(16 * 1024 * 1024)  # 16 MB of zeros pack into a few kilobytes
    assert len(content) < 100_000

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not see a zip bomb")

    monkeypatch.setattr(reader, "load_workbook", never)
    with pytest.raises(SheetError, match="zip bomb"):
        read(content, "bomb.xlsx")


def test_a_workbook_unpacking_past_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(reader, "MAX_XLSX_UNCOMPRESSED", 10_000)
    content = xlsx_bytes([["code"], *[[f"ITEM-{i}"] for i in range(2000)]])
    with pytest.raises(SheetError, match="would unpack to more than"):
        read(content, "big.xlsx")


def test_too_many_parts_are_refused(monkeypatch):
    monkeypatch.setattr(reader, "MAX_ZIP_ENTRIES", 3)
    with pytest.raises(SheetError, match="parts; at most 3"):
        read(xlsx_bytes([["code"], ["A"]]), "many.xlsx")


def test_row_limit(monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROWS", 3)
    content = csv_bytes([["code"], *[[str(i)] for i in range(5)]])
    with pytest.raises(SheetError, match="more than 3 rows") as caught:
        read(content)
    assert caught.value.row == 5


def test_long_cells_and_wide_headers_are_refused(monkeypatch):
    content = csv_bytes([["code"], ["x" * (reader.MAX_CELL_CHARS + 5)]])
    with pytest.raises(SheetError, match="longer than"):
        read(content)
    monkeypatch.setattr(reader, "MAX_COLUMNS", 2)
    with pytest.raises(SheetError, match="at most 2"):
        read(csv_bytes([["a", "b", "c"]]))


def test_count_rows_rewinds_the_stream():
    stream = io.BytesIO(csv_bytes([["a"], ["1"], [""], ["2"]]))
    assert reader.count_rows(stream) == 2
    assert stream.tell() == 0


# Text a spreadsheet cell may hold: no NUL (refused), no lone carriage return (the csv module's own newline rule),
# no surrogates; trimmed, since the reader trims headers and the engine trims values.
CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=40).map(str.strip)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=20))
def test_property_csv_rows_come_back_as_written(rows):
    """Whatever text the cells hold, a CSV written by the csv module reads back cell for cell (blank rows aside)."""
    headers = ["alpha", "beta", "gamma"]
    _, read_headers, read_rows = read(csv_bytes([headers, *rows]))
    assert read_headers == headers
    expected = [row for row in rows if any(c.strip() for c in row)]
    assert [cells for _, cells in read_rows] == expected


# A workbook holds no control characters at all (openpyxl refuses them).
XLSX_CELL = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).map(str.strip)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(XLSX_CELL.filter(lambda s: not s.startswith("=")), min_size=2, max_size=2),
                     min_size=1, max_size=10))
def test_property_xlsx_and_csv_read_alike(rows):
    """The same rows as a workbook and as a CSV read the same (a workbook's text cells stay text)."""
    table = [["alpha", "beta"], *rows]
    from_csv = read(csv_bytes(table))[2]
    from_xlsx = read(xlsx_bytes(table), "f.xlsx")[2]
    assert [c for _, c in from_csv] == [c for _, c in from_xlsx]
