from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, gettext_lazy

from aidbridge.accounts.principal import principal
from aidbridge.core import clock
from aidbridge.core.models import prefixed
from aidbridge.locations.models import Hub
from aidbridge.pledges.models import Pledge, released_to
from aidbridge.requirements.models import Requirement

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)


class AllocationLineQuerySet(models.QuerySet["AllocationLine"]):
    def for_user(self, user) -> AllocationLineQuerySet:  # type: ignore[no-untyped-def]
        """A line is visible to whoever may see both its pledge and its requirement.

        The pledge's releasability (``released_to``, the rule of ``Pledge.for_user``) is tested on the joined
        pledge row, not as membership of every visible pledge: the lines of one lorry (1,500 of them) then cost
        an index lookup each rather than a scan of 100,000 pledges, and a list still joins them by hash.
        """
        lines = self.filter(requirement__in=Requirement.objects.for_user(user))
        released = released_to(user, owner="donor")
        return lines if released is None else lines.filter(prefixed(released, "pledge__"))


class AllocationLine(models.Model):
    """Units of one pledge assigned to one requirement, routed through a hub.

    ``in_transit_quantity``, ``delivered_quantity`` and ``lost_quantity`` are kept by the logistics services
    so that fill levels can be read without walking shipments. Units that left the donor are in exactly one
    of the three: still moving (in transit or at a hub), delivered good, or damaged/lost on the way.
    """

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="allocation_lines")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="allocation_lines")
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="allocation_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    in_transit_quantity = models.PositiveIntegerField(default=0)
    delivered_quantity = models.PositiveIntegerField(default=0)
    lost_quantity = models.PositiveIntegerField(default=0, help_text=_("Units written off as damaged or lost."))
    dispatch_week = models.DateField(null=True, blank=True, help_text=_("Monday of the planned hub dispatch week."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    objects = AllocationLineQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="allocation_quantity_positive"),
            models.CheckConstraint(
                condition=Q(in_transit_quantity__lte=F("quantity") - F("delivered_quantity") - F("lost_quantity")),
                name="allocation_moved_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pledge.reference} → {self.requirement.reference} ×{self.quantity} via {self.hub.code}"

    @property
    def moved(self) -> int:
        """Units that have left the donor: in transit, delivered, or damaged/lost on the way."""
        return self.in_transit_quantity + self.delivered_quantity + self.lost_quantity


class AllocationRunQuerySet(models.QuerySet["AllocationRun"]):
    def for_user(self, user) -> AllocationRunQuerySet:  # type: ignore[no-untyped-def]
        """Plans mix every donor's pledges, so only coordinators and auditors see them."""
        p = principal(user)
        return self.all() if (p.is_coordinator or p.sees_everything) else self.none()


class AllocationRun(models.Model):
    """One optimiser run over the database's current inputs, from queueing to approval."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        APPROVED = "approved", _("Approved")

    class Method(models.TextChoices):
        OPTIMAL = "optimal", _("Optimal (HiGHS)")
        GREEDY = "greedy", _("Greedy (hand rule)")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.OPTIMAL)
    start_date = models.DateField(help_text=_("Monday of week 0 of the plan."))
    weeks = models.PositiveSmallIntegerField(default=26)
    time_limit = models.FloatField(null=True, blank=True, help_text=_("Seconds; empty for no limit."))
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    inputs_fingerprint = models.CharField(max_length=64, blank=True)
    instance = models.JSONField(null=True, blank=True)
    plan = models.JSONField(null=True, blank=True)
    greedy_plan = models.JSONField(null=True, blank=True)
    plan_status = models.CharField(max_length=16, blank=True)
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    greedy_objective = models.FloatField(null=True, blank=True)
    fallback_reason = models.TextField(
        blank=True, help_text=_("Why the optimal method failed and the greedy plan was used instead; empty otherwise.")
    )
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = AllocationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Run #{self.pk} ({self.get_status_display().lower()})"

    @property
    def fallback(self) -> str | None:
        """Why the optimal method failed and the greedy plan stands in; ``None`` when it did not."""
        return self.fallback_reason or None

    @property
    def status_label(self) -> str:
        """The status in words, saying when the plan is the greedy fallback rather than what was asked for."""
        label = self.get_status_display()
        return gettext("%(status)s (fallback to greedy)") % {"status": label} if self.fallback_reason else label

    @property
    def percent(self) -> int:
        return round(100 * min(1.0, max(0.0, self.progress)))

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def vs_greedy(self) -> float | None:
        if self.objective is None or not self.greedy_objective:
            return None
        return self.objective / self.greedy_objective

    @property
    def vs_bound(self) -> float | None:
        if self.objective is None or not self.bound:
            return None
        return self.objective / self.bound

    @property
    def gap_percent(self) -> float | None:
        return None if self.gap is None else 100 * self.gap

    @property
    def bound_percent(self) -> float | None:
        ratio = self.vs_bound
        return None if ratio is None else 100 * ratio
