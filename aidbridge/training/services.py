"""Every write of the training app: courses, training requests, seat plan runs and their approval, enrolments.

Each function is keyword-only, runs in ``transaction.atomic``, checks the actor's rights through ``principal()``
(refusals are ``NotPermitted``, 403), validates, writes, and appends one audit event per write.

Who writes what:

- **courses**: editors of the providing donor for its own courses, coordinator editors for any;
- **training requests**: the recipient's editors create, edit, submit and cancel their own; coordinator editors
  validate, close and cancel;
- **seat plan runs**: coordinator editors start and approve them (``actor=None`` is the command line's system
  actor for starting one);
- **enrolments**: the recipient's editors and coordinator editors enrol trainees; those and the providing
  donor's editors record attendance, completion (with a certificate reference), withdrawal and failure.

Lock order, whenever seats are given or taken: courses (by id), then training requests (by id), then the run.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext, ngettext

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.audit import writes
from aidbridge.audit.services import record_event, snapshot
from aidbridge.audit.tasks import checkpoint_log
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import Conflict, InvalidTransition, ServiceError
from aidbridge.requirements.models import Requirement
from aidbridge.training import tasks
from aidbridge.training.instance import key_pk
from aidbridge.training.models import (
    Course,
    Enrolment,
    SeatAssignment,
    SeatPlanRun,
    TrainingRequest,
    validate_trainee_ref,
)

COURSE_FIELDS = ("title", "location", "start_date", "end_date", "seats", "language", "qualifies_item",
                 "qualifies_class", "releasability", "disclosure_date", "notes")
REQUEST_FIELDS = ("item", "crew_size", "crews", "language", "latest_date", "priority", "notes")
ACTIVE_ENROLMENT = (Enrolment.Status.ENROLLED, Enrolment.Status.ATTENDED, Enrolment.Status.COMPLETED)
LATEST_DATE = dt.date(2100, 12, 31)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


# --- courses ---------------------------------------------------------------------------------------------------

def may_manage_course(actor: Any, course: Course) -> bool:
    p = principal(actor)
    return p.writes_for(course.provider_id) or p.is_coordinator_editor


def _require_course_manager(actor: Any, course: Course) -> None:
    core.require(may_manage_course(actor, course),
                 gettext("Only editors of the providing donor, or coordinator editors, may change this course."))


def _course_snapshot(course: Course) -> dict[str, Any]:
    return {**snapshot(course), "prerequisites": sorted(course.prerequisites.values_list("pk", flat=True))}


def _check_prerequisites(course: Course, prerequisites: list[Course]) -> None:
    """No course is its own prerequisite, directly or through others (the prerequisite graph has no cycle)."""
    if course.pk is None:
        return  # a new course cannot be anybody's prerequisite yet
    seen: set[int] = set()
    frontier = [c.pk for c in prerequisites]
    while frontier:
        pk = frontier.pop()
        if pk == course.pk:
            raise ServiceError(gettext("%(course)s would become its own prerequisite (a cycle of prerequisites).")
                               % {"course": course.reference}, field="prerequisites")
        if pk in seen:
            continue
        seen.add(pk)
        frontier.extend(Course.prerequisites.through.objects.filter(from_course_id=pk)
                        .values_list("to_course_id", flat=True))


def _check_course(course: Course) -> None:
    core.full_clean(course)
    if course.end_date > LATEST_DATE:
        raise ServiceError(gettext("The end date is after 2100; give a date no later than %(date)s.")
                           % {"date": f"{LATEST_DATE:%d %b %Y}"}, field="end_date")


@transaction.atomic
def create_course(
    *, actor: Any, provider: Organisation | None = None, prerequisites: Iterable[Course] = (), **fields: Any
) -> Course:
    """Offer a course on behalf of the actor's donor (or, for a coordinator, of ``provider``)."""
    p = principal(actor)
    if provider is None:
        provider = Organisation.objects.filter(pk=p.organisation_id).first() if p.organisation_id else None
    if provider is None or provider.kind != Organisation.Kind.DONOR:
        raise ServiceError(gettext("Courses are offered by a donor organisation."), field="provider")
    unknown = sorted(set(fields) - set(COURSE_FIELDS))
    if unknown:
        raise ServiceError({name: [gettext("This field cannot be set here.")] for name in unknown})
    course = Course(provider=provider, status=Course.Status.OFFERED, **fields)
    _require_course_manager(actor, course)
    if fields.get("qualifies_item") is not None and fields.get("qualifies_class") is None:
        course.qualifies_class = ""
    _check_course(course)
    course.save()
    prerequisites = list(prerequisites)
    course.prerequisites.set(prerequisites)
    record_event(actor=actor, action="course.create", obj=course, after=_course_snapshot(course))
    return course


@transaction.atomic
def update_course(
    *, actor: Any, course: Course, changes: dict[str, Any], prerequisites: Iterable[Course] | None = None
) -> Course:
    """Change an offered or confirmed course; seats never go below those already given. One event, or none."""
    course = core.lock(course)
    _require_course_manager(actor, course)
    if course.status not in Course.PLANNABLE:
        raise InvalidTransition(gettext("%(course)s is %(status)s; only offered or confirmed courses can be edited.")
                                % {"course": course.reference, "status": course.get_status_display().lower()},
                                field="status")
    unknown = sorted(set(changes) - set(COURSE_FIELDS))
    if unknown:
        raise ServiceError({name: [gettext("This field cannot be changed here.")] for name in unknown})
    before = _course_snapshot(course)
    for name, value in changes.items():
        if value is None and name in ("qualifies_class", "notes", "title"):
            value = ""
        setattr(course, name, value)
    if changes.get("qualifies_item") is not None and "qualifies_class" not in changes:
        course.qualifies_class = ""
    if changes.get("qualifies_class") and "qualifies_item" not in changes:
        course.qualifies_item = None
    _check_course(course)
    assigned = course.assigned
    if course.seats < assigned:
        raise ServiceError(ngettext("%(assigned)s seat is already given to requests; the seats cannot go below that.",
                                    "%(assigned)s seats are already given to requests; the seats cannot go below that.",
                                    assigned) % {"assigned": assigned}, field="seats")
    if prerequisites is not None:
        prerequisites = list(prerequisites)
        _check_prerequisites(course, prerequisites)
    after_fields = {**snapshot(course), "prerequisites": before["prerequisites"] if prerequisites is None
                    else sorted(c.pk for c in prerequisites)}
    if {k: v for k, v in after_fields.items() if k != "updated_at"} == {
            k: v for k, v in before.items() if k != "updated_at"}:
        return course
    course.save()
    if prerequisites is not None:
        course.prerequisites.set(prerequisites)
    record_event(actor=actor, action="course.update", obj=course, before=before, after=_course_snapshot(course))
    return course


def _course_transition(actor: Any, course: Course, to: str, action: str) -> Course:
    _require_course_manager(actor, course)
    return writes.transition(actor=actor, obj=course, to=to, action=action)


@transaction.atomic
def confirm_course(*, actor: Any, course: Course) -> Course:
    return _course_transition(actor, course, Course.Status.CONFIRMED, "course.confirm")


@transaction.atomic
def start_course(*, actor: Any, course: Course) -> Course:
    return _course_transition(actor, course, Course.Status.RUNNING, "course.start")


@transaction.atomic
def complete_course(*, actor: Any, course: Course) -> Course:
    return _course_transition(actor, course, Course.Status.COMPLETED, "course.complete")


@transaction.atomic
def cancel_course(*, actor: Any, course: Course) -> Course:
    """Cancel a course. Its seat assignments stay as the record of what was planned; readiness no longer counts
    them, and the next seat plan finds other seats for those requests."""
    return _course_transition(actor, course, Course.Status.CANCELLED, "course.cancel")


COURSE_TRANSITIONS = {"confirm": confirm_course, "start": start_course, "complete": complete_course,
                      "cancel": cancel_course}


# --- training requests -----------------------------------------------------------------------------------------

def _require_request_owner(actor: Any, request: TrainingRequest) -> None:
    core.require(principal(actor).writes_for(request.recipient_id),
                 gettext("Only editors of the recipient organisation may change this training request."))


def _require_coordinator(actor: Any, message: str) -> None:
    if actor is None:  # the command line's system actor
        return
    core.require(principal(actor).is_coordinator_editor, message)


def _check_latest_date(value: Any) -> None:
    if isinstance(value, dt.date) and value > LATEST_DATE:
        raise ServiceError(gettext("The latest date is after 2100; give a date no later than %(date)s.")
                           % {"date": f"{LATEST_DATE:%d %b %Y}"}, field="latest_date")


@transaction.atomic
def create_training_request(
    *, actor: Any, recipient: Organisation | None = None, requirement: Requirement | None = None,
    item: Any = None, crew_size: int, crews: int, language: str, latest_date: dt.date | None = None,
    priority: int | None = None, notes: str = "",
) -> TrainingRequest:
    """Ask for ``crews`` crews of ``crew_size`` trainees, in a draft the recipient then submits.

    Linked to a requirement (the default path), the item and priority come from it, and an empty
    ``latest_date`` means "by the equipment's planned arrival". Without one, the item and date are required.
    """
    p = principal(actor)
    if recipient is None:
        recipient = Organisation.objects.filter(pk=p.organisation_id).first() if p.organisation_id else None
    if recipient is None or recipient.kind != Organisation.Kind.RECIPIENT:
        raise ServiceError(gettext("Training requests belong to a recipient organisation."), field="recipient")
    errors: dict[str, list[str]] = {}
    if requirement is not None:
        if requirement.recipient_id != recipient.pk:
            errors["requirement"] = [gettext("%(requirement)s belongs to another recipient.")
                                     % {"requirement": requirement.reference}]
        elif requirement.status in (Requirement.Status.CLOSED, Requirement.Status.CANCELLED):
            errors["requirement"] = [gettext("%(requirement)s is %(status)s.") % {
                "requirement": requirement.reference, "status": requirement.get_status_display().lower()}]
        if item is not None and item.pk != requirement.item_id:
            errors["item"] = [gettext("%(requirement)s is for %(item)s; leave the item empty or give the same.")
                              % {"requirement": requirement.reference, "item": requirement.item.code}]
        item = requirement.item
        if priority is None:
            priority = requirement.priority
    else:
        if item is None:
            errors["item"] = [gettext("Give the item the crews are for, or link a requirement.")]
        if latest_date is None:
            errors["latest_date"] = [gettext("A request without a requirement needs its latest useful date.")]
    if errors:
        raise ServiceError(errors)
    _check_latest_date(latest_date)
    request = TrainingRequest(
        recipient=recipient, requirement=requirement, item=item, crew_size=crew_size, crews=crews,
        language=(language or "").strip().lower(), latest_date=latest_date,
        priority=priority if priority is not None else Requirement.Priority.P2, notes=notes or "",
        status=TrainingRequest.Status.DRAFT,
    )
    _require_request_owner(actor, request)
    return writes.create(actor=actor, obj=request, action="training_request.create")


@transaction.atomic
def update_training_request(*, actor: Any, request: TrainingRequest, changes: dict[str, Any]) -> TrainingRequest:
    request = core.lock(request)
    _require_request_owner(actor, request)
    if request.status not in (TrainingRequest.Status.DRAFT, TrainingRequest.Status.SUBMITTED):
        raise InvalidTransition(gettext("%(request)s is %(status)s; only draft or submitted requests can be edited.")
                                % {"request": request.reference, "status": request.get_status_display().lower()},
                                field="status")
    requirement = request.requirement
    if requirement is not None and "item" in changes and changes["item"] is not None \
            and changes["item"].pk != requirement.item_id:
        raise ServiceError(gettext("%(requirement)s is for %(item)s; the item follows the requirement.")
                           % {"requirement": requirement.reference, "item": requirement.item.code}, field="item")
    if "language" in changes and isinstance(changes["language"], str):
        changes = {**changes, "language": changes["language"].strip().lower()}
    _check_latest_date(changes.get("latest_date"))
    return writes.update(actor=actor, obj=request, changes=changes, editable=REQUEST_FIELDS,
                         action="training_request.update")


@transaction.atomic
def submit_training_request(*, actor: Any, request: TrainingRequest) -> TrainingRequest:
    _require_request_owner(actor, request)
    return writes.transition(actor=actor, obj=request, to=TrainingRequest.Status.SUBMITTED,
                             action="training_request.submit")


@transaction.atomic
def validate_training_request(*, actor: Any, request: TrainingRequest) -> TrainingRequest:
    core.require(principal(actor).is_coordinator_editor,
                 gettext("Only coordinator editors may validate training requests."))
    return writes.transition(actor=actor, obj=request, to=TrainingRequest.Status.VALIDATED,
                             action="training_request.validate")


@transaction.atomic
def return_training_request(*, actor: Any, request: TrainingRequest) -> TrainingRequest:
    """Send a submitted request back to draft for the recipient to rework."""
    p = principal(actor)
    core.require(p.writes_for(request.recipient_id) or p.is_coordinator_editor,
                 gettext("Only the recipient's editors or coordinator editors may return this request to draft."))
    return writes.transition(actor=actor, obj=request, to=TrainingRequest.Status.DRAFT,
                             action="training_request.return")


@transaction.atomic
def close_training_request(*, actor: Any, request: TrainingRequest) -> TrainingRequest:
    core.require(principal(actor).is_coordinator_editor,
                 gettext("Only coordinator editors may close training requests."))
    return writes.transition(actor=actor, obj=request, to=TrainingRequest.Status.CLOSED,
                             action="training_request.close")


@transaction.atomic
def cancel_training_request(*, actor: Any, request: TrainingRequest) -> TrainingRequest:
    p = principal(actor)
    core.require(p.writes_for(request.recipient_id) or p.is_coordinator_editor,
                 gettext("Only the recipient's editors or coordinator editors may cancel this training request."))
    return writes.transition(actor=actor, obj=request, to=TrainingRequest.Status.CANCELLED,
                             action="training_request.cancel")


REQUEST_TRANSITIONS = {"submit": submit_training_request, "validate": validate_training_request,
                       "return": return_training_request, "close": close_training_request,
                       "cancel": cancel_training_request}


# --- seats -----------------------------------------------------------------------------------------------------

def _locked_courses(pks: Iterable[int]) -> dict[int, Course]:
    return {c.pk: c for c in Course.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk")}


def _locked_requests(pks: Iterable[int]) -> dict[int, TrainingRequest]:
    return {r.pk: r for r in
            TrainingRequest.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk")}


def _assigned(field: str, pks: Iterable[int]) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for key, seats in SeatAssignment.objects.filter(**{f"{field}__in": list(pks)}).values_list(field, "seats"):
        totals[key] += seats
    return totals


def _give_seats(actor: Any, run: SeatPlanRun | None, request: TrainingRequest, course: Course, seats: int) -> \
        SeatAssignment:
    assignment = SeatAssignment(run=run, request=request, course=course, seats=seats, created_by=_user(actor),
                                created_at=clock.now())
    core.full_clean(assignment, exclude=["created_by", "run"])
    assignment.save()
    record_event(actor=actor, action="seat_assignment.create", obj=assignment, after=snapshot(assignment))
    return assignment


def _check_seats(courses: dict[int, Course], requests: dict[int, TrainingRequest],
                 wanted: dict[tuple[int, int], int]) -> None:
    """Refuse, naming the course or request, when giving ``wanted`` seats now would overbook a course or give a
    request more seats on one course than it has trainees (a request may also take seats on prerequisite
    courses, so its seats across courses may exceed its trainees). Call with the courses and requests locked."""
    by_course: dict[int, int] = defaultdict(int)
    for (_, course_pk), seats in wanted.items():
        by_course[course_pk] += seats
    course_use = _assigned("course_id", by_course)
    pair_use: dict[tuple[int, int], int] = defaultdict(int)
    for key in SeatAssignment.objects.filter(request_id__in={r for r, _ in wanted}).values_list(
            "request_id", "course_id", "seats"):
        pair_use[(key[0], key[1])] += key[2]
    problems = []
    for pk, seats in sorted(by_course.items()):
        course = courses[pk]
        if course.status not in Course.PLANNABLE:
            problems.append(gettext("%(course)s is %(status)s") % {
                "course": course.reference, "status": course.get_status_display().lower()})
            continue
        free = course.seats - course_use[pk]
        if seats > free:
            problems.append(ngettext("%(course)s has %(free)s free seat of %(seats)s but %(asked)s asked for",
                                     "%(course)s has %(free)s free seats of %(seats)s but %(asked)s asked for",
                                     free) % {"course": course.reference, "free": max(0, free), "seats": course.seats,
                                              "asked": ngettext("%(n)s is", "%(n)s are", seats) % {"n": seats}})
    for pk in sorted({r for r, _ in wanted}):
        request = requests[pk]
        if request.status != TrainingRequest.Status.VALIDATED:
            problems.append(gettext("%(request)s is %(status)s") % {
                "request": request.reference, "status": request.get_status_display().lower()})
    for (request_pk, course_pk), seats in sorted(wanted.items()):
        request, left = requests[request_pk], requests[request_pk].trainees - pair_use[(request_pk, course_pk)]
        if request.status == TrainingRequest.Status.VALIDATED and seats > left:
            problems.append(gettext("%(request)s has %(trainees)s trainees and %(left)s without a seat on "
                                    "%(course)s, but %(seats)s would be given") % {
                "request": request.reference, "trainees": request.trainees, "left": max(0, left),
                "course": courses[course_pk].reference, "seats": seats})
    if problems:
        raise Conflict(gettext("Seats cannot be given: %(problems)s.") % {"problems": "; ".join(problems)},
                       field="seats")


@transaction.atomic
def assign_seats(*, actor: Any, request: TrainingRequest, course: Course, seats: int) -> SeatAssignment:
    """Give ``seats`` seats of a course to a validated request by hand (coordinator editors)."""
    core.require(principal(actor).is_coordinator_editor, gettext("Only coordinator editors may give seats."))
    if int(seats) < 1:
        raise ServiceError(gettext("Give at least one seat."), field="seats")
    courses = _locked_courses([course.pk])
    requests = _locked_requests([request.pk])
    _check_seats(courses, requests, {(request.pk, course.pk): int(seats)})
    return _give_seats(actor, None, requests[request.pk], courses[course.pk], int(seats))


# --- seat plan runs --------------------------------------------------------------------------------------------

@transaction.atomic
def start_seat_plan(
    *, actor: Any, method: str = SeatPlanRun.Method.OPTIMAL, time_limit: float | None = 30.0,
    start_date: dt.date | None = None, enqueue: bool = True,
) -> SeatPlanRun:
    """Queue a seat plan run; the background worker picks it up once this transaction commits.

    ``enqueue=False`` leaves it to the caller to execute (the command line runs it in its own process).
    """
    _require_coordinator(actor, gettext("Only coordinator editors may start seat plans."))
    if method not in SeatPlanRun.Method.values:
        raise ServiceError(gettext("“%(method)s” is not a method; choose optimal or first_come.") % {"method": method},
                           field="method")
    if time_limit is not None and not 0 < float(time_limit) <= 3600:
        raise ServiceError(gettext("The time limit is between 0 and 3600 seconds."), field="time_limit")
    run = SeatPlanRun(method=method, time_limit=time_limit, start_date=start_date or clock.today(),
                      started_by=_user(actor), created_at=clock.now())
    core.full_clean(run, exclude=["started_by"])
    run.save()
    record_event(actor=actor, action="seat_plan.start", obj=run, after=snapshot(run))
    if enqueue:
        def _enqueue() -> None:
            result = tasks.execute_seat_plan.enqueue(run.pk)
            SeatPlanRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])

        transaction.on_commit(_enqueue)
    return run


def new_assignments(run: SeatPlanRun) -> dict[tuple[int, int], int]:
    """The seats the plan gives beyond the fixed assignments it started from, by (request pk, course pk)."""
    fixed: dict[tuple[int, int], int] = defaultdict(int)
    for row in (run.instance or {}).get("fixed", []):
        fixed[(key_pk(row["request"]), key_pk(row["course"]))] += int(row["seats"])
    planned: dict[tuple[int, int], int] = defaultdict(int)
    for row in (run.plan or {}).get("assignments", []):
        planned[(key_pk(row["request"]), key_pk(row["course"]))] += int(row["seats"])
    return {key: seats - fixed[key] for key, seats in planned.items() if seats - fixed[key] > 0}


@transaction.atomic
def approve_seat_plan(*, actor: Any, run: SeatPlanRun) -> list[SeatAssignment]:
    """Turn the plan into seat assignments, all or nothing.

    The plan's courses are locked in id order, then its requests, then the run; the free seats are re-read under
    those locks. Two approvals racing each other queue on the course rows: the second re-reads the seats the
    first gave, and is refused (naming the course) if its plan no longer fits. Nothing is ever overbooked.
    """
    core.require(principal(actor).is_coordinator_editor, gettext("Only coordinator editors may approve seat plans."))
    wanted = new_assignments(SeatPlanRun.objects.get(pk=run.pk))
    courses = _locked_courses(c for _, c in wanted)
    requests = _locked_requests(r for r, _ in wanted)
    run = core.lock(run)
    if run.status != SeatPlanRun.Status.DONE:
        raise InvalidTransition(gettext("%(run)s is %(status)s; only a finished run can be approved.")
                                % {"run": run, "status": run.get_status_display().lower()}, field="status")
    missing = sorted({c for _, c in wanted} - set(courses)) + sorted({r for r, _ in wanted} - set(requests))
    if missing:
        raise Conflict(gettext("%(run)s names courses or requests that no longer exist; start a new run.")
                       % {"run": run}, field="run")
    try:
        _check_seats(courses, requests, wanted)
    except Conflict as exc:
        raise Conflict(gettext("%(run)s no longer fits: %(problems)s Another plan or a hand assignment took the seats "
                               "meanwhile; start a new run.") % {"run": run, "problems": exc.message},
                       field="run") from exc
    assignments = [_give_seats(actor, run, requests[r], courses[c], seats)
                   for (r, c), seats in sorted(wanted.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
    before = snapshot(run)
    run.status = SeatPlanRun.Status.APPROVED
    run.approved_by = _user(actor)
    run.approved_at = clock.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    record_event(actor=actor, action="seat_plan.approve", obj=run, before={"status": before["status"]},
                 after={"status": run.status, "assignments": len(assignments),
                        "seats": sum(a.seats for a in assignments)})
    transaction.on_commit(checkpoint_log.enqueue)
    return assignments


# --- enrolments ------------------------------------------------------------------------------------------------

def _require_enroller(actor: Any, request: TrainingRequest) -> None:
    p = principal(actor)
    core.require(p.writes_for(request.recipient_id) or p.is_coordinator_editor,
                 gettext("Only the recipient's editors or coordinator editors may enrol trainees for this request."))


def may_record_enrolment(actor: Any, enrolment: Enrolment) -> bool:
    p = principal(actor)
    return (p.writes_for(enrolment.request.recipient_id) or p.writes_for(enrolment.course.provider_id)
            or p.is_coordinator_editor)


def _require_recorder(actor: Any, enrolment: Enrolment) -> None:
    core.require(may_record_enrolment(actor, enrolment),
                 gettext("Only the recipient's editors, the providing donor's editors or coordinator editors may "
                         "record this trainee's progress."))


def clean_trainee_ref(value: Any) -> str:
    """The reference as stored, or a ``ServiceError`` saying why it is refused (names and personal data are)."""
    text = str(value or "").strip()
    if not text:
        raise ServiceError(gettext("Give the trainee's pseudonymous reference (never a name)."), field="trainee_ref")
    try:
        validate_trainee_ref(text)
    except Exception as exc:  # django ValidationError
        raise ServiceError(" ".join(getattr(exc, "messages", [str(exc)])), field="trainee_ref") from exc
    return text.upper()


@transaction.atomic
def enrol_trainee(*, actor: Any, request: TrainingRequest, course: Course, trainee_ref: str) -> Enrolment:
    """Enrol one pseudonymous trainee of a validated request on a course where the request holds seats."""
    _require_enroller(actor, request)
    ref = clean_trainee_ref(trainee_ref)
    course = _locked_courses([course.pk])[course.pk]
    request = _locked_requests([request.pk])[request.pk]
    if request.status != TrainingRequest.Status.VALIDATED:
        raise InvalidTransition(gettext("%(request)s is %(status)s; trainees are enrolled for validated requests.")
                                % {"request": request.reference, "status": request.get_status_display().lower()},
                                field="request")
    if course.status not in (Course.Status.OFFERED, Course.Status.CONFIRMED, Course.Status.RUNNING):
        raise InvalidTransition(gettext("%(course)s is %(status)s; no more trainees can be enrolled.")
                                % {"course": course.reference, "status": course.get_status_display().lower()},
                                field="course")
    seats = sum(SeatAssignment.objects.filter(request=request, course=course).values_list("seats", flat=True))
    used = Enrolment.objects.filter(request=request, course=course, status__in=ACTIVE_ENROLMENT).count()
    if used >= seats:
        holds = ngettext("%(request)s holds %(seats)s seat on %(course)s", "%(request)s holds %(seats)s seats on "
                         "%(course)s", seats) % {"request": request.reference, "seats": seats,
                                                 "course": course.reference}
        raise Conflict(ngettext("%(holds)s and %(used)s is taken; no seat is left for another trainee.",
                                "%(holds)s and %(used)s are taken; no seat is left for another trainee.",
                                used) % {"holds": holds, "used": used}, field="course")
    if Enrolment.objects.filter(course=course, trainee_ref=ref).exists():
        raise Conflict(gettext("%(trainee)s is already enrolled on %(course)s.")
                       % {"trainee": ref, "course": course.reference}, field="trainee_ref")
    enrolment = Enrolment(request=request, course=course, trainee_ref=ref, status=Enrolment.Status.ENROLLED,
                          created_at=clock.now())
    return writes.create(actor=actor, obj=enrolment, action="enrolment.create")


@transaction.atomic
def record_attendance(*, actor: Any, enrolment: Enrolment) -> Enrolment:
    _require_recorder(actor, enrolment)
    return writes.transition(actor=actor, obj=enrolment, to=Enrolment.Status.ATTENDED, action="enrolment.attend")


@transaction.atomic
def complete_enrolment(
    *, actor: Any, enrolment: Enrolment, certificate_ref: str, completed_on: dt.date | None = None
) -> Enrolment:
    """Record a completion with its certificate reference; ``completed_on`` defaults to today (never later),
    and is no earlier than the course's start."""
    _require_recorder(actor, enrolment)
    enrolment = core.lock(enrolment)
    if enrolment.status != Enrolment.Status.ATTENDED:
        raise InvalidTransition(gettext("%(enrolment)s is %(status)s; record attendance before completion.")
                                % {"enrolment": enrolment, "status": enrolment.get_status_display().lower()},
                                field="status")
    certificate = str(certificate_ref or "").strip()
    if not certificate:
        raise ServiceError(gettext("A completion needs its certificate reference."), field="certificate_ref")
    day = completed_on or clock.today()
    if day > clock.today():
        raise ServiceError(gettext("%(date)s is in the future; record a completion once it happened.")
                           % {"date": f"{day:%d %b %Y}"}, field="completed_on")
    if day < enrolment.course.start_date:
        raise ServiceError(gettext("%(course)s starts on %(date)s; a completion cannot be earlier.")
                           % {"course": enrolment.course.reference, "date": f"{enrolment.course.start_date:%d %b %Y}"},
                           field="completed_on")
    before = snapshot(enrolment)
    enrolment.status = Enrolment.Status.COMPLETED
    enrolment.certificate_ref = certificate
    enrolment.completed_on = day
    core.full_clean(enrolment)
    enrolment.save()
    record_event(actor=actor, action="enrolment.complete", obj=enrolment, before=before, after=snapshot(enrolment))
    return enrolment


@transaction.atomic
def withdraw_enrolment(*, actor: Any, enrolment: Enrolment) -> Enrolment:
    """The trainee leaves the course; the seat is free for another trainee of the same request."""
    _require_recorder(actor, enrolment)
    return writes.transition(actor=actor, obj=enrolment, to=Enrolment.Status.WITHDRAWN, action="enrolment.withdraw")


@transaction.atomic
def fail_enrolment(*, actor: Any, enrolment: Enrolment) -> Enrolment:
    _require_recorder(actor, enrolment)
    return writes.transition(actor=actor, obj=enrolment, to=Enrolment.Status.FAILED, action="enrolment.fail")
