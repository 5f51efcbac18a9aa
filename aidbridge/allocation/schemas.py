"""API shapes for allocation lines."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from aidbridge.core.api import InputSchema
from aidbridge.locations.schemas import HubRef
from aidbridge.pledges.schemas import PledgeRef
from aidbridge.requirements.schemas import RequirementRef


class AllocationOut(Schema):
    id: int
    pledge: PledgeRef
    requirement: RequirementRef
    hub: HubRef
    quantity: int
    in_transit_quantity: int
    delivered_quantity: int
    dispatch_week: dt.date | None = Field(description="Monday of the planned hub dispatch week.")
    created_at: dt.datetime


class AllocationIn(InputSchema):
    pledge: int = Field(description="Pledge id (committed or allocated).")
    requirement: int = Field(description="Requirement id (validated).")
    hub: int = Field(description="Hub id: reachable from the pledge's origin and serving the destination.")
    quantity: int
    dispatch_week: dt.date | None = Field(None, description="Monday of the planned hub dispatch week.")
