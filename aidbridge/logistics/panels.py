"""What the logistics app adds to other apps' detail pages (``core.panels``): a hub's stock, weekly tonnes
and overdue shipments, and the link to a pledge's chain of custody."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse

from aidbridge.core.panels import Stat
from aidbridge.logistics.views import hub_logistics_context


def hub_logistics(user: Any, hub: Any) -> dict[str, Any]:
    return hub_logistics_context(user, hub)


def pledge_custody(user: Any, pledge: Any) -> Iterator[Stat]:
    yield Stat("Chain of custody", reverse("pledges:pledge_custody", args=[pledge.pk]))
