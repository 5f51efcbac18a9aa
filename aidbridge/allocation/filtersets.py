from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from aidbridge.allocation.models import AllocationLine
from aidbridge.core.models import filter_by_id_or_code


class AllocationLineFilterSet(django_filters.FilterSet):
    """One filter definition for the allocations list page and ``GET /api/v1/allocations``."""

    pledge = django_filters.NumberFilter(field_name="pledge_id", label=_("Pledge id"))
    requirement = django_filters.NumberFilter(field_name="requirement_id", label=_("Requirement id"))
    hub = django_filters.NumberFilter(field_name="hub_id", label=_("Hub"))
    donor = django_filters.NumberFilter(field_name="pledge__donor_id", label=_("Donor"))
    item = django_filters.CharFilter(method="filter_item", label=_("Item (id or code)"))

    class Meta:
        model = AllocationLine
        fields = ["pledge", "requirement", "hub", "donor", "item"]

    def filter_item(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_by_id_or_code(queryset, "requirement__item", value)
