"""What the pledges app adds to other apps' detail pages (``core.panels``): how many pledges the viewer may
see of an item or from a donor (in kind and financial), linked to that filtered list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from django.utils.translation import gettext_lazy

from aidbridge.core.panels import Stat, list_url
from aidbridge.pledges.models import FinancialPledge, Pledge

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

LIST = "pledges:pledge_list"
MONEY_LIST = "pledges:financialpledge_list"


def of_item(user: Any, item: Any) -> Iterator[Stat]:
    yield Stat(_("Pledges"), list_url(LIST, "item", item.code), Pledge.objects.for_user(user).filter(item=item).count())


def of_donor(user: Any, organisation: Any) -> Iterator[Stat]:
    yield Stat(_("Pledges"), list_url(LIST, "organisation", organisation.pk),
               Pledge.objects.for_user(user).filter(donor=organisation).count())
    yield Stat(_("Financial pledges"), list_url(MONEY_LIST, "organisation", organisation.pk),
               FinancialPledge.objects.for_user(user).filter(donor=organisation).count())
