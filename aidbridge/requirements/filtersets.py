from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from aidbridge.catalogue.models import Item
from aidbridge.core.models import filter_by_id_or_code
from aidbridge.requirements.models import Requirement


class RequirementFilterSet(django_filters.FilterSet):
    """One filter definition for the HTML list, the REST list and exports."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Requirement.Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Requirement.Priority.choices, distinct=False)
    item = django_filters.CharFilter(method="filter_item", label=_("Item (id or code)"))
    organisation = django_filters.NumberFilter(field_name="recipient_id", label=_("Recipient organisation id"))
    supply_class = django_filters.ChoiceFilter(field_name="item__supply_class", choices=Item.SupplyClass.choices)
    destination = django_filters.CharFilter(field_name="destination__unlocode", label=_("Destination UN/LOCODE"))
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")

    class Meta:
        model = Requirement
        fields = ["status", "priority", "item", "organisation", "supply_class", "destination"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(item__name__icontains=value) | queryset.filter(item__code__icontains=value)

    def filter_item(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_by_id_or_code(queryset, "item", value)
