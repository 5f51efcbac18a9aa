"""Template helpers for the trail: an object's history as people read it, and one side of a change."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django import template
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from aidbridge.audit.labels import readable_changes
from aidbridge.audit.models import AuditEvent, may_search_trail
from aidbridge.core.viewer import viewer

register = template.Library()

DASH = mark_safe('<span class="muted">—</span>')
HISTORY_LENGTH = 200


@register.simple_tag
def object_history(obj: models.Model) -> Any:
    """The latest events on ``obj``, newest first (a view that redacts history passes its own instead)."""
    return AuditEvent.objects.for_object(obj).order_by("-seq")[:HISTORY_LENGTH]


@register.simple_tag(takes_context=True)
def history_rows(context: template.Context, events: Any, obj: Any = None) -> list[SimpleNamespace]:
    """An object's history as people read it: labels for the objects an event mentions (only those the viewer
    may see, resolved in one query per kind), and the request id linked to the audit search for those who may
    use it. Events without their own ``object_type`` (redacted histories) are read as events on ``obj``."""
    request = context.get("request")
    user = getattr(request, "user", None)
    events = list(events)
    fallback = obj._meta.label_lower if isinstance(obj, models.Model) else ""
    typed = [e if getattr(e, "object_type", "") else SimpleNamespace(**{**vars(e), "object_type": fallback})
             for e in events]
    search = reverse("audit:auditevent_list") if may_search_trail(viewer(user)) else ""
    rows = []
    for event, changes in zip(events, readable_changes(user, typed), strict=True):
        request_id = getattr(event, "request_id", "") or ""
        rows.append(SimpleNamespace(
            event=event, changes=changes, request_id=request_id,
            request_url=f"{search}?{urlencode({'request_id': request_id})}" if search and request_id else "",
        ))
    return rows


@register.simple_tag
def audit_value(value: Any) -> SafeString:
    """One side of a readable change: a link to an object the viewer may open, a muted note for one they may
    not see, or plain text."""
    if value is None:
        return DASH
    if getattr(value, "url", ""):
        return format_html('<a href="{}">{}</a>', value.url, value.text)
    if getattr(value, "hidden", False):
        return format_html('<span class="muted">{}</span>', value.text)
    return format_html("{}", value)
