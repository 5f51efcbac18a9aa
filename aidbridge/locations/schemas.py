"""API shapes for locations, hubs and their lead times."""

from __future__ import annotations

from decimal import Decimal

from ninja import Field, Schema

from aidbridge.accounts.schemas import OrganisationRef
from aidbridge.core.api import InputSchema, Ref, patch_schema


class LocationRef(Schema):
    id: int
    unlocode: str
    name: str


class LocationOut(Schema):
    id: int
    unlocode: str = Field(description="UN/LOCODE, e.g. “UA LWO”.")
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    latitude: Decimal
    longitude: Decimal


class LocationIn(InputSchema):
    unlocode: str = Field(description="UN/LOCODE: country code, a space and three letters or digits 2–9.")
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2; must match the UN/LOCODE.")
    latitude: Decimal
    longitude: Decimal


LocationPatch = patch_schema(LocationIn, "LocationPatch")


class HubRef(Schema):
    id: int
    code: str
    name: str


class HubOut(Schema):
    id: int
    code: str
    name: str
    location: LocationRef
    operator: OrganisationRef
    capacity_t_per_week: Decimal = Field(description="Weekly throughput in tonnes.")
    active: bool


class HubIn(InputSchema):
    code: str = Field(description="e.g. “PL-RZE”.")
    name: str
    location: Ref = Field(description="Location id or UN/LOCODE, e.g. “PL RZE”.")
    operator: Ref = Field(description="Hub-operator organisation id or short name, e.g. “pl-hub”.")
    capacity_t_per_week: Decimal = Field(description="Weekly throughput in tonnes.")
    active: bool = True


HubPatch = patch_schema(HubIn, "HubPatch")


class InboundLeadTimeOut(Schema):
    origin_country: str
    weeks: int
    cost_per_t: Decimal


class OutboundLeadTimeOut(Schema):
    destination: LocationRef
    weeks: int


class LeadTimesOut(Schema):
    inbound: list[InboundLeadTimeOut] = Field(description="Origin country → this hub.")
    outbound: list[OutboundLeadTimeOut] = Field(description="This hub → destination.")


class InboundLeadTimeIn(InputSchema):
    weeks: int | None = Field(description="Weeks in transit; null removes the route.")
    cost_per_t: Decimal = Field(Decimal("0"), description="Transport cost per tonne.")


class OutboundLeadTimeIn(InputSchema):
    weeks: int | None = Field(description="Weeks in transit; null removes the route.")
