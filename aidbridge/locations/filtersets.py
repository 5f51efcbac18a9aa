from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidbridge.locations.models import Hub, Location


class LocationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    country = django_filters.CharFilter(label=_("Country"))

    class Meta:
        model = Location
        fields = ["country"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(name__icontains=value) | Q(unlocode__icontains=value))


class HubFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    organisation = django_filters.NumberFilter(field_name="operator_id", label=_("Operator organisation id"))
    country = django_filters.CharFilter(field_name="location__country", label=_("Country"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Hub
        fields = ["organisation", "country", "active"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))
