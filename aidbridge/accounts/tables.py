from __future__ import annotations

from aidbridge.core.views import Column

ORGANISATION_COLUMNS = [
    Column("Name", "name", "link"),
    Column("Short name", "short_name"),
    Column("Kind", "kind", "choice"),
    Column("Country", "country"),
    Column("IATI identifier", "iati_identifier"),
    Column("In coalition", "in_coalition", "bool"),
]
ORGANISATION_FIELDS = ORGANISATION_COLUMNS[1:]
