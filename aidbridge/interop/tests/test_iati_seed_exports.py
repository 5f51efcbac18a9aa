"""The open-data exports of the demo scenario: many donors, classes and currencies, all valid and consistent."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import hxl
import pytest
import xmlschema

from aidbridge.interop import downloads, opendata
from aidbridge.interop.iati.export import ACTIVITY_SCHEMA

pytestmark = pytest.mark.slow  # on the seed scenario (built once per session: see conftest.py)


@pytest.fixture
def records(seed_scenario, db):
    return opendata.records()


def test_the_demo_scenario_exports_valid_consistent_open_data(records):
    assert records, "the demo scenario releases pledges to the public"
    iati = downloads.render("iati", records)
    xmlschema.XMLSchema(str(ACTIVITY_SCHEMA)).validate(iati.content.decode())
    root = ET.fromstring(iati.content)
    refs = [t.get("ref") for t in root.iter("transaction")]
    published = {r.reference for r in records if r.donor.iati_identifier and r.amount > 0}
    assert len(refs) == len(set(refs)) and set(refs) == published
    identifiers = [a.findtext("iati-identifier") for a in root.findall("iati-activity")]
    assert len(identifiers) == len(set(identifiers)) == len({(r.donor.pk, r.kind, r.programme) for r in records
                                                             if r.reference in published})

    fts = list(csv.DictReader(io.StringIO(downloads.render("fts", records).content.decode())))
    assert sorted(row["id"] for row in fts) == sorted(r.reference for r in records)
    assert {row["status"] for row in fts} <= {"pledge", "commitment", "paid"}

    data = hxl.data(hxl.input.make_input(io.BytesIO(downloads.render("hxl", records).content),
                                         hxl.input.InputOptions(allow_local=True)))
    assert sorted(row.get("#activity+code") for row in data) == sorted(r.reference for r in records)
