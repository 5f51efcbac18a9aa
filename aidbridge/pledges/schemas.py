"""API shapes for pledges and their source documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from aidbridge.accounts.schemas import OrganisationRef
from aidbridge.catalogue.schemas import ItemRef
from aidbridge.core.api import InputSchema, choices_of, patch_schema
from aidbridge.core.models import Releasability
from aidbridge.pledges.models import Pledge, SourceDocument

FundingSource = choices_of(Pledge.FundingSource)
ReleasabilityChoice = choices_of(Releasability)


class PledgeRef(Schema):
    id: int
    reference: str


class PledgeOut(Schema):
    id: int
    reference: str = Field(description="e.g. PLG-00042")
    donor: OrganisationRef
    item: ItemRef
    quantity: int
    available_from: dt.date
    origin_country: str
    unit_value: Decimal
    currency: str = Field(description="ISO 4217")
    total_value: Decimal = Field(description="unit_value × quantity, in the pledge's currency.")
    funding_source: str
    status: str
    releasability: str
    disclosure_date: dt.date | None
    notes: str
    allocated: int = Field(description="Units assigned to requirements.")
    unallocated: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PledgeIn(InputSchema):
    item: int = Field(description="Item id.")
    quantity: int
    available_from: dt.date
    origin_country: str = Field(description="ISO 3166-1 alpha-2")
    unit_value: Decimal
    currency: str = Field("EUR", description="ISO 4217")
    funding_source: FundingSource  # type: ignore[valid-type]
    releasability: ReleasabilityChoice = Releasability.COALITION.value  # type: ignore[valid-type]
    disclosure_date: dt.date | None = Field(None, description="Required when releasability is public.")
    notes: str = ""
    donor: int | None = Field(None, description="Donor organisation id; defaults to your own.")


PledgePatch = patch_schema(PledgeIn, "PledgePatch", exclude=("donor",))


class SourceDocumentOut(Schema):
    id: int
    title: str
    url: str
    has_file: bool
    original_name: str
    content_type: str
    size: int | None
    sha256: str = Field(description="SHA-256 of the document as it was read or uploaded.")
    owner: OrganisationRef
    created_at: dt.datetime

    @staticmethod
    def resolve_has_file(obj: SourceDocument) -> bool:
        return bool(obj.file)
