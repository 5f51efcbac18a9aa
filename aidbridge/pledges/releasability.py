"""Field-level releasability for pledges: the one place that decides which fields of a visible pledge a user sees.

``PledgeQuerySet.for_user`` decides *which* pledges a user sees; this module decides *how much* of each.
The UI (list, detail, documents), the API (``PledgeOut``, ``/pledges/{id}/documents``) and the filters all
ask here; nothing else decides.

Rule table (a pledge the user cannot see at all is a 404 and never reaches this module):

=====================================  ==========================  ==========================================
viewer of the pledge                   tier                        fields shown (everything else is withheld)
=====================================  ==========================  ==========================================
the owning donor (any member), a       ``full``                    every field, source documents, notes,
coordinator, an auditor, a superuser                               exact dates, audit history
anyone else, pledge ``public`` and     ``public``                  id, reference, donor, item, quantity,
its disclosure date has passed                                     status, releasability, funding source,
(other coalition members, outsiders,                               allocated/unallocated, available month,
the anonymous public)                                              unit value, currency, total value
anyone else, pledge released to the    ``coalition``               id, reference, donor, item, quantity,
coalition (or public but not yet                                   status, releasability, funding source,
disclosed): other coalition members                                allocated/unallocated, available month
=====================================  ==========================  ==========================================

Always withheld below ``full``: origin country, notes, the exact ``available_from`` date (only its month,
``available_month`` = ``YYYY-MM``, is shown), the disclosure date, created/updated timestamps, source
documents (list, upload, download: 404) and the pledge's audit history. In the ``coalition`` tier the value
(unit value, currency, total value) is withheld too: a donor's prices are shared with the coalition cell,
not with the other donors, recipients and hubs.

Filters never leak a withheld value: ``origin_country`` matches only pledges the user sees in full, and the
``available_before/after`` filters compare by month on pledges the user does not see in full (see
``filter_origin_country`` and ``filter_available``). Residual, accepted: list order is by ``available_from``,
so two restricted pledges in the same month appear in day order (their dates are not shown).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.principal import principal
from aidbridge.core import clock
from aidbridge.core.models import Releasability
from aidbridge.pledges.filtersets import FinancialPledgeFilterSet, PledgeFilterSet

FULL, PUBLIC, COALITION = "full", "public", "coalition"

#: Every field a pledge has in the API (``PledgeOut``), besides ``redacted`` itself.
ALL_FIELDS = frozenset({
    "id", "reference", "donor", "item", "quantity", "available_from", "available_month", "origin_country",
    "unit_value", "currency", "total_value", "funding_source", "status", "releasability", "disclosure_date",
    "notes", "allocated", "unallocated", "created_at", "updated_at",
})
COALITION_FIELDS = frozenset({
    "id", "reference", "donor", "item", "quantity", "available_month", "funding_source", "status",
    "releasability", "allocated", "unallocated",
})
PUBLIC_FIELDS = COALITION_FIELDS | {"unit_value", "currency", "total_value"}
VISIBLE = {FULL: ALL_FIELDS, PUBLIC: PUBLIC_FIELDS, COALITION: COALITION_FIELDS}

#: The fields that may be withheld, in the order the API lists them in ``redacted``.
ORDER = ("available_from", "origin_country", "unit_value", "currency", "total_value", "disclosure_date",
         "notes", "created_at", "updated_at")


def full_view(user: Any, pledge: Any) -> bool:
    """Every field, source documents, notes and history: the owning donor, coordinators, auditors, superusers."""
    p = principal(user)
    return p.oversees or (p.organisation_id is not None and p.organisation_id == pledge.donor_id)


def is_disclosed(pledge: Any, today: dt.date | None = None) -> bool:
    today = today or clock.today()
    return (pledge.releasability == Releasability.PUBLIC and pledge.disclosure_date is not None
            and pledge.disclosure_date <= today)


def tier(user: Any, pledge: Any) -> str:
    if full_view(user, pledge):
        return FULL
    return PUBLIC if is_disclosed(pledge) else COALITION


def visible_fields(user: Any, pledge: Any) -> frozenset[str]:
    """The fields of ``pledge`` that ``user`` (who may see the pledge) sees."""
    return VISIBLE[tier(user, pledge)]


def redacted_fields(user: Any, pledge: Any) -> list[str]:
    """The withheld fields, in a stable order (empty for a full view)."""
    shown = visible_fields(user, pledge)
    return [name for name in ORDER if name not in shown]


def available_month(pledge: Any) -> str:
    return pledge.available_from.strftime("%Y-%m")


# --- querysets: filters that must not leak ------------------------------------------------------------------

def full_view_q(user: Any) -> Q | None:
    """The pledges ``user`` sees in full, as a filter to combine with ``for_user``; ``None``: all of them."""
    p = principal(user)
    if p.oversees:
        return None
    return Q(donor_id=p.organisation_id) if p.organisation_id is not None else Q(pk__in=[])


def value_visible_q(user: Any) -> Q | None:
    """The pledges whose value ``user`` may see (full view, or public and disclosed); ``None``: all of them."""
    full = full_view_q(user)
    if full is None:
        return None
    return full | Q(releasability=Releasability.PUBLIC, disclosure_date__lte=clock.today())


def filter_origin_country(queryset: QuerySet, user: Any, value: str) -> QuerySet:
    """Origin is withheld below full view, so the filter matches only pledges the user sees in full."""
    full = full_view_q(user)
    queryset = queryset.filter(origin_country=value)
    return queryset if full is None else queryset.filter(full)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def filter_available(queryset: QuerySet, user: Any, *, after: dt.date | None = None,
                     before: dt.date | None = None) -> QuerySet:
    """``available_from`` bounds: exact on pledges seen in full, by month on the others (whose day is withheld).

    For a restricted pledge, ``after`` keeps it when its month is not before ``after``'s month and ``before``
    when its month is not after ``before``'s: the answer depends on the month alone, so no bisection of
    requests can recover the withheld day.
    """
    full = full_view_q(user)
    conditions = []
    if after is not None:
        exact, monthly = Q(available_from__gte=after), Q(available_from__gte=_month_start(after))
        conditions.append(exact if full is None else (full & exact) | (~full & monthly))
    if before is not None:
        exact, monthly = Q(available_from__lte=before), Q(available_from__lt=_next_month(before))
        conditions.append(exact if full is None else (full & exact) | (~full & monthly))
    for condition in conditions:
        queryset = queryset.filter(condition)
    return queryset


class ReleasableFilterSet(PledgeFilterSet):
    """``PledgeFilterSet`` whose filters on withheld fields respect this module's rules.

    The user comes from ``user=`` (the API) or ``request.user`` (the HTML list); without either, the filters
    behave as for an anonymous viewer.
    """

    origin_country = django_filters.CharFilter(method="filter_origin", label=_("Origin country"))
    available_before = django_filters.DateFilter(method="filter_before", label=_("Available by"))
    available_after = django_filters.DateFilter(method="filter_after", label=_("Available from"))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user if user is not None else getattr(self.request, "user", None)

    def filter_origin(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_origin_country(queryset, self.user, value)

    def filter_before(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_available(queryset, self.user, before=value)

    def filter_after(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_available(queryset, self.user, after=value)


def filterset_for(user: Any) -> Any:
    """A FilterSet factory for ``apply_filters`` (which passes no request), bound to ``user``."""
    return functools.partial(ReleasableFilterSet, user=user)


# --- financial pledges --------------------------------------------------------------------------------------
#
# The same tiers, decided by the same ``tier()``: a financial pledge's amount is its value, so it is withheld
# where an in-kind pledge's value is (the ``coalition`` tier); below ``full`` the exact dates (``pledged_on`` is
# shown as its month), the status date, the disclosure date, the source's identifier, notes and timestamps are.

MONEY_ALL_FIELDS = frozenset({
    "id", "reference", "donor", "amount", "currency", "pledged_on", "pledged_month", "status_date", "sector",
    "purpose", "recipient_country", "status", "releasability", "disclosure_date", "external_id", "notes",
    "created_at", "updated_at",
})
MONEY_COALITION_FIELDS = frozenset({
    "id", "reference", "donor", "pledged_month", "sector", "purpose", "recipient_country", "status", "releasability",
})
MONEY_PUBLIC_FIELDS = MONEY_COALITION_FIELDS | {"amount", "currency"}
MONEY_VISIBLE = {FULL: MONEY_ALL_FIELDS, PUBLIC: MONEY_PUBLIC_FIELDS, COALITION: MONEY_COALITION_FIELDS}
MONEY_ORDER = ("amount", "currency", "pledged_on", "status_date", "disclosure_date", "external_id", "notes",
               "created_at", "updated_at")


def money_visible_fields(user: Any, pledge: Any) -> frozenset[str]:
    """The fields of the financial pledge ``pledge`` that ``user`` (who may see it) sees."""
    return MONEY_VISIBLE[tier(user, pledge)]


def money_redacted_fields(user: Any, pledge: Any) -> list[str]:
    shown = money_visible_fields(user, pledge)
    return [name for name in MONEY_ORDER if name not in shown]


def pledged_month(pledge: Any) -> str:
    return pledge.pledged_on.strftime("%Y-%m")


def filter_dates(queryset: QuerySet, user: Any, field: str, *, after: dt.date | None = None,
                 before: dt.date | None = None) -> QuerySet:
    """Bounds on the date ``field``: exact on records seen in full, by month on the others (as
    :func:`filter_available` does for ``available_from``)."""
    full = full_view_q(user)
    conditions = []
    if after is not None:
        exact, monthly = Q(**{f"{field}__gte": after}), Q(**{f"{field}__gte": _month_start(after)})
        conditions.append(exact if full is None else (full & exact) | (~full & monthly))
    if before is not None:
        exact, monthly = Q(**{f"{field}__lte": before}), Q(**{f"{field}__lt": _next_month(before)})
        conditions.append(exact if full is None else (full & exact) | (~full & monthly))
    for condition in conditions:
        queryset = queryset.filter(condition)
    return queryset


class ReleasableFinancialFilterSet(FinancialPledgeFilterSet):
    """``FinancialPledgeFilterSet`` whose filters on withheld fields never reveal them: ``currency`` matches only
    pledges whose amount the user sees, the ``pledged_*`` bounds compare by month on pledges not seen in full."""

    currency = django_filters.CharFilter(method="filter_currency", label=_("Currency"))
    pledged_after = django_filters.DateFilter(method="filter_after", label=_("Pledged from"))
    pledged_before = django_filters.DateFilter(method="filter_before", label=_("Pledged by"))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user if user is not None else getattr(self.request, "user", None)

    def filter_currency(self, queryset, name, value):  # type: ignore[no-untyped-def]
        visible = value_visible_q(self.user)
        queryset = queryset.filter(currency=value.upper())
        return queryset if visible is None else queryset.filter(visible)

    def filter_after(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_dates(queryset, self.user, "pledged_on", after=value)

    def filter_before(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_dates(queryset, self.user, "pledged_on", before=value)


def financial_filterset_for(user: Any) -> Any:
    return functools.partial(ReleasableFinancialFilterSet, user=user)
