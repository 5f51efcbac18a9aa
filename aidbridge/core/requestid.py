"""The request id ties every audit event to the request (or CLI run) that caused it.

The id is always made by the server. A client's (or proxy's) ``X-Request-ID`` is kept apart, as the client
request id: it is recorded for correlation but never trusted as the request's own id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("aidbridge_request_id", default=None)
_client_request_id: ContextVar[str] = ContextVar("aidbridge_client_request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    rid = _request_id.get()
    if rid is None:
        rid = new_request_id()
        _request_id.set(rid)
    return rid


def current_client_request_id() -> str:
    """The id the client sent with this request (already checked to be well-formed), or ``""``."""
    return _client_request_id.get()


@contextmanager
def request_id(value: str | None = None, *, client: str = "") -> Iterator[str]:
    token = _request_id.set(value or new_request_id())
    client_token = _client_request_id.set(client)
    try:
        yield _request_id.get() or ""
    finally:
        _client_request_id.reset(client_token)
        _request_id.reset(token)
