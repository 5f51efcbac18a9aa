from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from aidbridge.catalogue.models import Item
from aidbridge.core.models import Releasability, filter_by_id_or_code
from aidbridge.pledges.models import FinancialPledge, Pledge


class PledgeFilterSet(django_filters.FilterSet):
    """One filter definition for the HTML list, the REST list and exports."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Pledge.Status.choices, distinct=False)
    item = django_filters.CharFilter(method="filter_item", label=_("Item (id or code)"))
    organisation = django_filters.NumberFilter(field_name="donor_id", label=_("Donor organisation id"))
    supply_class = django_filters.ChoiceFilter(field_name="item__supply_class", choices=Item.SupplyClass.choices)
    releasability = django_filters.ChoiceFilter(choices=Releasability.choices)
    funding_source = django_filters.ChoiceFilter(choices=Pledge.FundingSource.choices)
    origin_country = django_filters.CharFilter()
    available_before = django_filters.DateFilter(field_name="available_from", lookup_expr="lte")
    available_after = django_filters.DateFilter(field_name="available_from", lookup_expr="gte")

    class Meta:
        model = Pledge
        fields = ["status", "item", "organisation", "supply_class", "releasability", "funding_source"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(item__name__icontains=value) | queryset.filter(item__code__icontains=value)

    def filter_item(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_by_id_or_code(queryset, "item", value)


class FinancialPledgeFilterSet(django_filters.FilterSet):
    """Financial pledges: one filter definition for the HTML list and the REST list (see
    ``releasability.ReleasableFinancialFilterSet`` for the filters on fields some viewers may not see)."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=FinancialPledge.Status.choices, distinct=False)
    organisation = django_filters.NumberFilter(field_name="donor_id", label=_("Donor organisation id"))
    releasability = django_filters.ChoiceFilter(choices=Releasability.choices)
    sector = django_filters.CharFilter(label=_("DAC sector (5 digits)"))
    recipient_country = django_filters.CharFilter(label=_("Recipient country"))
    currency = django_filters.CharFilter()
    pledged_after = django_filters.DateFilter(field_name="pledged_on", lookup_expr="gte")
    pledged_before = django_filters.DateFilter(field_name="pledged_on", lookup_expr="lte")

    class Meta:
        model = FinancialPledge
        fields = ["status", "organisation", "releasability", "sector", "recipient_country", "currency"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(purpose__icontains=value) | queryset.filter(donor__name__icontains=value)
