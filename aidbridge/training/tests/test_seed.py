"""The demo's training: a dozen courses across donors and languages, requests tied to requirements, one
completed course, an approved seat plan, and at least one capability at risk."""

from __future__ import annotations

import pytest

from aidbridge.accounts.models import Organisation
from aidbridge.training import queries
from aidbridge.training.models import Course, Enrolment, SeatAssignment, SeatPlanRun, TrainingRequest
from aidbridge.training.readiness import AT_RISK, readiness_for

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(seed_scenario, db):
    return seed_scenario


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_courses_across_donors_and_languages(demo):
    courses = Course.objects.all()
    assert 12 <= courses.count() <= 16
    assert {"en", "de", "pl", "uk"} <= set(courses.values_list("language", flat=True))
    assert courses.values("provider").distinct().count() >= 8
    assert set(courses.values_list("provider__kind", flat=True)) == {Organisation.Kind.DONOR}
    assert courses.filter(status=Course.Status.COMPLETED).count() == 2
    assert courses.filter(prerequisites__isnull=False).exists()


def test_requests_are_tied_to_requirements_and_planned(demo):
    tied = TrainingRequest.objects.filter(requirement__isnull=False)
    assert tied.count() >= 6
    assert set(tied.values_list("status", flat=True)) == {TrainingRequest.Status.VALIDATED}
    (run,) = SeatPlanRun.objects.all()
    assert run.status == SeatPlanRun.Status.APPROVED and run.objective > 0
    assert SeatAssignment.objects.filter(run=run).exists()
    assert Enrolment.objects.filter(status=Enrolment.Status.COMPLETED).count() == 8 + 18
    for course in Course.objects.with_use():
        assert course.assigned_seats <= course.seats, course.reference


def test_at_least_one_capability_is_at_risk(demo):
    rows, packages = readiness_for(_user("coordinator"))
    at_risk = [row for row in rows if row.status == AT_RISK]
    assert at_risk, [(r.key, r.status) for r in rows]
    assert any(p.key == "artillery-battery" and p.status == AT_RISK for p in packages)
    assert len(rows) >= 6


def test_public_aggregates_cover_public_courses_only(demo):
    aggregates = queries.public_aggregates()
    donors = {row["donor"] for row in aggregates["by_donor"]}
    assert donors and all(row["seats"] > 0 for row in aggregates["by_donor"])
    public = Course.objects.filter(releasability="public").exclude(status="cancelled")
    assert sum(row["seats"] for row in aggregates["by_donor"]) == sum(public.values_list("seats", flat=True))
    assert sum(row["completed"] for row in aggregates["by_month"]) == 8 + 18  # both completed courses are public
    assert "Canada — Department of National Defence" not in donors  # its course is coalition-only
