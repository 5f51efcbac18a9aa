"""What the requirements app adds to other apps' detail pages (``core.panels``): how many requirements the
viewer may see for an item, a destination or a recipient, linked to that filtered list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from aidbridge.core.panels import Stat, list_url
from aidbridge.requirements.models import Requirement

LIST = "requirements:requirement_list"


def of_item(user: Any, item: Any) -> Iterator[Stat]:
    yield Stat(_("Requirements"), list_url(LIST, "item", item.code),
               Requirement.objects.for_user(user).filter(item=item).count())


def of_destination(user: Any, location: Any) -> Iterator[Stat]:
    yield Stat(_("Requirements delivered here"), list_url(LIST, "destination", location.unlocode),
               Requirement.objects.for_user(user).filter(destination=location).count())


def of_recipient(user: Any, organisation: Any) -> Iterator[Stat]:
    yield Stat(_("Requirements"), list_url(LIST, "organisation", organisation.pk),
               Requirement.objects.for_user(user).filter(recipient=organisation).count())
