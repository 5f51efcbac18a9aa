from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidbridge.catalogue.models import ExchangeRate, Item


class ItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    supply_class = django_filters.ChoiceFilter(choices=Item.SupplyClass.choices, label=_("Supply class"))
    fsc = django_filters.CharFilter(label=_("FSC"))

    class Meta:
        model = Item
        fields = ["supply_class", "fsc"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value) | Q(nsn__startswith=value))


class ExchangeRateFilterSet(django_filters.FilterSet):
    currency = django_filters.CharFilter(method="filter_currency", label=_("Currency"))
    source = django_filters.ChoiceFilter(choices=ExchangeRate.Source.choices, label=_("Source"))
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("Until"))

    class Meta:
        model = ExchangeRate
        fields = ["currency", "source"]

    def filter_currency(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(currency=value.strip().upper())
