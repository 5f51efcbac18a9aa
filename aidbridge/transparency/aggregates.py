"""Public aggregates, computed from released records only.

The inputs are ``Pledge.objects.for_user(AnonymousUser())`` and ``FinancialPledge.objects.for_user(AnonymousUser())``
(and, for training, the public disclosed courses of ``aidbridge.training.queries.public_aggregates``): public
pledges whose disclosure date has passed. Nothing else is read — not the pledge tables unfiltered, not
requirements — so no unreleased record or value can influence a number here. Tonnes and units are comparable
across donors; money is converted into the reporting currency (:mod:`aidbridge.catalogue.money`) at the rates
known today: every total names the oldest rate date it used, and an amount in a currency without a rate is kept
apart as "not converted", never counted as zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce

from aidbridge.catalogue.models import Item
from aidbridge.catalogue.money import Rates, Total, reporting_currency
from aidbridge.core import clock
from aidbridge.pledges.models import FinancialPledge, Pledge


@dataclass
class Row:
    key: str
    label: str
    pledges: int = 0
    units: int = 0
    delivered_units: int = 0
    tonnes: Decimal = Decimal("0")
    delivered_tonnes: Decimal = Decimal("0")
    value: Total = field(default_factory=lambda: Total(reporting_currency()))

    @property
    def delivered_percent(self) -> float:
        return float(100 * self.delivered_units / self.units) if self.units else 0.0

    @property
    def delivered_tonnes_percent(self) -> float:
        """Delivered share by weight: tonnes are comparable across items, units (cartridges, trucks) are not."""
        return float(100 * self.delivered_tonnes / self.tonnes) if self.tonnes else 0.0

    @property
    def undelivered_tonnes(self) -> Decimal:
        return self.tonnes - self.delivered_tonnes

    @property
    def value_label(self) -> str:
        return value_label(self.value)


def value_label(total: Total) -> str:
    """``2,250,000 EUR`` and, apart, what had no rate: ``+ 600,000 GBP not converted (no rate)``."""
    if not total.count:
        return "—"
    missing = ", ".join(f"{amount:,.0f} {currency}" for currency, amount in sorted(total.missing.items()))
    if not converted_any(total):
        return f"{missing} not converted (no rate)"
    text = f"{total.rounded():,.0f} {total.currency}"
    return f"{text} + {missing} not converted (no rate)" if missing else text


def converted_any(total: Total) -> bool:
    """Whether any amount of ``total`` was converted (or needed no conversion): a total whose every amount lacked
    a rate has no figure in the reporting currency, and must not read as zero."""
    return total.count > 0 and (total.amount != 0 or not total.missing)


@dataclass
class FinancialRow:
    """Financial pledges of one donor, one status, or all: how many, and their amount in the reporting currency."""

    key: str
    label: str
    pledges: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    value: Total = field(default_factory=lambda: Total(reporting_currency()))

    @property
    def value_label(self) -> str:
        return value_label(self.value)

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)


@dataclass
class Summary:
    by_donor: list[Row]
    by_class: list[Row]
    by_month: list[Row]
    total: Row
    currency: str  # the reporting currency of every value
    rates_on: dt.date  # the day whose rates converted them
    financial_by_status: list[FinancialRow] = field(default_factory=list)
    financial_by_donor: list[FinancialRow] = field(default_factory=list)
    financial_total: FinancialRow = field(default_factory=lambda: FinancialRow("total", "All financial pledges"))
    everything: Total = field(default_factory=lambda: Total(reporting_currency()))  # in kind and financial

    @property
    def rate_date(self) -> dt.date | None:
        """The oldest rate any figure on the page rests on (None when nothing needed converting)."""
        return self.everything.rate_date

    @property
    def not_converted(self) -> dict[str, Decimal]:
        return self.everything.missing


def released_pledges() -> QuerySet[Pledge]:
    return Pledge.objects.for_user(AnonymousUser())


def released_financial_pledges() -> QuerySet[Any]:
    return FinancialPledge.objects.for_user(AnonymousUser())


#: The financial statuses the page counts (a withdrawn pledge is left out, as in kind).
FINANCIAL_STATUSES = (FinancialPledge.Status.ANNOUNCED, FinancialPledge.Status.COMMITTED,
                      FinancialPledge.Status.DISBURSED)


def summarise() -> Summary:
    rows = (
        released_pledges()
        .exclude(status=Pledge.Status.WITHDRAWN)
        .annotate(delivered=Coalesce(Sum("allocation_lines__delivered_quantity"), 0))
        .values("pk", "quantity", "unit_value", "currency", "available_from", "delivered",
                donor_name=F("donor__name"), donor_key=F("donor__short_name"),
                supply_class=F("item__supply_class"), weight=F("item__weight_t"))
    )
    class_labels = dict(Item.SupplyClass.choices)
    groups: dict[str, dict[str, Row]] = {"donor": {}, "class": {}, "month": {}}
    total = Row("total", "All released pledges")
    on = clock.today()
    rates = Rates()
    for r in rows:
        month = r["available_from"].strftime("%Y-%m")
        keys = {
            "donor": (r["donor_key"], r["donor_name"]),
            "class": (r["supply_class"], class_labels.get(r["supply_class"], r["supply_class"])),
            "month": (month, month),
        }
        amount = r["unit_value"] * r["quantity"]
        converted = rates.convert(amount, r["currency"], on)
        for group, (key, label) in keys.items():
            row = groups[group].setdefault(key, Row(key, label))
            _add(row, r, converted, amount)
        _add(total, r, converted, amount)
    order = lambda rs: sorted(rs, key=lambda row: (-row.tonnes, row.label))  # noqa: E731
    summary = Summary(
        by_donor=order(groups["donor"].values()),
        by_class=sorted(groups["class"].values(), key=lambda row: list(class_labels).index(row.key)),
        by_month=sorted(groups["month"].values(), key=lambda row: row.key),
        total=total,
        currency=rates.target,
        rates_on=on,
    )
    _financial(summary, rates, on)
    summary.everything.merge(total.value)
    summary.everything.merge(summary.financial_total.value)
    return summary


def _financial(summary: Summary, rates: Rates, on: dt.date) -> None:
    """Released financial pledges by status and by donor, their amounts converted like the in-kind values."""
    labels = dict(FinancialPledge.Status.choices)
    by_status: dict[str, FinancialRow] = {str(s): FinancialRow(str(s), str(labels[s])) for s in FINANCIAL_STATUSES}
    by_donor: dict[str, FinancialRow] = {}
    rows = (released_financial_pledges().filter(status__in=FINANCIAL_STATUSES)
            .values_list("status", "amount", "currency", "donor__short_name", "donor__name"))
    for status, amount, currency, donor_key, donor_name in rows:
        converted = rates.convert(amount, currency, on)
        for row in (by_status[status], by_donor.setdefault(donor_key, FinancialRow(donor_key, donor_name)),
                    summary.financial_total):
            row.pledges += 1
            row.by_status[status] = row.by_status.get(status, 0) + 1
            row.value.add(converted, amount, currency)
    summary.financial_by_status = list(by_status.values())
    summary.financial_by_donor = sorted(by_donor.values(), key=lambda row: (-row.value.amount, row.label))


def _add(row: Row, r: Mapping[str, Any], converted: Any, amount: Decimal) -> None:
    delivered = min(int(r["delivered"]), int(r["quantity"]))
    row.pledges += 1
    row.units += int(r["quantity"])
    row.delivered_units += delivered
    row.tonnes += r["weight"] * r["quantity"]
    row.delivered_tonnes += r["weight"] * delivered
    row.value.add(converted, amount, r["currency"])


def _value_cells(total: Total) -> list[str]:
    """The value in the reporting currency, the oldest rate date it used, and what had no rate."""
    return [f"{total.rounded():.2f}" if converted_any(total) or not total.count else "",
            total.rate_date.isoformat() if total.rate_date else "",
            "; ".join(f"{currency} {amount:.2f}" for currency, amount in sorted(total.missing.items()))]


def csv_rows(summary: Summary) -> list[list[str]]:
    """In-kind rows by donor, supply class and month, then the financial pledges by status and donor.

    Values are in the reporting currency (``value_<CUR>``), with the oldest rate date used and, apart, the
    amounts no rate could convert (``value_not_converted``, "USD 100.00; …"). Units and tonnes are empty for
    financial rows; a financial row's ``pledges`` counts financial pledges.
    """
    header = ["dimension", "key", "label", "pledges", "units", "delivered_units", "tonnes", "delivered_tonnes",
              f"value_{summary.currency}", "value_rate_date", "value_not_converted"]
    out = [header]
    for dimension, rows in (("donor", summary.by_donor), ("supply_class", summary.by_class),
                            ("month", summary.by_month), ("total", [summary.total])):
        for row in rows:
            out.append([dimension, row.key, row.label, str(row.pledges), str(row.units), str(row.delivered_units),
                         f"{row.tonnes:.3f}", f"{row.delivered_tonnes:.3f}", *_value_cells(row.value)])
    for dimension, frows in (("financial_status", summary.financial_by_status),
                             ("financial_donor", summary.financial_by_donor),
                             ("financial_total", [summary.financial_total])):
        for frow in frows:
            out.append([dimension, frow.key, frow.label, str(frow.pledges), "", "", "", "",
                        *_value_cells(frow.value)])
    return out


def training_csv_rows(aggregates: Mapping[str, list[dict[str, Any]]]) -> list[list[str]]:
    """The training aggregates (``aidbridge.training.queries.public_aggregates``: public, disclosed courses
    only) as CSV rows: seats offered and trainees completed by donor and by month."""
    out = [["dimension", "key", "seats_offered", "trainees_completed"]]
    for row in aggregates.get("by_donor", []):
        out.append(["donor", str(row["donor"]), str(row["seats"]), str(row["completed"])])
    for row in aggregates.get("by_month", []):
        out.append(["month", row["month"].strftime("%Y-%m"), str(row["seats"]), str(row["completed"])])
    return out
