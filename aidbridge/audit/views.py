"""The searchable audit trail: all of it for auditors, the events on objects they may see for coordinators."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge.audit.filtersets import AuditEventFilterSet
from aidbridge.audit.labels import readable_changes
from aidbridge.audit.models import AuditEvent, may_search_trail
from aidbridge.core.views import Column, ObjectDetailView, ObjectListView

EVENT_COLUMNS = [
    Column(_("#"), "seq", "link"),
    Column(_("Time (UTC)"), "created_at", "timestamp"),
    Column(_("Actor"), "actor_name"),
    Column(_("Action"), "action"),
    Column(_("Object"), "object_label"),
    Column(_("Request"), "request_id", "request"),
]


class AuditEventList(ObjectListView):
    model = AuditEvent
    filterset_class = AuditEventFilterSet
    columns = EVENT_COLUMNS
    title = _("Audit trail")
    # Hundreds of thousands of events, each checked against what a coordinator may see: count a page's worth
    # of pages, not the whole trail, on every page.
    count_cap = 1_000

    def get(self, request: Any) -> Any:
        if not may_search_trail(self.principal):
            raise Http404(gettext("The audit trail is for auditors and coordinators."))
        return super().get(request)

    def get_queryset(self) -> models.QuerySet:
        return AuditEvent.objects.for_user(self.request.user).order_by("-seq")


class AuditEventDetail(ObjectDetailView):
    model = AuditEvent
    fields = [*EVENT_COLUMNS[1:], Column(_("Previous hash"), "prev_hash"), Column(_("Hash"), "hash")]
    template_name = "audit/auditevent_detail.html"

    def get_context(self, obj: Any, **overrides: Any) -> dict[str, Any]:
        # An event's own history would be itself; show its before/after instead, readable and raw.
        changes = readable_changes(self.request.user, [obj])[0]
        title = gettext("Audit event #%(seq)s") % {"seq": obj.seq}
        return super().get_context(obj, history=[], changes=changes, title=title, **overrides)
