"""Shared checks for REST endpoints, NetBox-style: every endpoint gets the same visibility and N+1 checks.

Usage, in an app's ``tests/test_api.py``::

    class TestItemEndpoints(ListEndpointChecks):
        path = "/items"

        @pytest.fixture
        def target(self, world):          # an object the ``viewer`` persona sees and the outsider does not
            return world.item

        def add_rows(self, world, personas, n):   # n more rows the viewer sees, for the N+1 check
            ...
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, models
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aidbridge.accounts import services as accounts
from aidbridge.audit.models import AuditEvent

API = "/api/v1"
NOT_FOUND_BODY = {"detail": "Not found.", "errors": {}}
# Token, principal, count, page (+1: the parent object of a nested list): bounded, whatever the row count.
MAX_LIST_QUERIES = 5


class Api:
    """A test client speaking JSON to /api/v1 with a bearer token (or a session, or nothing)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {})

    def post(self, path: str, data: Any = None) -> Any:
        return self.client.post(API + path, json.dumps(data or {}), content_type="application/json")

    def patch(self, path: str, data: Any) -> Any:
        return self.client.patch(API + path, json.dumps(data), content_type="application/json")

    def put(self, path: str, data: Any) -> Any:
        return self.client.put(API + path, json.dumps(data), content_type="application/json")

    def upload(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(API + path, data)  # multipart


def as_user(user: Any, *, scope: str = "read-write") -> Api:
    """An API client authenticated with a fresh bearer token of ``user`` (``None``: anonymous)."""
    if user is None:
        return Api(Client())
    _, secret = accounts.create_api_token(actor=None, user=user, scope=scope)
    return Api(Client(HTTP_AUTHORIZATION=f"Bearer {secret}"))


@contextmanager
def new_events() -> Iterator[list[AuditEvent]]:
    """Collect the audit events written inside the block."""
    last = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    events: list[AuditEvent] = []
    yield events
    events.extend(AuditEvent.objects.filter(seq__gt=last).order_by("seq"))


def event_keys(events: list[AuditEvent]) -> list[tuple[str, str, str]]:
    return [(e.action, e.object_type, e.object_id) for e in events]


def key(action: str, obj: models.Model | tuple[str, Any]) -> tuple[str, str, str]:
    """The (action, object type, object id) an event about ``obj`` carries."""
    if isinstance(obj, tuple):
        return action, obj[0], str(obj[1])
    return action, obj._meta.label_lower, str(obj.pk)


def assert_one_event(events: list[AuditEvent], action: str, obj: models.Model | tuple[str, Any]) -> None:
    assert event_keys(events) == [key(action, obj)]


def assert_refused(response: Any, status: int, *, field: str | None = None, events: list[Any] | None = None) -> dict:
    """The request was refused with ``status``, as JSON naming ``field``, and wrote no audit event."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"]
    if field is not None:
        assert field in body["errors"], body
        assert all(body["errors"][field])
    if events is not None:
        assert events == []
    return body


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND_BODY


class ListEndpointChecks:
    """Checks every list + detail endpoint shares. Subclasses set ``path`` and provide ``target``/``add_rows``."""

    path: str
    viewer: str = "coordinator"  # the persona who sees ``target`` and the rows ``add_rows`` makes
    outsider_sees: int = 0  # rows the outsider legitimately sees (their own organisation, public records)

    @pytest.fixture
    def target(self, world: Any) -> models.Model:
        raise NotImplementedError

    def add_rows(self, world: Any, personas: Any, n: int) -> None:
        raise NotImplementedError

    def test_viewer_gets_the_object(self, personas: Any, target: models.Model) -> None:
        response = as_user(getattr(personas, self.viewer)).get(f"{self.path}/{target.pk}")
        assert response.status_code == 200, response.content
        assert response.json()["id"] == target.pk

    def test_outsider_gets_404_for_a_real_object(self, personas: Any, target: models.Model) -> None:
        assert_not_found(as_user(personas.outsider).get(f"{self.path}/{target.pk}"))

    def test_unknown_id_gets_the_same_404(self, personas: Any, target: models.Model) -> None:
        assert_not_found(as_user(getattr(personas, self.viewer)).get(f"{self.path}/987654"))

    def test_outsider_list_hides_everything(self, personas: Any, target: models.Model) -> None:
        body = as_user(personas.outsider).get(self.path).json()
        assert body["count"] == self.outsider_sees == len(body["items"])
        assert target.pk not in {row["id"] for row in body["items"]}

    def test_anonymous_gets_401(self, target: models.Model) -> None:
        response = as_user(None).get(self.path)
        assert response.status_code == 401
        assert response.json()["detail"]

    def test_list_is_paginated(self, personas: Any, world: Any, target: models.Model) -> None:
        api = as_user(getattr(personas, self.viewer))
        body = api.get(self.path, {"limit": 1}).json()
        assert set(body) == {"count", "items"}
        assert len(body["items"]) == 1 <= body["count"]
        assert api.get(self.path, {"limit": 1, "offset": body["count"]}).json()["items"] == []

    def test_list_query_count_is_bounded(
        self, personas: Any, world: Any, target: models.Model, django_assert_max_num_queries: Any
    ) -> None:
        api = as_user(getattr(personas, self.viewer))
        api.get(self.path)  # the token's first use records last_used_at; measure afterwards
        with CaptureQueriesContext(connection) as few:
            before = api.get(self.path).json()["count"]
        assert len(few.captured_queries) <= MAX_LIST_QUERIES
        self.add_rows(world, personas, 6)
        with django_assert_max_num_queries(len(few.captured_queries)):
            after = api.get(self.path).json()
        assert after["count"] >= before + 6
        assert len(after["items"]) == after["count"] or len(after["items"]) == 50
