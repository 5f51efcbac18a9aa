"""Queries side by side on connections of their own (:mod:`aidbridge.core.parallel`)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from aidbridge.core.parallel import on_own_connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the callers run queries side by side on PostgreSQL only; SQLite's shared in-memory "
                              "test database locks one connection's transaction against another's"),
]


def test_results_come_back_in_the_order_of_the_calls_each_from_a_transaction_of_its_own_closed_after():
    seen: list[dict[str, Any]] = []
    lock = threading.Lock()

    def call(k: int, pause: float) -> int:
        time.sleep(pause)  # the first calls end last
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", [k * 10])
            (value,) = cursor.fetchone()
        with lock:
            seen.append({"atomic": connection.in_atomic_block, "thread": threading.get_ident(),
                         "wrapper": connections["default"]})
        return int(value)

    calls = [lambda k=k: call(k, 0.05 * (3 - k)) for k in range(4)]
    assert on_own_connections(calls, threads=4) == [0, 10, 20, 30]
    assert all(s["atomic"] for s in seen)
    assert threading.get_ident() not in {s["thread"] for s in seen}
    assert all(s["wrapper"] is not connection for s in seen)
    assert all(s["wrapper"].connection is None for s in seen)  # closed when its call returned


def test_the_first_failure_in_the_order_of_the_calls_is_raised_once_all_have_ended():
    ended: list[int] = []

    def fails_late() -> None:
        time.sleep(0.1)
        ended.append(0)
        raise ValueError("the first call")

    def fails_early() -> None:
        ended.append(1)
        raise KeyError("the second call")

    def succeeds() -> int:
        time.sleep(0.15)
        ended.append(2)
        return 2

    with pytest.raises(ValueError, match="the first call"):
        on_own_connections([fails_late, fails_early, succeeds], threads=3)
    assert sorted(ended) == [0, 1, 2]


def test_one_thread_runs_the_calls_one_after_the_other():
    threads: set[int] = set()

    def call() -> None:
        threads.add(threading.get_ident())

    on_own_connections([call, call, call], threads=1)
    assert len(threads) == 1


def test_the_prepared_settings_hold_in_each_call_and_end_with_its_transaction():
    def work_mem() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            return str(cursor.fetchone()[0])

    assert on_own_connections([work_mem, work_mem], threads=2, prepare="SET LOCAL work_mem = '7MB'") == ["7MB"] * 2
    assert work_mem() != "7MB"
