"""Template helpers: table cells, fill-level badges and bars, audit diffs, URLs by naming convention.

Bars are small inline SVGs sized with attributes (not ``style=``), so a strict Content-Security-Policy holds.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from aidbridge.core.models import FillLevel
from aidbridge.core.views import Column, url_name

register = template.Library()

DASH = mark_safe('<span class="muted">—</span>')
WITHHELD = mark_safe('<span class="badge withheld muted" title="Withheld under this record\'s releasability">'
                     'withheld</span>')
FILL_SYMBOL = {FillLevel.NONE: "○", FillLevel.PARTIAL: "◐", FillLevel.COMPLETE: "●"}
HIDDEN_AUDIT_FIELDS = {"id", "created_at", "updated_at", "token_hash"}


def resolve(obj: Any, accessor: str) -> Any:
    value = obj
    for part in accessor.split("."):
        if value is None:
            return None
        value = getattr(value, part)
        if callable(value) and not isinstance(value, models.Manager):
            value = value()
    return value


@register.simple_tag
def url_for(obj: Any, suffix: str = "") -> str:
    return reverse(url_name(obj, suffix), args=[obj.pk])


@register.simple_tag
def object_url(obj: Any) -> str:
    """The object's detail page, or "" when it has none."""
    try:
        return reverse(url_name(obj), args=[obj.pk])
    except NoReverseMatch:
        return ""


def _linked(obj: Any, text: Any) -> SafeString:
    href = object_url(obj)
    return format_html('<a href="{}">{}</a>', href, text) if href else format_html("{}", text)


def _choice_display(obj: Any, accessor: str, value: Any) -> Any:
    owner, _, name = accessor.rpartition(".")
    target = resolve(obj, owner) if owner else obj
    getter = getattr(target, f"get_{name}_display", None)
    return getter() if getter else value


def _number(value: Any) -> str:
    if isinstance(value, Decimal):
        return intcomma(f"{value.normalize():f}")
    return intcomma(value)


@register.simple_tag
def cell(obj: Any, column: Column) -> SafeString:
    kind = column.kind
    if kind == "fill":
        return fill(obj)
    if kind == "use":
        return use(obj)
    if kind == "withheld":  # releasability: the value is never read, let alone rendered
        return WITHHELD
    value = resolve(obj, column.accessor)
    if value is None or value == "":
        return DASH
    if kind == "link":
        return _linked(obj, value)
    if kind == "object":
        return _linked(value, value)
    if kind == "ref":
        return _linked(value, value.reference)
    if kind == "status":
        return status_badge(value, _choice_display(obj, column.accessor, value))
    if kind == "priority":
        return format_html('<span class="badge priority p{}">{}</span>', value,
                           _choice_display(obj, column.accessor, value))
    if kind == "choice":
        return format_html("{}", _choice_display(obj, column.accessor, value))
    if kind == "number":
        return format_html("{}", _number(value))
    if kind == "money":
        return format_html("{} {}", intcomma(f"{value:.2f}"), getattr(obj, "currency", ""))
    if kind == "date":
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "j M Y"))
    if kind == "month":  # a date reduced to its month (releasability)
        return format_html('<time datetime="{}">{}</time>', value.strftime("%Y-%m"), date_format(value, "M Y"))
    if kind == "timestamp":  # to the second, as the audit trail records it
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "Y-m-d H:i:s"))
    if kind == "request":  # a request id, linked to the audit search of everything that request did
        href = reverse("audit:auditevent_list") + "?" + urlencode({"request_id": value})
        return format_html('<a href="{}" title="{}"><code>{}</code></a>', href, value, str(value)[:8])
    if kind == "datetime":
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "j M Y H:i"))
    if kind == "bool":
        return format_html("{}", "Yes" if value else "No")
    return format_html("{}", value)


@register.simple_tag
def withheld() -> SafeString:
    """The badge shown in place of a value the viewer may not see."""
    return WITHHELD


@register.simple_tag(takes_context=True)
def pledge_cell(context: template.Context, pledge: Any, column: Column) -> SafeString:
    """``cell`` for a pledge, with the fields withheld from the requesting user replaced (releasability)."""
    from aidbridge.pledges.tables import shown_columns

    request = context.get("request")
    return cell(pledge, shown_columns(getattr(request, "user", None), pledge, [column])[0])


@register.simple_tag
def status_badge(value: str, label: str | None = None) -> SafeString:
    return format_html('<span class="badge status s-{}">{}</span>', value, label or value)


def _percent(part: int, whole: int) -> float:
    return round(min(100.0, 100.0 * part / whole), 2) if whole else 0.0


def _bar(label: str, layers: list[tuple[str, float, float]]) -> SafeString:
    """A 100×6 SVG track with layers (css class, x, width), all in percent of the track."""
    rects = format_html_join("", '<rect class="{}" x="{}" width="{}" height="6"/>', layers)
    return format_html(
        '<svg class="bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="{}">'
        '<rect class="bar-track" width="100" height="6"/>{}</svg>', label, rects)


def fill_badge(name: str, level: FillLevel) -> SafeString:
    return format_html('<span class="badge fill f-{}"><span aria-hidden="true">{}</span> {}'
                       '<span class="vh">: {}</span></span>', level.value, FILL_SYMBOL[level], name, level.label)


@register.simple_tag
def fill(requirement: Any) -> SafeString:
    """Compact fill widget: one stacked bar plus allocated / in transit / delivered badges."""
    q, a, t, d = requirement.quantity, requirement.allocated, requirement.in_transit, requirement.delivered
    pa, pt, pd = _percent(a, q), _percent(t, q), _percent(d, q)
    label = f"Allocated {intcomma(a)} of {intcomma(q)}, in transit {intcomma(t)}, delivered {intcomma(d)}"
    bar = _bar(label, [("bar-allocated", 0, pa), ("bar-transit", pd, min(pt, 100 - pd)), ("bar-delivered", 0, pd)])
    badges = format_html("{}{}{}", fill_badge("allocated", requirement.allocated_fill),
                         fill_badge("in transit", requirement.in_transit_fill),
                         fill_badge("delivered", requirement.delivered_fill))
    return format_html('<div class="fill-cell">{}<span class="fill-nums">{} / {}</span>'
                       '<div class="badges">{}</div></div>', bar, intcomma(a), intcomma(q), badges)


@register.simple_tag
def use(pledge: Any) -> SafeString:
    """Allocated versus pledged quantity."""
    q, a = pledge.quantity, pledge.allocated
    delivered = int(getattr(pledge, "delivered_qty", 0) or 0)
    bar = _bar(f"Allocated {intcomma(a)} of {intcomma(q)}, delivered {intcomma(delivered)}",
               [("bar-allocated", 0, _percent(a, q)), ("bar-delivered", 0, _percent(delivered, q))])
    return format_html('<div class="fill-cell">{}<span class="fill-nums">{} / {}</span><div class="badges">{}</div>'
                       '</div>', bar, intcomma(a), intcomma(q), fill_badge("allocated", FillLevel.of(a, q)))


@register.simple_tag(takes_context=True)
def history_rows(context: template.Context, events: Any, obj: Any = None) -> list[SimpleNamespace]:
    """An object's history as people read it: labels for the objects an event mentions (only those the viewer
    may see, resolved in one query per kind), and the request id linked to the audit search for those who may
    use it. Events without their own ``object_type`` (redacted histories) are read as events on ``obj``."""
    from aidbridge.accounts.principal import principal
    from aidbridge.audit.labels import readable_changes
    from aidbridge.audit.models import may_search_trail

    request = context.get("request")
    user = getattr(request, "user", None)
    events = list(events)
    fallback = obj._meta.label_lower if isinstance(obj, models.Model) else ""
    typed = [e if getattr(e, "object_type", "") else SimpleNamespace(**{**vars(e), "object_type": fallback})
             for e in events]
    search = reverse("audit:auditevent_list") if may_search_trail(principal(user)) else ""
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


@register.simple_tag
def hidden_allocation(pledge: Any, visible_lines: Any) -> int:
    """Units of ``pledge`` allocated on lines the viewer may not see: its allocated total less the visible
    lines, so the total and the list of allocations tell one story."""
    return max(int(pledge.allocated or 0) - sum(int(line.quantity) for line in visible_lines), 0)


@register.simple_tag
def audit_changes(event: Any) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field the event changed; creations list their values."""
    before, after = event.before or {}, event.after or {}
    rows = []
    for key in sorted(set(before) | set(after)):
        if key in HIDDEN_AUDIT_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        empty = (None, "", [])
        if old == new or (event.before is None and new in empty) or (event.after is None and old in empty):
            continue
        name = key[:-3] if key.endswith("_id") else key
        rows.append((name.replace("_", " "), old, new))
    return rows


@register.filter
def role_label(role: str | None) -> str:
    from aidbridge.accounts.models import Membership

    return str(Membership.Role(role).label) if role in Membership.Role.values else ""


@register.simple_tag(takes_context=True)
def nav_class(context: template.Context, prefix: str) -> str:
    path = context["request"].path
    active = path == "/" if prefix == "/" else path.startswith(prefix)
    return "active" if active else ""
