from __future__ import annotations

from typing import Any

import django_filters
from django.db import models
from django.utils.translation import gettext_lazy as _

from aidbridge.audit.labels import parse_object
from aidbridge.audit.models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    object = django_filters.CharFilter(method="filter_object",
                                       label=_("Object (e.g. PLG-00431, REQ-00031, SHP-00012)"))
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label=_("Actor (username)"))
    action = django_filters.CharFilter(lookup_expr="istartswith", label=_("Action (e.g. pledge. or pledge.commit)"))
    object_type = django_filters.CharFilter(lookup_expr="iexact", label=_("Object type (e.g. pledges.pledge)"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    request_id = django_filters.CharFilter(label=_("Request id"))
    after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("From (ISO time)"))
    before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte", label=_("To (ISO time)"))

    class Meta:
        model = AuditEvent
        fields = ["object", "actor", "action", "object_type", "object_id", "request_id"]

    def filter_object(self, queryset: models.QuerySet, name: str, value: Any) -> models.QuerySet:
        """A reference (``PLG-00431``) or ``type:id`` (``pledges.pledge:431``) names one object; any other text
        matches the object's recorded description."""
        text = str(value).strip()
        parsed = parse_object(text)
        if parsed is not None:
            return queryset.filter(object_type=parsed[0], object_id=parsed[1])
        return queryset.filter(object_repr__icontains=text)
