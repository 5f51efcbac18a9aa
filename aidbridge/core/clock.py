"""The application's one clock.

Every service, view and command that needs "now" or "today" asks this module, never ``timezone.now()`` or
``date.today()`` directly. That makes the clock injectable: the seed scenario replays months of history by
running each step ``at()`` the moment it happened, and tests pin it so that no result depends on the day the
suite runs.

The override lives in a context variable, so it applies to the code running in the current thread (or task)
and never leaks into other requests served at the same time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_offset: ContextVar[dt.timedelta | None] = ContextVar("aidbridge_clock_offset", default=None)


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC), as seen by the injected clock."""
    offset = _offset.get()
    return timezone.now() + offset if offset is not None else timezone.now()


def today() -> dt.date:
    """The current date in the server's time zone, as seen by the injected clock."""
    return timezone.localdate(now())


@contextmanager
def at(instant: dt.datetime) -> Iterator[dt.datetime]:
    """Run the block as if the clock read ``instant`` when it started; time still passes inside the block."""
    if timezone.is_naive(instant):
        raise ValueError("the clock needs an aware datetime")
    token = _offset.set(instant - timezone.now())
    try:
        yield instant
    finally:
        _offset.reset(token)


def monday(day: dt.date) -> dt.date:
    """The Monday that starts ``day``'s week (planning weeks start on Mondays)."""
    return day - dt.timedelta(days=day.weekday())
