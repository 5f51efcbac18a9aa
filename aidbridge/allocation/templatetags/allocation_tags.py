"""Template helpers for the allocation run page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

register = template.Library()


@register.filter
def priority_list(pairs: Iterable[tuple[Any, Any]]) -> str:
    """``[("1", 1000), ("2", 100)]`` as "P1 1000, P2 100": the priority values, as one piece a translated sentence
    can place where its language wants it."""
    return ", ".join(f"P{priority} {value}" for priority, value in pairs)
