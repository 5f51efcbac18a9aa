"""Round trips: a list page's CSV or XLSX download, imported back, gives the same records and the same download;
and ``aidbridge import iati|fts`` hands the file to the open-data importers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from openpyxl import load_workbook

from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue import services as catalogue
from aidbridge.catalogue.models import Item
from aidbridge.interop.tests.helpers import run
from aidbridge.locations import services as locations
from aidbridge.locations.models import Location

SHARED = Path(settings.BASE_DIR).parent.parent / "shared" / "data"  # ../shared beside the repository


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_items_export_import_export(world, personas, login, fmt):
    client = login(personas.coordinator)
    catalogue.create_item(actor=personas.coordinator, code="EQ-1", name="=SUM(A1) looks like a formula",
                          supply_class="IV", unit="box", weight_t="0.5", description="")
    first = client.get(f"/catalogue/?format={fmt}").content
    # importing the download as it is changes nothing
    audit = AuditEvent.objects.count()
    again = run("items", first, personas.coordinator, filename=f"items.{fmt}")
    assert again.ok and again.created == 0 and again.updated == 0, again.lines()
    assert again.unchanged == Item.objects.count()
    assert AuditEvent.objects.count() == audit
    # edits made since the download are put back by importing it
    catalogue.update_item(actor=personas.coordinator, item=world.item, changes={"name": "Renamed", "unit": "set"})
    Item.objects.get(code="EQ-1").delete()
    restored = run("items", first, personas.coordinator, filename=f"items.{fmt}")
    assert restored.ok and (restored.created, restored.updated) == (1, 1), restored.lines()
    assert Item.objects.get(code="EQ-1").name == "=SUM(A1) looks like a formula"
    if fmt == "csv":
        assert client.get("/catalogue/?format=csv").content == first
    else:  # a workbook's bytes carry a timestamp: compare what it says
        def cells(content: bytes) -> list[tuple]:
            return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))

        assert cells(client.get("/catalogue/?format=xlsx").content) == cells(first)


def test_locations_export_import_export(world, personas, login):
    client = login(personas.coordinator)
    first = client.get("/locations/?format=csv").content
    locations.update_location(actor=personas.coordinator, location=world.lviv, changes={"name": "Lemberg"})
    report = run("locations", first, personas.coordinator)
    assert report.ok and report.updated == 1 and report.unchanged == Location.objects.count() - 1
    assert client.get("/locations/?format=csv").content == first


def _cli(*args):
    out = io.StringIO()
    code = 0
    try:
        call_command("import", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue()


IATI = b"""<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2026-03-01T00:00:00Z">
 <iati-activity default-currency="EUR" last-updated-datetime="2026-03-01T00:00:00Z">
  <iati-identifier>XM-EXAMPLE-1-A1</iati-identifier>
  <reporting-org ref="XM-EXAMPLE-1" type="10"><narrative>Example donor</narrative></reporting-org>
  <title><narrative>Winter relief</narrative></title>
  <participating-org ref="XM-EXAMPLE-1" role="1"/>
  <activity-status code="2"/>
  <activity-date iso-date="2026-01-10" type="2"/>
  <recipient-country code="UA"/>
  <sector code="72010" vocabulary="1"/>
  <transaction>
   <transaction-type code="2"/>
   <transaction-date iso-date="2026-01-15"/>
   <value value-date="2026-01-15">1000000</value>
  </transaction>
 </iati-activity>
</iati-activities>
"""


def test_cli_hands_iati_files_to_the_iati_importer(world, personas, tmp_path):
    path = tmp_path / "activities.xml"
    path.write_bytes(IATI)
    code, out = _cli("iati", str(path), "--as", "coordinator", "--dry-run", "--json")
    data = json.loads(out)
    assert code == (0 if data["ok"] else 1)
    assert data["dry_run"] is True and data["activities"] == 1


def test_cli_refuses_hostile_xml_plainly(world, personas, tmp_path):
    path = tmp_path / "laughs.xml"
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
                     b"<iati-activities>&lol2;</iati-activities>")
    code, out = _cli("iati", str(path), "--as", "coordinator", "--dry-run")
    assert code == 1 and out.strip()


def test_cli_hands_fts_flows_to_the_fts_importer(world, personas):
    path = SHARED / "aid-flows" / "ocha-fts" / "fts_incoming_funding_jor.csv"
    if not path.exists():
        pytest.skip(f"the OCHA FTS flows are not there ({path}); they live outside the repository")
    code, out = _cli("fts", str(path), "--as", "coordinator", "--dry-run", "--json")
    data = json.loads(out)
    assert data["dry_run"] is True and data["ok"] is (code == 0)
    assert data["rows"] > 400
