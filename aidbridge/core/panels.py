"""Panels: how an app adds to another app's detail page without that app importing it.

A detail page belongs to the app that owns its object (an item's page to ``catalogue``), yet people want to
see there what other apps know about it: the pledges of this item, the shipments at this hub. The app that
knows registers a contribution here, at start-up (its ``AppConfig.ready``), keyed by the model's label:

* a **stat**: one line in the page's summary card (a label, a link to the filtered list behind it, a number);
* a **panel**: a template fragment below the details, with the context its function builds.

``ObjectDetailView`` asks :func:`stats_for` and :func:`panels_for`; the page's template renders them. So the
lower app names no upper one, and the upper app composes what it adds. An explicit registry, not signals:
reading an app's ``apps.py`` shows everything it adds to other pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.db import models
from django.urls import reverse


@dataclass(frozen=True)
class Stat:
    label: str
    url: str = ""
    value: Any = None


@dataclass(frozen=True)
class ShownPanel:
    template: str
    context: dict[str, Any]


def list_url(url_name: str, parameter: str, value: Any) -> str:
    """The list page ``url_name`` filtered on one parameter: where a stat's number links to."""
    return f"{reverse(url_name)}?{parameter}={quote(str(value), safe='/')}"


StatsFunction = Callable[[Any, Any], Iterable[Stat]]
PanelFunction = Callable[[Any, Any], "dict[str, Any] | None"]

_stats: dict[str, list[tuple[int, StatsFunction]]] = {}
_panels: dict[str, list[tuple[int, str, PanelFunction]]] = {}


def add_stats(model_label: str, function: StatsFunction, *, order: int = 100) -> None:
    """Add ``function(user, obj) -> stats`` to the summary card of ``model_label``'s detail page."""
    entries = _stats.setdefault(model_label, [])
    if all(f is not function for _, f in entries):
        entries.append((order, function))
        entries.sort(key=lambda entry: entry[0])


def add_panel(model_label: str, template: str, function: PanelFunction, *, order: int = 100) -> None:
    """Add ``template``, rendered with ``function(user, obj)`` (None: not shown), below the details."""
    entries = _panels.setdefault(model_label, [])
    if all(t != template for _, t, _f in entries):
        entries.append((order, template, function))
        entries.sort(key=lambda entry: entry[0])


def stats_for(user: Any, obj: models.Model) -> list[Stat]:
    return [stat for _, function in _stats.get(obj._meta.label_lower, []) for stat in function(user, obj)]


def panels_for(user: Any, obj: models.Model) -> list[ShownPanel]:
    shown = []
    for _, template, function in _panels.get(obj._meta.label_lower, []):
        context = function(user, obj)
        if context is not None:
            shown.append(ShownPanel(template, context))
    return shown
