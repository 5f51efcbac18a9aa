"""Two seat plans approved at the same moment never overbook a course (PostgreSQL: real row locks)."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from aidbridge.conftest import requires_postgres
from aidbridge.logistics.tests.races import together
from aidbridge.training import services
from aidbridge.training.models import SeatAssignment, SeatPlanRun
from aidbridge.training.tests.helpers import build_training


def _finished_run(personas, rows):
    run = services.start_seat_plan(actor=personas.coordinator, enqueue=False)
    SeatPlanRun.objects.filter(pk=run.pk).update(
        status=SeatPlanRun.Status.DONE, instance={"fixed": []},
        plan={"schema": "aidbridge.seat-plan/1", "status": "optimal", "objective": 1.0, "bound": 1.0,
              "assignments": rows, "stats": {}})
    return SeatPlanRun.objects.get(pk=run.pk)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_never_overbook_a_course(personas, world):
    t = build_training(personas, world)
    second = services.create_training_request(actor=personas.recipient, requirement=world.requirement, crew_size=4,
                                              crews=3, language="en")
    services.submit_training_request(actor=personas.recipient, request=second)
    services.validate_training_request(actor=personas.coordinator, request=second)
    # Each plan gives the course's twelve seats to a different request: both fit alone, not together.
    one = _finished_run(personas, [{"request": t.request.reference, "course": t.course.reference, "seats": 12}])
    two = _finished_run(personas, [{"request": second.reference, "course": t.course.reference, "seats": 8},
                                   {"request": second.reference, "course": t.course_coord.reference, "seats": 4}])
    outcomes = together(lambda: services.approve_seat_plan(actor=personas.coordinator, run=one),
                        lambda: services.approve_seat_plan(actor=personas.coordinator, run=two))
    assert sorted(o.split(":")[0] for o in outcomes) == ["ok", "refused"], outcomes
    (refused,) = [o for o in outcomes if o.startswith("refused")]
    assert f"{t.course.reference} has 0 free seats of 12" in refused or \
        f"{t.course.reference} has 4 free seats of 12" in refused, refused
    assert SeatAssignment.objects.filter(course=t.course).aggregate(s=Sum("seats"))["s"] <= 12
    statuses = sorted(SeatPlanRun.objects.filter(pk__in=[one.pk, two.pk]).values_list("status", flat=True))
    assert statuses == ["approved", "done"]  # the loser wrote nothing at all
    assert SeatAssignment.objects.filter(run__status="done").count() == 0
