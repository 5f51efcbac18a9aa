"""Training pages: courses, training requests and enrolments, seat plan runs, and capability readiness.

Every read goes through ``for_user`` (invisible → 404); every write through :mod:`aidbridge.training.services`,
which stays the authority (a refused write is 403 with the service's message). Buttons and forms are shown only
to those the services would let through:

- courses: the providing donor's editors and coordinator editors manage them;
- training requests: the recipient's editors write them, coordinator editors validate and close them;
- enrolments: the recipient's editors (or coordinator editors) enrol trainees; the recipient's, the provider's
  and coordinator editors record attendance and completion. Trainees are pseudonymous references, never names;
- seat plan runs: coordinators and auditors see them (others 404); coordinator editors start and approve them;
- readiness: per requirement the user may see.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import Principal, coordinator_editor, principal
from aidbridge.audit.models import AuditEvent
from aidbridge.core import exports
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.views import (
    DetailFormView,
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    Transition,
    forbidden,
    list_download,
)
from aidbridge.requirements.models import Requirement
from aidbridge.training import charts, services, tables
from aidbridge.training import readiness as rd
from aidbridge.training.filtersets import CourseFilterSet, TrainingRequestFilterSet
from aidbridge.training.forms import (
    LANGUAGES,
    PSEUDONYM_NOTE,
    CourseForm,
    EnrolForm,
    EnrolmentRecordForm,
    SeatPlanForm,
    TrainingRequestForm,
    allowed_actions,
)
from aidbridge.training.instance import needed_by, planned_arrivals
from aidbridge.training.models import Course, Enrolment, SeatAssignment, SeatPlanRun, TrainingRequest

CourseStatus = Course.Status
RequestStatus = TrainingRequest.Status
COURSE_RELATED = ("provider", "location", "qualifies_item")
REQUEST_RELATED = ("recipient", "requirement", "item")


# --- who may do what -------------------------------------------------------------------------------------------

def may_create_course(p: Principal, obj: Any = None) -> bool:
    return p.is_coordinator_editor or (p.org_kind == Organisation.Kind.DONOR and p.can_write)


def manages_course(p: Principal, course: Course) -> bool:
    return p.writes_for(course.provider_id) or p.is_coordinator_editor


def may_write_course(p: Principal, course: Course | None) -> bool:
    return may_create_course(p) if course is None else manages_course(p, course)


def may_edit_course(p: Principal, course: Course) -> bool:
    return manages_course(p, course) and course.status in Course.PLANNABLE


def course_full_view(p: Principal, course: Course) -> bool:
    """Notes and history: the provider, coordinators and auditors (as for a pledge)."""
    return p.oversees or (p.organisation_id is not None and p.organisation_id == course.provider_id)


def _course_can(course: Course, to: str) -> bool:
    return to in Course.TRANSITIONS.get(course.status, set())


COURSE_TRANSITIONS = [
    Transition("confirm", _("Confirm"), services.confirm_course, style="primary", done=_("Confirmed."),
               allowed=lambda p, c: _course_can(c, CourseStatus.CONFIRMED) and manages_course(p, c)),
    Transition("start", _("Start"), services.start_course, style="primary", done=_("Started."),
               allowed=lambda p, c: _course_can(c, CourseStatus.RUNNING) and manages_course(p, c)),
    Transition("complete", _("Complete"), services.complete_course, style="primary", done=_("Completed."),
               allowed=lambda p, c: _course_can(c, CourseStatus.COMPLETED) and manages_course(p, c)),
    Transition("cancel", _("Cancel course"), services.cancel_course, style="danger", done=_("Cancelled."),
               confirm=_("Cancel this course? Its seats no longer count for readiness. This cannot be undone."),
               allowed=lambda p, c: _course_can(c, CourseStatus.CANCELLED) and manages_course(p, c)),
]


def may_create_request(p: Principal, obj: Any = None) -> bool:
    return p.is_superuser or (p.org_kind == Organisation.Kind.RECIPIENT and p.can_write)


def owns_request(p: Principal, r: TrainingRequest) -> bool:
    return p.writes_for(r.recipient_id)


def may_write_request(p: Principal, r: TrainingRequest | None) -> bool:
    return may_create_request(p) if r is None else owns_request(p, r)


def may_edit_request(p: Principal, r: TrainingRequest) -> bool:
    return owns_request(p, r) and r.status in (RequestStatus.DRAFT, RequestStatus.SUBMITTED)


def may_enrol(p: Principal, r: TrainingRequest) -> bool:
    return r.status == RequestStatus.VALIDATED and (owns_request(p, r) or p.is_coordinator_editor)


def _request_can(r: TrainingRequest, to: str) -> bool:
    return to in TrainingRequest.TRANSITIONS.get(r.status, set())


REQUEST_TRANSITIONS = [
    Transition("submit", _("Submit"), services.submit_training_request, style="primary", done=_("Submitted."),
               allowed=lambda p, r: _request_can(r, RequestStatus.SUBMITTED) and owns_request(p, r)),
    Transition("validate", _("Validate"), services.validate_training_request, style="primary",
               done=_("Validated."),
               allowed=lambda p, r: _request_can(r, RequestStatus.VALIDATED) and coordinator_editor(p)),
    Transition("return", _("Return to draft"), services.return_training_request, done=_("Returned to draft."),
               allowed=lambda p, r: r.status == RequestStatus.SUBMITTED and (owns_request(p, r)
                                                                              or coordinator_editor(p))),
    Transition("close", _("Close"), services.close_training_request, done=_("Closed."),
               allowed=lambda p, r: _request_can(r, RequestStatus.CLOSED) and coordinator_editor(p)),
    Transition("cancel", _("Cancel request"), services.cancel_training_request, style="danger", done=_("Cancelled."),
               confirm=_("Cancel this training request? This cannot be undone."),
               allowed=lambda p, r: _request_can(r, RequestStatus.CANCELLED) and (owns_request(p, r)
                                                                                  or coordinator_editor(p))),
]


def _links(p: Principal) -> list[tuple[str, str]]:
    links = [(gettext("Courses"), "training:course_list"),
             (gettext("Training requests"), "training:trainingrequest_list"),
             (gettext("Readiness"), "training:readiness")]
    if p.oversees:
        links.append((gettext("Seat plans"), "training:seatplanrun_list"))
    return links


# --- enrolments, shown on a course's and on a request's page ---------------------------------------------------

def enrolment_rows(user: Any, enrolments: Any, bound: forms.BaseForm | None = None) -> list[dict[str, Any]]:
    """Each visible enrolment with the steps the user may record on it (and the bound form, on its own row)."""
    rows = []
    for e in enrolments:
        actions = allowed_actions(e) if services.may_record_enrolment(user, e) else []
        form: forms.BaseForm | None = None
        if actions:
            mine = bound is not None and str(bound.data.get("enrolment")) == str(e.pk)
            form = bound if mine and bound is not None else EnrolmentRecordForm(initial={"enrolment": e.pk})
            form.fields["action"].choices = actions  # type: ignore[attr-defined]
        rows.append({"enrolment": e, "form": form})
    return rows


def record_step(user: Any, enrolment: Enrolment, data: dict[str, Any]) -> Enrolment:
    action = data["action"]
    if action == "attend":
        return services.record_attendance(actor=user, enrolment=enrolment)
    if action == "complete":
        return services.complete_enrolment(actor=user, enrolment=enrolment, certificate_ref=data["certificate_ref"],
                                           completed_on=data.get("completed_on"))
    if action == "withdraw":
        return services.withdraw_enrolment(actor=user, enrolment=enrolment)
    if action == "fail":
        return services.fail_enrolment(actor=user, enrolment=enrolment)
    raise ServiceError(gettext("Choose what to record."), field="action")


# --- courses ---------------------------------------------------------------------------------------------------

WITHHELD_FIELDS = frozenset({"notes", "created_at", "updated_at"})


def redacted_history(obj: Course) -> list[SimpleNamespace]:
    """A course's audit history as other donors, recipients and hubs see it (as for a pledge): what changed,
    without notes, timestamps or the names of the provider's staff."""

    def shown(values: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if values is None else {k: v for k, v in values.items() if k not in WITHHELD_FIELDS}

    return [SimpleNamespace(created_at=None, actor_name="withheld", action=event.action,
                            before=shown(event.before), after=shown(event.after))
            for event in AuditEvent.objects.for_object(obj).order_by("-seq")[:200]]


class CourseList(ObjectListView):
    model = Course
    filterset_class = CourseFilterSet
    columns = tables.COURSE_COLUMNS
    related = COURSE_RELATED
    annotations = ("with_use",)
    create_permission = may_create_course
    filter_labels = {"provider": _("Provider"), "supply_class": _("Supply class"), "item": _("Item code"),
                     "starts_after": _("Starts from"), "ends_before": _("Ends by")}

    def get(self, request: HttpRequest) -> HttpResponse:
        self.links = [link for link in _links(self.principal) if link[1] != "training:course_list"]
        return super().get(request)

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        donors = Organisation.objects.for_user(self.request.user).filter(kind=Organisation.Kind.DONOR)
        return {"provider": [(o.pk, o.name) for o in donors], "language": list(LANGUAGES)}


class CourseDetail(ObjectDetailView):
    model = Course
    fields = tables.COURSE_FIELDS
    related = COURSE_RELATED
    annotations = ("with_use",)
    transitions = COURSE_TRANSITIONS
    edit_permission = staticmethod(may_edit_course)
    template_name = "training/course_detail.html"

    def get_extra_context(self, obj: Course) -> dict[str, Any]:
        user = self.request.user
        full = course_full_view(self.principal, obj)
        enrolments = (Enrolment.objects.for_user(user).filter(course=obj)
                      .select_related("request__recipient", "course").order_by("request_id", "trainee_ref"))
        counts = dict(obj.enrolments.order_by().values_list("status").annotate(n=Count("pk")))
        enrolled = sum(n for s, n in counts.items() if s in services.ACTIVE_ENROLMENT)
        context: dict[str, Any] = {
            "fields": [f for f in self.fields if full or f.accessor not in ("notes", "created_at")],
            "seats": {"offered": obj.seats, "assigned": obj.assigned, "free": obj.free_seats, "enrolled": enrolled,
                      "completed": counts.get(Enrolment.Status.COMPLETED, 0)},
            "prerequisites": list(Course.objects.for_user(user).filter(required_by=obj).order_by("start_date")),
            "required_by": list(Course.objects.for_user(user).filter(prerequisites=obj).order_by("start_date")),
            "assignments": list(SeatAssignment.objects.for_user(user).filter(course=obj)
                                .select_related("request__recipient", "run").order_by("pk")),
            "enrolment_rows": enrolment_rows(user, enrolments, self._bound_record()),
            "pseudonym_note": PSEUDONYM_NOTE,
            "sees_runs": self.principal.oversees,
        }
        if not full:
            context["history"] = redacted_history(obj)
        return context

    def _bound_record(self) -> forms.BaseForm | None:
        return None


class CourseEdit(ObjectFormView):
    model = Course
    form_class = CourseForm
    object_kwarg = "course"
    permission = staticmethod(may_write_course)
    related = COURSE_RELATED

    @staticmethod
    def create_service(*, actor: Any, **data: Any) -> Course:  # type: ignore[override]
        data["prerequisites"] = list(data.get("prerequisites") or [])
        return services.create_course(actor=actor, **data)

    @staticmethod
    def update_service(*, actor: Any, course: Course, changes: dict[str, Any]) -> Course:  # type: ignore[override]
        changes = dict(changes)
        changes.pop("provider", None)
        prerequisites = list(changes.pop("prerequisites", None) or [])
        return services.update_course(actor=actor, course=course, changes=changes, prerequisites=prerequisites)


class CourseEnrolmentRecord(DetailFormView, CourseDetail):
    """The provider (or the recipient, or a coordinator) records a trainee's attendance or completion."""

    form_class = EnrolmentRecordForm
    form_name = "record_form"
    success_message = _("Recorded.")

    def _bound_record(self) -> forms.BaseForm | None:
        return getattr(self, "_record", None)

    def get_form(self, obj: Any) -> forms.BaseForm:
        self._record = EnrolmentRecordForm(self.request.POST, user=self.request.user)
        return self._record

    def perform(self, obj: Course, form: forms.BaseForm) -> Any:
        enrolment = get_object_or_404(Enrolment.objects.for_user(self.request.user).filter(course=obj)
                                      .select_related("request", "course"), pk=form.cleaned_data["enrolment"])
        return record_step(self.request.user, enrolment, form.cleaned_data)


# --- training requests -----------------------------------------------------------------------------------------

class TrainingRequestList(ObjectListView):
    model = TrainingRequest
    filterset_class = TrainingRequestFilterSet
    columns = tables.REQUEST_COLUMNS
    related = REQUEST_RELATED
    create_permission = may_create_request
    filter_labels = {"organisation": _("Recipient"), "supply_class": _("Supply class"), "item": _("Item code"),
                     "requirement": _("Requirement id"), "needed_before": _("Needed by")}

    def get(self, request: HttpRequest) -> HttpResponse:
        self.links = [link for link in _links(self.principal) if link[1] != "training:trainingrequest_list"]
        return super().get(request)

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        recipients = Organisation.objects.for_user(self.request.user).filter(kind=Organisation.Kind.RECIPIENT)
        return {"organisation": [(o.pk, o.name) for o in recipients], "language": list(LANGUAGES)}


class TrainingRequestDetail(ObjectDetailView):
    model = TrainingRequest
    fields = tables.REQUEST_FIELDS
    related = REQUEST_RELATED
    transitions = REQUEST_TRANSITIONS
    edit_permission = staticmethod(may_edit_request)
    template_name = "training/trainingrequest_detail.html"

    def get_extra_context(self, obj: TrainingRequest) -> dict[str, Any]:
        user = self.request.user
        arrivals = planned_arrivals([obj.requirement_id]) if obj.requirement_id else {}
        enrolments = (Enrolment.objects.for_user(user).filter(request=obj)
                      .select_related("course", "request").order_by("course__start_date", "trainee_ref"))
        assignments = list(SeatAssignment.objects.for_user(user).filter(request=obj)
                           .select_related("course__provider", "run").order_by("course__start_date", "pk"))
        readiness = None
        if obj.requirement is not None:
            rows, _ = rd.readiness_for(user, [obj.requirement])
            readiness = rows[0] if rows else None
        may = may_enrol(self.principal, obj)
        return {
            "needed_by": needed_by(obj, arrivals),
            "needed_by_arrival": obj.latest_date is None,
            "assignments": assignments,
            "seats_assigned": sum(a.seats for a in assignments),
            "enrolment_rows": enrolment_rows(user, enrolments, getattr(self, "_record", None)),
            "completed": sum(1 for e in enrolments if e.status == Enrolment.Status.COMPLETED),
            "enrol_form": (getattr(self, "_enrol", None) or EnrolForm(user=user, request=obj)) if may else None,
            "pseudonym_note": PSEUDONYM_NOTE,
            "readiness": readiness,
            "readiness_label": charts.LABELS.get(readiness.status, readiness.status) if readiness else "",
            "links": _links(self.principal),
        }


class TrainingRequestEdit(ObjectFormView):
    model = TrainingRequest
    form_class = TrainingRequestForm
    create_service = services.create_training_request
    update_service = services.update_training_request
    object_kwarg = "request"
    permission = staticmethod(may_write_request)
    related = REQUEST_RELATED

    def form_kwargs(self) -> dict[str, Any]:
        kwargs = super().form_kwargs()
        requirement = self.request.GET.get("requirement", "")
        if requirement.isascii() and requirement.isdigit() and len(requirement) < 19:
            kwargs["initial"] = {"requirement": int(requirement)}
        return kwargs


class TrainingRequestEnrol(DetailFormView, TrainingRequestDetail):
    form_class = EnrolForm
    form_name = "enrol_form"
    permission = staticmethod(may_enrol)
    success_message = _("Trainee enrolled.")

    def get_form(self, obj: TrainingRequest) -> forms.BaseForm:
        self._enrol = EnrolForm(self.request.POST, user=self.request.user, request=obj)
        return self._enrol

    def perform(self, obj: TrainingRequest, form: forms.BaseForm) -> Any:
        return services.enrol_trainee(actor=self.request.user, request=obj, course=form.cleaned_data["course"],
                                      trainee_ref=form.cleaned_data["trainee_ref"])


class TrainingRequestRecord(DetailFormView, TrainingRequestDetail):
    form_class = EnrolmentRecordForm
    form_name = "record_form"
    success_message = _("Recorded.")

    def get_form(self, obj: Any) -> forms.BaseForm:
        self._record = EnrolmentRecordForm(self.request.POST, user=self.request.user)
        return self._record

    def perform(self, obj: TrainingRequest, form: forms.BaseForm) -> Any:
        enrolment = get_object_or_404(Enrolment.objects.for_user(self.request.user).filter(request=obj)
                                      .select_related("request", "course"), pk=form.cleaned_data["enrolment"])
        return record_step(self.request.user, enrolment, form.cleaned_data)


# --- seat plan runs --------------------------------------------------------------------------------------------

def _require_oversight(request: HttpRequest) -> None:
    if not principal(request.user).oversees:
        raise Http404("No seat plans here.")


def _run(request: HttpRequest, pk: int, defer: tuple[str, ...] = ()) -> SeatPlanRun:
    qs = SeatPlanRun.objects.for_user(request.user).select_related("started_by", "approved_by")
    return get_object_or_404(qs.defer(*defer) if defer else qs, pk=pk)


@login_required
def seatplan_list(request: HttpRequest) -> HttpResponse:
    _require_oversight(request)
    everything = (SeatPlanRun.objects.for_user(request.user).select_related("started_by", "approved_by")
                  .defer("instance", "plan", "baseline_plan"))
    if (download := list_download(request, "seat plans", tables.SEATPLAN_COLUMNS, everything)) is not None:
        return download  # every plan, not only the latest 100 the page shows
    runs = everything[:100]
    may = principal(request.user).is_coordinator_editor
    return render(request, "training/seatplan_list.html", {
        "title": gettext("Seat plans"), "runs": runs, "form": SeatPlanForm() if may else None, "may_plan": may,
        "links": _links(principal(request.user)),
    })


@login_required
@require_POST
def seatplan_start(request: HttpRequest) -> HttpResponse:
    _require_oversight(request)
    form = SeatPlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{form[k].label if k in form.fields else k}: "
                                          f"{' '.join(str(m) for m in v)}" for k, v in form.errors.items()))
        return HttpResponseRedirect(reverse("training:seatplanrun_list"))
    try:
        run = services.start_seat_plan(actor=request.user, method=form.cleaned_data["method"],
                                       time_limit=form.cleaned_data.get("time_limit"),
                                       start_date=form.cleaned_data.get("start_date"))
    except NotPermitted as exc:
        return forbidden(request, exc.message)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("training:seatplanrun_list"))
    return HttpResponseRedirect(reverse("training:seatplanrun", args=[run.pk]))


@login_required
def seatplan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    context: dict[str, Any] = {"title": str(run), "run": run, "may_plan": principal(request.user).is_coordinator_editor}
    if run.instance and run.plan:
        requests = tables.review_requests(run.instance, run.plan, run.baseline_plan)
        context.update(
            review_requests=requests[:tables.MAX_ROWS], review_requests_total=len(requests),
            review_courses=tables.review_courses(run.instance, run.plan, run.baseline_plan)[:tables.MAX_ROWS],
            totals=tables.review_totals(requests), max_rows=tables.MAX_ROWS,
            new_seats=sum(services.new_assignments(run).values()) if run.status == SeatPlanRun.Status.DONE else None,
        )
    return render(request, "training/seatplan_detail.html", context)


@login_required
def seatplan_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by htmx every second while the run is active; asks for a full refresh once it is over."""
    run = _run(request, pk, defer=("instance", "plan", "baseline_plan"))
    response = render(request, "training/_seatplan_progress.html", {"run": run})
    if not run.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
def seatplan_download(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    run = _run(request, pk)
    data = {"plan": run.plan, "instance": run.instance, "first-come": run.baseline_plan}.get(what)
    if data is None:
        raise Http404("Nothing to download yet.")
    response = HttpResponse(json.dumps(data, indent=1), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="seat-plan-{run.pk}-{what}.json"'
    return response


@login_required
@require_POST
def seatplan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    try:
        assignments = services.approve_seat_plan(actor=request.user, run=run)
    except NotPermitted as exc:
        return forbidden(request, exc.message)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        seats = sum(a.seats for a in assignments)
        given = ngettext("Seat plan approved: %(seats)s seat given", "Seat plan approved: %(seats)s seats given",
                         seats) % {"seats": seats}
        spread = ngettext("in %(count)s assignment.", "in %(count)s assignments.",
                          len(assignments)) % {"count": len(assignments)}
        messages.success(request, f"{given} {spread}")
    return HttpResponseRedirect(reverse("training:seatplanrun", args=[run.pk]))


# --- readiness -------------------------------------------------------------------------------------------------

class ReadinessFilter(forms.Form):
    status = forms.ChoiceField(required=False, label=_("Status"),
                               choices=[("", _("Any")), *[(s, charts.LABELS[s]) for s in rd.STATUSES]])
    priority = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Priority"),
                                      choices=[("", _("Any")), *Requirement.Priority.choices])
    package = forms.CharField(required=False, max_length=50, label=_("Package"))
    ready_by = forms.CharField(required=False, label=_("Ready by (month)"), max_length=7,
                               widget=forms.TextInput(attrs={"type": "month"}))

    def clean_ready_by(self) -> dt.date | None:
        value = (self.cleaned_data.get("ready_by") or "").strip()
        if not value:
            return None
        try:
            return charts.month_end(dt.date.fromisoformat(value + "-01"))
        except ValueError:
            raise forms.ValidationError(gettext("Give a month as YYYY-MM, for example 2026-05.")) from None


def filter_readiness(rows: list[rd.Readiness], data: dict[str, Any]) -> list[rd.Readiness]:
    out = rows
    if data.get("status"):
        out = [r for r in out if r.status == data["status"]]
    if data.get("priority"):
        out = [r for r in out if int(r.priority) == int(data["priority"])]
    if data.get("package"):
        out = [r for r in out if r.package == data["package"]]
    if data.get("ready_by"):
        out = [r for r in out if r.ready_date is not None and r.ready_date <= data["ready_by"]]
    return out


def _readiness(request: HttpRequest) -> tuple[ReadinessFilter, list[rd.Readiness], list[rd.Readiness],
                                               list[rd.Readiness]]:
    rows, packages = rd.readiness_for(request.user)
    form = ReadinessFilter(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, rows, [], []
    data = form.cleaned_data if form.is_bound else {}
    shown_packages = filter_readiness(packages, {k: v for k, v in data.items() if k != "package"})
    if data.get("package"):
        shown_packages = [p for p in shown_packages if p.key == data["package"]]
    return form, rows, filter_readiness(rows, data), shown_packages


def _rows(rows: list[rd.Readiness], link: bool = True) -> list[dict[str, Any]]:
    """Rows for ``training/_readiness_table.html``: each with its requirement's id, for the link."""
    return [{"r": r, "pk": tables.ref_pk(r.key) if link else None, "status": charts.LABELS.get(r.status, r.status)}
            for r in rows]


@login_required
def readiness(request: HttpRequest) -> HttpResponse:
    form, rows, shown, packages = _readiness(request)
    if request.GET.get("format") is not None and not form.errors:
        fmt = request.GET["format"]
        if fmt not in exports.FORMATS:
            return HttpResponse(exports.FORMAT_MESSAGE, status=422, content_type="text/plain; charset=utf-8")
        return exports.download(fmt, "readiness", CSV_HEADER, readiness_rows(shown, packages), title="Readiness")
    url = reverse("training:readiness")
    context = {
        "title": gettext("Capability readiness"), "form": form, "rows": _rows(shown), "all_count": len(rows),
        "packages": _rows(packages, link=False),
        "by_priority": charts.readiness_by_priority(rows, url), "over_time": charts.readiness_over_time(rows, url),
        "statuses": rd.STATUSES, "links": _links(principal(request.user)),
        "csv_url": url + "readiness.csv" + (f"?{request.GET.urlencode()}" if request.GET else ""),
        "scoped": not principal(request.user).sees_everything,
    }
    return render(request, "training/readiness.html", context, status=422 if form.errors else 200)


CSV_HEADER = ["level", "key", "label", "package", "priority", "status", "required", "delivered", "crews_needed",
              "crews_trained", "crews_planned", "equipment_date", "training_date", "ready_date"]


@login_required
def readiness_csv(request: HttpRequest) -> HttpResponse:
    form, _, shown, packages = _readiness(request)
    if form.errors:
        return HttpResponse("; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()),
                            status=422,
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="aidbridge-readiness.csv"'
    exports.write_csv(response, CSV_HEADER, readiness_rows(shown, packages))
    return response


def readiness_rows(shown: list[rd.Readiness], packages: list[rd.Readiness]) -> list[list[Any]]:
    """The readiness download's rows: the requirements shown, then the packages."""
    out = []
    for level, group in (("requirement", shown), ("package", packages)):
        for r in group:
            d = r.as_dict()
            out.append([level, *[d[k] for k in CSV_HEADER[1:]]])
    return out

