"""IATI import: real published files (2.01), the quirks corpus, idempotent re-import, status changes, rights.

Expected counts are computed independently of the importer, straight from the XML with the standard library's
ElementTree (the files are trusted test data, not uploads).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aidbridge.accounts.models import Organisation
from aidbridge.audit.models import AuditEvent
from aidbridge.interop.iati.importer import import_iati
from aidbridge.interop.tests.opendata_helpers import CORPUS, name_donors, needs_iati, real_iati_files, superuser
from aidbridge.pledges.models import FinancialPledge

pytestmark = pytest.mark.django_db

PLEDGE_TYPES = {"1", "2", "3", "4", "11", "12", "13"}


def independent_counts(path: Path) -> dict[str, Any]:
    """Activities, transactions by type, pledges to expect (a pledge type and a positive value), reporting orgs."""
    root = ET.parse(path).getroot()
    activities = root.findall("iati-activity")
    transactions: list[Any] = [t for a in activities for t in a.findall("transaction")]
    types = Counter(t.find("transaction-type").get("code") for t in transactions)
    pledges = [t for t in transactions if t.find("transaction-type").get("code") in PLEDGE_TYPES
               and Decimal(t.find("value").text.strip()) > 0]
    return {"activities": len(activities), "transactions": len(transactions), "by_type": dict(types),
            "pledges": pledges, "reporting": {a.find("reporting-org").get("ref") for a in activities}}


def _params() -> list[Path]:
    return real_iati_files() or [Path("absent.xml")]


@needs_iati
@pytest.mark.parametrize("path", _params(), ids=lambda p: p.name)
def test_every_real_file_imports_and_its_counts_match_the_xml(path):
    actor = superuser()
    expected = independent_counts(path)
    content = path.read_bytes()
    events, orgs = AuditEvent.objects.count(), Organisation.objects.count()

    dry = import_iati(content, actor=actor, dry_run=True)
    assert dry.ok, dry.errors
    counts = dry.as_dict()
    assert counts["activities"] == expected["activities"]
    assert counts["transactions"]["total"] == expected["transactions"]
    assert counts["transactions"]["by_type"] == expected["by_type"]
    pledge_like = len(expected["pledges"])
    assert dry.created + len(dry.skipped) == expected["transactions"]
    assert dry.created == pledge_like
    assert len(dry.organisations_new) == len(expected["reporting"])
    # a dry run writes nothing at all, not even an audit event
    assert (FinancialPledge.objects.count(), AuditEvent.objects.count(), Organisation.objects.count()) == (
        0, events, orgs)
    json.dumps(counts)  # JSON-ready
    assert any("activities" in line for line in dry.lines())

    done = import_iati(content, actor=actor, dry_run=False)
    assert done.ok and done.as_dict()["pledges"] == counts["pledges"]
    assert FinancialPledge.objects.count() == pledge_like
    assert AuditEvent.objects.count() == events + pledge_like + len(expected["reporting"])
    donor = Organisation.objects.get(iati_identifier__in=expected["reporting"])
    assert donor.kind == "donor" and not donor.in_coalition and donor.country == donor.iati_identifier[:2]
    # the amounts are the XML's, to the cent, each in its own currency
    total: Counter[str] = Counter()
    for t in expected["pledges"]:
        value = t.find("value")
        total[value.get("currency")] += Decimal(value.text.strip())
    stored: Counter[str] = Counter()
    for currency, amount in FinancialPledge.objects.values_list("currency", "amount"):
        stored[currency] += amount
    assert stored == total

    again = import_iati(content, actor=actor, dry_run=False)
    assert again.ok and again.created == 0 and again.unchanged == pledge_like
    assert again.organisations_new == [] and len(again.organisations_matched) == len(expected["reporting"])
    assert AuditEvent.objects.count() == events + pledge_like + len(expected["reporting"])


@needs_iati
def test_the_spanish_file_maps_commitments_and_disbursements():
    path = next(p for p in real_iati_files() if p.name.startswith("spain"))
    import_iati(path.read_bytes(), actor=superuser(), dry_run=False)
    first = FinancialPledge.objects.get(external_id="iati:ES-DIR3-E04585801-009-001301#1")
    second = FinancialPledge.objects.get(external_id="iati:ES-DIR3-E04585801-009-001301#2")
    assert (first.status, first.amount, first.currency, str(first.pledged_on)) == (
        "committed", Decimal("15450.00"), "EUR", "2011-11-01")
    assert (second.status, second.amount, str(second.status_date)) == ("disbursed", Decimal("9270.00"), "2011-12-31")
    assert (first.recipient_country, first.sector) == ("ID", "43081")
    assert first.purpose == "Personas cooperantes voluntarias en organismos internacionales"
    assert first.releasability == "public" and first.disclosure_date is not None


def test_the_quirks_are_tolerated_reported_or_skipped_with_a_reason(personas):
    name_donors(personas)
    report = import_iati((CORPUS / "quirks-2.02.xml").read_bytes(), actor=superuser(), dry_run=False)
    assert report.ok, report.errors
    d = report.as_dict()
    assert d["version"] == "2.02" and d["activities"] == 3
    assert d["transactions"] == {"total": 9, "by_type": {"1": 1, "2": 2, "3": 2, "4": 1, "5": 1, "12": 1, "13": 1}}
    assert report.created == 4
    reasons = d["skipped"]["by_reason"]
    assert reasons == {
        "no currency: neither the value nor the activity names one": 1,
        "transaction type 5 Interest Payment is not a pledge": 1,
        "incoming money without a provider organisation: the donor is unknown": 1,
        "the value is negative (a correction or reversal, not a pledge)": 1,
        "the activity has no iati-identifier, so the transaction cannot be matched again later": 1,
    }
    rows = {row["where"]: row["reason"] for row in d["skipped"]["rows"]}
    assert any(where.startswith("activity XM-DAC-5-AB-QUIRKS-1, transaction 3 (line") for where in rows)
    quirks = d["quirks"]
    assert quirks["empty iati-activity/@default-currency attribute (read as missing)"] == 1
    assert quirks["transaction without a date: its value date used"] == 1
    assert quirks["transaction without a date or value date: the activity's actual start date used"] == 1
    assert quirks["activity with transactions in several currencies (each pledge keeps its own)"] == 1
    assert "several recipient countries: the largest share kept" in quirks
    assert quirks["IATI 1.x letter code for a transaction type (read as its number)"] == 1

    de = personas.orgs["de"]
    announced = FinancialPledge.objects.get(external_id="iati:XM-DAC-5-AB-QUIRKS-1#1")
    assert (announced.donor, announced.status, str(announced.pledged_on)) == (de, "announced", "2026-01-15")
    assert (announced.recipient_country, announced.sector, announced.purpose) == ("UA", "72010", "Winter relief")
    committed = FinancialPledge.objects.get(external_id="iati:XM-DAC-5-AB-QUIRKS-1#2")
    assert (committed.status, committed.currency, committed.amount, str(committed.pledged_on)) == (
        "committed", "USD", Decimal("2500.50"), "2026-01-10")
    incoming = FinancialPledge.objects.get(external_id="iati:XM-DAC-5-AB-QUIRKS-1:GB-PLEDGE-7")
    assert (incoming.donor.iati_identifier, incoming.donor.country, incoming.status) == ("GB-GOV-1", "GB", "announced")
    legacy = FinancialPledge.objects.get(external_id="iati:XM-DAC-5-AB-QUIRKS-1#8")
    assert legacy.status == "disbursed"
    assert d["organisations"]["new"] == 1 and d["organisations"]["matched"] == 1


def _file(*transactions: str, identifier: str = "XM-DAC-5-AB-1") -> bytes:
    body = "".join(
        f'<transaction ref="{ref}"><transaction-type code="{code}"/><transaction-date iso-date="{on}"/>'
        f'<value currency="EUR" value-date="{on}">{amount}</value></transaction>'
        for ref, code, on, amount in (t.split("|") for t in transactions))
    return (f'<iati-activities version="2.03"><iati-activity><iati-identifier>{identifier}</iati-identifier>'
            f'<reporting-org ref="XM-DAC-5"><narrative>Germany</narrative></reporting-org>'
            f'<title><narrative>Fuel</narrative></title>{body}</iati-activity></iati-activities>').encode()


def test_a_changed_transaction_type_becomes_a_status_change_and_never_goes_back(personas):
    name_donors(personas)
    actor = superuser()
    assert import_iati(_file("a|12|2026-01-05|100", "b|2|2026-01-06|200"), actor=actor, dry_run=False).created == 2
    events = AuditEvent.objects.count()
    report = import_iati(_file("a|2|2026-02-01|100", "b|3|2026-02-02|200"), actor=actor, dry_run=False)
    assert report.ok and report.status_changed == 2 and report.created == 0
    a = FinancialPledge.objects.get(external_id="iati:XM-DAC-5-AB-1:a")
    b = FinancialPledge.objects.get(external_id="iati:XM-DAC-5-AB-1:b")
    assert (a.status, str(a.status_date), str(a.pledged_on)) == ("committed", "2026-02-01", "2026-01-05")
    assert (b.status, str(b.status_date)) == ("disbursed", "2026-02-02")
    actions = list(AuditEvent.objects.filter(pk__gt=0).order_by("-pk").values_list("action", flat=True)[:2])
    assert sorted(actions) == ["financial_pledge.commit", "financial_pledge.disburse"]
    assert AuditEvent.objects.count() == events + 2

    back = import_iati(_file("a|12|2026-02-01|100", "b|2|2026-02-02|200"), actor=actor, dry_run=False)
    assert back.ok and back.status_changed == 0
    assert {s.reason for s in back.skipped} == {
        "already committed here; a status does not go back to announced",
        "already disbursed here; a status does not go back to committed",
    }
    changed = import_iati(_file("a|2|2026-02-01|150", "b|3|2026-02-02|200"), actor=actor, dry_run=False)
    assert changed.updated == 1 and changed.unchanged == 1
    assert FinancialPledge.objects.get(pk=a.pk).amount == Decimal("150.00")


def test_any_error_writes_nothing_and_names_the_transaction(personas):
    """A donor's editor may import its own organisation's file, not another's: one refusal, nothing written."""
    name_donors(personas)
    events = AuditEvent.objects.count()
    quirks = (CORPUS / "quirks-2.02.xml").read_bytes()
    report = import_iati(quirks, actor=personas.donor_de, dry_run=False)
    assert not report.ok
    assert report.errors == ["activity XM-DAC-5-AB-QUIRKS-1, transaction GB-PLEDGE-7 (line 37): Only coordinator "
                             "editors may add organisations."]
    assert report.created == 0 and report.organisations_new == []
    assert FinancialPledge.objects.count() == 0 and AuditEvent.objects.count() == events
    assert "Nothing was imported: the file has errors." in report.lines()

    own = import_iati(_file("a|12|2026-01-05|100"), actor=personas.donor_de, dry_run=False)
    assert own.ok and FinancialPledge.objects.get().donor == personas.orgs["de"]
    other = import_iati(_file("a|12|2026-01-05|100", identifier="XM-DAC-302-AB-1").replace(
        b'ref="XM-DAC-5"', b'ref="XM-DAC-302"'), actor=personas.donor_de, dry_run=True)
    assert other.errors == ["activity XM-DAC-302-AB-1, transaction a (line 1): Only editors of the donor or of the "
                            "coordination cell may change this pledge."]
    assert other.lines()[0] == "Dry run: nothing was written. The file has errors: an import would write nothing."
    assert other.lines()[-2:] == ["Errors: 1.", f"  {other.errors[0]}"]


@pytest.mark.parametrize("name,message", [
    ("iati-1.03.xml", "The file is IATI version 1.03; versions 2.01, 2.02, 2.03 are supported."),
    ("wrong-root.xml", "Line 2: the file's root element is <iati-organisations>, not <iati-activities>: this is not "
                       "an IATI activity file."),
    ("truncated.xml", "The IATI file is not well-formed XML at line 7, column 1: no element found."),
    ("empty.xml", "The IATI file is empty."),
])
def test_a_file_that_is_not_an_iati_2_activity_file_is_refused(name, message):
    report = import_iati((CORPUS / name).read_bytes(), actor=superuser(), dry_run=False)
    assert not report.ok and report.errors == [message]
    assert report.as_dict()["activities"] == 0
