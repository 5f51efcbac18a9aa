from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aidbridge.core.views import Column

ITEM_COLUMNS = [
    Column(_("Code"), "code", "link"),
    Column(_("Name"), "name"),
    Column(_("Supply class"), "supply_class", "choice"),
    Column(_("Unit"), "unit", "choice"),
    Column(_("Weight per unit (t)"), "weight_t", "number"),
    Column(_("NSN"), "nsn_display"),
    Column(_("FSC"), "fsc"),
]

ITEM_FIELDS = [*ITEM_COLUMNS[1:], Column(_("Description"), "description")]

RATE_COLUMNS = [
    Column(_("Date"), "date", "link"),
    Column(_("Currency"), "currency"),
    Column(_("Units per euro"), "per_euro", "number"),
    Column(_("Source"), "source", "choice"),
]

RATE_FIELDS = [
    Column(_("Date"), "date", "date"),
    Column(_("Currency"), "currency"),
    Column(_("Units per euro"), "per_euro", "number"),
    Column(_("Source"), "source", "choice"),
    Column(_("Recorded"), "created_at", "datetime"),
]
