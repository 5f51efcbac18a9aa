"""API shapes for organisations."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from aidbridge.accounts.models import Organisation
from aidbridge.core.api import InputSchema, choices_of, patch_schema

OrganisationKind = choices_of(Organisation.Kind)


class OrganisationRef(Schema):
    """An organisation, briefly, as it appears inside other records."""

    id: int
    short_name: str
    name: str


class OrganisationOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    iati_identifier: str
    in_coalition: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class OrganisationIn(InputSchema):
    name: str
    short_name: str = Field(description="Short code, e.g. “de-mod”.")
    kind: OrganisationKind  # type: ignore[valid-type]
    country: str = Field(description="ISO 3166-1 alpha-2")
    iati_identifier: str = Field("", description="IATI organisation identifier, e.g. “DE-1”.")
    in_coalition: bool = True


OrganisationPatch = patch_schema(OrganisationIn, "OrganisationPatch")
