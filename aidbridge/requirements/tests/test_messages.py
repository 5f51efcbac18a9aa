"""Messages a person can act on (issue #8, point 7): quantities, due dates and filters, in the UI and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from aidbridge.core.errors import ServiceError
from aidbridge.core.fields import QUANTITY_NOT_WHOLE, QUANTITY_TOO_LARGE, QUANTITY_TOO_SMALL
from aidbridge.core.tests.api_helpers import as_user, assert_refused, new_events
from aidbridge.requirements import services
from aidbridge.requirements.models import Requirement

TODAY = dt.date(2026, 3, 11)  # the suite's fixed instant (aidbridge/conftest.py)
DUE = (TODAY + dt.timedelta(days=40)).isoformat()


def _body(world, **overrides):
    return {"item": world.item.pk, "quantity": 12, "priority": 2, "due_date": DUE, "destination": world.lviv.pk,
            **overrides}


def _page_errors(response) -> list[str]:
    html = response.content.decode()
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<ul class="field-errors"[^>]*>(.*?)</ul>', html,
                                                                    re.S)]


# --- quantities -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("quantity", "message"), [
    (0, QUANTITY_TOO_SMALL), (-1, QUANTITY_TOO_SMALL), (2**63, QUANTITY_TOO_LARGE), (2**31, QUANTITY_TOO_LARGE),
    (1_000_000_001, QUANTITY_TOO_LARGE), ("x", QUANTITY_NOT_WHOLE), ("1e30", QUANTITY_NOT_WHOLE),
])
def test_a_quantity_gets_one_message_per_rule_in_form_api_and_service(personas, world, login, quantity, message):
    # The API, for a new requirement and for a change.
    api = as_user(personas.recipient)
    created = api.post("/requirements", _body(world, quantity=quantity))
    assert created.json()["errors"] == {"quantity": [message]}
    patched = api.patch(f"/requirements/{world.draft_requirement.pk}", {"quantity": quantity})
    assert patched.json()["errors"] == {"quantity": [message]}
    # The form, as rendered.
    page = login(personas.recipient).post("/requirements/add/", {**_body(world, quantity=quantity)})
    assert page.status_code == 422
    assert _page_errors(page) == [message]
    for response in (created, patched, page):
        assert "9223372036854775807" not in response.content.decode()
    # The service, for whole numbers (the only kind a caller can hand it).
    if isinstance(quantity, int):
        with pytest.raises(ServiceError) as refused:
            services.create_requirement(actor=personas.recipient, item=world.item, quantity=quantity,
                                        due_date=TODAY, destination=world.lviv)
        assert refused.value.errors == {"quantity": [message]}


def test_the_largest_quantity_is_accepted_everywhere(personas, world, login):
    assert as_user(personas.recipient).post("/requirements", _body(world, quantity=1_000_000_000)).status_code == 201
    page = login(personas.recipient).post("/requirements/add/", _body(world, quantity=1_000_000_000))
    assert page.status_code == 302


# --- due dates --------------------------------------------------------------------------------------------------

def test_a_new_requirement_due_yesterday_is_refused_naming_the_field(personas, world, login):
    yesterday = TODAY - dt.timedelta(days=1)
    api = as_user(personas.recipient)
    with new_events() as events:
        body = assert_refused(api.post(
            "/requirements", _body(world, due_date=yesterday.isoformat())), 422, field="due_date")
    assert events == []
    assert "10 Mar 2026 is in the past" in body["errors"]["due_date"][0]
    page = login(personas.recipient).post("/requirements/add/", _body(world, due_date=yesterday.isoformat()))
    assert page.status_code == 422
    assert any("is in the past" in error for error in _page_errors(page))
    assert 'min="2026-03-11"' in page.content.decode() and 'max="2100-12-31"' in page.content.decode()
    with pytest.raises(ServiceError) as refused:
        services.create_requirement(actor=personas.recipient, item=world.item, quantity=1, due_date=yesterday,
                                    destination=world.lviv)
    assert list(refused.value.errors) == ["due_date"]


def test_a_due_date_today_is_accepted(personas, world):
    response = as_user(personas.recipient).post("/requirements", _body(world, due_date=TODAY.isoformat()))
    assert response.status_code == 201, response.content


def test_a_due_date_after_2100_is_refused(personas, world, login):
    body = assert_refused(as_user(personas.recipient).post("/requirements", _body(world, due_date="2101-01-01")),
                          422, field="due_date")
    assert "after 2100" in body["errors"]["due_date"][0]
    assert as_user(personas.recipient).post("/requirements", _body(world, due_date="2100-12-31")).status_code == 201
    assert_refused(as_user(personas.recipient).patch(f"/requirements/{world.draft_requirement.pk}",
                                                     {"due_date": "9999-12-31"}), 422, field="due_date")
    page = login(personas.recipient).post("/requirements/add/", _body(world, due_date="2101-01-01"))
    assert page.status_code == 422 and any("after 2100" in e for e in _page_errors(page))


def test_a_requirement_that_has_fallen_overdue_can_still_be_edited(personas, world, login):
    draft = world.draft_requirement  # due in 30 days
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC), tick=False):
        changed = services.update_requirement(actor=personas.recipient, requirement=draft,
                                              changes={"quantity": 11, "due_date": draft.due_date})
        assert changed.quantity == 11
        response = as_user(personas.recipient).patch(f"/requirements/{draft.pk}", {"notes": "Still needed."})
        assert response.status_code == 200, response.content
        page = login(personas.recipient).post(f"/requirements/{draft.pk}/edit/", _body(
            world, quantity=13, due_date=draft.due_date.isoformat(), package="", notes=""))
        assert page.status_code == 302
        # Moving the due date to another day in the past is refused.
        assert_refused(as_user(personas.recipient).patch(f"/requirements/{draft.pk}", {"due_date": "2026-04-30"}),
                       422, field="due_date")
    assert Requirement.objects.get(pk=draft.pk).quantity == 13


# --- filters ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "field", "label"), [
    ("due_before=notadate", "due_before", "Due by"),
    ("due_by=notadate", "due_by", "due_by"),
    ("organisation=1e30", "organisation", "Recipient"),
    ("organisation=1.5", "organisation", "Recipient"),
])
def test_a_filter_value_that_cannot_be_read_answers_422_naming_the_filter(personas, world, login, query, field,
                                                                            label):
    api = as_user(personas.coordinator).client.get(f"/api/v1/requirements?{query}")
    assert api.status_code == 422, api.content
    assert list(api.json()["errors"]) == [field]
    page = login(personas.coordinator).get(f"/requirements/?{query}")
    assert page.status_code == 422
    html = page.content.decode()
    assert 'role="alert"' in html and f"{label}:" in html
    assert world.requirement.reference not in html  # nothing is listed as if it were the answer
    assert "the filters are:" not in html  # a page points at its filter form, not at parameter names
    partial = login(personas.coordinator).get(f"/requirements/?{query}", HTTP_HX_REQUEST="true",
                                              HTTP_HX_TARGET="results")
    assert partial.status_code == 422 and f"{label}:" in partial.content.decode()
    assert '{"code": "422", "swap": true' in html  # htmx swaps a 422 in, so the message shows as you type


def test_good_filters_still_list(personas, world, login):
    due = world.requirement.due_date.isoformat()
    assert login(personas.coordinator).get(f"/requirements/?due_before={due}&page=1").status_code == 200
    listed = as_user(personas.coordinator).get("/requirements", {"due_before": due, "limit": 5, "offset": 0})
    assert listed.status_code == 200 and listed.json()["count"] == 1
