from __future__ import annotations

import pytest
from django.urls import reverse

from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.models import AuditEvent
from aidbridge.pledges.models import Pledge
from aidbridge.requirements import services as requirements


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def url(name: str, line: AllocationLine) -> str:
    return reverse(f"allocation:{name}", args=[line.pk])


def test_list_shows_lines_to_the_coordinator(world, personas, allocate_line, login):
    line = allocate_line(10)
    html = login(personas.coordinator).get("/allocations/").content.decode()
    assert url("allocationline", line) in html and world.pledge_coalition.reference in html


def test_list_filters_by_hub(world, personas, allocate_line, login):
    allocate_line(10)
    client = login(personas.coordinator)
    assert "1 result" in client.get(f"/allocations/?hub={world.hub.pk}").content.decode()
    assert "0 results" in client.get(f"/allocations/?hub={world.hub_ro.pk}").content.decode()


def test_list_query_count_is_bounded(world, personas, login, django_assert_max_num_queries):
    for _ in range(30):
        r = requirements.create_requirement(actor=personas.recipient, item=world.item, quantity=1, priority=2,
                                            due_date=world.requirement.due_date, destination=world.kyiv)
        requirements.submit_requirement(actor=personas.recipient, requirement=r)
        requirements.validate_requirement(actor=personas.coordinator, requirement=r)
        allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coalition, requirement=r,
                            hub=world.hub, quantity=1)
    client = login(personas.coordinator)
    with django_assert_max_num_queries(10):
        response = client.get("/allocations/")
    assert "30 results" in response.content.decode()


def test_outsider_lists_nothing_and_gets_404(world, personas, allocate_line, login):
    line = allocate_line(10)
    client = login(personas.outsider)
    assert "0 results" in client.get("/allocations/").content.decode()
    assert client.get(url("allocationline", line)).status_code == 404
    before = AuditEvent.objects.count()
    for name in ("allocationline_release", "allocationline_dispatch", "allocationline_deliver"):
        assert client.post(url(name, line), {"dispatch-quantity": 1, "deliver-quantity": 1}).status_code == 404
    assert AuditEvent.objects.count() == before


def test_a_line_is_hidden_when_its_pledge_is_not_released(world, personas, login):
    from aidbridge.pledges import services as pledges

    pledges.commit_pledge(actor=personas.donor_de, pledge=world.pledge_coordinators)
    line = allocation.allocate(actor=personas.coordinator, pledge=world.pledge_coordinators,
                               requirement=world.requirement, hub=world.hub, quantity=5)
    client = login(personas.recipient)
    assert client.get(url("allocationline", line)).status_code == 404
    html = client.get(reverse("requirements:requirement", args=[world.requirement.pk])).content.decode()
    assert "5 further units are allocated from pledges not released to you" in html


def test_detail_shows_history_and_release_button(world, personas, allocate_line, login):
    line = allocate_line(10)
    html = login(personas.coordinator).get(url("allocationline", line)).content.decode()
    assert "allocation.create" in html and url("allocationline_release", line) in html
    assert "Record a dispatch" in html


def test_release_is_audited_and_returns_to_the_requirement(world, personas, allocate_line, login):
    line = allocate_line(10)
    before = events("allocation.release")
    response = login(personas.coordinator).post(url("allocationline_release", line))
    assert response["Location"] == reverse("requirements:requirement", args=[world.requirement.pk])
    assert not AllocationLine.objects.exists()
    assert events("allocation.release") == before + 1
    world.pledge_coalition.refresh_from_db()
    assert world.pledge_coalition.status == Pledge.Status.COMMITTED


def test_releasing_moving_goods_shows_the_error_and_changes_nothing(world, personas, allocate_line, login):
    line = allocate_line(10)
    allocation.dispatch_allocation(actor=personas.coordinator, line=line, quantity=4)
    before = AuditEvent.objects.count()
    response = login(personas.coordinator).post(url("allocationline_release", line), follow=True)
    assert "already moving" in response.content.decode()
    assert AllocationLine.objects.filter(pk=line.pk).exists() and AuditEvent.objects.count() == before


def test_a_donor_may_not_release(world, personas, allocate_line, login):
    line = allocate_line(10)
    before = AuditEvent.objects.count()
    assert login(personas.donor_de).post(url("allocationline_release", line)).status_code == 403
    assert AuditEvent.objects.count() == before


def test_dispatch_and_delivery_are_audited(world, personas, allocate_line, login):
    line = allocate_line(10)
    before = events("allocation.dispatch")
    response = login(personas.donor_de).post(url("allocationline_dispatch", line), {"dispatch-quantity": "6"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.in_transit_quantity == 6
    assert events("allocation.dispatch") == before + 1
    before = events("allocation.deliver")
    login(personas.recipient).post(url("allocationline_deliver", line), {"deliver-quantity": "6"})
    line.refresh_from_db()
    assert (line.in_transit_quantity, line.delivered_quantity) == (0, 6)
    assert events("allocation.deliver") == before + 1


@pytest.mark.parametrize("quantity", ["11", "0"])
def test_a_bad_dispatch_quantity_is_shown_next_to_the_field(world, personas, allocate_line, login, quantity):
    line = allocate_line(10)
    before = AuditEvent.objects.count()
    response = login(personas.coordinator).post(url("allocationline_dispatch", line),
                                                {"dispatch-quantity": quantity})
    assert response.status_code == 422
    assert response.context["dispatch_form"].errors["quantity"]
    assert AuditEvent.objects.count() == before


def test_delivery_needs_goods_in_transit(world, personas, allocate_line, login):
    line = allocate_line(10)
    assert login(personas.recipient).post(url("allocationline_deliver", line),
                                          {"deliver-quantity": "1"}).status_code == 403
