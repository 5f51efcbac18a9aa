"""What the locations app adds to other apps' detail pages (``core.panels``): the hubs an organisation runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext

from aidbridge.core.panels import Stat
from aidbridge.locations.models import Hub


def hubs_of_operator(user: Any, organisation: Any) -> Iterator[Stat]:
    for hub in Hub.objects.for_user(user).filter(operator=organisation).select_related("location"):
        yield Stat(str(hub), reverse("locations:hub", args=[hub.pk]), gettext("hub"))
