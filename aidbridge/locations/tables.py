from __future__ import annotations

from aidbridge.core.views import Column

LOCATION_COLUMNS = [
    Column("UN/LOCODE", "unlocode", "link"),
    Column("Name", "name"),
    Column("Country", "country"),
    Column("Latitude", "latitude", "number"),
    Column("Longitude", "longitude", "number"),
]
LOCATION_FIELDS = LOCATION_COLUMNS[1:]

HUB_COLUMNS = [
    Column("Code", "code", "link"),
    Column("Name", "name"),
    Column("Location", "location", "object"),
    Column("Operator", "operator", "object"),
    Column("Weekly throughput (t)", "capacity_t_per_week", "number"),
    Column("Active", "active", "bool"),
]
HUB_FIELDS = HUB_COLUMNS[1:]
