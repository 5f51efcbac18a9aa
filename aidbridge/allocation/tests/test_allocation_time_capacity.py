"""Allocation by hand respects time (available date, inbound lead time, not the past) and hub capacity.

The suite runs on Wednesday 11 March 2026; the world's pledges are available that day, DE → PL-RZE takes
one week, US → PL-RZE three, and a generator weighs 2.1 t.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse

from aidbridge.allocation import services
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.conftest import requires_postgres
from aidbridge.core.errors import Conflict, ServiceError
from aidbridge.core.tests.api_helpers import as_user, assert_one_event, assert_refused, new_events
from aidbridge.locations.models import Hub
from aidbridge.pledges.models import Pledge

THIS_MONDAY = dt.date(2026, 3, 9)
NEXT_MONDAY = dt.date(2026, 3, 16)


def _allocate(world, personas, **kw):
    args = {"actor": personas.coordinator, "pledge": world.pledge_coalition, "requirement": world.requirement,
            "hub": world.hub, "quantity": 10, **kw}
    return services.allocate(**args)


def _capacity(world, tonnes: str) -> None:
    Hub.objects.filter(pk=world.hub.pk).update(capacity_t_per_week=Decimal(tonnes))


# --- time --------------------------------------------------------------------------------------------------

def test_a_week_before_the_pledge_is_available_is_refused(world, personas):
    # The defect: week 6 Jan 2020 was accepted for a pledge available in February 2027.
    Pledge.objects.filter(pk=world.pledge_coalition.pk).update(available_from=dt.date(2027, 2, 3))
    with pytest.raises(ServiceError) as exc:
        _allocate(world, personas, dispatch_week=dt.date(2020, 1, 6))
    assert list(exc.value.errors) == ["dispatch_week"]
    assert "available from 03 Feb 2027" in exc.value.message and "06 Jan 2020" in exc.value.message
    assert not AllocationLine.objects.exists()


def test_a_week_the_lead_time_does_not_allow_is_refused_with_the_earliest_week(world, personas):
    with pytest.raises(ServiceError) as exc:
        _allocate(world, personas, dispatch_week=THIS_MONDAY)
    assert list(exc.value.errors) == ["dispatch_week"]
    assert "take 1 week to reach hub PL-RZE" in exc.value.message
    assert "week of 16 Mar 2026 at the earliest" in exc.value.message
    line = _allocate(world, personas, dispatch_week=NEXT_MONDAY)
    assert line.dispatch_week == NEXT_MONDAY


def test_the_lead_time_is_the_one_from_the_pledges_origin_to_the_hub(world, personas):
    # US → PL-RZE takes three weeks: 30 March is the earliest, 23 March is one week short.
    with pytest.raises(ServiceError, match="take 3 weeks"):
        _allocate(world, personas, pledge=world.pledge_public, dispatch_week=dt.date(2026, 3, 23))
    _allocate(world, personas, pledge=world.pledge_public, dispatch_week=dt.date(2026, 3, 30))


def test_a_week_in_the_past_is_refused(world, personas):
    Pledge.objects.filter(pk=world.pledge_coalition.pk).update(available_from=dt.date(2025, 12, 1))
    with pytest.raises(ServiceError) as exc:
        _allocate(world, personas, dispatch_week=dt.date(2026, 2, 2))
    assert "week of 02 Feb 2026 is in the past" in exc.value.message
    assert "week of 09 Mar 2026" in exc.value.message
    assert _allocate(world, personas, dispatch_week=THIS_MONDAY).dispatch_week == THIS_MONDAY


def test_the_service_itself_wants_a_monday(world, personas):
    with pytest.raises(ServiceError, match="is a Tuesday"):
        _allocate(world, personas, dispatch_week=NEXT_MONDAY + dt.timedelta(days=1))


# --- capacity ---------------------------------------------------------------------------------------------

def test_a_hub_week_over_capacity_is_refused_and_nothing_is_written(world, personas):
    # The defect: nothing checked a manual allocation against the hub's weekly capacity.
    _capacity(world, "100")
    _allocate(world, personas, quantity=40, dispatch_week=NEXT_MONDAY)  # 84 t
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        _allocate(world, personas, quantity=10, dispatch_week=NEXT_MONDAY)  # +21 t = 105 t
    assert list(exc.value.errors) == ["dispatch_week"]
    assert ("Hub PL-RZE can dispatch 100.0 t in the week of 16 Mar 2026; 84.0 t are already planned and this "
            "allocation adds 21.0 t (105.0 t in all)") in exc.value.message
    assert AllocationLine.objects.count() == 1 and AuditEvent.objects.count() == events
    # Exactly the capacity fits.
    Hub.objects.filter(pk=world.hub.pk).update(capacity_t_per_week=Decimal("105"))
    _allocate(world, personas, quantity=10, dispatch_week=NEXT_MONDAY)


def test_capacity_counts_every_pledge_through_the_hub_that_week(world, personas):
    _capacity(world, "100")
    week = dt.date(2026, 3, 30)
    _allocate(world, personas, pledge=world.pledge_public, quantity=40, dispatch_week=week)
    with pytest.raises(Conflict, match="84.0 t are already planned"):
        _allocate(world, personas, quantity=10, dispatch_week=week)
    # The other hub's load does not count against this one.
    _allocate(world, personas, hub=world.hub_ro, quantity=10, dispatch_week=week)


def test_an_override_needs_a_reason(world, personas):
    _capacity(world, "10")
    with pytest.raises(ServiceError) as exc:
        _allocate(world, personas, dispatch_week=NEXT_MONDAY, override_capacity=True, override_reason="  ")
    assert list(exc.value.errors) == ["override_reason"]
    assert not AllocationLine.objects.exists()


def test_an_override_with_a_reason_is_allowed_and_the_audit_event_records_both(world, personas):
    _capacity(world, "10")
    with new_events() as events:
        line = _allocate(world, personas, dispatch_week=NEXT_MONDAY, override_capacity=True,
                         override_reason="Extra night shift agreed with the hub operator")
    created = [e for e in events if e.action == "allocation.create"]
    assert len(created) == 1
    after = created[0].after
    assert after["capacity_override"] is True
    assert after["override_reason"] == "Extra night shift agreed with the hub operator"
    assert (after["capacity_t"], after["load_before_t"], after["load_after_t"]) == (10.0, 0.0, 21.0)
    assert after["id"] == line.pk


def test_a_line_that_fits_records_no_override(world, personas):
    with new_events() as events:
        _allocate(world, personas, dispatch_week=NEXT_MONDAY, override_capacity=True, override_reason="just in case")
    created = next(e for e in events if e.action == "allocation.create")
    assert "capacity_override" not in created.after


# --- the requirement page's allocate form --------------------------------------------------------------------

def _form(world, **overrides):
    return {"pledge": world.pledge_coalition.pk, "hub": world.hub.pk, "quantity": "10",
            "dispatch_week": NEXT_MONDAY.isoformat(), **overrides}


def _url(world):
    return reverse("requirements:requirement_allocate", args=[world.requirement.pk])


def test_the_form_shows_the_time_error_next_to_the_dispatch_week(world, personas, login):
    response = login(personas.coordinator).post(_url(world), _form(world, dispatch_week=THIS_MONDAY.isoformat()))
    assert response.status_code == 422
    errors = response.context["allocate_form"].errors
    assert "16 Mar 2026 at the earliest" in str(errors["dispatch_week"])
    assert not AllocationLine.objects.exists()


def test_the_form_refuses_over_capacity_and_offers_the_override(world, personas, login):
    _capacity(world, "10")
    client = login(personas.coordinator)
    response = client.post(_url(world), _form(world))
    assert response.status_code == 422
    assert "override the capacity with a reason" in str(response.context["allocate_form"].errors["dispatch_week"])
    page = response.content.decode()
    assert 'name="override_capacity"' in page and 'name="override_reason"' in page
    response = client.post(_url(world), _form(world, override_capacity="on"))
    assert response.status_code == 422
    assert "Give the reason" in str(response.context["allocate_form"].errors["override_reason"])
    assert not AllocationLine.objects.exists()
    response = client.post(_url(world), _form(world, override_capacity="on", override_reason="Surge week"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="allocation.create")
    assert (event.after["capacity_override"], event.after["override_reason"]) == (True, "Surge week")


# --- the API ---------------------------------------------------------------------------------------------------

def _body(world, **overrides):
    return {"pledge": world.pledge_coalition.pk, "requirement": world.requirement.pk, "hub": world.hub.pk,
            "quantity": 10, "dispatch_week": NEXT_MONDAY.isoformat(), **overrides}


def test_the_api_refuses_an_early_week_naming_the_field(world, personas):
    Pledge.objects.filter(pk=world.pledge_coalition.pk).update(available_from=dt.date(2027, 2, 3))
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post("/allocations", _body(world, dispatch_week="2020-01-06"))
    body = assert_refused(response, 422, field="dispatch_week", events=events)
    assert "available from 03 Feb 2027" in body["detail"]


def test_the_api_refuses_over_capacity_with_409_and_accepts_an_audited_override(world, personas):
    _capacity(world, "10")
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post("/allocations", _body(world))
    assert_refused(response, 409, field="dispatch_week", events=events)
    with new_events() as events:
        response = api.post("/allocations", _body(world, override_capacity=True))
    assert_refused(response, 422, field="override_reason", events=events)
    with new_events() as events:
        response = api.post("/allocations", _body(world, override_capacity=True, override_reason="Surge week"))
    assert response.status_code == 201, response.content
    line = AllocationLine.objects.get(pk=response.json()["id"])
    created = [e for e in events if e.action == "allocation.create"]
    assert_one_event(created, "allocation.create", line)
    assert (created[0].after["capacity_override"], created[0].after["override_reason"]) == (True, "Surge week")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_coordinators_allocating_at_once_through_one_hub_week_never_exceed_its_capacity(world, personas):
    """Real concurrency: different pledges race for the same hub-week; the hub row lock serialises them."""
    _capacity(world, "100")  # room for 47 generators (98.7 t); each worker wants 20 (42 t)
    Pledge.objects.filter(pk=world.pledge_public.pk).update(available_from=dt.date(2026, 2, 2))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def worker(pledge: Pledge) -> None:
        try:
            barrier.wait()
            _allocate(world, personas, pledge=pledge, quantity=20, dispatch_week=dt.date(2026, 3, 23))
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            close_old_connections()
            connection.close()

    pledges = [world.pledge_coalition, world.pledge_coalition, world.pledge_public, world.pledge_public]
    threads = [threading.Thread(target=worker, args=(p,)) for p in pledges]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "ok", "ok"]
    assert AllocationLine.objects.filter(hub=world.hub).count() == 2
