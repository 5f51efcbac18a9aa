"""What the logistics app adds to other apps' detail pages (``core.panels``): a hub's stock, weekly tonnes
and overdue shipments, and the link to a pledge's chain of custody."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from django.urls import reverse
from django.utils.translation import gettext_lazy

from aidbridge.core.panels import Stat
from aidbridge.logistics.views import hub_logistics_context

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)


def hub_logistics(user: Any, hub: Any) -> dict[str, Any]:
    return hub_logistics_context(user, hub)


def pledge_custody(user: Any, pledge: Any) -> Iterator[Stat]:
    yield Stat(_("Chain of custody"), reverse("pledges:pledge_custody", args=[pledge.pk]))
