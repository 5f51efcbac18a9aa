"""Every what-if page and export, as every persona: who gets the page, who 403, who 404, who the login page.

Scenarios, sweeps and runs are the coordination cell's: coordinators read and write them, auditors read them,
everybody else gets 404 (never a hint that they exist), anonymous visitors are sent to log in. A coalition
donor gets its own exposure on the exposure page, and nothing of other donors.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest

from aidbridge.whatif.models import ScenarioRun, Status
from aidbridge.whatif.tests import test_views_helpers as h

PERSONAS = ("coordinator", "auditor", "donor_de", "donor_us", "recipient", "hub_pl", "outsider", "anonymous")


@dataclass(frozen=True)
class Surface:
    name: str
    method: str
    path: str  # with {scenario}, {run}, {sweep}
    data: dict[str, Any] | None = None


SURFACES = [
    Surface("index", "get", "/whatif/"),
    Surface("new scenario form", "get", "/whatif/scenarios/add/"),
    Surface("create scenario", "post", "/whatif/scenarios/add/",
            {"name": "Matrix", "threshold": "90", "weeks": "26", "lead_leg": "in"}),
    Surface("scenario", "get", "/whatif/scenarios/{scenario}/"),
    Surface("edit form", "get", "/whatif/scenarios/{scenario}/edit/"),
    Surface("edit", "post", "/whatif/scenarios/{scenario}/edit/",
            {"name": "Renamed", "threshold": "90", "weeks": "26", "lead_leg": "in"}),
    Surface("run", "post", "/whatif/scenarios/{scenario}/run/"),
    Surface("delete", "post", "/whatif/scenarios/{scenario}/delete/"),
    Surface("run page", "get", "/whatif/runs/{run}/"),
    Surface("run progress", "get", "/whatif/runs/{run}/progress/"),
    Surface("backfill csv", "get", "/whatif/runs/{run}/backfill.csv"),
    Surface("backfill xlsx", "get", "/whatif/runs/{run}/backfill.xlsx"),
    Surface("sweep run page", "get", "/whatif/runs/{sweep_run}/"),
    Surface("start sweep", "post", "/whatif/sweeps/start/", {"kind": "hubs"}),
    Surface("sweep", "get", "/whatif/sweeps/{sweep}/"),
    Surface("sweep progress", "get", "/whatif/sweeps/{sweep}/progress/"),
    Surface("exposure", "get", "/whatif/exposure/"),
]


def expected(persona: str, surface: Surface) -> int:
    if persona == "anonymous":
        return 302  # to the login page
    if persona == "coordinator":
        return 302 if surface.method == "post" else 200
    if persona == "auditor":
        if surface.method == "post" or surface.name in ("new scenario form", "edit form"):
            return 403
        return 200
    if persona in ("donor_de", "donor_us") and surface.name == "exposure":
        return 200
    return 404


@pytest.fixture
def objects(world, personas):
    owner = h.scenario(personas)
    run = h.run(world, personas, owner=owner)
    sweep, sweep_runs = h.donor_sweep(world, personas)
    return {"scenario": owner.pk, "run": run.pk, "sweep": sweep.pk, "sweep_run": sweep_runs[0].pk}


def _visible_text(body: str) -> str:
    body = re.sub(r"<svg\b.*?</svg>", lambda m: " ".join(re.findall(r"<title>(.*?)</title>", m.group(0))),
                  body, flags=re.S)
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_matrix(world, personas, login, objects, persona, surface, django_capture_on_commit_callbacks):
    user = None if persona == "anonymous" else getattr(personas, persona)
    client = login(user)
    path = surface.path.format(**objects)
    with django_capture_on_commit_callbacks(execute=False):
        response = getattr(client, surface.method)(path, surface.data or {})
    want = expected(persona, surface)
    assert response.status_code == want, (persona, surface.name, response.status_code)
    if persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=")
    if want in (403, 404):
        text = _visible_text(response.content.decode())
        # nothing of the scenario, its runs or the donors' exposure leaks into a refusal
        for secret in ("Germany walks away", "40.0%", "25.0%", "Backfill"):
            assert secret not in text, (persona, surface.name, secret)
    if want >= 400 or persona == "anonymous":
        assert ScenarioRun.objects.filter(status=Status.QUEUED).count() == 0


@pytest.mark.parametrize("persona,own,other", [("donor_de", "de", "us"), ("donor_us", "us", "de")])
def test_a_donor_sees_its_own_exposure_and_nothing_of_the_others(world, personas, login, objects, persona, own,
                                                                 other):
    page = login(getattr(personas, persona)).get("/whatif/exposure/")
    text = _visible_text(page.content.decode())
    own_share, other_share = {"de": ("40.0%", "10.0%"), "us": ("10.0%", "40.0%")}[own]
    assert personas.orgs[own].name in text and own_share in text
    assert personas.orgs[other].name not in text and other_share not in text
    assert "/whatif/runs/" not in page.content.decode() and "/whatif/sweeps/" not in page.content.decode()
    assert "Donor concentration" not in text and "Single points of failure" not in text


def test_the_coordinators_pages_name_every_donor(world, personas, login, objects):
    text = _visible_text(login(personas.coordinator).get("/whatif/exposure/").content.decode())
    assert personas.orgs["de"].name in text and personas.orgs["us"].name in text
