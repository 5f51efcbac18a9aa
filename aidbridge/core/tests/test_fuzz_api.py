"""Schemathesis fuzzes every operation of /api/v1/openapi.json, in-process, as real personas.

What it asserts: whatever a request holds, the API answers a status the schema documents, with the content
type and body the schema describes, and never a 5xx. Every bug it found is pinned in
``test_api_regressions.py``.

How it stays fast and reproducible (CI runs it on SQLite and PostgreSQL):

- The coordinator (who may change everything) gets every schemathesis phase per operation: the schema's
  examples, the coverage phase (boundaries, missing and wrong-typed fields, unexpected methods) and a bounded
  Hypothesis run, positive and negative.
- A donor and the outsider get one lighter, positive-only run over all operations, to reach the 403/404
  paths of people who see less.
- Generation is derandomized, so a failure in CI is the same failure locally.
- Generated ids, countries, dates and amounts are often swapped for ones that mean something in the
  ``world`` fixture (see the hooks below), so requests get past "404 Not found." and validation to the
  services and their success responses.
- Each example runs inside a savepoint that is rolled back, so every example sees the same ``world``: what one
  example created or cancelled cannot turn a later example into a false failure (or make Hypothesis' replay
  flaky), and a database error in one request cannot poison the test's transaction for the next.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aidbridge.accounts import services as accounts

APP = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,  # the same examples on every run, so a CI failure reproduces locally
    "database": None,
    "print_blob": True,
    # Health checks judge generation speed and filtering; with a database behind each example they misfire.
    "suppress_health_check": list(HealthCheck),
}
COORDINATOR_EXAMPLES = 15  # per operation, on top of the coverage phase's deterministic cases
PERSONA_EXAMPLES = 3  # per operation and persona

# Values that mean something in the world of the running test (ids that exist, a real country, a future
# date), by kind, and the path parameters and body fields that carry each kind.
KNOWN: dict[str, list[Any]] = {}
_ID_KINDS = {"organisation", "item", "location", "hub", "requirement", "pledge", "allocation"}
_KIND_OF = {
    "organisation_id": "organisation", "operator": "organisation", "recipient": "organisation",
    "donor": "organisation",
    "item_id": "item", "item": "item",
    "location_id": "location", "location": "location", "destination": "location",
    "hub_id": "hub", "hub": "hub",
    "requirement_id": "requirement", "requirement": "requirement",
    "pledge_id": "pledge", "pledge": "pledge",
    "allocation_id": "allocation",
    "country": "country", "origin_country": "country",
    "currency": "currency",
    "unlocode": "unlocode",
    "quantity": "quantity",
    "weight_t": "amount", "capacity_t_per_week": "amount", "unit_value": "amount", "cost_per_t": "amount",
    "latitude": "coordinate", "longitude": "coordinate",
    "due_date": "date", "available_from": "date", "disclosure_date": "date",
    "dispatch_week": "monday",
    "weeks": "weeks",
    "nsn": "nsn", "fsc": "fsc",
}


def _known_values(values: Any, *, all_known: bool) -> st.SearchStrategy[Any]:
    """``values`` with, field by field, either what was generated or a value known in the world.

    A value of the wrong type for its kind (a negative case's string id) stays as generated.
    """
    fields: dict[Any, st.SearchStrategy[Any]] = {}
    for name, value in values.items():
        kind = _KIND_OF.get(name, "")
        known = KNOWN.get(kind)
        if not known or isinstance(value, bool) or (kind in _ID_KINDS and not isinstance(value, int)):
            fields[name] = st.just(value)
        elif all_known:
            fields[name] = st.sampled_from(known)
        else:
            fields[name] = st.one_of(st.just(value), st.sampled_from(known))
    return st.fixed_dictionaries(fields)


def _with_known_values(values: Any) -> st.SearchStrategy[Any]:
    if not isinstance(values, dict) or not KNOWN:
        return st.just(values)
    # Often every field that can be is meaningful, so a write gets past validation to the service itself.
    return st.booleans().flatmap(lambda all_known: _known_values(values, all_known=all_known))


@SCHEMA.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
    return _with_known_values(path_parameters)


@SCHEMA.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    return _with_known_values(body)


@pytest.fixture
def known_values(world: Any, personas: Any, allocate_line: Any) -> Iterator[None]:
    line = allocate_line(10)
    today = dt.date.today()
    KNOWN.update({
        "organisation": sorted(org.pk for org in personas.orgs.values()),
        "item": [world.item.pk, world.other_item.pk],
        "location": [world.lviv.pk, world.kyiv.pk, world.wiesbaden.pk, world.hub.location_id],
        "hub": [world.hub.pk, world.hub_ro.pk],
        "requirement": [world.draft_requirement.pk, world.requirement.pk],
        "pledge": [world.pledge_coalition.pk, world.pledge_coordinators.pk, world.pledge_public.pk,
                   world.pledge_public_later.pk],
        "allocation": [line.pk],
        "country": ["DE", "US", "UA", "FR", "de"],
        "currency": ["EUR", "USD"],
        "unlocode": ["UA ODS", "DE HAM", "UA LWO"],
        "quantity": [1, 10, 80],
        "amount": [0.5, 2.1, 800],
        "coordinate": [50.1, 24.03],
        "date": [(today + dt.timedelta(days=days)).isoformat() for days in (-1, 0, 30)],
        "monday": [None, (today + dt.timedelta(days=7 - today.weekday())).isoformat()],
        "weeks": [None, 0, 1, 3],
        "nsn": ["", "6115-01-234-5679", "5995011234567"],
        "fsc": ["", "6115"],
    })
    try:
        yield
    finally:
        KNOWN.clear()


@pytest.fixture
def wsgi_requests() -> Iterator[None]:
    """Serve requests inside the test's transaction, as Django's test client does.

    A WSGI request closes "old" connections when it starts and when it finishes; inside the test's
    transaction that would throw the transaction, and the ``world``, away.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Uploaded evidence lands on disk, outside the rolled-back transaction: keep it out of var/."""
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture(autouse=True)
def quiet_client_errors() -> Iterator[None]:
    """Thousands of expected 4xx would bury the one 5xx in the log; server errors still log."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _bearer(user: Any) -> dict[str, str]:
    _, secret = accounts.create_api_token(actor=None, user=user, scope="read-write")
    return {"Authorization": f"Bearer {secret}"}


def _call_and_check(case: Any, headers: dict[str, str]) -> None:
    with transaction.atomic():
        try:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)
        finally:
            transaction.set_rollback(True)


@pytest.fixture
def coordinator_headers(personas: Any) -> dict[str, str]:
    return _bearer(personas.coordinator)


@pytest.mark.django_db
@SCHEMA.parametrize()
@settings(max_examples=COORDINATOR_EXAMPLES, **FUZZ_SETTINGS)
def test_api_as_coordinator(
    case: Any, known_values: None, coordinator_headers: dict[str, str], wsgi_requests: None
) -> None:
    _call_and_check(case, coordinator_headers)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["donor_de", "outsider"])
def test_api_as_other_personas(
    persona: str, personas: Any, known_values: None, wsgi_requests: None, subtests: Any
) -> None:
    headers = _bearer(getattr(personas, persona))
    operations = [result.ok() for result in SCHEMA.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=PERSONA_EXAMPLES, **FUZZ_SETTINGS)
        def fuzz(case: Any) -> None:
            _call_and_check(case, headers)

        with subtests.test(operation=operation.label):
            fuzz()
