"""Read-only queries run side by side, each in a thread of its own on a database connection of its own.

``audit verify`` walks consecutive ranges of the trail and ``ledger verify`` runs its checks this way on
PostgreSQL, so that each query has a core (and a server process) to itself. Django gives each thread its own
connection; here each call runs in a transaction of its own on it, and the connection is closed when the call
returns, so that no connection outlives its thread.

The threads read committed data only: what the calling thread's open transaction wrote is not visible to them, so
callers inside a transaction run their queries one after the other on their own connection instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction

T = TypeVar("T")

__all__ = ["THREADS", "on_own_connections"]

#: Threads for queries side by side: one per core, up to four (each query also takes a server process).
THREADS = min(4, os.cpu_count() or 1)


def on_own_connections(calls: Sequence[Callable[[], T]], *, threads: int, prepare: str = "",
                       using: str = DEFAULT_DB_ALIAS) -> list[T]:
    """Each call's result, in the order of ``calls``: up to ``threads`` of them at a time, each in a transaction
    on its thread's own connection (after running the SQL ``prepare`` in it, such as ``SET LOCAL`` planner
    settings), closed when it returns. If calls raise, the exception of the first of them (in the order of
    ``calls``) is raised here, once all have ended.

    Calls are started in the order given: put the longest first, so that they end with the rest.
    """

    def on_own_connection(call: Callable[[], T]) -> T:
        try:
            with transaction.atomic(using=using):
                if prepare:
                    with connections[using].cursor() as cursor:
                        cursor.execute(prepare)
                return call()
        finally:
            connections[using].close()

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        futures = [pool.submit(on_own_connection, call) for call in calls]
        return [future.result() for future in futures]
