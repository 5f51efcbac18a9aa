from __future__ import annotations

from aidbridge.core.views import Column

ITEM_COLUMNS = [
    Column("Code", "code", "link"),
    Column("Name", "name"),
    Column("Supply class", "supply_class", "choice"),
    Column("Unit", "unit", "choice"),
    Column("Weight per unit (t)", "weight_t", "number"),
    Column("NSN", "nsn_display"),
    Column("FSC", "fsc"),
]

ITEM_FIELDS = [*ITEM_COLUMNS[1:], Column("Description", "description")]

RATE_COLUMNS = [
    Column("Date", "date", "link"),
    Column("Currency", "currency"),
    Column("Units per euro", "per_euro", "number"),
    Column("Source", "source", "choice"),
]

RATE_FIELDS = [
    Column("Date", "date", "date"),
    Column("Currency", "currency"),
    Column("Units per euro", "per_euro", "number"),
    Column("Source", "source", "choice"),
    Column("Recorded", "created_at", "datetime"),
]
