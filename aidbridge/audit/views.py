"""The auditors' searchable view of the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import models

from aidbridge.audit.filtersets import AuditEventFilterSet
from aidbridge.audit.models import AuditEvent
from aidbridge.core.views import Column, ObjectDetailView, ObjectListView

EVENT_COLUMNS = [
    Column("#", "seq", "link"),
    Column("Time", "created_at", "datetime"),
    Column("Actor", "actor_name"),
    Column("Action", "action"),
    Column("Object", "object_label"),
    Column("Request", "request_id"),
]


class AuditEventList(ObjectListView):
    model = AuditEvent
    filterset_class = AuditEventFilterSet
    columns = EVENT_COLUMNS
    title = "Audit trail"

    def get(self, request: Any) -> Any:
        from django.http import Http404

        if not self.principal.sees_everything:
            raise Http404("The audit trail is for auditors.")
        return super().get(request)

    def get_queryset(self) -> models.QuerySet:
        return AuditEvent.objects.for_user(self.request.user).order_by("-seq")


class AuditEventDetail(ObjectDetailView):
    model = AuditEvent
    fields = [*EVENT_COLUMNS[1:], Column("Previous hash", "prev_hash"), Column("Hash", "hash")]
    template_name = "audit/auditevent_detail.html"

    def get_context(self, obj: Any, **overrides: Any) -> dict[str, Any]:
        # An event's own history would be itself; show its before/after instead.
        return super().get_context(obj, history=[], title=f"Audit event #{obj.seq}", **overrides)
