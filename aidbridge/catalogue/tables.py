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
