"""What-if scenarios, their runs, and sweeps (each donor withdraws, or each hub closes, in turn).

A :class:`Scenario` is saved perturbations of the current state (see :mod:`aidbridge.whatif.perturbations` for
their stored form). Running it creates a :class:`ScenarioRun`: the task builds the current instance, plans the
baseline, applies the perturbations, re-plans and stores the comparison (``result``, the engine's
``aidbridge.whatif-result/1`` document). A :class:`Sweep` plans its baseline once, then queues one run per donor
or hub; any number of workers share them through the task queue.

Plans mix every donor's pledges, so scenarios, sweeps and runs are visible to coordinators and auditors only
(``for_user``). A donor sees its own exposure through :func:`aidbridge.whatif.queries.own_exposure`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.principal import principal
from aidbridge.core import clock


class ScenarioQuerySet(models.QuerySet["Scenario"]):
    def for_user(self, user) -> ScenarioQuerySet:  # type: ignore[no-untyped-def]
        return self.all() if principal(user).oversees else self.none()


class Scenario(models.Model):
    """Named perturbations of the current state, saved so they can be re-run as the state changes."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    perturbations = models.JSONField(default=list, blank=True,
                                     help_text=_("Stored form: see aidbridge.whatif.perturbations."))
    threshold = models.FloatField(
        default=0.9, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("P1 coverage below which a week counts as not survived (time-to-survive)."))
    weeks = models.PositiveSmallIntegerField(default=26, validators=[MinValueValidator(1), MaxValueValidator(104)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SweepQuerySet(models.QuerySet["Sweep"]):
    def for_user(self, user) -> SweepQuerySet:  # type: ignore[no-untyped-def]
        return self.all() if principal(user).oversees else self.none()


class Sweep(models.Model):
    """Each donor withdraws in turn, or each hub closes in turn: one run per target, sharing one baseline."""

    class Kind(models.TextChoices):
        DONORS = "donors", _("Each donor withdraws")
        HUBS = "hubs", _("Each hub closes")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    from_date = models.DateField(
        null=True, blank=True,
        help_text=_("Donors withdraw what they have not dispatched by this date; empty: everything not yet moved."))
    start_date = models.DateField(help_text=_("Monday of week 0."))
    weeks = models.PositiveSmallIntegerField(default=26)
    threshold = models.FloatField(default=0.9)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress_message = models.CharField(max_length=200, blank=True)
    total = models.PositiveIntegerField(default=0,
                                        help_text=_("Scenarios in the sweep, known once the baseline is planned."))
    baseline = models.JSONField(null=True, blank=True,
                                help_text=_("The baseline instance, plan and per-item bound terms, "
                                            "shared by the runs."))
    result = models.JSONField(null=True, blank=True, help_text=_("The aidbridge.whatif-sweep/1 document, once done."))
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SweepQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Sweep #{self.pk}: {self.get_kind_display().lower()}"

    @property
    def is_active(self) -> bool:
        return self.status in (Status.QUEUED, Status.RUNNING)


class ScenarioRunQuerySet(models.QuerySet["ScenarioRun"]):
    def for_user(self, user) -> ScenarioRunQuerySet:  # type: ignore[no-untyped-def]
        return self.all() if principal(user).oversees else self.none()


class ScenarioRun(models.Model):
    """One re-plan of one scenario (saved, or one target of a sweep) against its baseline."""

    scenario = models.ForeignKey(Scenario, null=True, blank=True, on_delete=models.CASCADE, related_name="runs")
    sweep = models.ForeignKey(Sweep, null=True, blank=True, on_delete=models.CASCADE, related_name="runs")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, blank=True, help_text=_("For a sweep: withdraw_donor or close_hub."))
    target = models.CharField(max_length=64, blank=True, help_text=_("For a sweep: the donor's or hub's id."))
    perturbations = models.JSONField(default=list, blank=True, help_text=_("As run, in the engine's form (weeks)."))
    start_date = models.DateField(help_text=_("Monday of week 0."))
    weeks = models.PositiveSmallIntegerField(default=26)
    threshold = models.FloatField(default=0.9)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)
    baseline_objective = models.FloatField(null=True, blank=True)
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    loss_share = models.FloatField(null=True, blank=True)
    time_to_survive_week = models.IntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True, help_text=_("The engine's aidbridge.whatif-result/1 document."))
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScenarioRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(scenario__isnull=False) | Q(sweep__isnull=False),
                                   name="whatif_run_has_scenario_or_sweep"),
        ]

    def __str__(self) -> str:
        return f"What-if run #{self.pk}: {self.name}"

    @property
    def percent(self) -> int:
        return round(100 * min(1.0, max(0.0, self.progress)))

    @property
    def is_active(self) -> bool:
        return self.status in (Status.QUEUED, Status.RUNNING)
