"""Public aggregates, computed from released records only.

The inputs are ``Pledge.objects.for_user(AnonymousUser())`` and ``FinancialPledge.objects.for_user(AnonymousUser())``
(and, for training, the public disclosed courses of ``aidbridge.training.queries.public_aggregates``): public
pledges whose disclosure date has passed. Nothing else is read — not the pledge tables unfiltered, not
requirements — so no unreleased record or value can influence a number here. Tonnes and units are comparable
across donors; money is converted into the reporting currency (:mod:`aidbridge.catalogue.money`) at the rates
known today: every total names the oldest rate date it used, and an amount in a currency without a rate is kept
apart as "not converted", never counted as zero.

The sums are SQL aggregates per group and currency (a pledge's delivered units, capped at its quantity, come
from its allocation lines); only the handful of (group, currency) rows is converted here. The page caches the
summary until the next write (:func:`aidbridge.audit.cache.cached`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Least, TruncMonth
from django.utils.translation import gettext as _

from aidbridge.allocation.models import AllocationLine
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
        return _("%(amounts)s not converted (no rate)") % {"amounts": missing}
    text = f"{total.rounded():,.0f} {total.currency}"
    if missing:
        return _("%(converted)s + %(amounts)s not converted (no rate)") % {"converted": text, "amounts": missing}
    return text


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
    financial_total: FinancialRow = field(default_factory=lambda: FinancialRow("total", _("All financial pledges")))
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


TONNES = DecimalField(max_digits=24, decimal_places=6)
MONEY = DecimalField(max_digits=24, decimal_places=2)

#: The financial statuses the page counts (a withdrawn pledge is left out, as in kind).
FINANCIAL_STATUSES = (FinancialPledge.Status.ANNOUNCED, FinancialPledge.Status.COMMITTED,
                      FinancialPledge.Status.DISBURSED)


def summarise() -> Summary:
    """The released in-kind and financial pledges summed in SQL, by donor, supply class and month (and
    currency, converted here: a handful of rows whatever the number of pledges)."""
    on = clock.today()
    rates = Rates()
    # Per pledge, the units delivered (never more than pledged); then sums per group and currency.
    delivered = (AllocationLine.objects.filter(pledge=OuterRef("pk")).order_by().values("pledge")
                 .annotate(s=Sum("delivered_quantity")).values("s"))
    pledges = (released_pledges().exclude(status=Pledge.Status.WITHDRAWN)
               .annotate(d=Least(Coalesce(Subquery(delivered, output_field=IntegerField()), 0), F("quantity"),
                                 output_field=IntegerField()),
                         month=TruncMonth("available_from")))
    weight = F("item__weight_t")
    sums = {
        "n": Count("pk"), "units": Sum("quantity"), "delivered_units": Sum("d"),
        "tonnes": Sum(F("quantity") * weight, output_field=TONNES),
        "delivered_tonnes": Sum(F("d") * weight, output_field=TONNES),
        "amount": Sum(F("unit_value") * F("quantity"), output_field=MONEY),
    }
    class_labels = dict(Item.SupplyClass.choices)
    total = Row("total", str(_("All released pledges")))
    groups: dict[str, dict[str, Row]] = {"donor": {}, "class": {}, "month": {}}
    by_donor = pledges.order_by().values("currency", key=F("donor__short_name"), label=F("donor__name"))
    for donor in by_donor.annotate(**sums):
        _add(groups["donor"].setdefault(donor["key"], Row(donor["key"], donor["label"])), donor, rates, on)
        _add(total, donor, rates, on)
    for supply in pledges.order_by().values("currency", key=F("item__supply_class")).annotate(**sums):
        key = supply["key"]
        _add(groups["class"].setdefault(key, Row(key, str(class_labels.get(key, key)))), supply, rates, on)
    for in_month in pledges.order_by().values("currency", "month").annotate(**sums):
        month = in_month["month"].strftime("%Y-%m")
        _add(groups["month"].setdefault(month, Row(month, month)), in_month, rates, on)
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
    rows = (released_financial_pledges().filter(status__in=FINANCIAL_STATUSES).order_by()
            .values_list("status", "currency", "donor__short_name", "donor__name")
            .annotate(n=Count("pk"), amount=Sum("amount")))
    for status, currency, donor_key, donor_name, n, amount in rows:
        converted = rates.convert(amount, currency, on)
        for row in (by_status[status], by_donor.setdefault(donor_key, FinancialRow(donor_key, donor_name)),
                    summary.financial_total):
            row.pledges += n
            row.by_status[status] = row.by_status.get(status, 0) + n
            _add_amount(row.value, converted, amount, currency, n)
    summary.financial_by_status = list(by_status.values())
    summary.financial_by_donor = sorted(by_donor.values(), key=lambda row: (-row.value.amount, row.label))


def _add_amount(total: Total, converted: Any, amount: Decimal, currency: str, n: int) -> None:
    """Add the sum of ``n`` amounts in one currency: counted as ``n`` amounts (a total of none reads "—")."""
    total.add(converted, amount, currency)
    total.count += n - 1


def _add(row: Row, r: Mapping[str, Any], rates: Rates, on: dt.date) -> None:
    """Add one group's sums (:func:`summarise`) in one currency to ``row``."""
    amount = Decimal(r["amount"] or 0)
    row.pledges += r["n"]
    row.units += int(r["units"] or 0)
    row.delivered_units += int(r["delivered_units"] or 0)
    row.tonnes += Decimal(r["tonnes"] or 0)
    row.delivered_tonnes += Decimal(r["delivered_tonnes"] or 0)
    _add_amount(row.value, rates.convert(amount, r["currency"], on), amount, r["currency"], r["n"])


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
