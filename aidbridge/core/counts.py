"""Counting a list's rows, cached until the next write.

A list page counts its rows (capped, :class:`aidbridge.core.views.CappedPaginator`) and an API list counts them
all (``{"count": N, "items": [...]}``): at 100,000 pledges that count costs tens of milliseconds, more than the
page of rows. The rows only change with a write, and every write moves the audit trail's head, which the audit
app, above this one, knows how to read. So the audit app hands its cache to :func:`use_cache` when it starts
(:func:`aidbridge.audit.cache.cached`: values keyed with the data version, the day and the database), and counts
are then keyed with the query's own SQL and parameters: what a viewer may see is part of that SQL, so two
viewers share a count only when they count the same rows.

Inside a transaction a count is asked of the database and not cached: a write in progress, not yet audited,
may change it, and may roll back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models

Cache = Callable[[Iterable[Any], Callable[[], int]], int]

_cache: Cache | None = None


def use_cache(cache: Cache | None) -> None:
    """Cache counts with ``cache(key_parts, compute)``; ``None`` counts afresh each time."""
    global _cache
    _cache = cache


def count(queryset: models.QuerySet, limit: int | None = None) -> int:
    """The number of rows of ``queryset``, at most ``limit`` when given."""
    rows = queryset.order_by().values("pk")
    if limit is not None:
        rows = rows[:limit]
    if _cache is None or connections[queryset.db].in_atomic_block:
        return rows.count()
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # ``.none()``, or a filter that can match nothing
        return 0
    return _cache(("core.count", queryset.db, sql, repr(params)), rows.count)
