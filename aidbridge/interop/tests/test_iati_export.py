"""IATI 2.03 export: valid against the shipped XSD, public and disclosed pledges only, and a round trip."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import xmlschema

from aidbridge.interop import opendata
from aidbridge.interop.iati.export import ACTIVITY_SCHEMA, SCHEMA_DIR, export_iati
from aidbridge.interop.iati.importer import import_iati
from aidbridge.interop.tests.opendata_helpers import money_pledge, name_donors, superuser
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import FinancialPledge


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(ACTIVITY_SCHEMA))


@pytest.fixture
def released(world, personas):
    """The world's pledges plus financial ones: public and disclosed, coalition-only, and public but not yet."""
    name_donors(personas)
    us, de = personas.donor_us, personas.donor_de
    relief = money_pledge(us, amount=Decimal("1000000"), currency="USD", purpose="Winter relief")
    fuel = pledges.commit_financial_pledge(
        actor=us, pledge=money_pledge(us, purpose="Fuel & power", sector="23630", recipient_country="MD"),
        on=dt.date(2026, 3, 2))
    paid = pledges.disburse_financial_pledge(actor=de, pledge=money_pledge(de, amount=Decimal("75000.5")),
                                             on=dt.date(2026, 3, 4))
    money_pledge(de, releasability="coalition", amount=Decimal("999"), purpose="Secret programme")
    money_pledge(us, disclosure=dt.date(2027, 1, 1), purpose="Not yet disclosed")
    gone = money_pledge(us, purpose="Withdrawn programme")
    pledges.withdraw_financial_pledge(actor=us, pledge=gone)
    return {"relief": relief, "fuel": fuel, "paid": paid}


def test_the_shipped_schema_is_the_iati_203_activity_schema_with_its_licence():
    assert {p.name for p in SCHEMA_DIR.iterdir()} >= {"iati-activities-schema.xsd", "iati-common.xsd", "xml.xsd",
                                                       "LICENSE", "NOTICE"}
    assert 'version="2.03"' in ACTIVITY_SCHEMA.read_text()[:400]


def test_the_export_is_valid_iati_203_and_holds_public_disclosed_pledges_only(released, world, schema):
    result = export_iati()
    schema.validate(result.xml.decode())  # raises on any violation of the XSD
    root = ET.fromstring(result.xml)
    assert root.get("version") == "2.03"
    text = result.xml.decode()
    for secret in ("Secret programme", "Not yet disclosed", "Withdrawn programme", world.pledge_coalition.reference,
                   world.pledge_coordinators.reference, world.pledge_public_later.reference):
        assert secret not in text
    refs = {t.get("ref"): t for t in root.iter("transaction")}
    assert set(refs) == {released["relief"].reference, released["fuel"].reference, released["paid"].reference,
                         world.pledge_public.reference}
    assert (result.activities, result.transactions, result.left_out) == (4, 4, [])

    def tx(pledge):  # (type, value, currency, date)
        t = refs[pledge.reference]
        value = t.find("value")
        return (t.find("transaction-type").get("code"), value.text, value.get("currency"),
                t.find("transaction-date").get("iso-date"))

    assert tx(released["relief"]) == ("12", "1000000.00", "USD", "2026-02-01")  # only the month is public
    # the month it was pledged, not when it was committed or paid (status dates are not public)
    assert tx(released["fuel"]) == ("2", "250000.00", "EUR", "2026-02-01")
    assert tx(released["paid"]) == ("3", "75000.50", "EUR", "2026-02-01")
    # the committed in-kind pledge: 50 generators at 45,000 USD each
    assert tx(world.pledge_public) == ("2", "2250000.00", "USD", f"{world.pledge_public.available_from:%Y-%m}-01")


def test_activities_are_per_donor_and_programme_with_identifiers_sectors_and_countries(released, world):
    root = ET.fromstring(export_iati().xml)
    activities = {a.findtext("iati-identifier"): a for a in root.findall("iati-activity")}
    assert all(i.startswith(("XM-DAC-302-AB-", "XM-DAC-5-AB-")) for i in activities)
    in_kind = activities["XM-DAC-302-AB-INKIND-VII"]
    assert in_kind.find("reporting-org").get("ref") == "XM-DAC-302"
    assert in_kind.find("participating-org").attrib == {"ref": "XM-DAC-302", "role": "1"}
    assert in_kind.findtext("title/narrative") == "In-kind: VII — Major end items"
    sector = in_kind.find("sector")
    assert (sector.get("vocabulary"), sector.get("code")) == ("99", "VII")
    fuel = next(a for a in activities.values() if a.findtext("title/narrative") == "Fuel & power")
    assert fuel.find("recipient-country").attrib == {"code": "MD", "percentage": "100"}
    assert fuel.find("sector").attrib == {"vocabulary": "1", "code": "23630", "percentage": "100"}
    assert fuel.get("default-currency") == "EUR"
    paid = next(a for a in activities.values() if a.find("reporting-org").get("ref") == "XM-DAC-5")
    assert paid.find("activity-status").get("code") == "3"  # every pledge disbursed: finalisation


def test_a_donor_without_an_iati_identifier_is_left_out_and_named(world, personas):
    money_pledge(personas.donor_de, purpose="Anonymous-ish")
    result = export_iati()
    assert ET.fromstring(result.xml).findall("iati-activity") == []  # IATI wants one activity: see lines()
    assert result.left_out == [personas.orgs["de"].name, personas.orgs["us"].name]
    assert result.activities == 0 and b"Left out, no IATI organisation identifier" in result.xml
    assert result.lines() == [
        "IATI 2.03: 0 activities, 0 transactions. With no activity, the file is not yet a valid IATI file.",
        f"Left out (no IATI organisation identifier): {personas.orgs['de'].name}; {personas.orgs['us'].name}.",
    ]


def test_an_activity_with_several_countries_and_sectors_states_them_per_transaction(world, personas, schema):
    name_donors(personas)
    us = personas.donor_us
    for country, sector in (("UA", "72010"), ("MD", "12220")):
        money_pledge(us, purpose="Regional", recipient_country=country, sector=sector)
    result = export_iati()
    schema.validate(result.xml.decode())
    activity = next(a for a in ET.fromstring(result.xml).findall("iati-activity")
                    if a.findtext("title/narrative") == "Regional")
    assert activity.find("recipient-country") is None and activity.find("sector") is None
    assert sorted(t.find("recipient-country").get("code") for t in activity.findall("transaction")) == ["MD", "UA"]
    assert sorted(t.find("sector").get("code") for t in activity.findall("transaction")) == ["12220", "72010"]


def test_export_then_import_gives_back_the_same_pledges(released, world):
    """Round trip: what the export says, an import of it records (status by transaction type, amount, currency)."""
    exported = {r.reference: r for r in opendata.records()}
    report = import_iati(export_iati().xml, actor=superuser(), dry_run=False)
    assert report.ok, report.errors
    assert report.created == 4 and report.organisations_new == [] and len(report.organisations_matched) == 2
    imported = FinancialPledge.objects.filter(external_id__startswith="iati:")
    assert imported.count() == 4
    status = {"announced": "announced", "committed": "committed", "disbursed": "disbursed", "delivered": "disbursed"}
    for pledge in imported:
        reference = pledge.external_id.rsplit(":", 1)[1]
        r = exported[reference]
        assert (pledge.donor_id, pledge.amount, pledge.currency, pledge.status, pledge.pledged_on) == (
            r.donor.pk, r.amount.quantize(Decimal("0.01")), r.currency, status.get(r.status, "committed"), r.date)
        assert pledge.sector == r.sector and pledge.recipient_country == r.recipient_country
        assert pledge.purpose == r.programme
