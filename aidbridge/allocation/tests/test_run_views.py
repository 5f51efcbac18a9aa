from __future__ import annotations

import pytest

from aidbridge.allocation import run_services as runs
from aidbridge.allocation.models import AllocationLine, AllocationRun
from aidbridge.allocation.tasks import execute_run
from aidbridge.audit.models import AuditEvent


@pytest.fixture
def done_run(world, personas) -> AllocationRun:
    run = runs.start_run(actor=personas.coordinator)
    execute_run.call(run.pk)
    run.refresh_from_db()
    return run


def test_coordinator_starts_a_run_from_the_page(world, personas, login, django_capture_on_commit_callbacks):
    client = login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/allocations/runs/start/", {"method": "optimal", "weeks": 26, "time_limit": 30})
    run = AllocationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/allocations/runs/{run.pk}/"
    assert AuditEvent.objects.filter(action="allocation_run.start", object_id=str(run.pk)).count() == 1
    page = client.get(f"/allocations/runs/{run.pk}/")
    assert b"<progress" in page.content and b'hx-trigger="every 1s"' in page.content


def test_progress_partial_asks_for_refresh_when_done(done_run, personas, login):
    response = login(personas.coordinator).get(f"/allocations/runs/{done_run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"


def test_review_page_shows_fill_by_priority_hub_load_and_tables(done_run, personas, login):
    page = login(personas.coordinator).get(f"/allocations/runs/{done_run.pk}/").content.decode()
    for text in ("Fill by priority", "Hub load per week", "PL-RZE", "Approve plan", "Requirements", "Pledges"):
        assert text in page


def test_approve_from_the_page_writes_lines_and_audits(done_run, personas, login):
    response = login(personas.coordinator).post(f"/allocations/runs/{done_run.pk}/approve/")
    assert response.status_code == 302
    assert AllocationLine.objects.count() > 0
    assert AuditEvent.objects.filter(action="allocation_run.approve").count() == 1


def test_stale_approval_shows_the_message_and_writes_nothing(done_run, world, personas, login):
    from aidbridge.pledges import services as pledges

    pledges.withdraw_pledge(actor=personas.donor_de, pledge=world.pledge_coalition)
    client = login(personas.coordinator)
    response = client.post(f"/allocations/runs/{done_run.pk}/approve/", follow=True)
    assert "stale" in response.content.decode()
    assert not AllocationLine.objects.exists()


@pytest.mark.parametrize("name", ["outsider", "donor_de", "recipient", "hub_pl"])
def test_others_get_404_everywhere(done_run, personas, login, name):
    client = login(getattr(personas, name))
    for url in (f"/allocations/runs/{done_run.pk}/", f"/allocations/runs/{done_run.pk}/progress/",
                f"/allocations/runs/{done_run.pk}/plan.json", "/allocations/runs/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/allocations/runs/{done_run.pk}/approve/").status_code == 404
    assert client.post("/allocations/runs/start/", {"method": "greedy", "weeks": 4}).status_code == 404
    assert not AllocationRun.objects.exclude(pk=done_run.pk).exists()


def test_auditor_may_look_but_not_approve(done_run, personas, login):
    client = login(personas.auditor)
    assert client.get(f"/allocations/runs/{done_run.pk}/").status_code == 200
    assert client.post(f"/allocations/runs/{done_run.pk}/approve/").status_code == 403


def test_run_list_query_count_is_bounded(done_run, personas, login, django_assert_max_num_queries):
    for _ in range(5):
        execute_run.call(runs.start_run(actor=personas.coordinator).pk)
    client = login(personas.coordinator)
    with django_assert_max_num_queries(12):
        assert client.get("/allocations/runs/").status_code == 200


def test_plan_download_is_an_attachment(done_run, personas, login):
    response = login(personas.coordinator).get(f"/allocations/runs/{done_run.pk}/plan.json")
    assert response["Content-Disposition"].startswith("attachment")
    assert response.json()["schema"] == "aidbridge.allocation-plan/1"
