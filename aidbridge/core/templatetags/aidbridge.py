"""Template helpers: table cells, fill-level badges and bars, URLs by naming convention.

Bars are small inline SVGs sized with attributes (not ``style=``), so a strict Content-Security-Policy holds.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import FieldDoesNotExist
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from aidbridge.core.exports import resolve
from aidbridge.core.models import FillLevel
from aidbridge.core.views import Column, url_name

register = template.Library()

DASH = mark_safe('<span class="muted">—</span>')


def _withheld_badge() -> SafeString:
    """The badge shown in place of a value releasability withholds, in the active language."""
    return _withheld_badge_in(get_language())


@functools.lru_cache(maxsize=16)
def _withheld_badge_in(language: str | None) -> SafeString:
    return format_html('<span class="badge withheld muted" title="{}">{}</span>',
                       gettext("Withheld under this record's releasability"), gettext("withheld"))


FILL_SYMBOL = {FillLevel.NONE: "○", FillLevel.PARTIAL: "◐", FillLevel.COMPLETE: "●"}


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
    """The label of a choice field's value, in the active language (what ``get_<field>_display`` gives)."""
    owner, _, name = accessor.rpartition(".")
    target = resolve(obj, owner) if owner else obj
    labels = _choice_labels(type(target), name)
    if labels is not None:
        label = labels.get(value)
        return value if label is None else str(label)
    getter = getattr(target, f"get_{name}_display", None)
    return getter() if getter else value


@functools.cache
def _choice_labels(model: type, name: str) -> dict[Any, Any] | None:
    """A model field's choices as {value: lazy label}, built once: ``get_<field>_display`` builds the mapping on
    every call, a good part of a list page's time."""
    meta = getattr(model, "_meta", None)
    try:
        field = meta.get_field(name) if meta is not None else None
    except FieldDoesNotExist:
        return None
    return dict(field.flatchoices) if field is not None and field.choices else None


def _number(value: Any) -> str:
    if isinstance(value, Decimal):  # as many decimals as it has, no trailing zeros, in the locale's separators
        value = Decimal(f"{value.normalize():f}")
    return intcomma(value)


# Where a locale writes the currency code: before the amount ("EUR 1,234.50", "EUR 1.234,50") or after it
# ("1 234,50 EUR"). A language not listed writes the code first, as English does.
CURRENCY_AFTER_AMOUNT = frozenset({"uk"})
CENT = Decimal("0.01")


@register.filter
def money(amount: Any, currency: str = "") -> str:
    """An amount with its ISO 4217 currency code, as the active language writes money: two decimals, the locale's
    separators and grouping, the code before or after the amount (``CURRENCY_AFTER_AMOUNT``).

    ``{{ pledge.amount|money:pledge.currency }}`` → "EUR 1,234.50" (en-gb), "1 234,50 EUR" (uk),
    "EUR 1.234,50" (id). ``None`` or "" gives "".
    """
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        return str(amount)
    if not value.is_finite():
        return str(amount)
    # Round to the cent, half away from zero (number_format alone would cut the third decimal off), and never
    # show "-0.00" for an amount that rounds to nothing.
    value = value.quantize(CENT, rounding=ROUND_HALF_UP) + Decimal("0.00")
    number = formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if not currency:
        return number
    language = (get_language() or "").split("-")[0]
    return f"{number}\u00a0{currency}" if language in CURRENCY_AFTER_AMOUNT else f"{currency}\u00a0{number}"


@register.simple_tag
def cell(obj: Any, column: Column) -> SafeString:
    kind = column.kind
    if kind == "fill":
        return fill(obj)
    if kind == "use":
        return use(obj)
    if kind == "withheld":  # releasability: the value is never read, let alone rendered
        return _withheld_badge()
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
        return format_html("{}", money(value, getattr(obj, "currency", "")))
    if kind == "date":
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), formats.date_format(value))
    if kind == "month":  # a date reduced to its month (releasability)
        return format_html('<time datetime="{}">{}</time>', value.strftime("%Y-%m"), date_format(value, "M Y"))
    if kind == "timestamp":  # to the second, as the audit trail records it
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "Y-m-d H:i:s"))
    if kind == "request":  # a request id, linked to the audit search of everything that request did
        href = reverse("audit:auditevent_list") + "?" + urlencode({"request_id": value})
        return format_html('<a href="{}" title="{}"><code>{}</code></a>', href, value, str(value)[:8])
    if kind == "datetime":
        return format_html('<time datetime="{}">{} {}</time>', value.isoformat(), formats.date_format(value),
                           date_format(value, "H:i"))
    if kind == "bool":
        return format_html("{}", gettext("Yes") if value else gettext("No"))
    return format_html("{}", value)


def cells(obj: Any, columns: Sequence[Column], shown: Sequence[Column] | None = None) -> SafeString:
    """A table row's ``<td>`` cells, one per column, in one call: a page of 50 rows of ten columns costs less
    this way than through the template language's loop and a tag per cell. ``shown`` are the columns as the
    viewer may see them (releasability: "withheld", a month for a date), one for each of ``columns``, whose kind
    styles the cell."""
    return mark_safe("".join(f'<td class="k-{conditional_escape(column.kind)}">{cell(obj, as_shown)}</td>'
                             for column, as_shown in zip(columns, shown or columns, strict=True)))


@register.simple_tag
def row_cells(obj: Any, columns: Sequence[Column]) -> SafeString:
    """``{% row_cells row columns %}``: the row's cells (see :func:`cells`)."""
    return cells(obj, columns)


@register.simple_tag
def withheld() -> SafeString:
    """The badge shown in place of a value the viewer may not see."""
    return _withheld_badge()


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
    label = gettext("Allocated %(allocated)s of %(quantity)s, in transit %(in_transit)s, delivered %(delivered)s") % {
        "allocated": intcomma(a), "quantity": intcomma(q), "in_transit": intcomma(t), "delivered": intcomma(d)}
    bar = _bar(label, [("bar-allocated", 0, pa), ("bar-transit", pd, min(pt, 100 - pd)), ("bar-delivered", 0, pd)])
    badges = format_html("{}{}{}", fill_badge(gettext("allocated"), requirement.allocated_fill),
                         fill_badge(gettext("in transit"), requirement.in_transit_fill),
                         fill_badge(gettext("delivered"), requirement.delivered_fill))
    return format_html('<div class="fill-cell">{}<span class="fill-nums">{} / {}</span>'
                       '<div class="badges">{}</div></div>', bar, intcomma(a), intcomma(q), badges)


@register.simple_tag
def use(pledge: Any) -> SafeString:
    """Allocated versus pledged quantity."""
    q, a = pledge.quantity, pledge.allocated
    delivered = int(getattr(pledge, "delivered_qty", 0) or 0)
    label = gettext("Allocated %(allocated)s of %(quantity)s, delivered %(delivered)s") % {
        "allocated": intcomma(a), "quantity": intcomma(q), "delivered": intcomma(delivered)}
    bar = _bar(label,
               [("bar-allocated", 0, _percent(a, q)), ("bar-delivered", 0, _percent(delivered, q))])
    return format_html('<div class="fill-cell">{}<span class="fill-nums">{} / {}</span><div class="badges">{}</div>'
                       '</div>', bar, intcomma(a), intcomma(q), fill_badge(gettext("allocated"), FillLevel.of(a, q)))


@register.simple_tag(takes_context=True)
def nav_class(context: template.Context, prefix: str) -> str:
    path = context["request"].path
    active = path == "/" if prefix == "/" else path.startswith(prefix)
    return "active" if active else ""


@register.simple_tag(takes_context=True)
def render_panel(context: template.Context, panel: Any) -> SafeString:
    """One panel another app added to this page (``core.panels``): its template, with the page's context over
    the panel's own (so a form bound by the page's POST wins over the panel's blank one)."""
    values = {**panel.context, **context.flatten()}
    return mark_safe(render_to_string(panel.template, values, request=context.get("request")))  # noqa: S308
