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
  ``world`` fixture, so requests get past "404 Not found." and validation to the services and their
  success responses; and often one field then gets a value that broke the API once (see the hooks below).
- Each example runs inside a savepoint that is rolled back, so every example sees the same ``world``: what one
  example created or cancelled cannot turn a later example into a false failure (or make Hypothesis' replay
  flaky), and a database error in one request cannot poison the test's transaction for the next.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
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

pytestmark = pytest.mark.slow  # hundreds of generated requests per run; `make test` runs them, `make test-fast` not

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

# Values that mean something in the world of the running test, by kind; the first of each is the one a
# write most likely accepts (a validated requirement, a committed pledge, a new code, a future date). The
# path parameters, query parameters and body fields that carry each kind:
KNOWN: dict[str, list[Any]] = {}
_ID_KINDS = {"organisation", "operator", "recipient", "donor", "item", "location", "hub", "requirement",
             "pledge", "allocation"}
_KIND_OF = {
    "organisation_id": "organisation", "operator": "operator", "recipient": "recipient", "donor": "donor",
    "item_id": "item", "item": "item",
    "location_id": "location", "location": "location", "destination": "location",
    "hub_id": "hub", "hub": "hub",
    "requirement_id": "requirement", "requirement": "requirement",
    "pledge_id": "pledge", "pledge": "pledge",
    "allocation_id": "allocation",
    "country": "country", "origin_country": "origin_country", "currency": "currency", "unlocode": "unlocode",
    "quantity": "quantity", "weeks": "weeks",
    "weight_t": "amount", "capacity_t_per_week": "amount", "unit_value": "amount", "cost_per_t": "amount",
    "latitude": "coordinate", "longitude": "coordinate",
    "due_date": "date", "available_from": "date", "disclosure_date": "date", "dispatch_week": "monday",
    "nsn": "nsn", "fsc": "fsc", "code": "code", "short_name": "code", "iati_identifier": "iati",
    "url": "url", "sha256": "sha256",
    "name": "text", "description": "text", "notes": "text", "package": "text", "title": "text", "q": "text",
    "limit": "limit", "offset": "offset",
}

# Values that broke the API once (see test_api_regressions.py), tried one field at a time. A lone surrogate
# only travels in JSON (``\ud800``): a URL or a multipart body cannot even be encoded with one.
NASTY_TEXT = ["a\x00b", "²", "9" * 20]  # NUL: PostgreSQL; digits that are no id: the ?item= filter
NASTY_JSON_TEXT = [*NASTY_TEXT, "\ud800"]
NASTY_INT = [2**63, -(2**63) - 1, 2**31, 10**30]
AS_GENERATED, MEANINGFUL, ONE_NASTY = "as generated", "meaningful", "one nasty"


def _known(name: str, value: Any) -> list[Any] | None:
    """World values that may stand in for ``value``; none for a negative case's wrongly typed id."""
    kind = _KIND_OF.get(name, "")
    if isinstance(value, bool) or (kind in _ID_KINDS and not isinstance(value, int)):
        return None
    return KNOWN.get(kind)


def _field(name: str, value: Any, *, mode: str, nasty: str | None, json: bool) -> st.SearchStrategy[Any]:
    if name == nasty:
        return st.sampled_from(NASTY_INT if isinstance(value, int) else NASTY_JSON_TEXT if json else NASTY_TEXT)
    known = _known(name, value)
    if not known:
        return st.just(value)
    if mode == AS_GENERATED:
        return st.one_of(st.just(value), st.sampled_from(known))
    return st.just(known[0])


def _enrich(values: Any, *, json: bool) -> st.SearchStrategy[Any]:
    """Generated parameters or body, in one of three modes:

    - as generated, with here and there a value that means something in the world;
    - meaningful: every field that can be holds the world value a write most likely accepts, so the request
      gets past validation to its service;
    - one nasty: meaningful, except one field, which holds a value that once broke the API.
    """
    if not isinstance(values, dict) or not KNOWN:
        return st.just(values)
    candidates = sorted(
        name for name, value in values.items()
        if name in _KIND_OF and isinstance(value, str | int) and not isinstance(value, bool)
    )

    def build(mode: str, nasty: str | None) -> st.SearchStrategy[Any]:
        return st.fixed_dictionaries(
            {name: _field(name, value, mode=mode, nasty=nasty, json=json) for name, value in values.items()}
        )

    def pick(mode: str) -> st.SearchStrategy[Any]:
        if mode == ONE_NASTY and candidates:
            return st.sampled_from(candidates).flatmap(lambda nasty: build(mode, nasty))
        return build(mode, None)

    return st.sampled_from([AS_GENERATED, MEANINGFUL, ONE_NASTY, ONE_NASTY]).flatmap(pick)


def _takes_json(context: Any) -> bool:
    return any(body.media_type == "application/json" for body in context.operation.body)


@SCHEMA.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
    return _enrich(path_parameters, json=False)


@SCHEMA.hook
def flatmap_query(context: Any, query: Any) -> st.SearchStrategy[Any]:
    return _enrich(query, json=False)


@SCHEMA.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    return _enrich(body, json=_takes_json(context))


@pytest.fixture
def known_values(world: Any, personas: Any, allocate_line: Any) -> Iterator[None]:
    line = allocate_line(10)
    today = dt.date.today()
    orgs = personas.orgs
    others = [org.pk for key, org in sorted(orgs.items()) if key not in ("ua", "pl", "de")]
    KNOWN.update({
        "organisation": [orgs["de"].pk, orgs["ua"].pk, orgs["pl"].pk, *others],
        "operator": [orgs["pl"].pk, orgs["ro"].pk, orgs["de"].pk],
        "recipient": [orgs["ua"].pk, orgs["de"].pk],
        "donor": [orgs["de"].pk, orgs["us"].pk, orgs["ua"].pk],
        "item": [world.item.pk, world.other_item.pk],
        "location": [world.kyiv.pk, world.lviv.pk, world.wiesbaden.pk, world.hub.location_id],
        "hub": [world.hub.pk, world.hub_ro.pk],
        "requirement": [world.requirement.pk, world.draft_requirement.pk],
        "pledge": [world.pledge_coalition.pk, world.pledge_coordinators.pk, world.pledge_public.pk,
                   world.pledge_public_later.pk],
        "allocation": [line.pk],
        "country": ["UA", "DE", "FR", "de"],
        "origin_country": ["DE", "US", "FR"],
        "currency": ["EUR", "USD"],
        "unlocode": ["UA ODS", "DE HAM", world.lviv.unlocode],
        "quantity": [10, 1, 80],
        "weeks": [2, 0, None],
        "amount": [2.1, 0.5, 800],
        "coordinate": [50.1, 24.03],
        "date": [(today + dt.timedelta(days=days)).isoformat() for days in (30, 0, -1)],
        "monday": [None, (today + dt.timedelta(days=7 - today.weekday())).isoformat()],
        "nsn": ["", "6115-01-234-5679", "5995011234567"],
        "fsc": ["", "6115"],
        "code": ["NEW-1", world.item.code, world.hub.code],  # a new one, and taken ones
        "iati": ["", "DE-1"],
        "url": ["https://example.org/offer", ""],
        "sha256": [""],
        "text": ["Plain text"],
        "limit": [50, 1],
        "offset": [0, 1],
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
def test_api_as_other_personas(persona: str, personas: Any, known_values: None, wsgi_requests: None) -> None:
    headers = _bearer(getattr(personas, persona))
    operations = [result.ok() for result in SCHEMA.get_all_operations()]
    assert len(operations) >= 40
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=PERSONA_EXAMPLES, **FUZZ_SETTINGS)
        def fuzz(case: Any) -> None:
            _call_and_check(case, headers)

        try:
            fuzz()
        except Exception as exc:  # every operation gets its run; all failures are reported together
            failures.append(f"{operation.label}:\n{''.join(traceback.format_exception_only(exc))}")
    assert not failures, "\n\n".join(failures)
