"""``aidbridge training plan``: on an instance file (no database) and on the database (a recorded run)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aidbridge.audit.models import AuditEvent
from aidbridge.training.models import SeatPlanRun
from aidbridge.training.tests.helpers import build_training

INSTANCE = {
    "schema": "aidbridge.seat-instance/1",
    "courses": [
        {"id": "CRS-00001", "provider": "6", "seats": 8, "language": "en", "start_day": 10, "end_day": 24,
         "location": "DE WIB", "qualifies": ["GEN-100KW"], "prerequisites": []},
    ],
    "requests": [
        {"id": "TRQ-00001", "trainees": 8, "crew_size": 4, "language": "en", "item": "GEN-100KW", "priority": 1,
         "needed_by_day": 40, "origin": "UA", "holds": []},
        {"id": "TRQ-00002", "trainees": 8, "crew_size": 4, "language": "en", "item": "GEN-100KW", "priority": 3,
         "needed_by_day": 30, "origin": "UA", "holds": []},
    ],
    "travel_days": {"UA": {"DE WIB": 2}},
    "priority_value": {"1": 1000, "2": 100, "3": 10, "4": 1},
    "fixed": [],
}


def training(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("training", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_plan_on_a_file(tmp_path, capsys):
    source, target = tmp_path / "i.json", tmp_path / "p.json"
    source.write_text(json.dumps(INSTANCE))
    training("plan", "--input", str(source), "--output", str(target), "--time-limit", "5")
    plan = json.loads(target.read_text())
    assert plan["schema"] == "aidbridge.seat-plan/1" and plan["status"] == "optimal"
    # The P1 request takes the eight seats: its crews are worth 1000, the P3 request's 10.
    assert plan["assignments"] == [{"request": "TRQ-00001", "course": "CRS-00001", "seats": 8}]
    captured = capsys.readouterr()
    assert "status=optimal" in captured.out and "%" in captured.err  # the summary and a progress bar
    training("plan", "--input", str(source), "--output", str(target), "--method", "first-come", "--quiet")
    # First come serves the request needed first (day 30): the P3 request.
    assert json.loads(target.read_text())["assignments"] == [
        {"request": "TRQ-00002", "course": "CRS-00001", "seats": 8}]


def test_bad_input_on_a_file(tmp_path):
    source = tmp_path / "i.json"
    source.write_text(json.dumps({**INSTANCE, "cources": []}))
    with pytest.raises(CommandError) as exc:
        training("plan", "--input", str(source), "--output", str(tmp_path / "p.json"), "--quiet")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="needs --output") as exc:
        training("plan", "--input", str(source))
    with pytest.raises(CommandError, match="--start-date is for --database"):
        training("plan", "--input", str(source), "--output", "x.json", "--start-date", "2026-03-11")


@pytest.mark.django_db
def test_plan_on_the_database_records_a_run(personas, world, tmp_path):
    t = build_training(personas, world)
    target = tmp_path / "plan.json"
    before = AuditEvent.objects.count()
    out, err = training("plan", "--database", "--output", str(target), "--time-limit", "5")
    run = SeatPlanRun.objects.get()
    assert run.status == SeatPlanRun.Status.DONE and run.started_by is None
    assert f"seat plan #{run.pk}: status=optimal" in out and "approve" in out
    assert "100%" in err
    assert json.loads(target.read_text())["assignments"] == [
        {"request": t.request.reference, "course": t.course.reference, "seats": 12}]
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))[before:] == [
        "seat_plan.start", "seat_plan.finish"]
