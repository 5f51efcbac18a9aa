from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aidbridge.core.views import Column

ORGANISATION_COLUMNS = [
    Column(_("Name"), "name", "link"),
    Column(_("Short name"), "short_name"),
    Column(_("Kind"), "kind", "choice"),
    Column(_("Country"), "country"),
    Column(_("IATI identifier"), "iati_identifier"),
    Column(_("In coalition"), "in_coalition", "bool"),
]
ORGANISATION_FIELDS = ORGANISATION_COLUMNS[1:]
