"""API shapes for catalogue items."""

from __future__ import annotations

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
