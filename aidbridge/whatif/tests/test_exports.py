"""The backfill list as CSV and XLSX: the rows a coordinator sends, and no cell a spreadsheet would evaluate."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from aidbridge.whatif import exports

ROWS = [
    {"item_code": "GEN-100KW", "item_name": "Generator 100 kW", "week": 4, "week_start": dt.date(2026, 4, 6),
     "units_short": 30, "donors": [{"name": "United States — DoD", "units": 50}, {"name": "Poland", "units": 1200}]},
    {"item_code": "MED-KIT", "item_name": "=HYPERLINK(\"http://evil\",\"click\")", "week": 5,
     "week_start": dt.date(2026, 4, 13), "units_short": 7, "donors": [{"name": "+cmd|' /C calc'!A0", "units": 3}]},
    {"item_code": "-FUEL", "item_name": "@SUM(1+1)", "week": 6, "week_start": dt.date(2026, 4, 20),
     "units_short": 2, "donors": []},
]


def test_rows_keep_numbers_as_numbers_and_join_the_donors():
    out = exports.rows(ROWS)
    assert out[0] == ["GEN-100KW", "Generator 100 kW", 4, dt.date(2026, 4, 6), 30,
                      "United States — DoD: 50; Poland: 1,200", 1250]
    assert out[2][5] == "" and out[2][6] == 0


def test_csv_has_the_header_and_one_row_per_shortfall():
    text = exports.backfill_csv(ROWS)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(exports.HEADER)
    assert rows[1] == ["GEN-100KW", "Generator 100 kW", "4", "2026-04-06", "30",
                       "United States — DoD: 50; Poland: 1,200", "1250"]
    assert len(rows) == 4


def test_csv_cells_that_look_like_formulas_are_escaped():
    rows = list(csv.reader(io.StringIO(exports.backfill_csv(ROWS))))
    assert rows[2][1] == "'=HYPERLINK(\"http://evil\",\"click\")"
    assert rows[2][5] == "'+cmd|' /C calc'!A0: 3"
    assert rows[3][0] == "'-FUEL" and rows[3][1] == "'@SUM(1+1)"
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_xlsx_has_a_title_the_header_and_typed_cells():
    book = load_workbook(io.BytesIO(exports.backfill_xlsx(ROWS, title="Backfill for run #3")))
    sheet = book["Backfill"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Backfill for run #3"
    assert values[1] == list(exports.HEADER)
    assert values[2][:3] == ["GEN-100KW", "Generator 100 kW", 4]
    assert values[2][3].date() == dt.date(2026, 4, 6)
    assert values[2][4] == 30 and sheet.cell(row=3, column=5).data_type == "n"
    assert sheet.freeze_panes == "A3"


def test_xlsx_never_stores_a_formula():
    book = load_workbook(io.BytesIO(exports.backfill_xlsx(ROWS, title="=1+1")))
    sheet = book["Backfill"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert sheet["A1"].value == "=1+1" and sheet["A1"].data_type == "s"
    assert sheet["B4"].value == "=HYPERLINK(\"http://evil\",\"click\")" and sheet["B4"].data_type == "s"


def test_an_empty_backfill_is_still_a_file_with_its_header():
    assert list(csv.reader(io.StringIO(exports.backfill_csv([])))) == [list(exports.HEADER)]
    sheet = load_workbook(io.BytesIO(exports.backfill_xlsx([])))["Backfill"]
    assert sheet.max_row == 2


def test_filename_names_the_run():
    class Run:
        pk = 12

    assert exports.filename(Run(), "csv") == "whatif-run-12-backfill.csv"
