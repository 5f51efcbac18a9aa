"""Public aggregates, computed from released records only.

The one input is ``Pledge.objects.for_user(AnonymousUser())`` (and, for training, the public disclosed courses
of ``aidbridge.training.queries.public_aggregates``): public pledges whose disclosure date has
passed. Nothing else is read — not the pledge table unfiltered, not requirements — so no unreleased record
or value can influence a number here. Money is summed per currency (no exchange rates on an offline
system); tonnes and units are comparable across donors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce

from aidbridge.catalogue.models import Item
from aidbridge.pledges.models import Pledge


@dataclass
class Row:
    key: str
    label: str
    pledges: int = 0
    units: int = 0
    delivered_units: int = 0
    tonnes: Decimal = Decimal("0")
    delivered_tonnes: Decimal = Decimal("0")
    value: dict[str, Decimal] = field(default_factory=dict)

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
        return ", ".join(f"{amount:,.0f} {currency}" for currency, amount in sorted(self.value.items())) or "—"


@dataclass
class Summary:
    by_donor: list[Row]
    by_class: list[Row]
    by_month: list[Row]
    total: Row
    currencies: list[str]


def released_pledges() -> QuerySet[Pledge]:
    return Pledge.objects.for_user(AnonymousUser())


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
    currencies: set[str] = set()
    for r in rows:
        month = r["available_from"].strftime("%Y-%m")
        keys = {
            "donor": (r["donor_key"], r["donor_name"]),
            "class": (r["supply_class"], class_labels.get(r["supply_class"], r["supply_class"])),
            "month": (month, month),
        }
        currencies.add(r["currency"])
        for group, (key, label) in keys.items():
            row = groups[group].setdefault(key, Row(key, label))
            _add(row, r)
        _add(total, r)
    order = lambda rs: sorted(rs, key=lambda row: (-row.tonnes, row.label))  # noqa: E731
    return Summary(
        by_donor=order(groups["donor"].values()),
        by_class=sorted(groups["class"].values(), key=lambda row: list(class_labels).index(row.key)),
        by_month=sorted(groups["month"].values(), key=lambda row: row.key),
        total=total,
        currencies=sorted(currencies),
    )


def _add(row: Row, r: Mapping[str, Any]) -> None:
    delivered = min(int(r["delivered"]), int(r["quantity"]))
    row.pledges += 1
    row.units += int(r["quantity"])
    row.delivered_units += delivered
    row.tonnes += r["weight"] * r["quantity"]
    row.delivered_tonnes += r["weight"] * delivered
    row.value[r["currency"]] = row.value.get(r["currency"], Decimal("0")) + r["unit_value"] * r["quantity"]


def csv_rows(summary: Summary) -> list[list[str]]:
    header = ["dimension", "key", "label", "pledges", "units", "delivered_units", "tonnes", "delivered_tonnes",
              *[f"value_{c}" for c in summary.currencies]]
    out = [header]
    for dimension, rows in (("donor", summary.by_donor), ("supply_class", summary.by_class),
                            ("month", summary.by_month), ("total", [summary.total])):
        for row in rows:
            out.append([dimension, row.key, row.label, str(row.pledges), str(row.units), str(row.delivered_units),
                         f"{row.tonnes:.3f}", f"{row.delivered_tonnes:.3f}",
                         *[f"{row.value.get(c, Decimal('0')):.2f}" for c in summary.currencies]])
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
