"""Shared fixtures: the personas of docs/design.md and a small coalition world built through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.utils import translation
from pytest_django.plugin import blocking_manager_key

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import Membership, Organisation
from aidbridge.allocation import services as allocation
from aidbridge.catalogue import services as catalogue
from aidbridge.core import clock
from aidbridge.locations import services as locations
from aidbridge.pledges import services as pledges
from aidbridge.requirements import services as requirements

PASSWORD = "correct horse battery staple"

# The suite runs at a fixed instant, never at the day it happens to run: every "now" and "today" in the
# application and in its libraries (sessions, tokens, TOTP) reads this clock, which then ticks on normally.
# Tests that care about awkward dates (month ends, 29 February, year ends) travel further with time_machine.
SUITE_INSTANT = dt.datetime(2026, 3, 11, 9, 30, tzinfo=dt.UTC)  # a Wednesday
_traveller = time_machine.travel(SUITE_INSTANT, tick=True)


def pytest_configure(config: pytest.Config) -> None:
    _traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    _traveller.stop()


_seed_built_at: list[dt.datetime] = []  # when the shared seed scenario finished building (see below)


@pytest.fixture(autouse=True)
def _suite_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts at ``SUITE_INSTANT`` itself, not at however long the tests before it took: a slow
    machine or another order of tests must not move a time shown on a page (or a minute into a number).
    A test on the shared seed scenario starts when that finished building, so its clock never runs back
    before the scenario's own records."""
    start = _seed_built_at[0] if SEED_FIXTURE in request.fixturenames and _seed_built_at else SUITE_INSTANT
    with time_machine.travel(start, tick=True):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: a rolled-back test leaves the audit chain head (the cached
    aggregates' data version, ``aidbridge.audit.cache``) where the next test's writes will move it again."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _source_language() -> Iterator[None]:
    """Each test starts and ends in English: a request with ``Accept-Language`` (or a user's saved language)
    leaves its language active in the thread, and the next test's English assertions would read another."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- the demo seed scenario, built once per session -----------------------------------------------------------

SEED_FIXTURE = "seed_scenario"


@pytest.fixture(scope="session")
def seed_scenario(django_db_setup, django_db_blocker):
    """The demo seed scenario (``aidbridge.seed.scenario.load()``), built once for the whole session.

    It is built inside a transaction that stays open until the session ends and is then rolled back, so the
    database is left empty. Each test that uses it also asks for ``db`` and runs in a savepoint rolled back
    after it, so what one test changes the next never sees. Because that outer transaction would hide the
    scenario from other connections, and a ``transaction=True`` test would flush it, the tests that use this
    fixture run last (``pytest_collection_modifyitems`` below) and must not be transactional.
    """
    from django.db import transaction

    from aidbridge.core.requestid import request_id
    from aidbridge.seed import scenario

    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(SUITE_INSTANT, tick=True), request_id():
            summary = scenario.load()
            _seed_built_at[:] = [clock.now()]
        yield summary
        transaction.set_rollback(True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests on the shared seed scenario last, after pytest-django's own ordering (plain database tests,
    then transactional ones, then the rest), so that its open transaction spans only them."""
    shared = [item for item in items if SEED_FIXTURE in getattr(item, "fixturenames", ())]
    for item in shared:
        marker = item.get_closest_marker("django_db")
        if "transactional_db" in getattr(item, "fixturenames", ()) or (marker is not None and (
                marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))):
            raise pytest.UsageError(f"{item.nodeid}: a transactional test cannot use the shared seed scenario")
    # pytest-django put plain database tests first; keep its order, but group those by what they share.
    plain = [item for item in items if _group(item) < 3 and SEED_FIXTURE not in getattr(item, "fixturenames", ())]
    ids = {id(item) for item in plain} | {id(item) for item in shared}
    items[:] = (sorted(plain, key=_group) + [item for item in items if id(item) not in ids] + shared)


requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL for real row locking between concurrent transactions (set AIDBRIDGE_DATABASE_URL)",
)


@dataclass
class Personas:
    coordinator: Any
    donor_de: Any
    donor_us: Any
    recipient: Any
    hub_pl: Any
    auditor: Any
    outsider: Any
    orgs: dict[str, Organisation]

    def all(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in
                ("coordinator", "donor_de", "donor_us", "recipient", "hub_pl", "auditor", "outsider")}


def _build_personas() -> Personas:
    def org(short: str, name: str, kind: str, country: str, in_coalition: bool = True) -> Organisation:
        return Organisation.objects.create(
            short_name=short, name=name, kind=kind, country=country, in_coalition=in_coalition
        )

    orgs = {
        "cell": org("cell", "Coalition Coordination Cell", Organisation.Kind.COORDINATOR, "DE"),
        "de": org("de-mod", "Germany — Federal Ministry of Defence", Organisation.Kind.DONOR, "DE"),
        "us": org("us-dod", "United States — Department of Defense", Organisation.Kind.DONOR, "US"),
        "ua": org("ua-mod", "Ukraine — Ministry of Defence", Organisation.Kind.RECIPIENT, "UA"),
        "pl": org("pl-hub", "Rzeszów Logistics Hub", Organisation.Kind.HUB_OPERATOR, "PL"),
        "ro": org("ro-hub", "Suceava Logistics Hub", Organisation.Kind.HUB_OPERATOR, "RO"),
        "other": org("other", "Unrelated Agency", Organisation.Kind.DONOR, "FR", in_coalition=False),
    }

    def user(username: str, organisation: Organisation, role: str = Membership.Role.EDITOR) -> Any:
        return accounts.create_user(
            actor=None, username=username, password=PASSWORD, organisation=organisation, role=role
        )

    return Personas(
        coordinator=user("coordinator", orgs["cell"]),
        donor_de=user("donor-de", orgs["de"]),
        donor_us=user("donor-us", orgs["us"]),
        recipient=user("recipient", orgs["ua"]),
        hub_pl=user("hub-pl", orgs["pl"]),
        auditor=user("auditor", orgs["cell"], Membership.Role.AUDITOR),
        outsider=user("outsider", orgs["other"]),
        orgs=orgs,
    )


@dataclass
class World:
    item: Any
    other_item: Any
    lviv: Any
    kyiv: Any
    wiesbaden: Any
    hub: Any
    hub_ro: Any
    draft_requirement: Any
    requirement: Any  # validated
    pledge_coalition: Any  # donor-de, committed, coalition
    pledge_coordinators: Any  # donor-de, announced, coordinators only
    pledge_public: Any  # donor-us, committed, public since yesterday
    pledge_public_later: Any  # donor-us, announced, public from next year


def _build_world(personas: Personas) -> World:
    c = personas.coordinator
    today = clock.today()
    item = catalogue.create_item(actor=c, code="GEN-100KW", name="Generator 100 kW", supply_class="VII",
                                 unit="each", weight_t=Decimal("2.1"), fsc="6115", nsn="6115-01-234-5678")
    other_item = catalogue.create_item(actor=c, code="MED-KIT", name="Trauma kit", supply_class="VIII",
                                       unit="kit", weight_t=Decimal("0.004"))
    lviv = locations.create_location(actor=c, unlocode="UA LWO", name="Lviv", country="UA",
                                     latitude=Decimal("49.8397"), longitude=Decimal("24.0297"))
    kyiv = locations.create_location(actor=c, unlocode="UA IEV", name="Kyiv", country="UA",
                                     latitude=Decimal("50.45"), longitude=Decimal("30.5233"))
    rze = locations.create_location(actor=c, unlocode="PL RZE", name="Rzeszów-Jasionka", country="PL",
                                    latitude=Decimal("50.11"), longitude=Decimal("22.019"))
    scv = locations.create_location(actor=c, unlocode="RO SCV", name="Suceava", country="RO",
                                    latitude=Decimal("47.647"), longitude=Decimal("26.2523"))
    wib = locations.create_location(actor=c, unlocode="DE WIB", name="Wiesbaden", country="DE",
                                    latitude=Decimal("50.0878"), longitude=Decimal("8.1206"))
    hub = locations.create_hub(actor=c, code="PL-RZE", name="Rzeszów hub", location=rze,
                               operator=personas.orgs["pl"], capacity_t_per_week=Decimal("800"))
    hub_ro = locations.create_hub(actor=c, code="RO-SCV", name="Suceava hub", location=scv,
                                  operator=personas.orgs["ro"], capacity_t_per_week=Decimal("500"))
    for country in ("DE", "US"):
        locations.set_inbound_lead_time(actor=c, hub=hub, origin_country=country, weeks=1 if country == "DE" else 3)
        locations.set_inbound_lead_time(actor=c, hub=hub_ro, origin_country=country, weeks=2 if country == "DE" else 4)
    for h in (hub, hub_ro):
        locations.set_outbound_lead_time(actor=c, hub=h, destination=lviv, weeks=0 if h is hub else 1)
        locations.set_outbound_lead_time(actor=c, hub=h, destination=kyiv, weeks=1)

    r = personas.recipient
    draft = requirements.create_requirement(actor=r, item=item, quantity=10, priority=1,
                                            due_date=today + dt.timedelta(days=30), destination=lviv)
    validated = requirements.create_requirement(actor=r, item=item, quantity=80, priority=1,
                                                due_date=today + dt.timedelta(days=28), destination=kyiv)
    requirements.submit_requirement(actor=r, requirement=validated)
    validated = requirements.validate_requirement(actor=c, requirement=validated)

    def pledge(actor: Any, **kw: Any) -> Any:
        defaults = dict(item=item, quantity=50, available_from=today, origin_country="DE",
                        unit_value=Decimal("45000"), currency="EUR", funding_source="stockpile")
        return pledges.create_pledge(actor=actor, **{**defaults, **kw})

    p_coalition = pledges.commit_pledge(actor=personas.donor_de,
                                        pledge=pledge(personas.donor_de, releasability="coalition"))
    p_coord = pledge(personas.donor_de, releasability="coordinators", quantity=20)
    p_public = pledges.commit_pledge(actor=personas.donor_us, pledge=pledge(
        personas.donor_us, origin_country="US", releasability="public",
        disclosure_date=today - dt.timedelta(days=1), currency="USD"))
    p_later = pledge(personas.donor_us, origin_country="US", releasability="public",
                     disclosure_date=today + dt.timedelta(days=365), item=other_item, quantity=5000,
                     unit_value=Decimal("120"))
    return World(item, other_item, lviv, kyiv, wib, hub, hub_ro, draft, validated,
                 p_coalition, p_coord, p_public, p_later)


# --- personas and world, built once per session ----------------------------------------------------------------
#
# Building them took more than half the suite's time, test after test. So the tests that use them, unless
# transactional, share one build: it is made inside a transaction that stays open (``_outer``) while those
# tests run, each in a savepoint rolled back after it, and each gets fresh instances read back by id. The
# tests are ordered so that what a test sees is what it saw when it built its own: plain database tests
# first (an empty database), then those on personas alone, then those on the world. The open transaction is
# rolled back before the first transactional test (which flushes the database) and before the shared seed
# scenario, and those build their own, as before. The build runs at ``SUITE_INSTANT`` on a stopped clock,
# so every record in it is older than anything a test makes.

_outer: list[Any] = []  # the open ``transaction.Atomic`` holding the shared personas (and world)


def _transactional(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return ("transactional_db" in names or "live_server" in names or "django_db_reset_sequences" in names
            or (marker is not None and bool(marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))))


def _close_outer() -> None:
    if _outer:
        atomic = _outer.pop()
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def _current_item(request: pytest.FixtureRequest) -> pytest.Item:
    return request._pyfuncitem  # the test a session fixture is being set up for


@pytest.fixture(scope="session")
def _shared_personas(request, django_db_setup, django_db_blocker) -> Iterator[dict[str, Any] | None]:
    """Ids of the shared personas, or None where a test must build its own (see above)."""
    if _transactional(_current_item(request)):
        yield None
        return
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        _outer.append(atomic)
        with time_machine.travel(SUITE_INSTANT, tick=False):
            built = _build_personas()
    yield {"users": {name: user.pk for name, user in built.all().items()},
           "orgs": {key: org.pk for key, org in built.orgs.items()}}
    with django_db_blocker.unblock():
        _close_outer()


@pytest.fixture(scope="session")
def _shared_world(request, _shared_personas, django_db_blocker) -> dict[str, tuple[Any, int]] | None:
    if _shared_personas is None or not _outer or _transactional(_current_item(request)):
        return None
    with django_db_blocker.unblock(), time_machine.travel(SUITE_INSTANT, tick=False):
        built = _build_world(_read_personas(_shared_personas))
    return {name: (type(obj), obj.pk) for name, obj in vars(built).items()}


def _read_personas(ids: dict[str, Any]) -> Personas:
    users = get_user_model().objects.in_bulk(ids["users"].values())
    orgs = Organisation.objects.in_bulk(ids["orgs"].values())
    return Personas(**{name: users[pk] for name, pk in ids["users"].items()},
                    orgs={key: orgs[pk] for key, pk in ids["orgs"].items()})


def _read_world(ids: dict[str, tuple[Any, int]]) -> World:
    by_model: dict[Any, list[int]] = {}
    for model, pk in ids.values():
        by_model.setdefault(model, []).append(pk)
    rows = {model: model._default_manager.in_bulk(pks) for model, pks in by_model.items()}
    return World(**{name: rows[model][pk] for name, (model, pk) in ids.items()})


@pytest.fixture
def personas(request, _shared_personas, db) -> Personas:
    if _shared_personas is not None and _outer and not _transactional(request.node):
        return _read_personas(_shared_personas)
    return _build_personas()


@pytest.fixture
def world(request, _shared_world, personas: Personas) -> World:
    if _shared_world is not None and _outer and not _transactional(request.node):
        return _read_world(_shared_world)
    return _build_world(personas)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Roll back the shared build before a test that must not run inside it (a flush, or the seed)."""
    if _outer and (_transactional(item) or SEED_FIXTURE in getattr(item, "fixturenames", ())):
        with item.config.stash[blocking_manager_key].unblock():
            _close_outer()


def _group(item: pytest.Item) -> int:
    """Plain database tests first, then those on personas alone, then those on the world, then the rest."""
    names = getattr(item, "fixturenames", ())
    if _transactional(item) or ("db" not in names and item.get_closest_marker("django_db") is None):
        return 3
    return 2 if "world" in names else 1 if "personas" in names else 0


@pytest.fixture
def login():
    """``login(user)`` returns a test client with that user logged in (``None`` for anonymous)."""

    def _login(user: Any) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return _login


@pytest.fixture
def allocate_line(world: World, personas: Personas):
    def _allocate(quantity: int = 10):
        return allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition,
                                   requirement=world.requirement, hub=world.hub, quantity=quantity)

    return _allocate
