from __future__ import annotations

import django_filters

from aidbridge.audit.models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label="Actor (username)")
    action = django_filters.CharFilter(lookup_expr="istartswith", label="Action (e.g. pledge. or pledge.commit)")
    object_type = django_filters.CharFilter(lookup_expr="iexact", label="Object type (e.g. pledges.pledge)")
    object_id = django_filters.CharFilter(label="Object id")
    request_id = django_filters.CharFilter(label="Request id")
    after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label="From (ISO time)")
    before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte", label="To (ISO time)")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object_type", "object_id", "request_id"]
