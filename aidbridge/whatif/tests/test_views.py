"""The what-if pages: scenario form → service, errors beside their fields, run and sweep pages in every state,
the exposure page, and what auditors may not do."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from openpyxl import load_workbook

from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import ServiceError
from aidbridge.whatif import forms, services
from aidbridge.whatif.models import Scenario, ScenarioRun, Status, Sweep
from aidbridge.whatif.tests import test_views_helpers as h


def _form(**overrides):
    data = {"name": "Hub trouble", "description": "", "threshold": "90", "weeks": "26", "lead_leg": "in",
            "lead_origin": "*", "lead_hub": "*", "lead_destination": "*"}
    data.update(overrides)
    return data


def _text(response) -> str:
    return html.unescape(response.content.decode())


# --- creating, editing, deleting ------------------------------------------------------------------------------

def test_coordinator_creates_a_scenario_through_the_form(world, personas, login):
    client = login(personas.coordinator)
    page = client.get("/whatif/scenarios/add/")
    assert page.status_code == 200
    for legend in ("A donor withdraws", "A donor delays its deliveries", "A hub closes or loses capacity",
                   "Lead times on a route rise", "Demand surges"):
        assert legend in _text(page)
    assert "Approved but undispatched allocations are lost too" in _text(page)
    response = client.post("/whatif/scenarios/add/", _form(
        name="Germany leaves, Rzeszów halves", threshold="85", weeks="20",
        withdraw_donors=[personas.orgs["de"].pk], withdraw_from="2026-04-01",  # lose_allocated unticked
        hub=world.hub.pk, hub_cut="50", hub_from="2026-04-06", hub_to="2026-05-03",
        lead_leg="out", lead_hub=str(world.hub.pk), lead_destination=str(world.kyiv.pk), lead_weeks="2",
        surge_class="VII", surge_percent="25", delay_donor=personas.orgs["us"].pk, delay_weeks="3"))
    scenario = Scenario.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/whatif/scenarios/{scenario.pk}/"
    assert scenario.threshold == pytest.approx(0.85) and scenario.weeks == 20
    assert scenario.perturbations == [
        {"kind": "withdraw_donor", "donor": personas.orgs["de"].pk, "from_date": "2026-04-01", "lose_allocated": False},
        {"kind": "delay_donor", "donor": personas.orgs["us"].pk, "weeks": 3},
        {"kind": "close_hub", "hub": world.hub.pk, "cut": 0.5, "from_date": "2026-04-06", "to_date": "2026-05-03"},
        {"kind": "lead_time", "leg": "out", "hub": world.hub.pk, "destination": world.kyiv.pk, "weeks": 2},
        {"kind": "demand_surge", "item": None, "supply_class": "VII", "share": 0.25},
    ]
    assert AuditEvent.objects.filter(action="scenario.create", object_id=str(scenario.pk)).count() == 1
    detail = _text(client.get(response["Location"]))
    assert "withdraws what it has not dispatched by 1 Apr 2026" in detail
    assert "approved allocations are still delivered" in detail
    assert "PL-RZE Rzeszów hub loses 50% of its capacity from 6 Apr 2026 to 3 May 2026" in detail
    assert ">Run</button>" in detail and ">Edit</a>" in detail and 'data-confirm="Delete the scenario' in detail


def test_an_empty_scenario_is_the_baseline(world, personas, login):
    response = login(personas.coordinator).post("/whatif/scenarios/add/", _form(name="Baseline"))
    assert response.status_code == 302
    assert Scenario.objects.get().perturbations == []


def test_form_errors_are_shown_beside_their_fields(world, personas, login):
    client = login(personas.coordinator)
    response = client.post("/whatif/scenarios/add/", _form(
        name="", delay_donor=personas.orgs["us"].pk, surge_percent="10", hub=world.hub.pk,
        hub_from="2026-05-01", hub_to="2026-04-01"))
    assert response.status_code == 422
    page = _text(response)
    assert re.search(r'id="id_name_errors"><li>This field is required', page)
    assert re.search(r'id="id_delay_weeks_errors"><li>Say by how many weeks', page)
    assert re.search(r'id="id_surge_item_errors"><li>Pick the item or the supply class', page)
    assert re.search(r'id="id_hub_to_errors"><li>The hub reopens before it closes', page)
    # the sections with errors are open
    assert re.search(r'id="section-delay_donor" open', page)
    assert not Scenario.objects.exists()


def test_the_services_errors_land_on_the_section_field_they_name(world, personas, login, monkeypatch):
    def refuse(**kwargs):
        raise ServiceError({"perturbations": [
            "perturbations[1] (close_hub): to_date 2026-04-01 is before from_date 2026-05-01.",
            "perturbations[0] (withdraw_donor): donor 99 is not a donor organisation."]})

    monkeypatch.setattr(services, "create_scenario", refuse)
    response = login(personas.coordinator).post("/whatif/scenarios/add/", _form(
        withdraw_donors=[personas.orgs["de"].pk], hub=world.hub.pk))
    page = _text(response)
    assert response.status_code == 422
    assert re.search(r'id="id_hub_to_errors"><li>to_date 2026-04-01 is before from_date 2026-05-01.', page)
    assert re.search(r'id="id_withdraw_donors_errors"><li>donor 99 is not a donor organisation.', page)
    assert "perturbations[" not in page


def test_a_duplicate_name_is_refused_beside_the_name(world, personas, login):
    h.scenario(personas, name="Taken")
    response = login(personas.coordinator).post("/whatif/scenarios/add/", _form(name="Taken"))
    assert response.status_code == 422
    assert 'id="id_name_errors"' in _text(response)
    assert Scenario.objects.count() == 1


def test_apply_errors_maps_indexes_to_sections_and_keeps_the_rest(world, personas):
    form = forms.ScenarioForm(_form(surge_item=world.item.pk, surge_percent="30", lead_weeks="2"),
                              user=personas.coordinator, kept=[({"kind": "close_hub", "hub": 1}, "PL-RZE closes")])
    assert form.is_valid(), form.errors
    stored = form.perturbations()
    assert [p["kind"] for p in stored] == ["lead_time", "demand_surge", "close_hub"]
    form.apply_errors({"perturbations": ["perturbations[1] (demand_surge): share must be more than 0",
                                         "perturbations[0] (lead_time): hub 12 does not exist.",
                                         "perturbations[2] (close_hub): hub 1 does not exist."],
                       "weeks": ["The horizon is a whole number of weeks, from 1 to 104."],
                       "__all__": ["Something else."]})
    assert form.errors["surge_percent"] == ["share must be more than 0"]
    assert form.errors["lead_hub"] == ["hub 12 does not exist."]
    assert form.errors["weeks"] == ["The horizon is a whole number of weeks, from 1 to 104."]
    assert form.non_field_errors() == ["perturbations[2] (close_hub): hub 1 does not exist.", "Something else."]


def test_edit_shows_the_saved_perturbations_keeps_what_it_cannot_show_and_saves(world, personas, login):
    scenario = h.scenario(personas, perturbations=[
        {"kind": "close_hub", "hub": world.hub.pk, "cut": 1.0, "from_date": None, "to_date": None},
        {"kind": "close_hub", "hub": world.hub_ro.pk, "cut": 0.3, "from_date": None, "to_date": None},
        {"kind": "demand_surge", "item": world.item.pk, "supply_class": None, "share": 0.5},
    ])
    client = login(personas.coordinator)
    page = _text(client.get(f"/whatif/scenarios/{scenario.pk}/edit/"))
    assert re.search(rf'<option value="{world.hub.pk}" selected>', page)
    assert 'name="surge_percent" value="50.0"' in page
    assert "Other perturbations, kept as saved" in page and "RO-SCV Suceava hub loses 30% of its capacity" in page
    data = _form(name=scenario.name, threshold="80", weeks="26", hub=world.hub.pk, hub_cut="100",
                 surge_item=world.item.pk, surge_percent="50")
    assert client.post(f"/whatif/scenarios/{scenario.pk}/edit/", data).status_code == 302
    scenario.refresh_from_db()
    assert [p["kind"] for p in scenario.perturbations] == ["close_hub", "demand_surge", "close_hub"]
    assert scenario.perturbations[2]["hub"] == world.hub_ro.pk and scenario.threshold == pytest.approx(0.8)
    assert AuditEvent.objects.filter(action="scenario.update", object_id=str(scenario.pk)).count() == 1
    # ticking the kept one removes it
    client.post(f"/whatif/scenarios/{scenario.pk}/edit/", {**data, "remove_kept": ["0"]})
    scenario.refresh_from_db()
    assert [p.get("hub") for p in scenario.perturbations if p["kind"] == "close_hub"] == [world.hub.pk]


def test_delete_asks_first_then_deletes_the_scenario_and_its_runs(world, personas, login):
    run = h.run(world, personas)
    scenario = run.scenario
    client = login(personas.coordinator)
    assert 'data-confirm="Delete the scenario “Germany walks away” and its 1 run?"' in _text(
        client.get(f"/whatif/scenarios/{scenario.pk}/"))
    assert client.get(f"/whatif/scenarios/{scenario.pk}/delete/").status_code == 405
    response = client.post(f"/whatif/scenarios/{scenario.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/whatif/"
    assert not Scenario.objects.exists() and not ScenarioRun.objects.exists()
    assert AuditEvent.objects.filter(action="scenario.delete").count() == 1


def test_run_button_queues_a_run_and_shows_its_progress(world, personas, login, django_capture_on_commit_callbacks):
    scenario = h.scenario(personas)
    client = login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/whatif/scenarios/{scenario.pk}/run/")
    run = ScenarioRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/whatif/runs/{run.pk}/"
    assert run.status == Status.QUEUED and run.scenario == scenario
    assert AuditEvent.objects.filter(action="scenario_run.start").count() == 1
    page = _text(client.get(f"/whatif/runs/{run.pk}/"))
    assert "<progress" in page and 'hx-trigger="every 1s"' in page
    assert f'hx-get="/whatif/runs/{run.pk}/progress/"' in page


# --- the run page in each state ----------------------------------------------------------------------------

def test_queued_and_running_runs_poll_their_progress(world, personas, login):
    owner = h.scenario(personas)
    queued = h.run(world, personas, Status.QUEUED, owner=owner)
    running = h.run(world, personas, Status.RUNNING, owner=owner, progress=0.42,
                    progress_message="Re-planning 3 items")
    client = login(personas.coordinator)
    q = _text(client.get(f"/whatif/runs/{queued.pk}/"))
    assert 'hx-trigger="every 1s"' in q and "Queued" in q and 'value="0"' in q
    r = _text(client.get(f"/whatif/runs/{running.pk}/"))
    assert 'hx-trigger="every 1s"' in r and "Running — Re-planning 3 items" in r and 'value="42"' in r
    assert "Backfill list" not in r
    partial = client.get(f"/whatif/runs/{running.pk}/progress/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "HX-Refresh" not in partial


def test_progress_partial_asks_for_a_refresh_once_the_run_is_over(world, personas, login):
    run = h.run(world, personas)
    response = login(personas.coordinator).get(f"/whatif/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert "hx-trigger" not in _text(response)


def test_a_done_run_shows_its_answer(world, personas, login):
    run = h.run(world, personas)
    page = _text(login(personas.coordinator).get(f"/whatif/runs/{run.pk}/"))
    assert "hx-trigger" not in page
    # headline figures
    assert "400" in page and "300" in page and "25.0%" in page and "0.33%" in page
    week3 = h.start() + dt.timedelta(weeks=3)
    assert f'Week 3</span><span class="sub">from {week3:%a} {week3.day} {week3:%b %Y}' in page
    assert "The baseline's P1 coverage stays above the threshold over the whole horizon" in page
    assert "first falls below the threshold share of the baseline's in week 3" in page
    # the line chart, accessible, with its threshold and numbers in titles and a table
    assert 'aria-label="P1 coverage by week, baseline against scenario, with the threshold line"' in page
    assert 'class="wi-series-2"' in page and "90% of the baseline" in page
    assert f"Scenario, {week3.day} {week3:%b}: 50.0%" in page
    assert "The figures as a table" in page and "below 90% of the baseline" in page
    # fill by priority and class
    assert "Fill by priority" in page and "P1" in page and "62.5%" in page
    assert "Fill by supply class" in page and "VII — Major end items" in page
    # requirements losing coverage, linked, with units and points
    ref = f"REQ-{world.requirement.pk:05d}"
    assert f'<a href="/requirements/{world.requirement.pk}/">{ref}</a>' in page
    assert "Generator 100 kW" in page and ">30</td>" in page and ">100.0</td>" in page
    # single points of failure, backfill and its downloads
    assert "Single points of failure" in page and ">150.0</td>" in page and ">62%</td>" in page
    assert "Backfill list" in page and personas.orgs["us"].name in page
    assert f"/whatif/runs/{run.pk}/backfill.csv" in page and f"/whatif/runs/{run.pk}/backfill.xlsx" in page
    assert "withdraws from week 0" in page


def test_a_run_that_survives_the_horizon_says_so(world, personas, login):
    run = h.run(world, personas, result=h.result_doc(world, personas, tts=None), time_to_survive_week=None)
    page = _text(login(personas.coordinator).get(f"/whatif/runs/{run.pk}/"))
    assert "Whole horizon" in page
    assert "keeps P1 coverage above the threshold share of the baseline's over the whole horizon (8 weeks)" in page


def test_a_failed_run_shows_its_error(world, personas, login):
    run = h.run(world, personas, Status.FAILED, error="Traceback …\nPerturbationError: unknown hub \"XX-YYY\"")
    page = _text(login(personas.coordinator).get(f"/whatif/runs/{run.pk}/"))
    assert "The run failed" in page and "unknown hub \"XX-YYY\"" in page
    assert "hx-trigger" not in page and "Backfill list" not in page
    assert login(personas.coordinator).get(f"/whatif/runs/{run.pk}/backfill.csv").status_code == 404


def test_scenario_page_lists_runs_and_shows_the_latest_result_inline(world, personas, login):
    owner = h.scenario(personas)
    h.run(world, personas, Status.FAILED, owner=owner, error="old failure")
    latest = h.run(world, personas, owner=owner)
    page = _text(login(personas.coordinator).get(f"/whatif/scenarios/{owner.pk}/"))
    assert f"Latest run: <a href=\"/whatif/runs/{latest.pk}/\">#{latest.pk}</a>" in page
    assert "Backfill list" in page and "old failure" not in page
    assert page.count('href="/whatif/runs/') >= 2


def test_the_index_lists_scenarios_with_their_last_run_and_the_sweeps(world, personas, login):
    owner = h.scenario(personas)
    h.run(world, personas, owner=owner)
    h.donor_sweep(world, personas)
    running = Sweep.objects.create(kind=Sweep.Kind.HUBS, start_date=h.start(), status=Status.RUNNING, total=4)
    page = _text(login(personas.coordinator).get("/whatif/"))
    assert "Germany walks away" in page and "withdraws everything not yet moved" in page
    assert "25.0%" in page and "week 3" in page
    assert "Each donor withdraws" in page and "2/2" in page
    assert f'href="/whatif/sweeps/{running.pk}/"' in page and "0/4" in page
    assert "New scenario" in page and "Start a sweep" in page


# --- backfill downloads ----------------------------------------------------------------------------------------

def test_backfill_downloads(world, personas, login):
    run = h.run(world, personas)
    client = login(personas.coordinator)
    response = client.get(f"/whatif/runs/{run.pk}/backfill.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="whatif-run-{run.pk}-backfill.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:5] == ["GEN-100KW", "Generator 100 kW", "4", (h.start() + dt.timedelta(weeks=4)).isoformat(), "30"]
    assert personas.orgs["us"].name in rows[1][5]
    assert personas.orgs["de"].name not in rows[1][5]  # the withdrawn donor is no backfill
    xlsx = client.get(f"/whatif/runs/{run.pk}/backfill.xlsx")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(xlsx.content))["Backfill"]
    assert sheet["A3"].value == "GEN-100KW" and sheet["E3"].value == 30
    assert client.get(f"/whatif/runs/{run.pk}/backfill.pdf").status_code == 404


def test_backfill_csv_escapes_formulas_from_the_database(world, personas, login):
    from aidbridge.catalogue.models import Item

    Item.objects.filter(pk=world.item.pk).update(name="=cmd|' /C calc'!A0")
    run = h.run(world, personas)
    rows = list(csv.reader(io.StringIO(login(personas.coordinator).get(
        f"/whatif/runs/{run.pk}/backfill.csv").content.decode())))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"


# --- sweeps --------------------------------------------------------------------------------------------------

def test_coordinator_starts_a_sweep(world, personas, login, django_capture_on_commit_callbacks):
    client = login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/whatif/sweeps/start/", {"kind": "donors", "from_date": "2026-04-01"})
    sweep = Sweep.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/whatif/sweeps/{sweep.pk}/"
    assert sweep.kind == "donors" and sweep.from_date == dt.date(2026, 4, 1)
    page = _text(client.get(response["Location"]))
    assert 'hx-trigger="every 1s"' in page and "planning the baseline" in page


def test_a_running_sweep_shows_done_of_total(world, personas, login):
    sweep, runs = h.donor_sweep(world, personas, status=Status.RUNNING)
    sweep.total = 5
    sweep.save(update_fields=["total"])
    client = login(personas.coordinator)
    page = _text(client.get(f"/whatif/sweeps/{sweep.pk}/"))
    assert "2 of 5 scenarios done" in page and 'value="40"' in page and 'hx-trigger="every 1s"' in page
    assert "Exposure: priority points lost" not in page
    partial = client.get(f"/whatif/sweeps/{sweep.pk}/progress/", HTTP_HX_REQUEST="true")
    assert "2/5" in _text(partial) and "HX-Refresh" not in partial


def test_a_done_sweep_shows_a_tornado_linking_each_bar_to_its_run(world, personas, login):
    sweep, (us_run, de_run) = h.donor_sweep(world, personas)
    client = login(personas.coordinator)
    page = _text(client.get(f"/whatif/sweeps/{sweep.pk}/"))
    assert "hx-trigger" not in page
    assert 'aria-label="Tornado chart: share of priority points lost when each donor withdraws, largest first"' in page
    svg = re.search(r"<svg[^>]*aria-label=\"Tornado.*?</svg>", page, re.S).group(0)
    links = re.findall(r'<a href="/whatif/runs/(\d+)/">', svg)
    assert links == [str(de_run.pk), str(us_run.pk)]  # 40% above 10%
    assert f"{personas.orgs['de'].name} (donor): 40.0% of priority points lost" in svg
    assert "Single points of failure" in page and "Generator 100 kW" in page
    assert page.index(f'href="/whatif/runs/{de_run.pk}/"', page.index('id="scenarios"')) < \
        page.index(f'href="/whatif/runs/{us_run.pk}/"', page.index('id="scenarios"'))
    done = client.get(f"/whatif/sweeps/{sweep.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_a_failed_sweep_shows_its_error(world, personas, login):
    sweep = Sweep.objects.create(kind=Sweep.Kind.HUBS, start_date=h.start(), status=Status.FAILED,
                                 error="No hubs to close.")
    page = _text(login(personas.coordinator).get(f"/whatif/sweeps/{sweep.pk}/"))
    assert "The sweep failed" in page and "No hubs to close." in page


# --- exposure ------------------------------------------------------------------------------------------------

def test_exposure_for_coordinators_has_the_tornado_of_donors_and_hubs_and_concentration(world, personas, login):
    h.donor_sweep(world, personas)
    h.hub_sweep(world, personas)
    page = _text(login(personas.coordinator).get("/whatif/exposure/"))
    svg = re.search(r"<svg[^>]*aria-label=\"Tornado.*?</svg>", page, re.S).group(0)
    labels = re.findall(r"<title>(.*?): ([\d.]+%) of priority points lost</title>", svg)
    assert [(name, share) for name, share in labels] == [
        (f"{personas.orgs['de'].name} (donor)", "40.0%"), ("PL-RZE Rzeszów hub (hub)", "20.0%"),
        (f"{personas.orgs['us'].name} (donor)", "10.0%")]
    assert "Donor concentration by item" in page and "Donor concentration by supply class" in page
    assert "Donor concentration by requirement package" in page
    assert "GEN-100KW Generator 100 kW" in page and "HHI" in page


def test_exposure_before_any_sweep_says_how_to_get_one(world, personas, login):
    page = _text(login(personas.coordinator).get("/whatif/exposure/"))
    assert "No sweep has finished yet" in page


def test_a_donor_sees_only_its_own_exposure(world, personas, login):
    h.donor_sweep(world, personas)
    page = _text(login(personas.donor_de).get("/whatif/exposure/"))
    assert "Your exposure" in page and "40.0%" in page
    assert personas.orgs["us"].name not in page and "10.0%" not in page
    assert "/whatif/runs/" not in page and "/whatif/sweeps/" not in page
    us_page = _text(login(personas.donor_us).get("/whatif/exposure/"))
    assert "10.0%" in us_page and personas.orgs["de"].name not in us_page


# --- auditors and the nav ------------------------------------------------------------------------------------

def test_auditors_read_everything_but_see_no_write_button_and_may_not_post(world, personas, login,
                                                                           django_capture_on_commit_callbacks):
    run = h.run(world, personas)
    scenario = run.scenario
    client = login(personas.auditor)
    index = _text(client.get("/whatif/"))
    assert "Germany walks away" in index and "New scenario" not in index and "Start a sweep" not in index
    detail = _text(client.get(f"/whatif/scenarios/{scenario.pk}/"))
    assert ">Run</button>" not in detail and ">Edit</a>" not in detail and "Delete" not in detail
    assert "Run again" not in _text(client.get(f"/whatif/runs/{run.pk}/"))
    with django_capture_on_commit_callbacks(execute=False):
        assert client.get("/whatif/scenarios/add/").status_code == 403
        assert client.post("/whatif/scenarios/add/", _form(name="Auditor's")).status_code == 403
        assert client.get(f"/whatif/scenarios/{scenario.pk}/edit/").status_code == 403
        assert client.post(f"/whatif/scenarios/{scenario.pk}/edit/", _form(name="x")).status_code == 403
        assert client.post(f"/whatif/scenarios/{scenario.pk}/run/").status_code == 403
        assert client.post(f"/whatif/scenarios/{scenario.pk}/delete/").status_code == 403
        assert client.post("/whatif/sweeps/start/", {"kind": "hubs"}).status_code == 403
    assert Scenario.objects.count() == 1 and ScenarioRun.objects.count() == 1 and not Sweep.objects.exists()


@pytest.mark.parametrize("name,link", [("coordinator", "What-if"), ("auditor", "What-if"), ("donor_de", "Exposure"),
                                       ("recipient", None), ("hub_pl", None), ("outsider", None)])
def test_the_nav_link(world, personas, login, name, link):
    page = _text(login(getattr(personas, name)).get("/"))
    nav = re.search(r'<nav class="main-nav".*?</nav>', page, re.S).group(0)
    assert ('href="/whatif/">What-if</a>' in nav) == (link == "What-if")
    assert ('href="/whatif/exposure/">Exposure</a>' in nav) == (link == "Exposure")


def test_pages_answer_in_a_bounded_number_of_queries(world, personas, login, django_assert_max_num_queries):
    owner = h.scenario(personas)
    for i in range(5):
        h.scenario(personas, name=f"Scenario {i}")
    h.run(world, personas, owner=owner)
    sweep, _ = h.donor_sweep(world, personas)
    client = login(personas.coordinator)
    with django_assert_max_num_queries(25):
        assert client.get("/whatif/").status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(f"/whatif/sweeps/{sweep.pk}/").status_code == 200
