from __future__ import annotations

from typing import Any

import django_filters
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from aidbridge.audit.labels import parse_object
from aidbridge.audit.models import AuditEvent


def actions() -> list[str]:
    """The distinct actions in the trail, read from the index on (action, seq) one value at a time (a recursive
    query that skips from each action to the next), not by grouping every event."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"""WITH RECURSIVE a(action) AS (
            SELECT MIN(action) FROM {table}
            UNION ALL SELECT (SELECT MIN(action) FROM {table} WHERE action > a.action) FROM a WHERE a.action IS NOT NULL
        ) SELECT action FROM a WHERE action IS NOT NULL""")  # noqa: S608 (the table name is the model's)
        return [row[0] for row in cursor.fetchall()]


class AuditEventFilterSet(django_filters.FilterSet):
    object = django_filters.CharFilter(method="filter_object",
                                       label=_("Object (e.g. PLG-00431, REQ-00031, SHP-00012)"))
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label=_("Actor (username)"))
    action = django_filters.CharFilter(method="filter_action", label=_("Action (e.g. pledge. or pledge.commit)"))
    object_type = django_filters.CharFilter(lookup_expr="iexact", label=_("Object type (e.g. pledges.pledge)"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    request_id = django_filters.CharFilter(label=_("Request id"))
    after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("From (ISO time)"))
    before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte", label=_("To (ISO time)"))

    class Meta:
        model = AuditEvent
        fields = ["object", "actor", "action", "object_type", "object_id", "request_id"]

    def filter_action(self, queryset: models.QuerySet, name: str, value: Any) -> models.QuerySet:
        """The actions beginning with the text, case aside (``pledge.`` a family, ``pledge.commit`` one action).

        The prefix is matched against the trail's distinct actions (a few dozen), and the events are then asked
        for by those actions: the index on (action, seq) gives one action's newest events at once, where a prefix
        test on every event scanned the trail back to them (half a second at 700,000 events).
        """
        text = str(value).strip().lower()
        return queryset.filter(action__in=[action for action in actions() if action.lower().startswith(text)])

    def filter_object(self, queryset: models.QuerySet, name: str, value: Any) -> models.QuerySet:
        """A reference (``PLG-00431``) or ``type:id`` (``pledges.pledge:431``) names one object; any other text
        matches the object's recorded description."""
        text = str(value).strip()
        parsed = parse_object(text)
        if parsed is not None:
            return queryset.filter(object_type=parsed[0], object_id=parsed[1])
        return queryset.filter(object_repr__icontains=text)
