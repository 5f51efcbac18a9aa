"""Turning one spreadsheet cell (text) into one field's value, or a plain message saying why it cannot be.

Each parser takes the cell's text (already stripped, never empty: blank cells are handled before) and the row's
:class:`Lookups`, and returns the value or raises ``ValueError(message)``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models

from aidbridge.accounts.models import Organisation
from aidbridge.core.fields import parse_quantity

Parser = Callable[[str, "Lookups"], Any]

_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
TRUE = {"yes", "y", "true", "1", "x", "ja", "oui"}
FALSE = {"no", "n", "false", "0", "nein", "non"}


class Lookups:
    """References named in a sheet (an item's code, a location's UN/LOCODE, an organisation's short name), looked
    up once among what the importing user may see, and cached for the rest of the file."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self._cache: dict[tuple[str, str], Any] = {}

    def find(self, model: type[models.Model], field: str, value: str) -> Any:
        key = (model._meta.label, value)
        if key not in self._cache:
            qs = model._default_manager.for_user(self.user)  # type: ignore[attr-defined]
            self._cache[key] = qs.filter(**{field: value}).first()
            if len(self._cache) > 50_000:  # a pathological sheet naming ever new codes: keep memory bounded
                self._cache.clear()
        return self._cache[key]


def text(max_length: int) -> Parser:
    def parse(value: str, lookups: Lookups) -> str:
        if len(value) > max_length:
            raise ValueError(f"This is {len(value):,} characters long; at most {max_length:,} fit.")
        return value
    return parse


def code(upper: bool = True) -> Parser:
    def parse(value: str, lookups: Lookups) -> str:
        return value.upper() if upper else value
    return parse


def quantity(value: str, lookups: Lookups) -> int:
    return parse_quantity(value.replace(",", "").replace("\u202f", "").replace(" ", ""))


def integer(lo: int, hi: int) -> Parser:
    def parse(value: str, lookups: Lookups) -> int:
        if not re.fullmatch(r"[+-]?\d+", value):
            raise ValueError(f"Write a whole number between {lo:,} and {hi:,}.")
        number = int(value)
        if not lo <= number <= hi:
            raise ValueError(f"Write a whole number between {lo:,} and {hi:,}.")
        return number
    return parse


def decimal(places: int, lo: Decimal | None = None) -> Parser:
    def parse(value: str, lookups: Lookups) -> Decimal:
        cleaned = value.replace("\u202f", "").replace(" ", "")
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
            cleaned = cleaned.replace(",", "")  # 1,234.50
        elif re.fullmatch(r"[+-]?\d+,\d+", cleaned):
            cleaned = cleaned.replace(",", ".")  # 12,5 (a decimal comma)
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError("Write a number, such as 12.5.") from None
        if not number.is_finite():
            raise ValueError("Write a number, such as 12.5.")
        if abs(number) >= Decimal(10) ** 15:
            raise ValueError("This number is far too large.")
        if lo is not None and number < lo:
            raise ValueError(f"Write a number of at least {lo}.")
        # As the column stores it (0.004 → 0.004000), so that an unchanged value compares equal to the stored one.
        return number.quantize(Decimal(1).scaleb(-places))
    return parse


def date(value: str, lookups: Lookups) -> dt.date:
    """``2026-03-31`` (ISO), ``31.03.2026`` or ``31/03/2026`` (day first); a workbook's date cells arrive as ISO."""
    text_value = value[:10] if re.match(r"^\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?$", value) else value
    try:
        return dt.date.fromisoformat(text_value) if "-" in text_value else _dmy(text_value)
    except ValueError:
        raise ValueError("Write the date as YYYY-MM-DD (for example 2026-03-31), or DD.MM.YYYY.") from None


def _dmy(value: str) -> dt.date:
    match = _DMY.match(value)
    if not match:
        raise ValueError(value)
    day, month, year = (int(g) for g in match.groups())
    return dt.date(year, month, day)


def choice(choices: Iterable[tuple[Any, Any]], *, extra: dict[str, Any] | None = None) -> Parser:
    """A value of a model's choices, given as the value or its label (case does not matter)."""
    table: dict[str, Any] = {}
    shown = []
    for stored, label in choices:
        table[str(stored).casefold()] = stored
        table[str(label).casefold()] = stored
        shown.append(str(stored))
    for key, stored in (extra or {}).items():
        table[key.casefold()] = stored

    def parse(value: str, lookups: Lookups) -> Any:
        found = table.get(value.casefold())
        if found is None:
            raise ValueError(f"Write one of: {', '.join(shown)}.")
        return found
    return parse


def boolean(value: str, lookups: Lookups) -> bool:
    lowered = value.casefold()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError("Write yes or no.")


def reference(model: type[models.Model], field: str, what: str, *, upper: bool = False) -> Parser:
    """An object named by its code (``field``) among those the importing user may see."""
    def parse(value: str, lookups: Lookups) -> Any:
        key = value.upper() if upper else value
        obj = lookups.find(model, field, key)
        if obj is None:
            raise ValueError(f"There is no {what} “{value}”.")
        return obj
    return parse


def organisation(kind: str) -> Parser:
    """An organisation by its short name (or IATI identifier), which must be of ``kind``."""
    def parse(value: str, lookups: Lookups) -> Organisation:
        org = lookups.find(Organisation, "short_name", value) or lookups.find(Organisation, "iati_identifier", value)
        if org is None:
            raise ValueError(f"There is no organisation “{value}” (give its short name, such as “de-mod”).")
        if org.kind != kind:
            raise ValueError(f"{org.name} is not a {Organisation.Kind(kind).label.lower()} organisation.")
        return org
    return parse


def normal(value: Any) -> Any:
    """A parsed value in a form that JSON can hold and that compares equal when the value is the same."""
    if isinstance(value, models.Model):
        return f"{value._meta.label_lower}:{value.pk}"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
