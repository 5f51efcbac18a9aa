from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation


class OrganisationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=Organisation.Kind.choices, label=_("Kind"))
    country = django_filters.CharFilter(label=_("Country"))

    class Meta:
        model = Organisation
        fields = ["kind", "country"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))
