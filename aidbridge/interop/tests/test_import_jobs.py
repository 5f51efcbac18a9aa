"""Import jobs end to end: the services, the background task and its progress, the API, the command line and the
pages (upload → map → dry run with preview → commit)."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import Membership
from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue.models import Item
from aidbridge.core.errors import InvalidTransition, NotPermitted, ServiceError
from aidbridge.core.tests.api_helpers import as_user
from aidbridge.interop import services, tasks
from aidbridge.interop.models import ImportJob, ImportMapping
from aidbridge.interop.tabular import kinds, template_files
from aidbridge.interop.tests.helpers import csv_bytes, run
from aidbridge.requirements.models import Requirement

ITEMS = csv_bytes([["Code", "Item name", "Class", "Weight (t)"],
                   ["WTR-20L", "Water can", "I", "0.021"], ["TENT-10", "Tent, 10 persons", "II", "0.08"]])
MAPPING = {"code": "Code", "name": "Item name", "supply_class": "Class", "weight_t": "Weight (t)"}


def upload(personas, content=ITEMS, kind="items", name="catalogue.csv"):
    return services.upload_import(actor=personas.coordinator, kind=kind, content=content, filename=name)


def test_upload_stores_the_file_and_suggests_a_mapping(world, personas):
    with_events = AuditEvent.objects.count()
    job = upload(personas)
    assert (job.status, job.file_format, job.headers, job.organisation_id) == (
        "uploaded", "csv", ["Code", "Item name", "Class", "Weight (t)"], personas.orgs["cell"].pk)
    assert job.mapping == {"code": "Code", "supply_class": "Class", "weight_t": "Weight (t)"}  # "Item name" is no alias
    assert job.file.read() == ITEMS
    assert AuditEvent.objects.count() == with_events + 1
    with pytest.raises(ServiceError, match="empty"):
        upload(personas, content=b"")
    with pytest.raises(ServiceError, match="old Excel"):
        upload(personas, content=b"\xd0\xcf\x11\xe0 old")
    with pytest.raises(NotPermitted):
        services.upload_import(actor=personas.donor_de, kind="items", content=ITEMS, filename="x.csv")


def test_dry_run_then_commit_through_the_task(world, personas, django_capture_on_commit_callbacks):
    job = upload(personas)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.start_import(actor=personas.coordinator, job=job, dry_run=True, mapping=MAPPING)
    assert len(callbacks) == 1 and job.status == "queued"
    with pytest.raises(InvalidTransition):
        services.start_import(actor=personas.coordinator, job=job, dry_run=True, enqueue=False)
    seen = []
    assert tasks.execute_import(job.pk, progress=lambda f, m: seen.append(f)) == "done"
    job.refresh_from_db()
    assert job.status == "checked" and job.report["ok"] and job.report["created"] == 2
    assert seen[-1] == 1.0 and not Item.objects.filter(code="WTR-20L").exists()
    assert tasks.execute_import(job.pk) == "not queued"  # claimed once only
    services.start_import(actor=personas.coordinator, job=job, dry_run=False, enqueue=False)
    assert tasks.execute_import(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == "committed" and job.report["committed"]
    assert Item.objects.get(code="TENT-10").name == "Tent, 10 persons"
    assert not tasks.progress_path(job.pk).exists()  # the live progress file goes with the run


def test_the_mapping_is_remembered_for_the_organisation_and_template(world, personas):
    job = upload(personas)
    services.start_import(actor=personas.coordinator, job=job, dry_run=True, mapping=MAPPING, enqueue=False)
    saved = ImportMapping.objects.get()
    assert (saved.organisation_id, saved.kind, saved.columns) == (personas.orgs["cell"].pk, "items", MAPPING)
    again = upload(personas, name="next-month.csv")
    assert again.mapping == MAPPING  # the same header row: the remembered mapping
    other = upload(personas, content=csv_bytes([["code", "name", "supply_class", "weight_t"]]))
    assert other.mapping == {"code": "code", "name": "name", "supply_class": "supply_class", "weight_t": "weight_t"}
    with pytest.raises(ServiceError, match="No column gives"):
        services.start_import(actor=personas.coordinator, job=again, dry_run=True, mapping={"code": "Code"},
                              enqueue=False)


def test_a_problem_file_is_rejected_and_a_crash_marked_failed(world, personas, monkeypatch):
    job = upload(personas, content=csv_bytes([["code", "name", "supply_class", "weight_t"], ["A", "A", "Z", "1"]]))
    services.start_import(actor=personas.coordinator, job=job, dry_run=False, enqueue=False)
    tasks.execute_import(job.pk)
    job.refresh_from_db()
    assert job.status == "rejected" and job.report["errors"][0]["column"] == "supply_class"

    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "import_file", boom)
    services.start_import(actor=personas.coordinator, job=job, dry_run=True, enqueue=False)
    assert tasks.execute_import(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "disk on fire" in job.error


def test_live_progress_prefers_the_progress_file_while_running(world, personas):
    job = upload(personas)
    services.start_import(actor=personas.coordinator, job=job, dry_run=True, mapping=MAPPING, enqueue=False)
    ImportJob.objects.filter(pk=job.pk).update(status="running", progress=0.05, progress_message="Reading")
    job.refresh_from_db()
    writer = tasks.FileProgress(job.pk, 0.05, 1.0, every=0)
    writer(0.5, "Row 1,000 of 2,000")
    assert tasks.live_progress(job) == (pytest.approx(0.525), "Row 1,000 of 2,000")
    writer.clear()
    assert tasks.live_progress(job) == (0.05, "Reading")


def test_templates_hold_every_column_and_import_as_they_are(world, personas):
    spec = kinds.KINDS["items"]
    text = template_files.template_csv(spec)
    assert text.splitlines()[0] == "code,name,supply_class,unit,weight_t,nsn,fsc,description"
    book = load_workbook(io.BytesIO(template_files.template_xlsx(spec)))
    assert [c.value for c in book.worksheets[0][1]] == [c.name for c in spec.columns]
    assert book.sheetnames == ["items", "About the columns"]
    for name in ("requirements", "pledges", "financial-pledges", "locations", "hubs", "courses"):
        headers = template_files.template_csv(kinds.KINDS[name]).splitlines()[0].split(",")
        assert set(kinds.auto_mapping(kinds.KINDS[name], headers)) == {c.name for c in kinds.KINDS[name].columns}
    # the example row of the items template is itself a valid row
    report = run("items", template_files.template_xlsx(spec), personas.coordinator, dry_run=True,
                 filename="t.xlsx")
    assert report.ok, report.lines()


# --- the API ---------------------------------------------------------------------------------------------------

def test_api_upload_dry_run_commit_and_status(world, personas, django_capture_on_commit_callbacks):
    api = as_user(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        response = api.upload("/imports", {"kind": "items", "file": SimpleUploadedFile("c.csv", ITEMS),
                                           "mapping": json.dumps(MAPPING)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["mapping"], body["headers"][0]) == ("queued", MAPPING, "Code")
    tasks.execute_import(body["id"])
    status = api.get(f"/imports/{body['id']}").json()
    assert status["status"] == "checked" and status["report"]["created"] == 2 and status["progress"] == 1.0
    response = api.post(f"/imports/{body['id']}/commit")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    tasks.execute_import(body["id"])
    assert api.get(f"/imports/{body['id']}").json()["status"] == "committed"
    listed = api.get("/imports").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    download = api.get("/imports", {"format": "csv"})
    assert download.status_code == 200 and download.content.decode().startswith("id,reference,kind,status")
    assert as_user(personas.donor_de).get(f"/imports/{body['id']}").status_code == 404
    assert as_user(personas.outsider).get("/imports").status_code == 404


def test_api_refusals_name_the_field(world, personas):
    api = as_user(personas.coordinator)
    response = api.upload("/imports", {"kind": "widgets", "file": SimpleUploadedFile("c.csv", ITEMS)})
    assert response.status_code == 422 and "kind" in response.json()["errors"]
    response = api.upload("/imports", {"kind": "items", "file": SimpleUploadedFile("c.csv", ITEMS),
                                       "mapping": "{not json"})
    assert response.status_code == 422 and "mapping" in response.json()["errors"]
    response = as_user(personas.donor_de).upload("/imports", {"kind": "items",
                                                              "file": SimpleUploadedFile("c.csv", ITEMS)})
    assert response.status_code == 403


def test_api_kinds_and_templates(world, personas):
    api = as_user(personas.recipient)
    body = api.get("/imports/kinds").json()
    allowed = {k["kind"]: k["allowed"] for k in body}
    assert allowed["requirements"] and not allowed["items"] and not allowed["pledges"]
    response = api.get("/imports/templates/requirements.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("external_id,recipient,item,quantity")
    assert api.get("/imports/templates/requirements.xlsx").content[:2] == b"PK"
    assert api.get("/imports/templates/widgets.csv").status_code == 404


# --- the command line ------------------------------------------------------------------------------------------

def _cli(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_cli_dry_run_json_then_commit(world, personas, tmp_path):
    path = tmp_path / "needs.csv"
    path.write_bytes(csv_bytes([["item", "quantity", "due_date", "destination"],
                                ["GEN-100KW", "5", "2026-04-30", "UA LWO"]]))
    count = Requirement.objects.count()
    code, out, err = _cli("requirements", str(path), "--as", "recipient", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["created"] == 1 and json.loads(out)["dry_run"] is True
    assert "100%" in err and Requirement.objects.count() == count
    code, out, _ = _cli("requirements", str(path), "--as", "recipient", "--quiet")
    assert code == 0 and out.startswith("Imported 1 rows: 1 new")
    assert Requirement.objects.count() == count + 1


def test_cli_reports_problems_with_exit_status_1(world, personas, tmp_path):
    path = tmp_path / "needs.csv"
    path.write_bytes(csv_bytes([["Artikel", "quantity", "due_date", "destination"],
                                ["GEN-100KW", "x", "2026-04-30", "UA LWO"]]))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"item": "Artikel", "quantity": "quantity", "due_date": "due_date",
                                   "destination": "destination"}))
    code, out, _ = _cli("requirements", str(path), "--as", "recipient", "--quiet", "--mapping", str(mapping))
    assert code == 1
    assert "row 2, column “quantity” (value “x”): Enter the quantity as a whole number" in out


def test_cli_has_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command("import", "--help")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "usage:" in out and "--dry-run" in out and "financial-pledges" in out and "iati" in out


def test_cli_refuses_bad_arguments(world, personas, tmp_path):
    with pytest.raises(CommandError, match="no file"):
        call_command("import", "items", str(tmp_path / "missing.csv"), "--as", "coordinator")
    path = tmp_path / "items.csv"
    path.write_bytes(ITEMS)
    with pytest.raises(CommandError, match="no active user"):
        call_command("import", "items", str(path), "--as", "nobody")
    with pytest.raises(CommandError, match="may not import"):
        call_command("import", "items", str(path), "--as", "donor-de")
    with pytest.raises(CommandError, match="neither a JSON file nor a mapping"):
        call_command("import", "items", str(path), "--as", "coordinator", "--mapping", "Monthly")
    with pytest.raises(CommandError, match="with --as USER"):  # no superuser to act as: never an anonymous writer
        call_command("import", "items", str(path))


def test_cli_acts_as_the_superuser_by_default(world, personas, tmp_path):
    get_user_model().objects.create_user("root", password=None, is_superuser=True)
    path = tmp_path / "items.csv"
    path.write_bytes(ITEMS)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    code, out, _ = _cli("items", str(path), "--quiet", "--json", "--mapping", str(mapping))
    assert code == 0 and json.loads(out)["ok"] is True
    assert AuditEvent.objects.filter(action="item.create").latest("pk").actor.username == "root"


# --- the pages -------------------------------------------------------------------------------------------------

def test_pages_upload_map_check_commit(world, personas, login, django_capture_on_commit_callbacks):
    client = login(personas.coordinator)
    page = client.get("/imports/")
    assert page.status_code == 200 and b"Upload a file" in page.content
    response = client.post("/imports/upload/", {"kind": "items", "file": SimpleUploadedFile("c.csv", ITEMS)})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(f"/imports/{job.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and 'name="map-code"' in text and "<td>WTR-20L</td>" in text  # preview
    form = {f"map-{name}": header for name, header in MAPPING.items()}
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"/imports/{job.pk}/dry-run/", form).status_code == 302
    assert b"every 1s" in client.get(f"/imports/{job.pk}/progress/").content  # polling while queued
    tasks.execute_import(job.pk)
    progress = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Dry run: ready to commit" in page and "Commit 2 rows" in page
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"/imports/{job.pk}/commit/").status_code == 302
    tasks.execute_import(job.pk)
    assert "Imported" in client.get(f"/imports/{job.pk}/").content.decode()
    assert Item.objects.filter(code__in=["WTR-20L", "TENT-10"]).count() == 2


def test_pages_show_problems_by_row_column_and_value(world, personas, login):
    client = login(personas.coordinator)
    job = upload(personas, content=csv_bytes([["code", "name", "supply_class", "weight_t"], ["A", "A", "Z", "1"]]))
    services.start_import(actor=personas.coordinator, job=job, dry_run=True, enqueue=False)
    tasks.execute_import(job.pk)
    text = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Problems found: nothing was written" in text
    assert "<td class=\"num\">2</td><td>supply_class</td><td>Z</td>" in text
    bad = client.post(f"/imports/{job.pk}/dry-run/", {"map-code": "code"})
    assert bad.status_code == 422 and "No column gives" in bad.content.decode()
    upload_bad = client.post("/imports/upload/", {"kind": "items", "file": SimpleUploadedFile("x.xls", b"\xd0\xcf\x11"
                                                                                                        b"\xe0 x")})
    assert upload_bad.status_code == 422 and "old Excel" in upload_bad.content.decode()


def test_a_mapping_named_in_the_pages_serves_the_command_line(world, personas, login, tmp_path):
    client = login(personas.coordinator)
    job = upload(personas)
    form = {f"map-{name}": header for name, header in MAPPING.items()}
    assert client.post(f"/imports/{job.pk}/dry-run/", {**form, "mapping_name": "Monthly"}).status_code == 302
    assert ImportMapping.objects.get(name="Monthly").columns == MAPPING
    path = tmp_path / "catalogue.csv"
    path.write_bytes(ITEMS)
    code, out, _ = _cli("items", str(path), "--as", "coordinator", "--mapping", "Monthly", "--quiet", "--dry-run")
    assert code == 0 and out.startswith("Dry run: 2 rows are fine (2 new")


def test_rows_are_written_as_whoever_queued_the_run(world, personas):
    colleague = accounts.create_user(actor=None, username="colleague", password=None,
                                     organisation=personas.orgs["cell"], role=Membership.Role.EDITOR)
    job = upload(personas)
    services.start_import(actor=colleague, job=job, dry_run=False, mapping=MAPPING, enqueue=False)
    tasks.execute_import(job.pk)
    event = AuditEvent.objects.filter(action="item.create").order_by("-pk").first()
    assert event is not None and event.actor_id == colleague.pk
    with pytest.raises(NotPermitted):  # another organisation's editor may not run it
        services.start_import(actor=personas.donor_de, job=job, dry_run=True, enqueue=False)


def test_api_upload_without_a_full_mapping_waits_for_one(world, personas, django_capture_on_commit_callbacks):
    api = as_user(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        body = api.upload("/imports", {"kind": "items", "file": SimpleUploadedFile("c.csv", ITEMS)}).json()
    assert body["status"] == "uploaded" and not callbacks and "name" not in body["mapping"]
    response = api.post(f"/imports/{body['id']}/dry-run", {"mapping": {"code": "Code"}})
    assert response.status_code == 422 and "No column gives" in response.json()["detail"]
    response = api.post(f"/imports/{body['id']}/dry-run", {"mapping": MAPPING})
    assert response.status_code == 202 and response.json()["mapping"] == MAPPING
    jobs = ImportJob.objects.count()
    response = api.upload("/imports", {"kind": "items", "file": SimpleUploadedFile("c.csv", ITEMS),
                                       "mapping": json.dumps({"code": "Nope"})})
    assert response.status_code == 422 and ImportJob.objects.count() == jobs  # nothing stored
