"""Filters of the training lists: one definition for the HTML lists, the REST lists and exports."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidbridge.catalogue.models import Item
from aidbridge.core.models import MAX_ID, Releasability, filter_by_id_or_code
from aidbridge.requirements.models import Requirement
from aidbridge.training.models import Course, Enrolment, TrainingRequest


def _item_q(value: str, prefix: str = "") -> Q:
    """Courses that qualify for an item given by id or code: that item, or the item's supply class."""
    if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        items = Item.objects.filter(pk=int(value))
    else:
        items = Item.objects.filter(code=value)
    classes = list(items.values_list("supply_class", flat=True))
    return Q(**{f"{prefix}qualifies_item__in": items}) | Q(**{f"{prefix}qualifies_class__in": classes}) \
        if classes else Q(pk__in=[])


class CourseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Course.Status.choices, distinct=False)
    provider = django_filters.NumberFilter(field_name="provider_id", label=_("Provider organisation id"))
    language = django_filters.CharFilter(method="filter_language", label=_("Language (ISO 639-1)"))
    item = django_filters.CharFilter(method="filter_item", label=_("Qualifies for item (id or code)"))
    supply_class = django_filters.ChoiceFilter(method="filter_class", choices=Item.SupplyClass.choices,
                                               label=_("Qualifies for supply class"))
    releasability = django_filters.ChoiceFilter(choices=Releasability.choices)
    starts_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte", label=_("Starts from"))
    ends_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte", label=_("Ends by"))

    class Meta:
        model = Course
        fields = ["status", "provider", "language", "item", "supply_class", "releasability"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(title__icontains=value) | Q(qualifies_item__code__icontains=value)
                               | Q(location__name__icontains=value))

    def filter_language(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(language=value.strip().lower())

    def filter_item(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(_item_q(value.strip()))

    def filter_class(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(qualifies_class=value) | Q(qualifies_item__supply_class=value))


class TrainingRequestFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=TrainingRequest.Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Requirement.Priority.choices, distinct=False)
    item = django_filters.CharFilter(method="filter_item", label=_("Item (id or code)"))
    supply_class = django_filters.ChoiceFilter(field_name="item__supply_class", choices=Item.SupplyClass.choices)
    language = django_filters.CharFilter(method="filter_language", label=_("Language (ISO 639-1)"))
    requirement = django_filters.NumberFilter(field_name="requirement_id", label=_("Requirement id"))
    organisation = django_filters.NumberFilter(field_name="recipient_id", label=_("Recipient organisation id"))
    needed_before = django_filters.DateFilter(field_name="latest_date", lookup_expr="lte", label=_("Needed by"))

    class Meta:
        model = TrainingRequest
        fields = ["status", "priority", "item", "supply_class", "language", "requirement", "organisation"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(item__name__icontains=value) | Q(item__code__icontains=value))

    def filter_item(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return filter_by_id_or_code(queryset, "item", value)

    def filter_language(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(language=value.strip().lower())


class EnrolmentFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Enrolment.Status.choices, distinct=False)
    course = django_filters.NumberFilter(field_name="course_id", label=_("Course id"))
    request = django_filters.NumberFilter(field_name="request_id", label=_("Training request id"))

    class Meta:
        model = Enrolment
        fields = ["status", "course", "request"]
