"""Values cached until the next write, for the layers below the audit app: list counts and rendered lists.

A list page counts its rows (capped, :class:`aidbridge.core.views.CappedPaginator`) and an API list counts them
all (``{"count": N, "items": [...]}``): at 100,000 pledges that count costs tens of milliseconds, and rendering
a page of 50 rows costs more than the page's queries. Both only change with a write, and every write moves the
audit trail's head, which the audit app, above this one, knows how to read. So the audit app hands its cache to
:func:`use_cache` when it starts (:func:`aidbridge.audit.cache.cached`: values keyed with the data version, the
day and the database), in the manner of :mod:`aidbridge.core.viewer`.

Inside a transaction nothing is cached, and the value is computed afresh: a write in progress, not yet audited,
may change it, and may roll back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models

T = TypeVar("T")
Cache = Callable[[Iterable[Any], Callable[[], Any]], Any]

_cache: list[Cache] = []


def use_cache(cache: Cache | None) -> None:
    """Cache values with ``cache(key_parts, compute)``; ``None`` computes them afresh each time."""
    _cache[:] = [cache] if cache is not None else []


def cached(key_parts: Iterable[Any], compute: Callable[[], T], *, uncached: Callable[[], T] | None = None,
           using: str = DEFAULT_DB_ALIAS) -> T:
    """``compute()``, or its value cached until the next write. ``key_parts`` must name everything the value
    depends on besides the data: the viewer's scope, the language, the query. Where nothing is cached (inside a
    transaction, or with no cache in use), ``uncached()`` when given, else ``compute()``: a caller may prefer
    there what is cheapest to use once, such as a subquery rather than its rows."""
    if not _cache or connections[using].in_atomic_block:
        return (uncached or compute)()
    return _cache[0](key_parts, compute)  # type: ignore[no-any-return]


def query_key(queryset: models.QuerySet) -> tuple[str, str] | None:
    """The query's SQL and parameters, which name the rows it reads, what the viewer may see included; ``None``
    for a query that can match nothing (``.none()``)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, repr(params)


def count(queryset: models.QuerySet, limit: int | None = None) -> int:
    """The number of rows of ``queryset``, at most ``limit`` when given; keyed with the counting query, so two
    viewers share a count only when they count the same rows."""
    rows = queryset.order_by().values("pk")
    if limit is not None:
        rows = rows[:limit]
    key = query_key(rows)
    if key is None:
        return 0
    return cached(("core.count", queryset.db, *key), rows.count, using=queryset.db)
