"""Exchange rates: entered by hand or imported from the ECB's CSV (both layouts), all or nothing, idempotent."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue import ecb, services
from aidbridge.catalogue.models import ExchangeRate
from aidbridge.core.errors import NotPermitted, ServiceError

# The daily file as the ECB publishes it: the date written out, a space after each comma, a trailing comma.
DAILY = (b"Date, USD, JPY, CZK, GBP, PLN, \n"
         b"06 March 2026, 1.0842, 161.25, 25.021, 0.84310, 4.2810, \n")
# The history: ISO dates, newest first, N/A where a currency had no rate, a column for a currency since replaced.
HISTORY = (b"Date,USD,JPY,CYP,GBP,\n"
           b"2026-03-06,1.0842,161.25,N/A,0.84310,\n"
           b"2026-03-05,1.0790,N/A,N/A,0.84120,\n"
           b"2007-12-31,1.4721,164.93,0.585274,0.73335,\n")


def rate(currency: str, day: str) -> Decimal:
    return ExchangeRate.objects.get(currency=currency, date=dt.date.fromisoformat(day)).per_euro


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- setting one rate -----------------------------------------------------------------------------------------

def test_a_coordinator_sets_a_rate_with_one_audit_event(personas):
    r = services.set_exchange_rate(actor=personas.coordinator, currency="usd", date=dt.date(2026, 3, 6),
                                   per_euro="1.0842")
    assert (r.currency, r.per_euro, r.source) == ("USD", Decimal("1.0842"), "manual")
    assert events("exchange_rate.create") == 1
    assert str(r) == "1 EUR = 1.0842 USD on 2026-03-06"


def test_setting_the_same_rate_again_writes_nothing_and_a_new_value_is_one_update(personas):
    day = dt.date(2026, 3, 6)
    services.set_exchange_rate(actor=personas.coordinator, currency="USD", date=day, per_euro=Decimal("1.08"))
    services.set_exchange_rate(actor=personas.coordinator, currency="USD", date=day, per_euro=Decimal("1.0800"))
    assert (events("exchange_rate.create"), events("exchange_rate.update")) == (1, 0)
    services.set_exchange_rate(actor=personas.coordinator, currency="USD", date=day, per_euro="1.09")
    assert (events("exchange_rate.update"), rate("USD", "2026-03-06")) == (1, Decimal("1.09"))
    assert ExchangeRate.objects.count() == 1


@pytest.mark.parametrize("persona", ["donor_de", "recipient", "hub_pl", "auditor", "outsider"])
def test_only_coordinator_editors_set_rates(personas, persona):
    with pytest.raises(NotPermitted):
        services.set_exchange_rate(actor=getattr(personas, persona), currency="USD", date=dt.date(2026, 3, 6),
                                   per_euro="1.08")
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize(("currency", "day", "value", "field"), [
    ("EUR", "2026-03-06", "1", "currency"),
    ("XYZ", "2026-03-06", "1.1", "currency"),
    ("USD", "2026-03-12", "1.1", "date"),  # after the suite's today, 11 March 2026
    ("USD", "2026-03-06", "0", "per_euro"),
    ("USD", "2026-03-06", "-1.2", "per_euro"),
    ("USD", "2026-03-06", "1,08", "per_euro"),
    ("USD", "2026-03-06", "1.123456789", "per_euro"),
    ("USD", "2026-03-06", "NaN", "per_euro"),
    ("USD", "2026-03-06", "12345678901", "per_euro"),
])
def test_bad_rates_are_refused_naming_the_field(personas, currency, day, value, field):
    with pytest.raises(ServiceError) as exc:
        services.set_exchange_rate(actor=personas.coordinator, currency=currency, date=dt.date.fromisoformat(day),
                                   per_euro=value)
    assert field in exc.value.errors, exc.value.errors
    assert not ExchangeRate.objects.exists() and not events("exchange_rate.create")


# --- the ECB layouts ------------------------------------------------------------------------------------------

def test_both_date_forms_are_read():
    assert ecb.parse_date("06 December 2026") == dt.date(2026, 12, 6)
    assert ecb.parse_date("2024-02-29") == dt.date(2024, 2, 29)
    assert ecb.parse_date("31 December 2025") == dt.date(2025, 12, 31)
    for bad in ("29 February 2025", "2025-02-29", "06 Dezember 2026", "06/12/2026", "", "2026-13-01"):
        assert ecb.parse_date(bad) is None, bad


def test_the_daily_file_imports(personas):
    report = services.import_ecb_rates(actor=personas.coordinator, content=DAILY, filename="eurofxref.csv")
    assert report.ok and report.layout == "daily"
    assert (report.days, report.created, report.currencies) == (1, 5, ["USD", "JPY", "CZK", "GBP", "PLN"])
    assert rate("GBP", "2026-03-06") == Decimal("0.84310")
    assert set(ExchangeRate.objects.values_list("source", flat=True)) == {"ecb"}
    # One event for the file's one day (a row of the ECB's table), naming each rate it created.
    (event,) = AuditEvent.objects.filter(action="exchange_rate.import")
    assert (event.object_id, event.after["file"]) == ("2026-03-06", "eurofxref.csv")
    usd = ExchangeRate.objects.get(currency="USD")
    assert event.after["rates"]["USD"] == {"id": usd.pk, "per_euro": "1.0842"}
    assert not events("exchange_rate.create")


def test_the_history_file_imports_skipping_na_and_replaced_currencies(personas):
    report = services.import_ecb_rates(actor=personas.coordinator, content=HISTORY, filename="eurofxref-hist.csv")
    assert report.layout == "history" and report.days == 3
    assert (report.first_date, report.last_date) == (dt.date(2007, 12, 31), dt.date(2026, 3, 6))
    assert report.created == 8 and report.missing_cells == 1
    assert set(report.skipped_columns) == {"CYP"}
    assert not ExchangeRate.objects.filter(currency="CYP").exists()
    assert rate("JPY", "2007-12-31") == Decimal("164.93")
    text = "\n".join(report.lines())
    assert "8 new" in text and "Column CYP skipped" in text and "2007-12-31 to 2026-03-06" in text


def test_importing_the_same_file_twice_changes_nothing(personas):
    services.import_ecb_rates(actor=personas.coordinator, content=HISTORY, filename="h.csv")
    before = AuditEvent.objects.count()
    again = services.import_ecb_rates(actor=personas.coordinator, content=HISTORY, filename="h.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    assert AuditEvent.objects.count() == before


def test_an_overlapping_file_adds_the_new_days_and_corrects_a_changed_rate(personas):
    services.set_exchange_rate(actor=personas.coordinator, currency="USD", date=dt.date(2026, 3, 6), per_euro="1.2")
    report = services.import_ecb_rates(actor=personas.coordinator, content=DAILY, filename="d.csv")
    assert (report.created, report.updated, report.unchanged) == (4, 1, 0)
    usd = ExchangeRate.objects.get(currency="USD")
    assert (usd.per_euro, usd.source) == (Decimal("1.0842"), "ecb")
    (event,) = AuditEvent.objects.filter(action="exchange_rate.import")
    assert event.before == {"USD": {"id": usd.pk, "per_euro": "1.20000000"}}
    # The rate's history: entered by hand, then corrected by the import of its day; not the other days' imports.
    assert [e.action for e in services.rate_history(usd)] == ["exchange_rate.import", "exchange_rate.create"]
    jpy = ExchangeRate.objects.get(currency="JPY")
    assert [e.action for e in services.rate_history(jpy)] == ["exchange_rate.import"]
    assert ExchangeRate.objects.count() == 5


def test_a_dry_run_counts_and_writes_nothing(personas):
    report = services.import_ecb_rates(actor=personas.coordinator, content=HISTORY, filename="h.csv", dry_run=True)
    assert report.created == 8 and report.dry_run
    assert not ExchangeRate.objects.exists() and not AuditEvent.objects.filter(action__startswith="exchange").exists()
    assert "nothing would be written" in "\n".join(report.lines())


BAD_FILES = [
    (b"Date,USD,\n2026-03-06,1.08x,\n", [(2, "USD", "1.08x")]),
    (b"Date,USD,\n2026-03-06,1.08,\n2026-03-06,1.09,\n", [(3, "Date", "2026-03-06")]),
    (b"Date,USD,\n06 Mars 2026,1.08,\n", [(2, "Date", "06 Mars 2026")]),
    (b"Date,USD,EUR\n2026-03-06,1.08,1\n", [(1, "3", "EUR")]),
    (b"Datum,USD\n2026-03-06,1.08\n", [(1, "1", "Datum")]),
    (b"Date,USD,USD\n2026-03-06,1.08,1.08\n", [(1, "3", "USD")]),
    (b"Date,USD\n2026-03-06,1.08,9,9\n", [(2, "3", "9")]),
    (b"Date,USD\n2026-12-06,1.08\n", [(2, "Date", "2026-12-06")]),  # after today
    (b"Date,USD,GBP\n2026-03-06,-1,0.84\n2026-03-05,1.08,0\n", [(2, "USD", "-1"), (3, "GBP", "0")]),
    (b"Date,USD\n", [(2, "Date", "")]),
    (b"Date,U$D\n2026-03-06,1.08\n", [(1, "2", "U$D")]),
    (b"\xff\xfeD\x00a\x00", [(1, "\u2014", "")]),
]


@pytest.mark.parametrize(("content", "expected"), BAD_FILES)
def test_a_bad_file_is_refused_whole_naming_row_column_and_value(personas, content, expected):
    services.set_exchange_rate(actor=personas.coordinator, currency="JPY", date=dt.date(2026, 3, 2), per_euro="160")
    before = AuditEvent.objects.count()
    # A good row before the bad one must not be written either.
    with pytest.raises(services.RatesFileRefused) as exc:
        services.import_ecb_rates(actor=personas.coordinator, content=content, filename="bad.csv")
    report = exc.value.report
    assert [(e.row, e.column, e.value) for e in report.errors] == expected
    assert all(e.message for e in report.errors)
    assert exc.value.errors["file"][0].startswith(f"Row {expected[0][0]}, column {expected[0][1]}")
    assert ExchangeRate.objects.count() == 1 and AuditEvent.objects.count() == before


def test_a_good_row_above_a_bad_one_is_not_written(personas):
    content = b"Date,USD\n2026-03-06,1.08\n2026-03-05,oops\n"
    with pytest.raises(services.RatesFileRefused):
        services.import_ecb_rates(actor=personas.coordinator, content=content, filename="x.csv")
    assert not ExchangeRate.objects.exists()


def test_a_file_wrong_throughout_lists_its_first_problems(personas):
    content = b"Date,USD\n" + b"".join(b"2020-01-%02d,bad\n" % (day % 28 + 1) for day in range(400))
    with pytest.raises(services.RatesFileRefused) as exc:
        services.import_ecb_rates(actor=personas.coordinator, content=content, filename="x.csv")
    assert len(exc.value.report.errors) == ecb.MAX_ERRORS and exc.value.report.errors_truncated


def test_empty_and_oversized_files_are_refused(personas, settings):
    with pytest.raises(ServiceError, match="empty"):
        services.import_ecb_rates(actor=personas.coordinator, content=b"  \n", filename="x.csv")
    settings.MAX_UPLOAD_BYTES = 10
    with pytest.raises(ServiceError, match="limit"):
        services.import_ecb_rates(actor=personas.coordinator, content=DAILY, filename="x.csv")


def test_only_coordinator_editors_import(personas):
    with pytest.raises(NotPermitted):
        services.import_ecb_rates(actor=personas.donor_de, content=DAILY, filename="x.csv")
    assert not ExchangeRate.objects.exists()


# --- the command line -----------------------------------------------------------------------------------------

def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rates", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rates_import_and_set_on_the_command_line(db, tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_bytes(HISTORY)
    out, _ = run("import", str(path), "--dry-run", "--json")
    assert json.loads(out)["created"] == 8 and not ExchangeRate.objects.exists()
    out, _ = run("import", str(path))
    assert "8 new" in out and ExchangeRate.objects.count() == 8
    assert AuditEvent.objects.filter(action="exchange_rate.import", actor_name="system").count() == 3
    out, _ = run("set", "CAD", "2024-02-29", "1.4632")
    assert out.strip() == "1 EUR = 1.4632 CAD on 2024-02-29" and rate("CAD", "2024-02-29") == Decimal("1.4632")


def test_the_command_line_refuses_a_bad_file_with_exit_status_2(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Date,USD\n2026-03-06,1.08x\n")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("rates", "import", str(path), stdout=out)
    assert exc.value.returncode == 2
    assert "Row 2, column USD “1.08x”" in out.getvalue() and not ExchangeRate.objects.exists()
    with pytest.raises(CommandError) as missing:
        call_command("rates", "import", str(tmp_path / "absent.csv"))
    assert missing.value.returncode == 2
    with pytest.raises(CommandError, match="euro"):
        call_command("rates", "set", "EUR", "2026-03-06", "1")


@pytest.mark.parametrize("argv", [["rates"], ["rates", "import"], ["rates", "set"]])
def test_the_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command(*argv, "--help")
    assert exit_.value.code == 0 and "usage:" in capsys.readouterr().out


# --- the ECB's zip files ----------------------------------------------------------------------------------------

def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_the_zip_the_ecb_serves_imports_as_its_csv(personas):
    report = services.import_ecb_rates(actor=personas.coordinator, content=zipped(("eurofxref-hist.csv", HISTORY)),
                                       filename="eurofxref-hist.zip")
    assert report.created == 8 and report.filename == "eurofxref-hist.zip (eurofxref-hist.csv)"
    with pytest.raises(services.RatesFileRefused) as exc:
        services.import_ecb_rates(actor=personas.coordinator, content=zipped(("bad.csv", b"Date,USD\n2026-03-06,x\n")),
                                  filename="bad.zip")
    assert str(exc.value.report.errors[0]).startswith("Row 2, column USD")


@pytest.mark.parametrize(("content", "message"), [
    (zipped(("a.csv", DAILY), ("b.csv", DAILY)), "holds one CSV file; this one holds a.csv, b.csv"),
    (zipped(("rates.xlsx", b"x")), "holds one CSV file"),
    (zipped(), "holds one CSV file; this one holds nothing"),
    (b"PK\x03\x04 not really a zip", "cannot be read"),
])
def test_a_zip_that_is_not_the_ecbs_is_refused(personas, content, message):
    with pytest.raises(ServiceError, match=message):
        services.import_ecb_rates(actor=personas.coordinator, content=content, filename="x.zip")
    assert not ExchangeRate.objects.exists()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(personas, settings):
    # 2 MB of CSV that deflates to a few kilobytes: under the upload limit packed, far over it unpacked.
    bomb = zipped(("eurofxref-hist.csv", b"Date,USD\n" + b"2026-03-06,1.08\n" * 130_000))
    settings.MAX_UPLOAD_BYTES = 100_000
    assert len(bomb) < settings.MAX_UPLOAD_BYTES
    with pytest.raises(ServiceError, match="the limit is 100,000"):
        services.import_ecb_rates(actor=personas.coordinator, content=bomb, filename="bomb.zip")
    # A zip whose header understates the size is caught while reading: never more than the limit is unpacked.
    liar = bytearray(bomb)
    central = liar.rfind(b"PK\x01\x02")
    liar[central + 24:central + 28] = (1000).to_bytes(4, "little")  # the central directory's uncompressed size
    with pytest.raises(ServiceError, match="cannot be read|limit"):
        services.import_ecb_rates(actor=personas.coordinator, content=bytes(liar), filename="liar.zip")
    assert not ExchangeRate.objects.exists()
