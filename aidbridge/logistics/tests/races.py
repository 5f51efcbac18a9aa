"""Run pieces of work in threads released together, for the PostgreSQL real-concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection

from aidbridge.core.errors import ServiceError


def together(*works: Callable[[], Any]) -> list[str]:
    """Run each piece of work in its own thread, released at once: "ok", "refused: …" or "crash: …" each."""
    barrier = threading.Barrier(len(works))
    outcomes = [""] * len(works)

    def worker(index: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            work()
            outcomes[index] = "ok"
        except ServiceError as exc:
            outcomes[index] = f"refused: {exc}"
        except Exception as exc:  # noqa: BLE001 - a deadlock or a crash is what the test looks for
            outcomes[index] = f"crash: {type(exc).__name__}: {exc}"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, w)) for i, w in enumerate(works)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes
