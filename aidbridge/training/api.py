"""``/courses``, ``/training-requests``, ``/enrolments`` and ``/seat-plans``: training and seat planning.

Every list and object goes through ``for_user``: an object outside it answers 404. Courses follow the pledges'
releasability rules (their provider in the donor's place); training requests and enrolments are visible like
requirements; seat plan runs to coordinators and auditors only. Responses never carry a run's instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Status

from aidbridge.accounts.models import Organisation
from aidbridge.catalogue.models import Item
from aidbridge.core.api import (
    ERRORS,
    READ_ERRORS,
    DbInt,
    actor,
    changes_of,
    get_visible_or_404,
    paginated,
    resolve_refs,
)
from aidbridge.core.errors import ServiceError
from aidbridge.locations.models import Location
from aidbridge.requirements.models import Requirement
from aidbridge.training import services
from aidbridge.training.models import Course, Enrolment, SeatPlanRun, TrainingRequest
from aidbridge.training.readiness import readiness_for
from aidbridge.training.schemas import (
    CompletionIn,
    CourseIn,
    CourseOut,
    CoursePatch,
    EnrolmentIn,
    EnrolmentOut,
    ReadinessListOut,
    SeatPlanApproved,
    SeatPlanDetailOut,
    SeatPlanIn,
    SeatPlanOut,
    TrainingRequestIn,
    TrainingRequestOut,
    TrainingRequestPatch,
)

router = Router(tags=["training"])
COURSE_REFS = {"location": Location, "qualifies_item": Item, "provider": Organisation}
REQUEST_REFS = {"requirement": Requirement, "item": Item, "recipient": Organisation}
BIG = ("instance", "plan", "baseline_plan")


def _status_filter(queryset: Any, status: str | None, choices: Any) -> Any:
    if status is None:
        return queryset
    if status not in choices.values:
        raise ServiceError(gettext("“%(status)s” is not a status; choose one of: %(choices)s.")
                           % {"status": status, "choices": ", ".join(choices.values)}, field="status")
    return queryset.filter(status=status)


# --- courses --------------------------------------------------------------------------------------------------

def _courses(user: Any) -> Any:
    return (Course.objects.for_user(user).with_use().select_related("provider", "location", "qualifies_item")
            .prefetch_related("prerequisites"))


def _course_refs(user: Any, data: dict[str, Any]) -> tuple[dict[str, Any], list[Course] | None]:
    prerequisites = data.pop("prerequisites", None)
    refs = {k: v for k, v in COURSE_REFS.items() if k in data and not (data[k] is None and k != "location")}
    data = resolve_refs(user, data, refs)
    if prerequisites is None:
        return data, None
    found = []
    for value in prerequisites:
        resolved = resolve_refs(user, {"prerequisites": value}, {"prerequisites": Course})
        found.append(resolved["prerequisites"])
    return data, found


@router.get("/courses", response={200: list[CourseOut], **READ_ERRORS})
@paginated
def list_courses(request: HttpRequest, status: str | None = None) -> Any:
    """Courses you may see (the pledges' releasability rules, the provider as owner), by start date."""
    return _status_filter(_courses(actor(request)), status, Course.Status)


@router.post("/courses", response={201: CourseOut, **ERRORS})
def create_course(request: HttpRequest, payload: CourseIn) -> Any:
    """Offer a course (a donor's editors for their own organisation; coordinator editors for any donor)."""
    user = actor(request)
    data, prerequisites = _course_refs(user, payload.dict())
    if data.get("provider") is None:
        data.pop("provider", None)
    if data.get("qualifies_class") is None:
        data["qualifies_class"] = ""
    if data.get("disclosure_date") is None:
        data.pop("disclosure_date", None)
    course = services.create_course(actor=user, prerequisites=prerequisites or [], **data)
    return Status(201, _courses(user).get(pk=course.pk))


@router.get("/courses/{course_id}", response={200: CourseOut, **READ_ERRORS})
def get_course(request: HttpRequest, course_id: DbInt) -> Any:
    return get_visible_or_404(_courses(actor(request)), course_id)


@router.patch("/courses/{course_id}", response={200: CourseOut, **ERRORS})
def update_course(request: HttpRequest, course_id: DbInt, payload: CoursePatch) -> Any:  # type: ignore[valid-type]
    user = actor(request)
    course = get_visible_or_404(_courses(user), course_id)
    changes, prerequisites = _course_refs(user, changes_of(payload))
    services.update_course(actor=user, course=course, changes=changes, prerequisites=prerequisites)
    return _courses(user).get(pk=course.pk)


def _course_transition(request: HttpRequest, course_id: int, service: Callable[..., Course]) -> Any:
    user = actor(request)
    course = get_visible_or_404(_courses(user), course_id)
    service(actor=user, course=course)
    return _courses(user).get(pk=course.pk)


@router.post("/courses/{course_id}/confirm", response={200: CourseOut, **ERRORS})
def confirm_course(request: HttpRequest, course_id: DbInt) -> Any:
    """Offered → confirmed."""
    return _course_transition(request, course_id, services.confirm_course)


@router.post("/courses/{course_id}/start", response={200: CourseOut, **ERRORS})
def start_course(request: HttpRequest, course_id: DbInt) -> Any:
    """Confirmed → running."""
    return _course_transition(request, course_id, services.start_course)


@router.post("/courses/{course_id}/complete", response={200: CourseOut, **ERRORS})
def complete_course(request: HttpRequest, course_id: DbInt) -> Any:
    """Running → completed."""
    return _course_transition(request, course_id, services.complete_course)


@router.post("/courses/{course_id}/cancel", response={200: CourseOut, **ERRORS})
def cancel_course(request: HttpRequest, course_id: DbInt) -> Any:
    """Offered, confirmed or running → cancelled."""
    return _course_transition(request, course_id, services.cancel_course)


# --- training requests ----------------------------------------------------------------------------------------

def _requests(user: Any) -> Any:
    return TrainingRequest.objects.for_user(user).select_related("recipient", "requirement", "item")


@router.get("/training-requests", response={200: list[TrainingRequestOut], **READ_ERRORS})
@paginated
def list_training_requests(request: HttpRequest, status: str | None = None) -> Any:
    return _status_filter(_requests(actor(request)), status, TrainingRequest.Status)


@router.get("/training-requests/readiness", response={200: ReadinessListOut, **READ_ERRORS})
def get_readiness(request: HttpRequest) -> Any:
    """Capability readiness per requirement (those with a training request you see) and per package."""
    rows, packages = readiness_for(actor(request))
    return {"requirements": [r.as_dict() for r in rows], "packages": [p.as_dict() for p in packages]}


@router.post("/training-requests", response={201: TrainingRequestOut, **ERRORS})
def create_training_request(request: HttpRequest, payload: TrainingRequestIn) -> Any:
    """Ask for trainees (the recipient's editors); a draft until submitted."""
    user = actor(request)
    data = payload.dict()
    refs = {k: v for k, v in REQUEST_REFS.items() if data.get(k) is not None}
    data = resolve_refs(user, data, refs)
    if data.get("recipient") is None:
        data.pop("recipient", None)
    return Status(201, services.create_training_request(actor=user, **data))


@router.get("/training-requests/{request_id}", response={200: TrainingRequestOut, **READ_ERRORS})
def get_training_request(request: HttpRequest, request_id: DbInt) -> Any:
    return get_visible_or_404(_requests(actor(request)), request_id)


@router.patch("/training-requests/{request_id}", response={200: TrainingRequestOut, **ERRORS})
def update_training_request(request: HttpRequest, request_id: DbInt,
                            payload: TrainingRequestPatch) -> Any:  # type: ignore[valid-type]
    user = actor(request)
    training_request = get_visible_or_404(_requests(user), request_id)
    changes = changes_of(payload)
    refs = {k: v for k, v in REQUEST_REFS.items() if changes.get(k) is not None}
    changes = resolve_refs(user, changes, refs)
    return services.update_training_request(actor=user, request=training_request, changes=changes)


def _request_transition(request: HttpRequest, request_id: int, service: Callable[..., TrainingRequest]) -> Any:
    user = actor(request)
    return service(actor=user, request=get_visible_or_404(_requests(user), request_id))


@router.post("/training-requests/{request_id}/submit", response={200: TrainingRequestOut, **ERRORS})
def submit_training_request(request: HttpRequest, request_id: DbInt) -> Any:
    """Draft → submitted (the recipient's editors)."""
    return _request_transition(request, request_id, services.submit_training_request)


@router.post("/training-requests/{request_id}/validate", response={200: TrainingRequestOut, **ERRORS})
def validate_training_request(request: HttpRequest, request_id: DbInt) -> Any:
    """Submitted → validated (coordinator editors)."""
    return _request_transition(request, request_id, services.validate_training_request)


@router.post("/training-requests/{request_id}/return", response={200: TrainingRequestOut, **ERRORS})
def return_training_request(request: HttpRequest, request_id: DbInt) -> Any:
    """Submitted → draft."""
    return _request_transition(request, request_id, services.return_training_request)


@router.post("/training-requests/{request_id}/close", response={200: TrainingRequestOut, **ERRORS})
def close_training_request(request: HttpRequest, request_id: DbInt) -> Any:
    """Validated → closed (coordinator editors)."""
    return _request_transition(request, request_id, services.close_training_request)


@router.post("/training-requests/{request_id}/cancel", response={200: TrainingRequestOut, **ERRORS})
def cancel_training_request(request: HttpRequest, request_id: DbInt) -> Any:
    return _request_transition(request, request_id, services.cancel_training_request)


# --- enrolments -----------------------------------------------------------------------------------------------

def _enrolments(user: Any) -> Any:
    return Enrolment.objects.for_user(user).select_related("request", "course")


@router.get("/enrolments", response={200: list[EnrolmentOut], **READ_ERRORS})
@paginated
def list_enrolments(request: HttpRequest, status: str | None = None) -> Any:
    """Trainees by their pseudonymous references (never names), visible like their training request."""
    return _status_filter(_enrolments(actor(request)), status, Enrolment.Status)


@router.post("/enrolments", response={201: EnrolmentOut, **ERRORS})
def enrol_trainee(request: HttpRequest, payload: EnrolmentIn) -> Any:
    """Enrol a trainee, by a pseudonymous reference chosen by the recipient: never a name or personal data."""
    user = actor(request)
    data = resolve_refs(user, payload.dict(), {"request": TrainingRequest, "course": Course})
    return Status(201, services.enrol_trainee(actor=user, **data))


@router.get("/enrolments/{enrolment_id}", response={200: EnrolmentOut, **READ_ERRORS})
def get_enrolment(request: HttpRequest, enrolment_id: DbInt) -> Any:
    return get_visible_or_404(_enrolments(actor(request)), enrolment_id)


def _enrolment_transition(request: HttpRequest, enrolment_id: int, service: Callable[..., Enrolment],
                          **kwargs: Any) -> Any:
    user = actor(request)
    return service(actor=user, enrolment=get_visible_or_404(_enrolments(user), enrolment_id), **kwargs)


@router.post("/enrolments/{enrolment_id}/attend", response={200: EnrolmentOut, **ERRORS})
def record_attendance(request: HttpRequest, enrolment_id: DbInt) -> Any:
    """Enrolled → attended."""
    return _enrolment_transition(request, enrolment_id, services.record_attendance)


@router.post("/enrolments/{enrolment_id}/complete", response={200: EnrolmentOut, **ERRORS})
def complete_enrolment(request: HttpRequest, enrolment_id: DbInt, payload: CompletionIn) -> Any:
    """Attended → completed, with the certificate reference."""
    return _enrolment_transition(request, enrolment_id, services.complete_enrolment, **payload.dict())


@router.post("/enrolments/{enrolment_id}/withdraw", response={200: EnrolmentOut, **ERRORS})
def withdraw_enrolment(request: HttpRequest, enrolment_id: DbInt) -> Any:
    return _enrolment_transition(request, enrolment_id, services.withdraw_enrolment)


@router.post("/enrolments/{enrolment_id}/fail", response={200: EnrolmentOut, **ERRORS})
def fail_enrolment(request: HttpRequest, enrolment_id: DbInt) -> Any:
    return _enrolment_transition(request, enrolment_id, services.fail_enrolment)


# --- seat plan runs -------------------------------------------------------------------------------------------

def _runs(user: Any) -> Any:
    return SeatPlanRun.objects.for_user(user)


@router.get("/seat-plans", response={200: list[SeatPlanOut], **READ_ERRORS})
@paginated
def list_seat_plans(request: HttpRequest) -> Any:
    """Seat plan runs, newest first (coordinators and auditors)."""
    return _runs(actor(request)).defer(*BIG)


@router.post("/seat-plans", response={201: SeatPlanOut, **ERRORS})
def start_seat_plan(request: HttpRequest, payload: SeatPlanIn) -> Any:
    """Queue a seat plan over the current courses and validated requests (coordinator editors); poll it."""
    return Status(201, services.start_seat_plan(actor=actor(request), **payload.dict()))


@router.get("/seat-plans/{run_id}", response={200: SeatPlanDetailOut, **READ_ERRORS})
def get_seat_plan(request: HttpRequest, run_id: DbInt) -> Any:
    return get_visible_or_404(_runs(actor(request)).defer("instance", "baseline_plan"), run_id)


@router.post("/seat-plans/{run_id}/approve", response={200: SeatPlanApproved, **ERRORS})
def approve_seat_plan(request: HttpRequest, run_id: DbInt) -> Any:
    """Write the plan's seats, all or nothing; refused (409, naming the course) if seats were taken meanwhile."""
    user = actor(request)
    written = services.approve_seat_plan(actor=user, run=get_visible_or_404(_runs(user), run_id))
    run = _runs(user).defer(*BIG).get(pk=run_id)
    run.assignments_written = len(written)  # type: ignore[attr-defined]
    return run
