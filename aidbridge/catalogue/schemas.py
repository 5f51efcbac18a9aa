"""API shapes for catalogue items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from aidbridge.catalogue.models import Item
from aidbridge.core.api import InputSchema, choices_of, patch_schema
from aidbridge.core.fields import format_nsn

SupplyClass = choices_of(Item.SupplyClass)
Unit = choices_of(Item.Unit)


class ItemRef(Schema):
    id: int
    code: str
    name: str


class ItemOut(Schema):
    id: int
    code: str
    name: str
    supply_class: str = Field(description="NATO supply class I–X.")
    unit: str
    weight_t: Decimal = Field(description="Tonnes per unit of measure.")
    nsn: str = Field(description="NATO Stock Number written 4-2-3-4, or empty.")
    fsc: str
    description: str

    @staticmethod
    def resolve_nsn(obj: Item) -> str:
        return format_nsn(obj.nsn)


class ItemIn(InputSchema):
    code: str = Field(description="Short catalogue code, e.g. “GEN-100KW”.")
    name: str
    supply_class: SupplyClass  # type: ignore[valid-type]
    unit: Unit = "each"  # type: ignore[valid-type]
    weight_t: Decimal = Field(description="Tonnes per unit of measure.")
    nsn: str = Field("", description="13 digits, with or without dashes (5995-01-123-4567).")
    fsc: str = Field("", description="4-digit Federal Supply Class.")
    description: str = ""


ItemPatch = patch_schema(ItemIn, "ItemPatch")


class ExchangeRateOut(Schema):
    id: int
    currency: str = Field(description="ISO 4217")
    date: dt.date
    per_euro: Decimal = Field(description="Units of the currency one euro bought that day (the ECB's layout).")
    source: str = Field(description="ecb (imported from the ECB's CSV) or manual (entered by hand).")
    created_at: dt.datetime


class ExchangeRateIn(InputSchema):
    currency: str = Field(description="ISO 4217, not EUR (rates are per euro).")
    date: dt.date = Field(description="The day of the rate; not after today.")
    per_euro: Decimal = Field(description="Units of the currency per euro, e.g. 1.0842; at most 8 decimals.")


class RateErrorOut(Schema):
    row: int = Field(description="The line of the file; the header is row 1.")
    column: str = Field(description="The currency (or the column's position when its header is the problem).")
    value: str
    message: str


class RatesReportOut(Schema):
    ok: bool
    filename: str
    layout: str = Field(description="daily (eurofxref.csv) or history (eurofxref-hist.csv).")
    dry_run: bool
    days: int
    first_date: dt.date | None
    last_date: dt.date | None
    currencies: list[str]
    created: int
    updated: int
    unchanged: int = Field(description="Rates already stored with the same value: left alone.")
    missing_cells: int = Field(description="Cells marked N/A or empty: no rate that day, none stored.")
    skipped_columns: dict[str, str] = Field(description="Columns not read (currencies since replaced), and why.")
    errors: list[RateErrorOut]
    errors_truncated: bool
