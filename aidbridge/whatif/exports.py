"""The backfill list of a what-if run as CSV and XLSX, for a coordinator to send.

One row per item and week short: the units short and the donors that have pledged the item before, with
their released quantities (as :func:`aidbridge.whatif.queries.backfill_rows` gives them to the viewing user).
Text cannot become a formula: the CSV goes through :mod:`aidbridge.core.csvsafe`, and every text cell of the
workbook is stored as a string by :func:`aidbridge.core.exports.safe_cells` (openpyxl would store text beginning
with ``=`` as a formula).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from aidbridge.core import csvsafe
from aidbridge.core.exports import safe_cells

HEADER = ("Item code", "Item", "Week", "Week starting", "Units short", "Donors that pledged it before",
          "Their released units")


def donors_text(donors: Iterable[Mapping[str, Any]]) -> str:
    """``Germany: 50; Poland: 20`` — each donor and its released units."""
    return "; ".join(f"{d.get('name', '')}: {_units(d.get('units'))}" for d in donors)


def _units(value: Any) -> str:
    try:
        return f"{int(value):,}" if float(value) == int(value) else f"{float(value):,}"
    except (TypeError, ValueError):
        return str(value)


def rows(backfill: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """The export's rows after the header: numbers stay numbers, the week's Monday stays a date."""
    out = []
    for r in backfill:
        donors = list(r.get("donors") or ())
        total = sum(float(d.get("units") or 0) for d in donors)
        out.append([r.get("item_code", ""), r.get("item_name", ""), r.get("week"), r.get("week_start"),
                    r.get("units_short"), donors_text(donors), int(total) if total == int(total) else total])
    return out


def filename(run: Any, extension: str) -> str:
    return f"whatif-run-{run.pk}-backfill.{extension}"


def backfill_csv(backfill: Sequence[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer)
    writer.writerow(HEADER)
    for row in rows(backfill):
        writer.writerow([v.isoformat() if hasattr(v, "isoformat") else ("" if v is None else v) for v in row])
    return buffer.getvalue()


def backfill_xlsx(backfill: Sequence[Mapping[str, Any]], *, title: str = "Backfill") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Backfill"
    sheet.append([title])
    sheet.append(list(HEADER))
    for row in rows(backfill):
        sheet.append(row)
    safe_cells(sheet)  # never a formula, whatever the text begins with
    sheet["A1"].font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    for index, width in enumerate((16, 32, 7, 13, 12, 60, 14), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
