"""Spreadsheet imports of every kind: through the services, all or nothing, every problem by row, column and
value, and idempotent on re-import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue.models import Item
from aidbridge.core.errors import NotPermitted
from aidbridge.interop.models import ExternalRef
from aidbridge.interop.tests.helpers import csv_bytes, run, xlsx_bytes
from aidbridge.locations.models import Hub, Location
from aidbridge.pledges import services as pledge_services
from aidbridge.pledges.models import FinancialPledge, Pledge
from aidbridge.requirements.models import Requirement
from aidbridge.training.models import Course

REQ_HEADER = ["external_id", "item", "quantity", "priority", "due_date", "destination", "notes"]


def req_rows(*rows):
    return csv_bytes([REQ_HEADER, *rows])


def events() -> int:
    return AuditEvent.objects.count()


def test_requirements_are_created_through_the_service_and_audited(world, personas):
    before, audit = Requirement.objects.count(), events()
    report = run("requirements", req_rows(
        ["N-1", "GEN-100KW", "5", "P1", "2026-04-30", "UA LWO", "first"],
        ["N-2", "MED-KIT", "1,200", "high", "30.05.2026", "ua iev", ""],
    ), personas.recipient)
    assert report.ok and report.committed, report.lines()
    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    made = Requirement.objects.order_by("-pk")[:2]
    second, first = list(made)
    assert (first.item.code, first.quantity, first.priority, first.due_date, first.destination.unlocode,
            first.notes, first.status, first.recipient_id) == (
        "GEN-100KW", 5, 1, dt.date(2026, 4, 30), "UA LWO", "first", "draft", personas.orgs["ua"].pk)
    assert (second.quantity, second.priority, second.due_date, second.destination.unlocode) == (
        1200, 2, dt.date(2026, 5, 30), "UA IEV")
    assert Requirement.objects.count() == before + 2
    # one event per record (its service's) and one for the import itself
    assert events() == audit + 3
    assert AuditEvent.objects.filter(action="requirement.create").order_by("-pk")[0].actor_id == personas.recipient.pk
    assert AuditEvent.objects.order_by("-pk")[0].action == "import.commit"


def test_reimporting_the_same_file_changes_nothing(world, personas):
    content = req_rows(["N-1", "GEN-100KW", "5", "P1", "2026-04-30", "UA LWO", ""])
    assert run("requirements", content, personas.recipient).created == 1
    count, audit = Requirement.objects.count(), events()
    again = run("requirements", content, personas.recipient)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Requirement.objects.count() == count
    assert events() == audit  # nothing written, not even the import's summary


def test_a_changed_row_updates_the_record_it_made(world, personas):
    run("requirements", req_rows(["N-1", "GEN-100KW", "5", "P1", "2026-04-30", "UA LWO", ""]), personas.recipient)
    ref = ExternalRef.objects.get(kind="requirements", external_id="N-1")
    report = run("requirements", req_rows(["N-1", "GEN-100KW", "7", "P1", "2026-04-30", "UA LWO", "more"]),
                 personas.recipient)
    assert (report.created, report.updated) == (0, 1)
    requirement = Requirement.objects.get(pk=ref.object_id)
    assert (requirement.quantity, requirement.notes) == (7, "more")
    assert AuditEvent.objects.filter(action="requirement.update", object_id=str(requirement.pk)).count() == 1


def test_rows_without_ids_are_known_by_their_content(world, personas):
    header = ["item", "quantity", "due_date", "destination"]
    content = csv_bytes([header, ["GEN-100KW", "5", "2026-04-30", "UA LWO"],
                         ["GEN-100KW", "5", "2026-04-30", "UA LWO"]])  # two identical rows: two requirements
    assert run("requirements", content, personas.recipient).created == 2
    again = run("requirements", content, personas.recipient)
    assert (again.created, again.unchanged) == (0, 2)


def test_one_bad_row_writes_nothing_and_every_problem_is_named(world, personas):
    count, audit = Requirement.objects.count(), events()
    report = run("requirements", req_rows(
        ["N-1", "GEN-100KW", "5", "P1", "2026-04-30", "UA LWO", ""],
        ["N-2", "NO-SUCH", "five", "P9", "2026-02-30", "XX YYY", ""],
        ["N-3", "GEN-100KW", "5", "P1", "2020-01-01", "UA LWO", ""],
        ["N-1", "GEN-100KW", "5", "P1", "2026-04-30", "UA LWO", ""],
    ), personas.recipient)
    assert not report.ok and not report.committed
    assert Requirement.objects.count() == count and events() == audit
    found = {(e.row, e.column, e.value): e.message for e in report.errors}
    assert found[(3, "item", "NO-SUCH")] == "There is no catalogue item with the code “NO-SUCH”."
    assert found[(3, "quantity", "five")] == "Enter the quantity as a whole number, such as 12."
    assert "Write one of" in found[(3, "priority", "P9")]
    assert "YYYY-MM-DD" in found[(3, "due_date", "2026-02-30")]
    assert "no location" in found[(3, "destination", "XX YYY")]
    assert "in the past" in found[(4, "due_date", "2020-01-01")]  # the service's own rule, from the dry run
    assert "Row 2 has the same external id" in found[(5, "external_id", "N-1")]
    assert report.error_count == 7


def test_a_dry_run_writes_nothing_but_reports_like_a_commit(world, personas):
    count, audit = Requirement.objects.count(), events()
    report = run("requirements", req_rows(["N-1", "GEN-100KW", "5", "P1", "2026-04-30", "UA LWO", ""]),
                 personas.recipient, dry_run=True)
    assert report.ok and report.created == 1 and not report.committed
    assert Requirement.objects.count() == count and events() == audit
    assert not ExternalRef.objects.exists()


def test_missing_required_columns_and_empty_cells(world, personas):
    report = run("requirements", csv_bytes([["item", "quantity"], ["GEN-100KW", "5"]]), personas.recipient)
    assert {e.message for e in report.errors} >= {
        "No column gives “Due date” (due_date), which every row needs; map one.",
        "No column gives “Destination” (destination), which every row needs; map one.",
    }
    assert all(e.row == 1 for e in report.errors) and report.rows == 0
    report = run("requirements", req_rows(["", "GEN-100KW", "", "", "2026-04-30", "UA LWO", ""]), personas.recipient)
    assert [(e.row, e.column, e.message) for e in report.errors] == [(2, "quantity", "Quantity is needed; the cell is "
                                                                                    "empty.")]


def test_a_custom_mapping_reads_other_headers(world, personas):
    content = csv_bytes([["Artikel", "Menge", "Bis", "Ziel"], ["MED-KIT", "40", "2026-06-01", "UA LWO"]])
    mapping = {"item": "Artikel", "quantity": "Menge", "due_date": "Bis", "destination": "Ziel"}
    report = run("requirements", content, personas.recipient, mapping=mapping)
    assert report.ok and report.created == 1
    bad = run("requirements", content, personas.recipient, mapping={**mapping, "colour": "Ziel", "notes": "Nope"})
    assert {e.message for e in bad.errors} == {
        "“colour” is not a field of requirements; the fields are: external_id, recipient, item, quantity, "
        "priority, due_date, destination, package, notes.",
        "The file has no column “Nope” (for notes).",
    }


def test_xlsx_imports_like_csv(world, personas):
    content = xlsx_bytes([REQ_HEADER, ["X-1", "GEN-100KW", 5, 1, dt.datetime(2026, 4, 30), "UA LWO", None]])
    report = run("requirements", content, personas.recipient, filename="needs.xlsx")
    assert report.ok and report.created == 1 and report.file_format == "xlsx"
    assert Requirement.objects.order_by("-pk")[0].due_date == dt.date(2026, 4, 30)


def test_rights_are_the_services(world, personas):
    with pytest.raises(NotPermitted):
        run("items", csv_bytes([["code", "name", "supply_class", "weight_t"], ["A", "A", "I", "1"]]),
            personas.donor_de)
    # a donor naming another donor's organisation: the service refuses the row
    header = ["donor", "item", "quantity", "available_from", "origin_country", "unit_value", "currency",
              "funding_source"]
    report = run("pledges", csv_bytes([header, ["us-dod", "GEN-100KW", "5", "2026-04-01", "DE", "10", "EUR",
                                                "stockpile"]]), personas.donor_de)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "", "Only editors of the donor may change this pledge.")]


def test_pledges_in_kind(world, personas):
    header = ["external_id", "item", "quantity", "available_from", "origin_country", "unit_value", "currency",
              "funding_source", "releasability", "disclosure_date", "notes"]
    report = run("pledges", csv_bytes([
        header,
        ["P-1", "GEN-100KW", "3", "2026-04-01", "de", "45,000.50", "eur", "Stockpile", "coalition", "", ""],
        ["P-2", "MED-KIT", "100", "2026-04-01", "DE", "12,5", "EUR", "procurement", "public", "", ""],
    ]), personas.donor_de)
    assert [(e.row, e.column) for e in report.errors] == [(3, "disclosure_date")]
    report = run("pledges", csv_bytes([
        header, ["P-1", "GEN-100KW", "3", "2026-04-01", "de", "45,000.50", "eur", "Stockpile", "coalition", "", ""]]),
        personas.donor_de)
    pledge = Pledge.objects.get(pk=ExternalRef.objects.get(external_id="P-1").object_id)
    assert (pledge.donor_id, pledge.unit_value, pledge.currency, pledge.origin_country, pledge.funding_source,
            pledge.status) == (personas.orgs["de"].pk, Decimal("45000.50"), "EUR", "DE", "stockpile", "announced")


FIN_HEADER = ["external_id", "amount", "currency", "pledged_on", "status", "status_date", "sector", "purpose",
              "recipient_country", "releasability", "disclosure_date"]


def test_financial_pledges_with_status_and_reimport_as_a_transition(world, personas):
    rows = [["F-1", "2500000", "USD", "2026-02-15", "pledge", "", "72010", "Winter relief", "UA", "public",
             "2026-03-01"]]
    report = run("financial-pledges", csv_bytes([FIN_HEADER, *rows]), personas.donor_us)
    assert report.ok, report.lines()
    pledge = FinancialPledge.objects.get(external_id="F-1")
    assert (pledge.amount, pledge.status, pledge.sector, pledge.donor_id) == (
        Decimal("2500000"), "announced", "72010", personas.orgs["us"].pk)
    rows[0][4:6] = ["paid", "2026-03-05"]
    report = run("financial-pledges", csv_bytes([FIN_HEADER, *rows]), personas.donor_us)
    assert report.ok and report.updated == 1
    pledge.refresh_from_db()
    assert (pledge.status, pledge.status_date) == ("disbursed", dt.date(2026, 3, 5))
    assert AuditEvent.objects.filter(action="financial_pledge.disburse", object_id=str(pledge.pk)).count() == 1
    rows[0][4] = "committed"  # back from disbursed: refused, by the lifecycle
    report = run("financial-pledges", csv_bytes([FIN_HEADER, *rows]), personas.donor_us)
    assert [(e.row, e.column) for e in report.errors] == [(2, "status")]


def test_a_financial_pledge_from_iati_is_updated_not_copied(world, personas):
    made = pledge_services.create_financial_pledge(
        actor=personas.donor_de, amount=Decimal("100"), currency="EUR", pledged_on=dt.date(2026, 1, 5),
        external_id="DE-1-123-T1")
    rows = [["DE-1-123-T1", "150", "EUR", "2026-01-05", "announced", "", "", "", "", "coalition", ""]]
    report = run("financial-pledges", csv_bytes([FIN_HEADER, *rows]), personas.donor_de)
    assert report.ok and (report.created, report.updated) == (0, 1), report.lines()
    made.refresh_from_db()
    assert made.amount == Decimal("150")
    other = run("financial-pledges", csv_bytes([FIN_HEADER, *rows]), personas.donor_us)
    assert "another donor" in other.errors[0].message and other.errors[0].column == "external_id"


def test_items_by_code_create_and_update(world, personas):
    header = ["code", "name", "supply_class", "unit", "weight_t", "nsn", "fsc"]
    report = run("items", csv_bytes([
        header,
        ["WTR-20L", "Water can 20 l", "Class I", "each", "0.021", "", ""],
        ["GEN-100KW", "Generator 100 kW, diesel", "VII", "each", "2.1", "6115-01-234-5678", "6115"],
    ]), personas.coordinator)
    assert report.ok and (report.created, report.updated) == (1, 1), report.lines()
    assert Item.objects.get(code="WTR-20L").supply_class == "I"
    assert Item.objects.get(code="GEN-100KW").name == "Generator 100 kW, diesel"
    bad = run("items", csv_bytes([header, ["BAD-NSN", "x", "V", "each", "1", "6115-01-234-5678", "1005"]]),
              personas.coordinator)
    assert [(e.column, e.message[:20]) for e in bad.errors] == [("nsn", "The NSN's first four")]


def test_locations_and_hubs(world, personas):
    report = run("locations", csv_bytes([["unlocode", "name", "country", "latitude", "longitude"],
                                         ["ROBUH", "Bucharest", "RO", "44.4268", "26.1025"],
                                         ["DE BER", "Berlin", "PL", "52.52", "13.405"]]), personas.coordinator)
    assert [(e.row, e.column) for e in report.errors] == [(3, "unlocode")]
    report = run("locations", csv_bytes([["unlocode", "name", "country", "latitude", "longitude"],
                                         ["ROBUH", "Bucharest", "RO", "44.4268", "26.1025"]]), personas.coordinator)
    assert report.ok and Location.objects.filter(unlocode="RO BUH").exists()
    report = run("hubs", csv_bytes([["code", "name", "location", "operator", "capacity", "active"],
                                    ["RO-BUH", "Bucharest hub", "RO BUH", "ro-hub", "300", "yes"],
                                    ["PL-RZE", "Rzeszów hub", "PL RZE", "pl-hub", "900", "no"]]), personas.coordinator)
    assert report.ok and (report.created, report.updated) == (1, 1), report.lines()
    assert Hub.objects.get(code="PL-RZE").capacity_t_per_week == Decimal("900")
    assert Hub.objects.get(code="PL-RZE").active is False
    wrong = run("hubs", csv_bytes([["code", "name", "location", "operator", "capacity"],
                                   ["X-1", "X", "RO BUH", "de-mod", "3"]]), personas.coordinator)
    assert wrong.errors[0].column == "operator" and "not a hub operator" in wrong.errors[0].message


def test_courses(world, personas):
    header = ["external_id", "title", "location", "start_date", "end_date", "seats", "language", "qualifies_item",
              "qualifies_class"]
    report = run("courses", csv_bytes([
        header,
        ["C-1", "Generator maintenance", "DE WIB", "2026-05-04", "2026-05-15", "12", "EN", "GEN-100KW", ""],
        ["C-2", "Field medicine", "DE WIB", "2026-05-20", "2026-05-10", "8", "en", "", "VIII"],
    ]), personas.donor_de)
    assert [(e.row, e.column) for e in report.errors] == [(3, "end_date")]
    report = run("courses", csv_bytes([header, ["C-1", "Generator maintenance", "DE WIB", "2026-05-04",
                                                "2026-05-15", "12", "EN", "GEN-100KW", ""]]), personas.donor_de)
    course = Course.objects.get(pk=ExternalRef.objects.get(kind="courses").object_id)
    assert (course.provider_id, course.seats, course.language, course.qualifies_item_id) == (
        personas.orgs["de"].pk, 12, "en", world.item.pk)


def test_exported_formula_escapes_come_back_as_the_text(world, personas):
    header = ["code", "name", "supply_class", "weight_t"]
    report = run("items", csv_bytes([header, ["EQ-1", "'=1+2 is not a formula", "I", "1"]]), personas.coordinator)
    assert report.ok
    assert Item.objects.get(code="EQ-1").name == "=1+2 is not a formula"
