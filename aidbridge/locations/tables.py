from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aidbridge.core.views import Column

LOCATION_COLUMNS = [
    Column(_("UN/LOCODE"), "unlocode", "link"),
    Column(_("Name"), "name"),
    Column(_("Country"), "country"),
    Column(_("Latitude"), "latitude", "number"),
    Column(_("Longitude"), "longitude", "number"),
]
LOCATION_FIELDS = LOCATION_COLUMNS[1:]

HUB_COLUMNS = [
    Column(_("Code"), "code", "link"),
    Column(_("Name"), "name"),
    Column(_("Location"), "location", "object"),
    Column(_("Operator"), "operator", "object"),
    Column(_("Weekly throughput (t)"), "capacity_t_per_week", "number"),
    Column(_("Active"), "active", "bool"),
]
HUB_FIELDS = HUB_COLUMNS[1:]
