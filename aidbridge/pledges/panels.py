"""What the pledges app adds to other apps' detail pages (``core.panels``): how many pledges the viewer may
see of an item or from a donor (in kind and financial), linked to that filtered list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aidbridge.core.panels import Stat, list_url
from aidbridge.pledges.models import FinancialPledge, Pledge

LIST = "pledges:pledge_list"
MONEY_LIST = "pledges:financialpledge_list"


def of_item(user: Any, item: Any) -> Iterator[Stat]:
    yield Stat("Pledges", list_url(LIST, "item", item.code), Pledge.objects.for_user(user).filter(item=item).count())


def of_donor(user: Any, organisation: Any) -> Iterator[Stat]:
    yield Stat("Pledges", list_url(LIST, "organisation", organisation.pk),
               Pledge.objects.for_user(user).filter(donor=organisation).count())
    yield Stat("Financial pledges", list_url(MONEY_LIST, "organisation", organisation.pk),
               FinancialPledge.objects.for_user(user).filter(donor=organisation).count())
