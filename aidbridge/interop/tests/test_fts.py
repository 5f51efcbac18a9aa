"""FTS: the OCHA Jordan 2020 incoming flows import (counts checked against the CSV), re-import, the export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.test import override_settings

from aidbridge.accounts.models import Organisation
from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue import services as catalogue
from aidbridge.interop import fts
from aidbridge.interop.fts import import_fts
from aidbridge.interop.tests.opendata_helpers import FTS_JORDAN, money_pledge, needs_fts, superuser
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import FinancialPledge

pytestmark = pytest.mark.django_db
STATUS = {"pledge": "announced", "commitment": "committed", "paid": "disbursed"}


def _csv(*rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "status", "srcOrganization", "srcLocations", "amountUSD", "date",
                                             "decisionDate", "originalAmount", "originalCurrency", "description",
                                             "destLocations"])
    writer.writeheader()
    for row in rows:
        writer.writerow({"srcLocations": "", "decisionDate": "", "originalAmount": "", "originalCurrency": "",
                         "description": "", "destLocations": "UKR", **row})
    return out.getvalue().encode()


@needs_fts
def test_the_jordan_flows_import_and_the_counts_match_the_csv():
    with FTS_JORDAN.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_status = Counter(r["status"] for r in rows)
    actor = superuser()
    events = AuditEvent.objects.count()
    dry = import_fts(FTS_JORDAN.read_bytes(), actor=actor, dry_run=True)
    assert dry.ok, dry.errors
    d = dry.as_dict()
    assert d["rows"] == len(rows) == 440
    assert d["flows"]["by_status"] == dict(by_status)
    assert dry.created + len(dry.skipped) == len(rows)
    # the skipped, counted from the CSV: no source organisation, a zero amount, or a new donor of unknown country
    no_source = sum(1 for r in rows if not r["srcOrganization"])
    zero = Counter("originalAmount" if r["originalAmount"] and r["originalCurrency"] else "amountUSD"
                   for r in rows if r["srcOrganization"] and Decimal(
                       r["originalAmount"] if r["originalAmount"] and r["originalCurrency"] else r["amountUSD"]) == 0)
    reasons = dict(d["skipped"]["by_reason"])
    assert reasons.pop("the flow has no source organisation: the donor is unknown") == no_source
    for column, n in zero.items():
        assert reasons.pop(f"column {column}: the amount is zero or negative") == n
    assert all("its country cannot be told from the file" in reason for reason in reasons)
    assert sum(reasons.values()) == len(dry.skipped) - no_source - sum(zero.values())
    assert FinancialPledge.objects.count() == 0 and AuditEvent.objects.count() == events

    done = import_fts(FTS_JORDAN.read_bytes(), actor=actor, dry_run=False)
    assert done.ok and done.created == dry.created and len(done.organisations_new) == len(dry.organisations_new)
    imported = {p.external_id: p for p in FinancialPledge.objects.all()}
    for r in rows:
        pledge = imported.get(f"fts:{r['id']}")
        if pledge is None:
            continue
        assert pledge.status == STATUS[r["status"]]
        if r["originalAmount"] and r["originalCurrency"]:
            assert (pledge.amount, pledge.currency) == (Decimal(r["originalAmount"]), r["originalCurrency"])
        else:
            assert (pledge.amount, pledge.currency) == (Decimal(r["amountUSD"]), "USD")
        assert pledge.donor.name.lower() == r["srcOrganization"].lower()
        assert pledge.status_date == dt.date.fromisoformat(r["date"])
    canada = Organisation.objects.get(name="Canada, Government of")
    assert (canada.country, canada.kind, canada.in_coalition) == ("CA", "donor", False)

    again = import_fts(FTS_JORDAN.read_bytes(), actor=actor, dry_run=False)
    assert again.ok and again.created == 0 and again.unchanged == done.created and again.organisations_new == []


def test_a_commitment_since_paid_becomes_a_disbursement(personas):
    actor = superuser()
    flow = {"id": "9001", "status": "commitment", "srcOrganization": "Canada, Government of", "amountUSD": "1000",
            "date": "2026-01-10", "originalAmount": "1378", "originalCurrency": "CAD"}
    first = import_fts(_csv(flow), actor=actor, dry_run=False)
    assert first.ok and first.created == 1
    assert first.organisations_new == ["Canada, Government of (canada-government-of)"]
    second = import_fts(_csv({**flow, "status": "paid", "date": "2026-02-11"}), actor=actor, dry_run=False)
    assert second.ok and second.status_changed == 1
    pledge = FinancialPledge.objects.get(external_id="fts:9001")
    assert (pledge.status, str(pledge.status_date), pledge.amount, pledge.currency) == (
        "disbursed", "2026-02-11", Decimal("1378.00"), "CAD")
    assert (pledge.recipient_country, str(pledge.pledged_on)) == ("UA", "2026-01-10")


def test_bad_rows_are_skipped_by_row_and_column_and_a_bad_file_is_refused():
    actor = superuser()
    good = {"srcOrganization": "Norway, Government of", "amountUSD": "10", "date": "2026-01-10"}
    report = import_fts(_csv(
        {**good, "id": "1", "status": "pledged"},
        {**good, "id": "2", "status": "paid", "amountUSD": "ten"},
        {**good, "id": "3", "status": "paid", "date": "10/01/2026"},
        {**good, "id": "", "status": "paid"},
        {**good, "id": "5", "status": "paid", "originalAmount": "5", "originalCurrency": "XXY"},
        {**good, "id": "6", "status": "paid", "srcOrganization": "Private (individuals & organizations)"},
        {**good, "id": "7", "status": "paid", "amountUSD": "0"},
        {**good, "id": "8", "status": "paid"},
        {**good, "id": "8", "status": "paid"},
    ), actor=actor, dry_run=True)
    assert report.ok and report.created == 1
    assert {(s.where, s.reason) for s in report.skipped} == {
        ("row 2 (flow 1)", "status “pledged” is not pledge, commitment or paid"),
        ("row 3 (flow 2)", "column amountUSD: “ten” is not a number"),
        ("row 4 (flow 3)", "column date: “10/01/2026” is not a date (YYYY-MM-DD)"),
        ("row 5", "the flow has no id, so it cannot be matched again later"),
        ("row 6 (flow 5)", "column originalCurrency: “XXY” is not an ISO 4217 code"),
        ("row 7 (flow 6)", "the organisation “Private (individuals & organizations)” is not known here and its "
                           "country cannot be told from the file; add it, then import again"),
        ("row 8 (flow 7)", "column amountUSD: the amount is zero or negative"),
        ("row 10 (flow 8)", "the same transaction appears twice in the file"),
    }
    missing = import_fts(b"id,status,amount\n1,paid,3\n", actor=actor, dry_run=False)
    assert missing.errors == ["Row 1: the columns srcOrganization, amountUSD, date are missing; this is not an FTS "
                              "incoming-funding CSV (found: id, status, amount)."]
    assert import_fts(b"\xff\xfeid", actor=actor, dry_run=False).errors == [
        "The FTS file is not UTF-8 text (byte 1 cannot be read)."]
    assert import_fts(b"", actor=actor, dry_run=False).errors == ["The FTS file is empty."]
    with override_settings(MAX_UPLOAD_BYTES=10):
        assert import_fts(b"id,status\n" * 20, actor=actor, dry_run=False).errors == [
            "The FTS file is 200 bytes; the limit is 100."]


def test_a_refused_write_leaves_nothing(personas):
    events = AuditEvent.objects.count()
    flow = {"id": "1", "status": "paid", "srcOrganization": personas.orgs["us"].name, "amountUSD": "10",
            "date": "2026-01-10"}
    report = import_fts(_csv(flow, {**flow, "id": "2", "srcOrganization": personas.orgs["de"].name}),
                        actor=personas.donor_de, dry_run=False)
    assert report.errors == ["row 2 (flow 1): Only editors of the donor or of the coordination cell may change this "
                             "pledge."]
    assert report.created == 0 and FinancialPledge.objects.count() == 0 and AuditEvent.objects.count() == events


def test_the_export_is_in_the_fts_layout_converts_to_usd_and_round_trips(world, personas):
    c = personas.coordinator
    catalogue.set_exchange_rate(actor=c, currency="USD", date=dt.date(2026, 1, 27), per_euro=Decimal("1.25"))
    paid = pledges.disburse_financial_pledge(actor=personas.donor_de, pledge=money_pledge(personas.donor_de),
                                             on=dt.date(2026, 3, 4))
    rows = fts.export_rows()
    header, body = rows[0], {row[rows[0].index("id")]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert header[:5] == ["date", "budgetYear", "description", "amountUSD", "srcOrganization"]
    assert set(body) == {paid.reference, world.pledge_public.reference}  # public and disclosed only
    row = body[paid.reference]
    assert (row["status"], row["originalAmount"], row["originalCurrency"], row["amountUSD"]) == (
        "paid", Decimal("250000.00"), "EUR", Decimal("312500.00"))
    assert (row["exchangeRate"], row["exchangeRateDate"], row["date"]) == (Decimal("0.800000"), "2026-01-27",
                                                                          "2026-02-01")
    in_kind = body[world.pledge_public.reference]
    assert (in_kind["status"], in_kind["contributionType"], in_kind["originalCurrency"], in_kind["exchangeRate"]) == (
        "commitment", "in kind", "USD", "")

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    report = import_fts(out.getvalue().encode(), actor=superuser(), dry_run=False)
    assert report.ok and report.created == 2 and len(report.organisations_matched) == 2
    again = FinancialPledge.objects.get(external_id=f"fts:{paid.reference}")
    assert (again.donor_id, again.amount, again.currency, again.status) == (paid.donor_id, paid.amount, "EUR",
                                                                            "disbursed")


def test_a_missing_rate_leaves_the_usd_amount_empty_never_zero(world, personas):
    money_pledge(personas.donor_de, currency="GBP")
    rows = fts.export_rows()
    gbp = next(dict(zip(rows[0], row, strict=True)) for row in rows[1:]
               if row[rows[0].index("originalCurrency")] == "GBP")
    assert (gbp["amountUSD"], gbp["exchangeRate"], gbp["exchangeRateDate"]) == ("", "", "")
