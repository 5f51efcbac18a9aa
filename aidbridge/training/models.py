"""Courses offered by donors, training requests by the recipient, seat plan runs and their seat assignments,
and enrolments of pseudonymous trainees.

Visibility (``for_user``):

- a **course** follows the pledges' releasability rules, its provider in the donor's place: the provider sees
  its own courses, coordinators those released to coordinators or wider, the coalition coalition-released
  ones, everyone public courses past their disclosure date, auditors all;
- a **training request** follows its requirement: the recipient sees its own (drafts included), the
  coalition sees the others once submitted (and only when it may see the linked requirement), auditors all;
- an **enrolment** and a **seat assignment** are visible to whoever sees their request (and, for an
  assignment, its course);
- **seat plan runs** mix every donor's courses, so only coordinators and auditors see them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.core.models import Releasability
from aidbridge.locations.models import Location
from aidbridge.pledges.models import released_to
from aidbridge.requirements.models import Requirement

validate_language = RegexValidator(
    r"^[a-z]{2}$", _("Write the language as its two-letter ISO 639-1 code, for example “en”, “de”, “pl” or “uk”."),
    code="invalid_language",
)

# A trainee is recorded by a reference the recipient chooses, never by name: letters, digits and dashes, with
# at least one digit (a plain word such as a surname is refused), at most 32 characters.
# (plain text for the API's schema; the model and the form show it translated)
TRAINEE_REF_HELP = gettext_noop("A pseudonymous reference chosen by the recipient, for example “UA-53-0017”: letters, "
                                "digits and dashes, at least one digit, at most 32 characters. Never a name or other "
                                "personal data.")
validate_trainee_ref = RegexValidator(
    r"^(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9][A-Za-z0-9-]{0,31}$",
    _("A trainee reference is letters, digits and dashes with at least one digit (for example “UA-53-0017”), "
      "at most 32 characters; never a name or other personal data."),
    code="invalid_trainee_ref",
)
validate_certificate_ref = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9./-]{0,63}$",
    _("A certificate reference is letters, digits, dots, slashes and dashes, at most 64 characters."),
    code="invalid_certificate_ref",
)


class CourseQuerySet(models.QuerySet["Course"]):
    def for_user(self, user) -> CourseQuerySet:  # type: ignore[no-untyped-def]
        """The pledges' releasability rules, with the provider as owner (see :meth:`PledgeQuerySet.for_user`)."""
        visible = released_to(user, owner="provider")
        return self.all() if visible is None else self.filter(visible)

    def with_use(self) -> CourseQuerySet:
        """Annotate ``assigned_seats`` (seats given by approved plans) and ``enrolled_count`` (enrolments not
        withdrawn), each from its own subquery so neither multiplies the other."""
        assigned = (SeatAssignment.objects.filter(course=models.OuterRef("pk")).order_by().values("course")
                    .annotate(s=Sum("seats")).values("s"))
        enrolled = (Enrolment.objects.filter(course=models.OuterRef("pk")).exclude(status="withdrawn").order_by()
                    .values("course").annotate(n=models.Count("pk")).values("n"))
        return self.annotate(
            assigned_seats=Coalesce(models.Subquery(assigned, output_field=models.IntegerField()), 0),
            enrolled_count=Coalesce(models.Subquery(enrolled, output_field=models.IntegerField()), 0),
        )


class Course(models.Model):
    REFERENCE_PREFIX = "CRS-"  # the API accepts "CRS-00012" for course 12 (aidbridge.core.api.Ref)

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        CONFIRMED = "confirmed", _("Confirmed")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS: dict[str, set[str]] = {
        Status.OFFERED: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.RUNNING, Status.CANCELLED},
        Status.RUNNING: {Status.COMPLETED, Status.CANCELLED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    }
    PLANNABLE = (Status.OFFERED, Status.CONFIRMED)

    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="courses",
                                 help_text=_("The donor organisation that runs the course."))
    title = models.CharField(max_length=200)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="courses")
    start_date = models.DateField()
    end_date = models.DateField()
    seats = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10_000)])
    language = models.CharField(max_length=2, validators=[validate_language], help_text=_("ISO 639-1, e.g. “en”."))
    qualifies_item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="courses",
        help_text=_("The item a crew is qualified for; or give a supply class instead."))
    qualifies_class = models.CharField(
        max_length=4, blank=True, choices=Item.SupplyClass.choices,
        help_text=_("The NATO supply class a crew is qualified for (every item of that class); or give an item."))
    prerequisites = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="required_by")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OFFERED, db_index=True)
    releasability = models.CharField(
        max_length=16, choices=Releasability.choices, default=Releasability.COALITION, db_index=True)
    disclosure_date = models.DateField(
        null=True, blank=True, help_text=_("Public courses become visible to everyone from this date."))
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="course_seats_positive"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="course_ends_after_start"),
            models.CheckConstraint(
                condition=(Q(qualifies_item__isnull=False) & Q(qualifies_class=""))
                | (Q(qualifies_item__isnull=True) & ~Q(qualifies_class="")),
                name="course_qualifies_item_or_class"),
            models.CheckConstraint(
                condition=~Q(releasability="public") | Q(disclosure_date__isnull=False),
                name="course_public_needs_disclosure_date"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = gettext("A course ends on or after the day it starts.")
        if (self.qualifies_item_id is None) == (not self.qualifies_class):
            errors["qualifies_item"] = gettext(
                "Give exactly one of the item and the supply class the course qualifies for.")
        if self.releasability == Releasability.PUBLIC and self.disclosure_date is None:
            errors["disclosure_date"] = gettext("A public course needs a disclosure date.")
        if errors:
            raise ValidationError(errors)

    @property
    def reference(self) -> str:
        return f"CRS-{self.pk:05d}" if self.pk else "CRS-new"

    @property
    def qualifies_label(self) -> str:
        item = self.qualifies_item
        return item.code if item is not None else gettext("class %(code)s") % {"code": self.qualifies_class}

    def qualifies_for(self, item: Item) -> bool:
        if self.qualifies_item_id is not None:
            return self.qualifies_item_id == item.pk
        return self.qualifies_class == item.supply_class

    @property
    def duration_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def assigned(self) -> int:
        value = getattr(self, "assigned_seats", None)
        if value is None:
            value = self.seat_assignments.aggregate(s=Coalesce(Sum("seats"), 0))["s"]
            self.assigned_seats = value
        return int(value)

    @property
    def free_seats(self) -> int:
        return max(0, self.seats - self.assigned)


class TrainingRequestQuerySet(models.QuerySet["TrainingRequest"]):
    def for_user(self, user) -> TrainingRequestQuerySet:  # type: ignore[no-untyped-def]
        """Like requirements: the recipient sees its own, drafts included; the coalition sees submitted ones
        whose requirement (if any) it may see; auditors see all."""
        p = principal(user)
        if p.sees_everything:
            return self.all()
        own = Q(recipient_id=p.organisation_id) if p.organisation_id else Q(pk__in=[])
        if p.in_coalition:
            shared = ~Q(status=TrainingRequest.Status.DRAFT) & (
                Q(requirement__isnull=True) | Q(requirement__in=Requirement.objects.for_user(user)))
            return self.filter(own | shared)
        return self.filter(own)


class TrainingRequest(models.Model):
    """Trainees the recipient asks for: ``crews`` crews of ``crew_size`` for an item, in a language, by a date."""

    REFERENCE_PREFIX = "TRQ-"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        VALIDATED = "validated", _("Validated")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS: dict[str, set[str]] = {
        Status.DRAFT: {Status.SUBMITTED, Status.CANCELLED},
        Status.SUBMITTED: {Status.VALIDATED, Status.DRAFT, Status.CANCELLED},
        Status.VALIDATED: {Status.CLOSED, Status.CANCELLED},
        Status.CLOSED: set(),
        Status.CANCELLED: set(),
    }

    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="training_requests")
    requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="training_requests",
        help_text=_("The requirement whose equipment the crews will operate (the default path)."))
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="training_requests")
    crew_size = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)],
                                                 help_text=_("Trainees per crew."))
    crews = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10_000)])
    language = models.CharField(max_length=2, validators=[validate_language], help_text=_("ISO 639-1, e.g. “uk”."))
    latest_date = models.DateField(
        null=True, blank=True,
        help_text=_("Needed by. Empty for a request linked to a requirement: the equipment's planned arrival."))
    priority = models.PositiveSmallIntegerField(choices=Requirement.Priority.choices,
                                                default=Requirement.Priority.P2)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrainingRequestQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(crew_size__gte=1) & Q(crews__gte=1), name="training_request_positive"),
            models.CheckConstraint(condition=Q(requirement__isnull=False) | Q(latest_date__isnull=False),
                                   name="training_request_needed_by"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.item.code} {self.crews}×{self.crew_size}"

    def clean(self) -> None:
        if self.requirement_id is None and self.latest_date is None:
            raise ValidationError(
                {"latest_date": gettext("A request without a requirement needs its latest useful date.")})

    @property
    def reference(self) -> str:
        return f"TRQ-{self.pk:05d}" if self.pk else "TRQ-new"

    @property
    def trainees(self) -> int:
        return int(self.crew_size) * int(self.crews)


class SeatPlanRunQuerySet(models.QuerySet["SeatPlanRun"]):
    def for_user(self, user) -> SeatPlanRunQuerySet:  # type: ignore[no-untyped-def]
        """Plans mix every donor's courses, so only coordinators and auditors see them."""
        return self.all() if principal(user).oversees else self.none()


class SeatPlanRun(models.Model):
    """One seat planner run over the database's current courses and requests, from queueing to approval."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        APPROVED = "approved", _("Approved")

    class Method(models.TextChoices):
        OPTIMAL = "optimal", _("Optimal (HiGHS)")
        FIRST_COME = "first_come", _("First come (hand rule)")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.OPTIMAL)
    start_date = models.DateField(help_text=_("Day 0 of the plan."))
    time_limit = models.FloatField(null=True, blank=True, help_text=_("Seconds; empty for no limit."))
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    inputs_fingerprint = models.CharField(max_length=64, blank=True)
    instance = models.JSONField(null=True, blank=True, help_text=_("The aidbridge.seat-instance/1 document."))
    plan = models.JSONField(null=True, blank=True, help_text=_("The aidbridge.seat-plan/1 document."))
    baseline_plan = models.JSONField(null=True, blank=True, help_text=_("The first-come plan, for comparison."))
    plan_status = models.CharField(max_length=16, blank=True)
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    baseline_objective = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = SeatPlanRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Seat plan #{self.pk} ({self.get_status_display().lower()})"

    @property
    def percent(self) -> int:
        return round(100 * min(1.0, max(0.0, self.progress)))

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def vs_baseline(self) -> float | None:
        if self.objective is None or not self.baseline_objective:
            return None
        return self.objective / self.baseline_objective


class SeatAssignmentQuerySet(models.QuerySet["SeatAssignment"]):
    def for_user(self, user) -> SeatAssignmentQuerySet:  # type: ignore[no-untyped-def]
        return self.filter(request__in=TrainingRequest.objects.for_user(user),
                           course__in=Course.objects.for_user(user))


class SeatAssignment(models.Model):
    """Seats of one course given to one request, written when a seat plan is approved (or by a coordinator)."""

    run = models.ForeignKey(SeatPlanRun, null=True, blank=True, on_delete=models.PROTECT,
                            related_name="assignments")
    request = models.ForeignKey(TrainingRequest, on_delete=models.PROTECT, related_name="seat_assignments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="seat_assignments")
    seats = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    objects = SeatAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(seats__gte=1), name="seat_assignment_positive")]

    def __str__(self) -> str:
        return f"{self.request.reference} → {self.course.reference} ×{self.seats}"


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def for_user(self, user) -> EnrolmentQuerySet:  # type: ignore[no-untyped-def]
        """Visible like its request."""
        return self.filter(request__in=TrainingRequest.objects.for_user(user))


class Enrolment(models.Model):
    """One pseudonymous trainee on one course for one request: enrolled → attended → completed, or withdrawn
    or failed. ``trainee_ref`` is never a name or other personal data."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        ATTENDED = "attended", _("Attended")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        FAILED = "failed", _("Failed")

    TRANSITIONS: dict[str, set[str]] = {
        Status.ENROLLED: {Status.ATTENDED, Status.WITHDRAWN, Status.FAILED},
        Status.ATTENDED: {Status.COMPLETED, Status.WITHDRAWN, Status.FAILED},
        Status.COMPLETED: set(),
        Status.WITHDRAWN: set(),
        Status.FAILED: set(),
    }

    request = models.ForeignKey(TrainingRequest, on_delete=models.PROTECT, related_name="enrolments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    trainee_ref = models.CharField(_("trainee reference"), max_length=32, validators=[validate_trainee_ref],
                                   help_text=_(TRAINEE_REF_HELP))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENROLLED, db_index=True)
    certificate_ref = models.CharField(
        _("certificate reference"), max_length=64, blank=True, validators=[validate_certificate_ref],
        help_text=_("The certificate's reference, recorded on completion."))
    completed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["course__start_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "trainee_ref"], name="enrolment_trainee_once_per_course"),
            models.CheckConstraint(condition=~Q(status="completed") | ~Q(certificate_ref=""),
                                   name="enrolment_completed_has_certificate"),
        ]

    def __str__(self) -> str:
        return f"{self.trainee_ref} on {self.course.reference}"
