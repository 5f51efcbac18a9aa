"""API shapes for pledges and their source documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from aidbridge.accounts.schemas import OrganisationRef
from aidbridge.catalogue.schemas import ItemRef
from aidbridge.core.api import InputSchema, Quantity, Ref, choices_of, patch_schema
from aidbridge.core.models import Releasability
from aidbridge.pledges import releasability
from aidbridge.pledges.models import FinancialPledge, Pledge, SourceDocument

FundingSource = choices_of(Pledge.FundingSource)
ReleasabilityChoice = choices_of(Releasability)


class PledgeRef(Schema):
    id: int
    reference: str


def _viewer(context: Any) -> Any:
    """The user a response is for; without a request (no context), an anonymous viewer: fail closed."""
    request = (context or {}).get("request")
    return getattr(request, "auth", None) if request is not None else None


def _shown(obj: Pledge, context: Any) -> frozenset[str]:
    """The fields of ``obj`` its viewer sees, decided once per pledge and viewer rather than once per field (ten
    resolvers a pledge, fifty pledges a page)."""
    viewer = _viewer(context)
    memo = obj.__dict__.get("_shown_to")
    if memo is not None and memo[0] is viewer:
        return memo[1]  # type: ignore[no-any-return]
    shown = releasability.visible_fields(viewer, obj)
    obj.__dict__["_shown_to"] = (viewer, shown)
    return shown


def _withheld(name: str) -> Any:
    def resolve(obj: Pledge, context: Any = None) -> Any:
        if name not in _shown(obj, context):
            return None
        return getattr(obj, name)

    return staticmethod(resolve)


WITHHELD = "Withheld (null) when listed in ``redacted``."


class PledgeOut(Schema):
    """A pledge as the requesting user may see it: withheld fields are ``null`` and named in ``redacted``.

    See ``aidbridge.pledges.releasability`` for the rule table.
    """

    id: int
    reference: str = Field(description="e.g. PLG-00042")
    donor: OrganisationRef
    item: ItemRef
    quantity: int
    available_month: str = Field(description="YYYY-MM of available_from; shown to everyone who sees the pledge.")
    available_from: dt.date | None = Field(description=WITHHELD)
    origin_country: str | None = Field(description="ISO 3166-1 alpha-2. " + WITHHELD)
    unit_value: Decimal | None = Field(description=WITHHELD)
    currency: str | None = Field(description="ISO 4217. " + WITHHELD)
    total_value: Decimal | None = Field(description="unit_value × quantity, in the pledge's currency. " + WITHHELD)
    funding_source: str
    status: str
    releasability: str
    disclosure_date: dt.date | None = Field(description=WITHHELD)
    notes: str | None = Field(description=WITHHELD)
    allocated: int = Field(description="Units assigned to requirements.")
    unallocated: int
    created_at: dt.datetime | None = Field(description=WITHHELD)
    updated_at: dt.datetime | None = Field(description=WITHHELD)
    redacted: list[str] = Field(description="The fields withheld from you under the pledge's releasability.")

    resolve_available_from = _withheld("available_from")
    resolve_origin_country = _withheld("origin_country")
    resolve_unit_value = _withheld("unit_value")
    resolve_currency = _withheld("currency")
    resolve_total_value = _withheld("total_value")
    resolve_disclosure_date = _withheld("disclosure_date")
    resolve_notes = _withheld("notes")
    resolve_created_at = _withheld("created_at")
    resolve_updated_at = _withheld("updated_at")

    @staticmethod
    def resolve_available_month(obj: Pledge) -> str:
        return releasability.available_month(obj)

    @staticmethod
    def resolve_redacted(obj: Pledge, context: Any = None) -> list[str]:
        return releasability.redacted_fields(_viewer(context), obj)


class PledgeIn(InputSchema):
    item: Ref = Field(description="Item id or code, e.g. “GEN-100KW”.")
    quantity: Quantity
    available_from: dt.date
    origin_country: str = Field(description="ISO 3166-1 alpha-2")
    unit_value: Decimal
    currency: str = Field("EUR", description="ISO 4217")
    funding_source: FundingSource  # type: ignore[valid-type]
    releasability: ReleasabilityChoice = Releasability.COALITION.value  # type: ignore[valid-type]
    disclosure_date: dt.date | None = Field(None, description="Required when releasability is public.")
    notes: str = ""
    donor: Ref | None = Field(
        None, description="Donor organisation id or short name, e.g. “de-mod”; defaults to your own.")


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
    withdrawn: bool = Field(description="Withdrawn documents are listed to auditors only.")
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str

    @staticmethod
    def resolve_withdrawn(obj: SourceDocument) -> bool:
        return obj.withdrawn_at is not None

    @staticmethod
    def resolve_has_file(obj: SourceDocument) -> bool:
        return bool(obj.file)


class DocumentWithdrawIn(Schema):
    reason: str = Field(min_length=1, max_length=1000, description="Why the document is withdrawn (audited).")


# --- financial pledges ----------------------------------------------------------------------------------------

MoneyStatus = choices_of(FinancialPledge.Status)


def _money_shown(obj: FinancialPledge, context: Any) -> frozenset[str]:
    return releasability.money_visible_fields(_viewer(context), obj)


def _money_withheld(name: str) -> Any:
    def resolve(obj: FinancialPledge, context: Any = None) -> Any:
        return getattr(obj, name) if name in _money_shown(obj, context) else None

    return staticmethod(resolve)


class FinancialPledgeOut(Schema):
    """A financial pledge as the requesting user may see it: withheld fields are ``null`` and named in
    ``redacted`` (the same tiers as in-kind pledges; the amount is withheld where an in-kind value is)."""

    id: int
    reference: str = Field(description="e.g. FIN-00012")
    donor: OrganisationRef
    amount: Decimal | None = Field(description=WITHHELD)
    currency: str | None = Field(description="ISO 4217. " + WITHHELD)
    pledged_month: str = Field(description="YYYY-MM of pledged_on; shown to everyone who sees the pledge.")
    pledged_on: dt.date | None = Field(description=WITHHELD)
    status: str = Field(description="announced, committed, disbursed or withdrawn.")
    status_date: dt.date | None = Field(description="When it reached its status. " + WITHHELD)
    sector: str = Field(description="OECD DAC 5-digit purpose code, or empty.")
    purpose: str
    recipient_country: str = Field(description="ISO 3166-1 alpha-2, or empty.")
    releasability: str
    disclosure_date: dt.date | None = Field(description=WITHHELD)
    external_id: str | None = Field(description="The IATI transaction or FTS flow it came from. " + WITHHELD)
    notes: str | None = Field(description=WITHHELD)
    created_at: dt.datetime | None = Field(description=WITHHELD)
    updated_at: dt.datetime | None = Field(description=WITHHELD)
    redacted: list[str] = Field(description="The fields withheld from you under the pledge's releasability.")

    resolve_amount = _money_withheld("amount")
    resolve_currency = _money_withheld("currency")
    resolve_pledged_on = _money_withheld("pledged_on")
    resolve_status_date = _money_withheld("status_date")
    resolve_disclosure_date = _money_withheld("disclosure_date")
    resolve_external_id = _money_withheld("external_id")
    resolve_notes = _money_withheld("notes")
    resolve_created_at = _money_withheld("created_at")
    resolve_updated_at = _money_withheld("updated_at")

    @staticmethod
    def resolve_pledged_month(obj: FinancialPledge) -> str:
        return releasability.pledged_month(obj)

    @staticmethod
    def resolve_redacted(obj: FinancialPledge, context: Any = None) -> list[str]:
        return releasability.money_redacted_fields(_viewer(context), obj)


class FinancialPledgeIn(InputSchema):
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2, description="In ``currency``, e.g. 2500000.00.")
    currency: str = Field("EUR", description="ISO 4217")
    pledged_on: dt.date = Field(description="When the donor announced it.")
    sector: str = Field("", description="OECD DAC 5-digit purpose code, e.g. 72010.")
    purpose: str = Field("", description="The programme or purpose, in a line.")
    recipient_country: str = Field("", description="ISO 3166-1 alpha-2")
    releasability: ReleasabilityChoice = Releasability.COALITION.value  # type: ignore[valid-type]
    disclosure_date: dt.date | None = Field(None, description="Required when releasability is public.")
    notes: str = ""
    donor: Ref | None = Field(
        None, description="Donor organisation id or short name, e.g. “de-mod”; defaults to your own (the "
                          "coordination cell's editors name the donor they record it for).")


FinancialPledgePatch = patch_schema(FinancialPledgeIn, "FinancialPledgePatch", exclude=("donor",))


class MoneyTransitionIn(InputSchema):
    on: dt.date | None = Field(None, description="The day it happened (default: today).")
