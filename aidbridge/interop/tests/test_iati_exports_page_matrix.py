"""The /exports/ page, its downloads, the export API and ``aidbridge export``, as every persona.

Open data is what an anonymous visitor may see, so every persona gets the same files: the page and the
downloads answer everyone (like /transparency/), the API everyone with a token or a session (401 without).
No file and no page shows anything released to the coalition or the coordinators only, or not yet disclosed.
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from aidbridge.interop.tests.opendata_helpers import money_pledge, name_donors

PERSONAS = ("coordinator", "auditor", "donor_de", "donor_us", "recipient", "hub_pl", "outsider", "anonymous")
PAGE = "/exports/"
DOWNLOADS = ("/exports/aidbridge-iati.xml", "/exports/aidbridge-fts.csv", "/exports/aidbridge-hxl.csv")
API = ("/api/v1/exports/iati.xml", "/api/v1/exports/fts.csv", "/api/v1/exports/hxl.csv")
INSTANT = dt.datetime(2026, 3, 11, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def scene(world, personas):
    name_donors(personas)
    public = money_pledge(personas.donor_us, purpose="Published programme", amount=Decimal("123456.78"))
    money_pledge(personas.donor_de, releasability="coalition", purpose="Coalition programme")
    money_pledge(personas.donor_de, releasability="coordinators", purpose="Coordinators programme")
    money_pledge(personas.donor_us, disclosure=dt.date(2026, 12, 1), purpose="Embargoed programme")
    return {
        "shown": [public.reference, world.pledge_public.reference, "Published programme"],
        "hidden": ["Coalition programme", "Coordinators programme", "Embargoed programme",
                   world.pledge_coalition.reference, world.pledge_coordinators.reference,
                   world.pledge_public_later.reference, personas.orgs["other"].name],
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_gets_the_same_public_files(scene, personas, login, persona):
    user = None if persona == "anonymous" else getattr(personas, persona)
    client, reference = login(user), login(personas.auditor)
    with time_machine.travel(INSTANT, tick=False):
        page = client.get(PAGE)
        assert page.status_code == 200
        text = page.content.decode()
        assert "Download IATI XML" in text and "Open data" in text
        assert ('href="/exports/">Open data</a>' in text) == (persona != "anonymous")  # the nav, once logged in
        for path in DOWNLOADS:
            response = client.get(path)
            assert response.status_code == 200, (persona, path)
            assert response["Content-Disposition"].startswith('attachment; filename="aidbridge-')
            body = response.content.decode()
            assert all(s in body for s in scene["shown"]), (persona, path)
            assert not any(s in body for s in scene["hidden"]), (persona, path)
            assert response.content == reference.get(path).content  # the same file for everyone
        for path in API:
            response = client.get(path)
            if persona == "anonymous":
                assert response.status_code == 401
                continue
            assert response.status_code == 200, (persona, path)
            assert response.content == reference.get(path.replace("/api/v1/exports/", "/exports/aidbridge-")).content


def test_the_download_types_and_names(scene, login):
    client = login(None)
    iati = client.get("/exports/aidbridge-iati.xml")
    assert iati["Content-Type"] == "application/xml; charset=utf-8"
    assert ET.fromstring(iati.content).get("version") == "2.03"
    fts = client.get("/exports/aidbridge-fts.csv")
    assert fts["Content-Type"] == "text/csv; charset=utf-8"
    assert fts["Content-Disposition"] == 'attachment; filename="aidbridge-fts-flows-2026-03-11.csv"'
    assert client.get("/exports/aidbridge-hxl.csv").content.splitlines()[1].startswith(b"#org+funder+name,")
    assert client.get("/exports/aidbridge-iati.csv").status_code == 404
    assert client.get("/exports/aidbridge-secret.xml").status_code == 404
    assert client.post("/exports/aidbridge-fts.csv").status_code == 405


def test_the_page_names_donors_left_out_of_iati(world, personas, login):
    money_pledge(personas.donor_de, purpose="No identifier")
    text = login(None).get(PAGE).content.decode()
    assert f"no IATI organisation identifier: {personas.orgs['de'].name}" in text
    assert "the file is not a valid IATI file" in text


def test_the_export_command_writes_each_file(scene, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("export", "hxl", stdout=out, stderr=err)
    assert out.getvalue().splitlines()[1].startswith("#org+funder+name,") and err.getvalue() == "HXL: 2 rows.\n"
    target = tmp_path / "iati.xml"
    out = io.StringIO()
    call_command("export", "iati", "-o", str(target), stdout=out)
    assert ET.fromstring(target.read_bytes()).get("version") == "2.03"
    assert out.getvalue() == f"IATI 2.03: 2 activities, 2 transactions.\nWrote {target}.\n"
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export", "fts", "-o", str(tmp_path / "missing" / "x.csv"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="invalid choice: 'json'"):
        call_command("export", "json")
