from __future__ import annotations

import django_filters

from aidbridge.catalogue.models import Item
from aidbridge.core.models import Releasability, filter_by_id_or_code
from aidbridge.pledges.models import Pledge


class PledgeFilterSet(django_filters.FilterSet):
    """One filter definition for the HTML list, the REST list and exports."""

    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=Pledge.Status.choices)
    item = django_filters.CharFilter(method="filter_item", label="Item (id or code)")
    organisation = django_filters.NumberFilter(field_name="donor_id", label="Donor organisation id")
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
