"""Every imports page, as every persona: who gets the page, who 403, who 404, who the login page.

The imports area is the coalition's and the auditors'; an outsider gets 404 everywhere. A job belongs to the
organisation that uploaded it: its members see it, auditors see every job (and may not run any), the others
get 404, never a hint that it exists.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aidbridge.interop import services
from aidbridge.interop.models import ImportJob
from aidbridge.interop.tests.helpers import csv_bytes

PERSONAS = ("coordinator", "auditor", "donor_de", "donor_us", "recipient", "hub_pl", "outsider", "anonymous")
ITEMS = csv_bytes([["code", "name", "supply_class", "weight_t"], ["WTR-20L", "Secret water can", "I", "0.021"]])
NEEDS = csv_bytes([["item", "quantity", "due_date", "destination"], ["GEN-100KW", "5", "2026-04-30", "UA LWO"]])


@dataclass(frozen=True)
class Surface:
    name: str
    method: str
    path: str  # with {job} (the coordinator's) and {needs} (the recipient's)
    data: dict[str, Any] | None = None


SURFACES = [
    Surface("index", "get", "/imports/"),
    Surface("index csv", "get", "/imports/?format=csv"),
    Surface("index xlsx", "get", "/imports/?format=xlsx"),
    Surface("template csv", "get", "/imports/templates/items.csv"),
    Surface("template xlsx", "get", "/imports/templates/requirements.xlsx"),
    Surface("upload", "post", "/imports/upload/", {"kind": "items"}),
    Surface("job", "get", "/imports/{job}/"),
    Surface("job progress", "get", "/imports/{job}/progress/"),
    Surface("dry run", "post", "/imports/{job}/dry-run/",
            {"map-code": "code", "map-name": "name", "map-supply_class": "supply_class", "map-weight_t": "weight_t"}),
    Surface("commit", "post", "/imports/{job}/commit/"),
    Surface("recipient's job", "get", "/imports/{needs}/"),
]

MEMBERS = ("coordinator", "auditor", "donor_de", "donor_us", "recipient", "hub_pl")


def expected(persona: str, surface: Surface) -> int:
    if persona == "anonymous":
        return 302  # to the login page
    if persona == "outsider":
        return 404
    if surface.name in ("index", "index csv", "index xlsx", "template csv", "template xlsx"):
        return 200
    if surface.name == "upload":
        # items are the coordinators'; donors and the recipient may import other kinds (their form refuses
        # "items" as a choice), the auditor and the hub operator nothing at all
        return {"coordinator": 302, "auditor": 403, "hub_pl": 403}.get(persona, 422)
    if surface.name == "recipient's job":
        return 200 if persona in ("recipient", "auditor") else 404
    if persona == "coordinator":
        return 302 if surface.method == "post" else 200
    if persona == "auditor":
        return 403 if surface.method == "post" else 200
    return 404


@pytest.fixture
def objects(world, personas):
    job = services.upload_import(actor=personas.coordinator, kind="items", content=ITEMS, filename="secret-items.csv")
    needs = services.upload_import(actor=personas.recipient, kind="requirements", content=NEEDS,
                                   filename="secret-needs.csv")
    return {"job": job.pk, "needs": needs.pk}


def _visible_text(body: str) -> str:
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_matrix(world, personas, login, objects, persona, surface, django_capture_on_commit_callbacks):
    user = None if persona == "anonymous" else getattr(personas, persona)
    client = login(user)
    path = surface.path.format(**objects)
    data = dict(surface.data or {})
    if surface.name == "upload":
        data["file"] = SimpleUploadedFile("more.csv", ITEMS)
    jobs = ImportJob.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = getattr(client, surface.method)(path, data)
    want = expected(persona, surface)
    assert response.status_code == want, (persona, surface.name, response.status_code)
    if persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=")
    if want in (403, 404):
        text = _visible_text(response.content.decode())
        for secret in ("secret-items.csv", "secret-needs.csv", "Secret water can", "IMP-"):
            assert secret not in text, (persona, surface.name, secret)
    if want >= 400 or persona == "anonymous":
        assert not callbacks and ImportJob.objects.count() == jobs  # nothing queued, nothing stored
        assert not ImportJob.objects.filter(status="queued").exists()


@pytest.mark.parametrize("persona", MEMBERS)
def test_the_jobs_download_lists_what_the_page_lists(world, personas, login, objects, persona):
    client = login(getattr(personas, persona))
    page = client.get("/imports/").content.decode()
    text = client.get("/imports/?format=csv").content.decode()
    assert text.splitlines()[0] == "Import,Kind,File,Status,By,Uploaded"
    for name in ("secret-items.csv", "secret-needs.csv"):
        assert (name in text) == (name in page), (persona, name)
    assert client.get("/imports/?format=pdf").status_code == 422


def test_the_jobs_list_shows_only_the_organisations_jobs(world, personas, login, objects):
    assert "secret-items.csv" in login(personas.coordinator).get("/imports/").content.decode()
    assert "secret-needs.csv" not in login(personas.coordinator).get("/imports/").content.decode()
    auditor = login(personas.auditor).get("/imports/").content.decode()
    assert "secret-items.csv" in auditor and "secret-needs.csv" in auditor
    assert "Upload a file" not in auditor
    donor = login(personas.donor_de).get("/imports/").content.decode()
    assert "secret-" not in donor and "Upload a file" in donor


@pytest.mark.parametrize("persona", MEMBERS)
def test_the_navigation_links_the_imports(world, personas, login, persona):
    assert 'href="/imports/"' in login(getattr(personas, persona)).get("/").content.decode()


def test_an_outsider_has_no_imports_link(world, personas, login):
    assert 'href="/imports/"' not in login(personas.outsider).get("/").content.decode()
