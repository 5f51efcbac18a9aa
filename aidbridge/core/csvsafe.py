"""CSV exports that a spreadsheet cannot turn into formulas (OWASP "CSV Injection").

Every CSV the application hands out is written through :func:`writer`. A text cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets
show it as text instead of evaluating it. Only strings are escaped: a number passed as a number (``int``,
``float``, ``Decimal``) is a number, not a text cell, and a negative one is written as it is. A number that a
caller has already formatted into a string is text like any other and is escaped when it begins with ``-``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The cell as it may be written: a string beginning like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`."""

    def __init__(self, f: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(f, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(f: Any, **kwargs: Any) -> SafeWriter:
    return SafeWriter(f, **kwargs)
