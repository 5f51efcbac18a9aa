from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from aidbridge.allocation import services as allocation
from aidbridge.allocation.forms import PledgeChoiceField
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.pledges import services as pledges
from aidbridge.requirements import services as requirements
from aidbridge.requirements.models import Requirement

Status = Requirement.Status


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def url(name: str, obj) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"requirements:{name}", args=[obj.pk])


def requirement_form(world, **overrides: object) -> dict[str, object]:
    data = {"item": world.item.pk, "quantity": "25", "priority": "2",
            "due_date": (dt.date.today() + dt.timedelta(days=60)).isoformat(),
            "destination": world.lviv.pk, "package": "", "notes": ""}
    data.update(overrides)
    return data


# Lists


def test_list_shows_fill_levels(world, personas, allocate_line, login):
    allocate_line(30)
    html = login(personas.coordinator).get("/requirements/").content.decode()
    assert world.requirement.reference in html
    assert "30 / 80" in html and "f-partial" in html and 'class="bar"' in html


def test_list_query_count_is_bounded(world, personas, login, django_assert_max_num_queries):
    for _ in range(30):
        r = requirements.create_requirement(actor=personas.recipient, item=world.item, quantity=5, priority=2,
                                            due_date=world.requirement.due_date, destination=world.kyiv)
        requirements.submit_requirement(actor=personas.recipient, requirement=r)
        requirements.validate_requirement(actor=personas.coordinator, requirement=r)
        allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition, requirement=r,
                            hub=world.hub, quantity=1)
    client = login(personas.coordinator)
    with django_assert_max_num_queries(9):
        response = client.get("/requirements/?priority=2")
    assert response.content.decode().count("1 / 5") == 30


def test_recipient_sees_its_drafts_and_donors_do_not(world, personas, login):
    assert world.draft_requirement.reference in login(personas.recipient).get("/requirements/").content.decode()
    html = login(personas.donor_de).get("/requirements/").content.decode()
    assert world.draft_requirement.reference not in html and world.requirement.reference in html


def test_outsider_lists_nothing(world, personas, login):
    html = login(personas.outsider).get("/requirements/").content.decode()
    assert "REQ-" not in html and "0 results" in html


# Detail, create and edit


def test_detail_shows_fill_history_and_allowed_buttons(world, personas, allocate_line, login):
    allocate_line(10)
    html = login(personas.coordinator).get(url("requirement", world.requirement)).content.decode()
    assert "requirement.validate" in html and "requirement.create" in html
    assert url("requirement_close", world.requirement) in html
    assert url("requirement_submit", world.requirement) not in html
    assert "Allocate a pledge" in html and world.pledge_coalition.reference in html


def test_buttons_follow_the_users_rights(world, personas, login):
    html = login(personas.donor_de).get(url("requirement", world.requirement)).content.decode()
    assert url("requirement_close", world.requirement) not in html
    assert "Allocate a pledge" not in html
    html = login(personas.recipient).get(url("requirement", world.draft_requirement)).content.decode()
    assert url("requirement_submit", world.draft_requirement) in html
    assert url("requirement_edit", world.draft_requirement) in html


@pytest.mark.parametrize("name", ["requirement", "requirement_edit"])
def test_outsider_gets_404_for_pages(world, personas, login, name):
    assert login(personas.outsider).get(url(name, world.requirement)).status_code == 404


@pytest.mark.parametrize("name", ["requirement_edit", "requirement_submit", "requirement_validate",
                                  "requirement_return", "requirement_close", "requirement_cancel",
                                  "requirement_allocate"])
def test_outsider_gets_404_for_writes(world, personas, login, name):
    before = AuditEvent.objects.count()
    assert login(personas.outsider).post(url(name, world.requirement), {}).status_code == 404
    assert AuditEvent.objects.count() == before


def test_coordinator_gets_404_for_a_draft(world, personas, login):
    assert login(personas.coordinator).get(url("requirement", world.draft_requirement)).status_code == 404


def test_recipient_creates_a_requirement_and_it_is_audited(world, personas, login):
    before = events("requirement.create")
    response = login(personas.recipient).post("/requirements/add/", requirement_form(world))
    created = Requirement.objects.latest("pk")
    assert response["Location"] == url("requirement", created)
    assert created.status == Status.DRAFT and created.recipient == personas.orgs["ua"]
    assert events("requirement.create") == before + 1


def test_recipient_edits_a_draft_and_it_is_audited(world, personas, login):
    before = events("requirement.update")
    response = login(personas.recipient).post(url("requirement_edit", world.draft_requirement),
                                              requirement_form(world, quantity="12"))
    assert response.status_code == 302
    world.draft_requirement.refresh_from_db()
    assert world.draft_requirement.quantity == 12
    assert events("requirement.update") == before + 1


def test_editing_a_validated_requirement_shows_why_and_changes_nothing(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.recipient).post(url("requirement_edit", world.requirement),
                                              requirement_form(world, quantity="99"))
    assert response.status_code == 422
    assert "only draft or submitted requirements can be edited" in response.content.decode()
    world.requirement.refresh_from_db()
    assert world.requirement.quantity == 80 and AuditEvent.objects.count() == before


def test_form_errors_are_shown_next_to_the_field(world, personas, login):
    response = login(personas.recipient).post("/requirements/add/", requirement_form(world, quantity="0"))
    assert response.status_code == 422
    assert "quantity" in response.context["form"].errors
    assert 'id="id_quantity_errors"' in response.content.decode()


def test_a_donor_may_not_add_requirements(world, personas, login):
    assert login(personas.donor_de).get("/requirements/add/").status_code == 403


# Transitions


def transition(client, name: str, requirement: Requirement):  # type: ignore[no-untyped-def]
    return client.post(url(f"requirement_{name}", requirement), follow=True)


def test_submit_is_audited(world, personas, login):
    before = events("requirement.submit")
    response = transition(login(personas.recipient), "submit", world.draft_requirement)
    assert "Submitted." in response.content.decode()
    world.draft_requirement.refresh_from_db()
    assert world.draft_requirement.status == Status.SUBMITTED
    assert events("requirement.submit") == before + 1


def test_validate_and_return_are_audited(world, personas, login):
    requirements.submit_requirement(actor=personas.recipient, requirement=world.draft_requirement)
    coordinator = login(personas.coordinator)
    before = events("requirement.return")
    transition(coordinator, "return", world.draft_requirement)
    world.draft_requirement.refresh_from_db()
    assert world.draft_requirement.status == Status.DRAFT
    assert events("requirement.return") == before + 1
    requirements.submit_requirement(actor=personas.recipient, requirement=world.draft_requirement)
    before = events("requirement.validate")
    transition(coordinator, "validate", world.draft_requirement)
    world.draft_requirement.refresh_from_db()
    assert world.draft_requirement.status == Status.VALIDATED
    assert events("requirement.validate") == before + 1


def test_close_is_audited(world, personas, login):
    before = events("requirement.close")
    transition(login(personas.coordinator), "close", world.requirement)
    world.requirement.refresh_from_db()
    assert world.requirement.status == Status.CLOSED
    assert events("requirement.close") == before + 1


def test_cancel_is_audited(world, personas, login):
    before = events("requirement.cancel")
    transition(login(personas.recipient), "cancel", world.draft_requirement)
    world.draft_requirement.refresh_from_db()
    assert world.draft_requirement.status == Status.CANCELLED
    assert events("requirement.cancel") == before + 1


@pytest.mark.parametrize(("name", "persona"), [("submit", "recipient"), ("return", "coordinator"),
                                                ("validate", "coordinator")])
def test_an_illegal_transition_shows_the_error_and_changes_nothing(world, personas, login, name, persona):
    before = AuditEvent.objects.count()
    response = transition(login(getattr(personas, persona)), name, world.requirement)
    assert response.status_code == 200
    html = response.content.decode()
    assert "msg-error" in html and "Cannot move requirement REQ-" in html
    world.requirement.refresh_from_db()
    assert world.requirement.status == Status.VALIDATED
    assert AuditEvent.objects.count() == before


def test_closing_a_closed_requirement_names_both_states(world, personas, login):
    requirements.close_requirement(actor=personas.coordinator, requirement=world.requirement)
    before = AuditEvent.objects.count()
    html = transition(login(personas.coordinator), "close", world.requirement).content.decode()
    assert "Cannot move" in html and "“Closed” is final" in html
    assert AuditEvent.objects.count() == before


def test_a_visible_but_forbidden_transition_is_403(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.donor_de).post(url("requirement_close", world.requirement))
    assert response.status_code == 403
    assert "Only coordinator editors may close requirements" in response.content.decode()
    world.requirement.refresh_from_db()
    assert world.requirement.status == Status.VALIDATED and AuditEvent.objects.count() == before


def test_transitions_are_post_only(world, personas, login):
    assert login(personas.coordinator).get(url("requirement_close", world.requirement)).status_code == 405


# Allocation from the requirement page


def allocate_form(world, **overrides: object) -> dict[str, object]:
    data = {"pledge": world.pledge_coalition.pk, "hub": world.hub.pk, "quantity": "20", "dispatch_week": ""}
    data.update(overrides)
    return data


def test_coordinator_allocates_and_it_is_audited(world, personas, login):
    before = events("allocation.create")
    response = login(personas.coordinator).post(url("requirement_allocate", world.requirement),
                                                allocate_form(world))
    assert response.status_code == 302 and response["Location"] == url("requirement", world.requirement) + "#main"
    line = AllocationLine.objects.get()
    assert (line.pledge, line.hub, line.quantity) == (world.pledge_coalition, world.hub, 20)
    assert events("allocation.create") == before + 1


def test_over_allocation_shows_the_error_next_to_quantity_and_changes_nothing(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.coordinator).post(url("requirement_allocate", world.requirement),
                                                allocate_form(world, quantity="60"))
    assert response.status_code == 422
    assert "has only 50 units left" in str(response.context["allocate_form"].errors["quantity"])
    assert not AllocationLine.objects.exists() and AuditEvent.objects.count() == before


def test_an_unreachable_hub_is_refused_next_to_the_hub(world, personas, login):
    from aidbridge.locations import services as locations

    locations.set_outbound_lead_time(actor=personas.coordinator, hub=world.hub_ro, destination=world.kyiv,
                                     weeks=None)
    response = login(personas.coordinator).post(url("requirement_allocate", world.requirement),
                                                allocate_form(world, hub=world.hub_ro.pk))
    assert response.status_code == 422
    assert "does not serve UA IEV" in str(response.context["allocate_form"].errors["hub"])


def test_announced_or_withdrawn_pledges_cannot_be_chosen(world, personas, login):
    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    for pledge in (world.pledge_coordinators, world.pledge_coalition):
        response = login(personas.coordinator).post(url("requirement_allocate", world.requirement),
                                                    allocate_form(world, pledge=pledge.pk))
        assert response.status_code == 422
        assert "pledge" in response.context["allocate_form"].errors
    assert not AllocationLine.objects.exists()


def test_dispatch_week_must_be_a_monday(world, personas, login):
    today = dt.date.today()
    tuesday = today + dt.timedelta(days=(1 - today.weekday()) % 7)
    response = login(personas.coordinator).post(url("requirement_allocate", world.requirement),
                                                allocate_form(world, dispatch_week=tuesday.isoformat()))
    assert response.status_code == 422
    assert "pick the Monday" in str(response.context["allocate_form"].errors["dispatch_week"])


def test_only_coordinator_editors_may_allocate(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.donor_de).post(url("requirement_allocate", world.requirement), allocate_form(world))
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def test_the_pledge_select_lists_the_earliest_available_and_accepts_any(world, personas, login, monkeypatch):
    """A select of a thousand pledges is neither usable nor quick: it lists the ``shown`` available earliest,
    says so, and a pledge beyond them is still accepted."""
    monkeypatch.setattr(PledgeChoiceField, "shown", 1)
    client = login(personas.coordinator)
    form = client.get(url("requirement", world.requirement)).context["allocate_form"]
    candidates = list(form.fields["pledge"].queryset)
    assert len(candidates) >= 2, "the scenario needs two candidate pledges"
    options = [value for value, _ in form.fields["pledge"].choices if value != ""]
    assert [str(v) for v in options] == [str(candidates[0].pk)]
    assert "the 1 available earliest are listed" in str(form.fields["pledge"].help_text)
    latest = candidates[-1]
    response = client.post(url("requirement_allocate", world.requirement),
                           allocate_form(world, pledge=latest.pk, quantity="1"))
    assert response.status_code == 302
    assert AllocationLine.objects.get().pledge == latest
