"""What the open-data exports (IATI, FTS-style flows, HXL) publish: public pledges past their disclosure date.

The one input is what an anonymous visitor may see, ``Model.objects.for_user(AnonymousUser())`` for financial
and in-kind pledges alike, as on the transparency page; withdrawn pledges are left out. So an export is the
same for every persona, and nothing released only to the coalition or the coordinators can reach it.

Each pledge becomes one :class:`Record`, with its status in the three vocabularies (Aidbridge, IATI
transaction type, FTS flow status) and its value: a financial pledge's amount; an in-kind pledge's unit value
× quantity, or × the delivered quantity once delivered.

Only what the public tier of releasability shows leaves (``aidbridge.pledges.releasability``): donor, what
and how much, status, value and currency, and for money its purpose, sector and recipient country. Exact
dates are withheld from the public, who see the month a pledge was made (or its goods become available) and
not when it changed status, so every date here is the first of that month (an IATI date must be a day).
Notes, status dates, external ids, origin countries, source documents and allocations never leave.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser

from aidbridge.accounts.models import Organisation
from aidbridge.catalogue.models import Item
from aidbridge.catalogue.money import Converted, Rates
from aidbridge.pledges.models import FinancialPledge, Pledge

FINANCIAL = "financial"
IN_KIND = "in kind"

# Pledge statuses in IATI transaction types and FTS flow statuses (docs/design.md, "Vocabulary").
IATI_TYPE = {
    "announced": "12", "committed": "2", "allocated": "2", "shipped": "2", "delivered": "3", "disbursed": "3",
}
FTS_STATUS = {
    "announced": "pledge", "committed": "commitment", "allocated": "commitment", "shipped": "commitment",
    "delivered": "paid", "disbursed": "paid",
}


@dataclass(frozen=True)
class Record:
    reference: str  # FIN-00012, PLG-00431
    kind: str  # FINANCIAL or IN_KIND
    donor: Organisation
    status: str  # Aidbridge's status
    amount: Decimal  # the value in ``currency``
    currency: str
    date: dt.date  # the month it was pledged (financial) or becomes available (in kind)
    announced_on: dt.date  # the month it was pledged (financial) or becomes available (in kind)
    programme: str  # the purpose, or "In-kind: <supply class>"
    sector: str  # DAC 5-digit code (financial), or ""
    supply_class: str  # NATO supply class (in kind), or ""
    recipient_country: str
    description: str  # what was pledged, in a line

    @property
    def iati_type(self) -> str:
        return IATI_TYPE[self.status]

    @property
    def fts_status(self) -> str:
        return FTS_STATUS[self.status]


def released_financial() -> list[FinancialPledge]:
    released: Any = FinancialPledge.objects.for_user(AnonymousUser())  # the queryset is shared with Pledge
    return list(released.exclude(status=FinancialPledge.Status.WITHDRAWN)
                .select_related("donor").order_by("donor__name", "pledged_on", "pk"))


def released_in_kind() -> list[Pledge]:
    return list(Pledge.objects.for_user(AnonymousUser()).exclude(status=Pledge.Status.WITHDRAWN).with_use()
                .select_related("donor", "item").order_by("donor__name", "available_from", "pk"))


def month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def records() -> list[Record]:
    """Every released pledge as a record, donors in name order, each donor's pledges by date."""
    out = []
    for f in released_financial():
        out.append(Record(
            reference=f.reference, kind=FINANCIAL, donor=f.donor, status=f.status, amount=f.amount,
            currency=f.currency, date=month(f.pledged_on), announced_on=month(f.pledged_on),
            programme=f.purpose.strip() or "General",
            sector=f.sector, supply_class="", recipient_country=f.recipient_country,
            description=f.purpose.strip() or f"Financial pledge {f.reference}",
        ))
    classes = dict(Item.SupplyClass.choices)
    for p in released_in_kind():
        delivered = p.status == Pledge.Status.DELIVERED
        quantity = int(getattr(p, "delivered_qty", 0)) if delivered else p.quantity
        out.append(Record(
            reference=p.reference, kind=IN_KIND, donor=p.donor, status=p.status, amount=p.unit_value * quantity,
            currency=p.currency, date=month(p.available_from), announced_on=month(p.available_from),
            programme=f"In-kind: {classes[p.item.supply_class]}",
            sector="", supply_class=p.item.supply_class,
            recipient_country="",
            description=f"{quantity:,} {p.item.unit} {p.item.name}",
        ))
    return out


class Usd:
    """Converts record values to US dollars (FTS and HXL report ``amountUSD`` / ``#value+usd``) at their date."""

    def __init__(self) -> None:
        self.rates = Rates(target="USD")

    def __call__(self, record: Record) -> Converted | None:
        return self.rates.convert(record.amount, record.currency, record.date)
