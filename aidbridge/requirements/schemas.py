"""API shapes for requirements, with their derived fill levels."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from aidbridge.accounts.schemas import OrganisationRef
from aidbridge.catalogue.schemas import ItemRef
from aidbridge.core.api import InputSchema, Quantity, Ref, choices_of, patch_schema
from aidbridge.core.models import FillLevel
from aidbridge.locations.schemas import LocationRef
from aidbridge.requirements.models import Requirement

Priority = choices_of(Requirement.Priority)
Fill = choices_of(FillLevel)


class RequirementRef(Schema):
    id: int
    reference: str


class RequirementOut(Schema):
    id: int
    reference: str = Field(description="e.g. REQ-00042")
    recipient: OrganisationRef
    item: ItemRef
    quantity: int
    priority: int = Field(description="1 critical, 2 high, 3 medium, 4 low.")
    due_date: dt.date
    destination: LocationRef
    status: str
    package: str
    notes: str
    allocated: int
    in_transit: int
    delivered: int
    allocated_fill: Fill  # type: ignore[valid-type]
    in_transit_fill: Fill  # type: ignore[valid-type]
    delivered_fill: Fill  # type: ignore[valid-type]
    created_at: dt.datetime
    updated_at: dt.datetime


class RequirementIn(InputSchema):
    item: Ref = Field(description="Item id or code, e.g. “GEN-100KW”.")
    quantity: Quantity
    priority: Priority = 2  # type: ignore[valid-type]
    due_date: dt.date
    destination: Ref = Field(description="Location id or UN/LOCODE, e.g. “UA LWO”.")
    package: str = Field("", description="Capability bundle: filled completely or not at all.")
    notes: str = ""
    recipient: Ref | None = Field(
        None, description="Recipient organisation id or short name, e.g. “ua-mod”; defaults to your own.")


RequirementPatch = patch_schema(RequirementIn, "RequirementPatch", exclude=("recipient",))
