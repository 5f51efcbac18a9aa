"""What the pledges app adds to other apps' detail pages (``core.panels``): how many pledges the viewer may
see of an item or from a donor, linked to that filtered list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from django.urls import reverse

from aidbridge.core.panels import Stat
from aidbridge.pledges.models import Pledge


def _list(parameter: str, value: Any) -> str:
    return f"{reverse('pledges:pledge_list')}?{parameter}={quote(str(value), safe='/')}"


def of_item(user: Any, item: Any) -> Iterator[Stat]:
    yield Stat("Pledges", _list("item", item.code), Pledge.objects.for_user(user).filter(item=item).count())


def of_donor(user: Any, organisation: Any) -> Iterator[Stat]:
    yield Stat("Pledges", _list("organisation", organisation.pk),
               Pledge.objects.for_user(user).filter(donor=organisation).count())
