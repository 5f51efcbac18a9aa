"""Six journeys end to end in a real browser, each as its persona, each page checked with axe-core and
saved as a screenshot (see conftest.py). Outcomes are asserted on the page and in the database."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from aidbridge.allocation.models import AllocationLine, AllocationRun
from aidbridge.allocation.tasks import execute_run
from aidbridge.audit.models import AuditEvent
from aidbridge.core import clock
from aidbridge.logistics import services as logistics
from aidbridge.logistics.models import ProofOfDelivery, Shipment
from aidbridge.pledges.models import Pledge, SourceDocument
from aidbridge.requirements.models import Requirement
from aidbridge.whatif.models import Scenario, ScenarioRun
from aidbridge.whatif.tasks import run_scenario_task

pytestmark = pytest.mark.slow


def test_recipient_files_a_requirement(journey, world, personas):
    j = journey("recipient-files-a-requirement")
    page = j.page
    j.login(personas.recipient)
    j.see("home")
    page.get_by_role("link", name="Requirements", exact=True).click()
    j.see("requirements")
    page.get_by_role("link", name=re.compile("New requirement|Add")).first.click()
    j.see("form")
    page.get_by_label("Item").select_option(str(world.item.pk))
    page.get_by_label("Quantity").fill("12")
    page.get_by_label("Priority").select_option("1")
    page.get_by_label("Due date").fill((clock.today() + dt.timedelta(days=45)).isoformat())
    page.get_by_label("Destination").select_option(str(world.lviv.pk))
    page.get_by_role("button", name=re.compile("Save|Create")).click()
    page.wait_for_url(re.compile(r"/requirements/\d+/$"))
    j.see("saved")
    filed = Requirement.objects.exclude(pk__in=[world.draft_requirement.pk, world.requirement.pk]).get()
    assert (filed.quantity, filed.priority, filed.destination, filed.item) == (12, 1, world.lviv, world.item)
    assert (filed.recipient, filed.status) == (personas.orgs["ua"], Requirement.Status.DRAFT)
    assert f"Saved REQ-{filed.pk:05d}" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state()
    j.see("submitted")
    filed.refresh_from_db()
    assert filed.status == Requirement.Status.SUBMITTED
    assert page.locator("main h1 .badge, main .badge").first.inner_text().lower() == "submitted"


PDF = b"%PDF-1.4\n% signed delivery note\n"


def test_donor_pledges_and_attaches_a_document(journey, world, personas, tmp_path):
    j = journey("donor-pledges-and-attaches-a-document")
    page = j.page
    j.login(personas.donor_de)
    page.get_by_role("link", name="Pledges", exact=True).click()
    j.see("pledges")
    page.get_by_role("link", name=re.compile("New pledge|Add")).first.click()
    j.see("form")
    page.get_by_label("Item").select_option(str(world.other_item.pk))
    page.get_by_label("Quantity").fill("400")
    page.get_by_label("Available from").fill((clock.today() + dt.timedelta(days=7)).isoformat())
    page.get_by_label("Origin country").select_option("DE")
    page.get_by_label("Unit value").fill("125.50")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Funding source").select_option("stockpile")
    page.get_by_label("Releasability").select_option("coalition")
    page.get_by_role("button", name=re.compile("Save|Create")).click()
    page.wait_for_url(re.compile(r"/pledges/\d+/$"))
    j.see("saved")
    pledge = Pledge.objects.filter(donor=personas.orgs["de"], item=world.other_item).get()
    assert (pledge.quantity, pledge.unit_value, pledge.releasability) == (400, Decimal("125.50"), "coalition")
    assert f"Saved {pledge.reference}" in page.locator(".messages").inner_text()

    scan = tmp_path / "contract.pdf"
    scan.write_bytes(PDF)
    form = page.locator("form#add-document")
    form.get_by_label(re.compile("^Title")).fill("Donation contract")
    form.get_by_label("File").set_input_files(str(scan))
    form.get_by_role("button", name="Add document").click()
    page.wait_for_load_state()
    j.see("document-attached")
    document = SourceDocument.objects.get(pledges=pledge)
    assert (document.title, document.original_name, document.content_type) == (
        "Donation contract", "contract.pdf", "application/pdf")
    assert "Source document added." in page.locator(".messages").inner_text()
    assert "Donation contract" in page.locator("section", has_text="Source documents").first.inner_text()
    page.get_by_role("button", name="Commit", exact=True).click()
    page.wait_for_load_state()
    j.see("committed")
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.COMMITTED


def test_coordinator_runs_reviews_and_approves_an_allocation(journey, world, personas, two_factor_device):
    device = two_factor_device(personas.coordinator)
    j = journey("coordinator-runs-an-allocation")
    page = j.page
    j.login(personas.coordinator, device=device)
    j.goto("/allocations/runs/")
    j.see("runs")
    page.get_by_label("Method").select_option("optimal")
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(re.compile(r"/allocations/runs/\d+/$"))
    run = AllocationRun.objects.get()
    assert page.locator("main progress").count() == 1
    j.see("queued")
    # The run is a django-tasks task; no worker runs beside the live server, so the test executes it, and the
    # page, which polls its progress with htmx, reloads itself when the run is over.
    assert execute_run.call(run.pk) == "done"
    page.get_by_role("button", name="Approve plan").wait_for()
    j.see("review")
    main = page.locator("main").inner_text()
    for text in ("Fill by priority", "Hub load per week", world.requirement.reference):
        assert text in main
    page.get_by_role("button", name="Approve plan").click()
    page.wait_for_load_state()
    j.see("approved")
    run.refresh_from_db()
    assert run.status == "approved"
    lines = AllocationLine.objects.filter(requirement=world.requirement)
    assert lines.exists() and sum(line.quantity for line in lines) == world.requirement.quantity
    assert AuditEvent.objects.filter(action="allocation_run.approve", actor=personas.coordinator).count() == 1


def _only_line(shipment: Shipment):
    return shipment.lines.get()


def test_hub_operator_receives_splits_and_dispatches(journey, world, personas, allocate_line):
    allocate_line(10)
    (inbound,) = logistics.generate_shipments(actor=personas.coordinator)
    logistics.dispatch_shipment(actor=personas.donor_de, shipment=inbound, carrier="DB Schenker",
                                tracking_reference="DBS-1")
    j = journey("hub-operator-receives-splits-dispatches")
    page = j.page
    j.login(personas.hub_pl)
    page.get_by_role("link", name="Shipments", exact=True).click()
    j.see("shipments")
    page.get_by_role("link", name=inbound.reference, exact=True).click()
    j.see("inbound")
    page.get_by_role("button", name="Arrived").click()
    page.wait_for_load_state()
    j.see("arrived")
    receive = page.locator("form#receive")
    receive.locator(f'[name="receive-good_{_only_line(inbound).pk}"]').fill("10")
    receive.get_by_role("button", name="Record receipt").click()
    page.wait_for_load_state()
    j.see("received")
    inbound.refresh_from_db()
    assert inbound.status == "received"
    outbound = Shipment.objects.get(leg=Shipment.Leg.OUTBOUND)

    j.goto(f"/shipments/{outbound.pk}/")
    j.see("outbound")
    split = page.locator("form#split")
    split.locator(f'[name="split-move_{_only_line(outbound).pk}"]').fill("4")
    split.get_by_role("button", name="Split").click()
    page.wait_for_load_state()
    j.see("split")
    second = Shipment.objects.filter(leg=Shipment.Leg.OUTBOUND).exclude(pk=outbound.pk).get()
    assert (_only_line(outbound).quantity, _only_line(second).quantity) == (6, 4)

    j.goto(f"/shipments/{outbound.pk}/")
    dispatch = page.locator("form#dispatch")
    dispatch.get_by_label("Carrier").fill("Rzeszów Transport")
    dispatch.get_by_role("button", name="Dispatch").click()
    page.wait_for_load_state()
    j.see("dispatched")
    outbound.refresh_from_db()
    second.refresh_from_db()
    assert (outbound.status, outbound.carrier, second.status) == ("dispatched", "Rzeszów Transport", "planned")
    assert "Dispatched" in page.locator("main").inner_text()


def test_recipient_confirms_delivery(journey, world, personas, allocate_line, tmp_path):
    allocate_line(10)
    (inbound,) = logistics.generate_shipments(actor=personas.coordinator)
    logistics.dispatch_shipment(actor=personas.donor_de, shipment=inbound, carrier="DB Schenker")
    logistics.receive_shipment(actor=personas.hub_pl, shipment=inbound,
                               lines=[logistics.Received(_only_line(inbound), good=10)])
    outbound = Shipment.objects.get(leg=Shipment.Leg.OUTBOUND)
    logistics.dispatch_shipment(actor=personas.hub_pl, shipment=outbound, carrier="Rzeszów Transport")

    j = journey("recipient-confirms-delivery")
    page = j.page
    j.login(personas.recipient)
    page.get_by_role("link", name="Shipments", exact=True).click()
    j.see("shipments")
    page.get_by_role("link", name=outbound.reference, exact=True).click()
    j.see("outbound")
    receive = page.locator("form#receive")
    receive.locator(f'[name="receive-good_{_only_line(outbound).pk}"]').fill("10")
    receive.get_by_role("button", name="Record receipt").click()
    page.wait_for_load_state()
    j.see("received")
    scan = tmp_path / "delivery-note.pdf"
    scan.write_bytes(PDF)
    sign = page.locator("form#sign")
    sign.get_by_label("Signatory").fill("Maj. A. Melnyk")
    sign.get_by_label("Document").set_input_files(str(scan))
    sign.get_by_role("button", name="Record").click()
    page.wait_for_load_state()
    j.see("proof-recorded")
    proof = ProofOfDelivery.objects.get(shipment=outbound)
    assert (proof.signatory, proof.original_name) == ("Maj. A. Melnyk", "delivery-note.pdf")
    side = page.locator("section", has=page.get_by_role("heading", name="Proof of delivery")).inner_text()
    assert "Maj. A. Melnyk" in side and "10 units received good" in side
    world.requirement.refresh_from_db()
    assert AllocationLine.objects.get(requirement=world.requirement).delivered_quantity == 10


def test_coordinator_runs_the_largest_donor_withdraws_scenario(journey, world, personas):
    # The largest donor by pledged value: Germany (70 generators at 45,000) before the United States
    # (50 generators at 45,000 and 5,000 trauma kits at 120).
    value = {org: sum(p.quantity * p.unit_value for p in Pledge.objects.filter(donor=org))
             for org in (personas.orgs["de"], personas.orgs["us"])}
    largest = max(value, key=value.__getitem__)
    assert largest == personas.orgs["de"]
    j = journey("coordinator-runs-largest-donor-withdraws")
    page = j.page
    j.login(personas.coordinator)
    page.get_by_role("link", name="What-if", exact=True).click()
    j.see("whatif")
    page.get_by_role("link", name=re.compile("New scenario")).first.click()
    j.see("form")
    page.get_by_label("Name").fill("Largest donor withdraws")
    page.locator("summary", has_text="A donor withdraws").click()
    page.get_by_label(largest.name).check()
    j.see("form-filled")
    page.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_url(re.compile(r"/whatif/scenarios/\d+/$"))
    j.see("scenario")
    scenario = Scenario.objects.get(name="Largest donor withdraws")
    assert scenario.perturbations[0]["kind"] == "withdraw_donor"
    page.get_by_role("button", name=re.compile("^Run")).click()
    page.wait_for_url(re.compile(r"/whatif/runs/\d+/$"))
    run = ScenarioRun.objects.get(scenario=scenario)
    j.see("queued")
    assert run_scenario_task.call(run.pk) == "done"
    page.get_by_text("The figures as a table").wait_for()
    j.see("result")
    run.refresh_from_db()
    # Without Germany's 50 committed generators, 50 of the 80 the P1 requirement needs remain: 37.5% lost.
    assert (run.status, run.loss_share, run.time_to_survive_week) == ("done", pytest.approx(0.375), 4)
    main = page.locator("main").inner_text()
    assert "37.5%" in main and "Week 4" in main
    assert world.requirement.reference in main and "Backfill list" in main


def test_charts_read_as_text_and_open_as_tables(journey, world, personas, allocate_line):
    allocate_line(10)
    j = journey("charts")
    page = j.page
    j.goto("/transparency/")
    j.see("transparency")
    j.login(personas.coordinator)
    j.see("dashboard")
    figure = page.locator("figure.chart", has=page.locator('svg[aria-label="Fill by priority"]'))
    assert figure.locator("svg > title").first.text_content() == "Fill by priority"
    assert "P1 critical" in figure.locator("svg > desc").text_content()
    summary = figure.locator("details.chart-table > summary")
    summary.focus()
    page.keyboard.press("Enter")  # a disclosure opens from the keyboard
    table = figure.locator("details.chart-table table")
    table.wait_for()
    j.see("dashboard-table-open")
    first = table.locator("tbody tr").first
    assert first.locator("th").inner_text() == "P1 critical"
    assert first.locator("td").last.inner_text() == figure.locator("svg text.c-value").first.text_content()
    # Inline start forms (seat plans, what-if sweeps) name their help text for their fields' aria-describedby.
    for path in ("/training/seat-plans/", "/whatif/"):
        j.goto(path)
        j.see(path.strip("/").replace("/", "-"))
