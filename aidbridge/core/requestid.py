"""The request id ties every audit event to the request (or CLI run) that caused it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("aidbridge_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    rid = _request_id.get()
    if rid is None:
        rid = new_request_id()
        _request_id.set(rid)
    return rid


@contextmanager
def request_id(value: str | None = None) -> Iterator[str]:
    token = _request_id.set(value or new_request_id())
    try:
        yield _request_id.get() or ""
    finally:
        _request_id.reset(token)
