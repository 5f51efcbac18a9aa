"""What the requirements app adds to other apps' detail pages (``core.panels``): how many requirements the
viewer may see for an item, a destination or a recipient, linked to that filtered list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from django.urls import reverse

from aidbridge.core.panels import Stat
from aidbridge.requirements.models import Requirement


def _list(parameter: str, value: Any) -> str:
    return f"{reverse('requirements:requirement_list')}?{parameter}={quote(str(value), safe='/')}"


def of_item(user: Any, item: Any) -> Iterator[Stat]:
    yield Stat("Requirements", _list("item", item.code), Requirement.objects.for_user(user).filter(item=item).count())


def of_destination(user: Any, location: Any) -> Iterator[Stat]:
    yield Stat("Requirements delivered here", _list("destination", location.unlocode),
               Requirement.objects.for_user(user).filter(destination=location).count())


def of_recipient(user: Any, organisation: Any) -> Iterator[Stat]:
    yield Stat("Requirements", _list("organisation", organisation.pk),
               Requirement.objects.for_user(user).filter(recipient=organisation).count())
