"""Cached aggregates that a write invalidates, in every process.

Every write in Aidbridge goes through a service function that appends an audit event, and appending moves the
audit chain head (:class:`aidbridge.audit.models.AuditChainHead`: the newest event's sequence number and hash).
So the head is a global data version: reading it costs one indexed single-row query, and any write, by any
worker process, changes it. :func:`cached` keys every value with that version, so after a write the next
request computes afresh; values of older versions are never read again and expire with ``timeout``.

A value is also keyed with the day (``aidbridge.core.clock.today``: releasability opens on disclosure dates, and
"this week" moves without a write), the database, and the viewer's visibility scope (:func:`scope`): two viewers
who may see different records never share a value. The cache is Django's (``CACHES``): files under the var
directory, shared by the web server's worker processes, so that one computes what all serve; the version, not
the cache, carries the invalidation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS

from aidbridge.audit.models import AuditChainHead
from aidbridge.core import clock
from aidbridge.core.viewer import scope

__all__ = ["cached", "data_version", "key", "scope"]

T = TypeVar("T")

#: How long a value is kept at most (seconds); a write makes it unreachable before then.
DEFAULT_TIMEOUT = 300
PREFIX = "aidbridge:agg"


def data_version(using: str = DEFAULT_DB_ALIAS) -> str:
    """The audit chain head, ``"<seq>:<hash>"``: it changes on every audited write."""
    head = AuditChainHead.objects.using(using).filter(pk=1).values_list("seq", "hash").first()
    return "0:" if head is None else f"{head[0]}:{head[1]}"


def key(parts: Iterable[Any], *, version: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """A cache key from ``parts`` (reprs), the data version, the day and the database alias."""
    # The database's name too: two databases served from one var directory share its cache.
    text = repr((tuple(parts), version, clock.today().isoformat(), using, settings.DATABASES[using].get("NAME")))
    return f"{PREFIX}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def cached(key_parts: Iterable[Any], compute: Callable[[], T], *, timeout: int = DEFAULT_TIMEOUT,
           using: str = DEFAULT_DB_ALIAS) -> T:
    """``compute()``, or its value from the cache when nothing was written since it was computed.

    ``key_parts`` name the value and must include the viewer's :func:`scope` when the value depends on who
    asks. The value must be picklable (dataclasses, dicts, Decimals).
    """
    k = key(key_parts, version=data_version(using), using=using)
    hit = cache.get(k)
    if hit is not None:
        return hit[0]  # type: ignore[no-any-return]
    value = compute()
    cache.set(k, (value,), timeout)  # wrapped, so that a cached None or 0 is a hit
    return value
