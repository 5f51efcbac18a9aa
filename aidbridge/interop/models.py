"""Spreadsheet imports: the column mappings people save, the import jobs they run, and the external ids that make a
re-import idempotent.

- :class:`ImportMapping`: which column of a spreadsheet feeds which field, remembered per organisation, kind and
  template (the file's header row), so the next file of the same layout is mapped already.
- :class:`ImportJob`: one uploaded file, its mapping, and the outcome of its dry run or commit, run as a
  background task with a progress bar.
- :class:`ExternalRef`: a row's external id (or, for reference data, its code) → the object it created, with a
  digest of the row's values and of the record as written: the same row imported again changes nothing.

Visibility: mappings and jobs belong to an organisation; its members see them, auditors see all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.core import clock


class Kind(models.TextChoices):
    REQUIREMENTS = "requirements", _("Requirements")
    PLEDGES = "pledges", _("Pledges in kind")
    FINANCIAL_PLEDGES = "financial-pledges", _("Financial pledges")
    ITEMS = "items", _("Catalogue items")
    LOCATIONS = "locations", _("Locations")
    HUBS = "hubs", _("Hubs")
    COURSES = "courses", _("Courses")


class OwnedQuerySet(models.QuerySet):
    def for_user(self, user):  # type: ignore[no-untyped-def]
        """Members of the owning organisation see its mappings and jobs; auditors see all; a superuser without
        an organisation sees what it made itself."""
        p = principal(user)
        if p.sees_everything:
            return self.all()
        if p.organisation_id is not None:
            return self.filter(organisation_id=p.organisation_id)
        if p.user_id is not None and p.is_superuser:
            return self.filter(organisation__isnull=True, created_by_id=p.user_id)
        return self.none()


class ImportMapping(models.Model):
    """Spreadsheet column → field, for one organisation, kind and template (the header row it was made for)."""

    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="import_mappings")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    name = models.CharField(max_length=100, help_text=_("How the mapping is called, e.g. “Monthly return”."))
    headers_digest = models.CharField(max_length=64, db_index=True,
                                      help_text=_("SHA-256 of the template's header row, as normalised."))
    headers = models.JSONField(default=list, help_text=_("The template's header row."))
    columns = models.JSONField(default=dict, help_text=_("Field name → the column header that feeds it."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind", "name"], name="import_mapping_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class ImportJob(models.Model):
    """An uploaded spreadsheet on its way in: mapped, checked (dry run), then committed, all or nothing."""

    REFERENCE_PREFIX = "IMP-"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        CHECKED = "checked", _("Checked")  # a dry run without a problem: ready to commit
        REJECTED = "rejected", _("Has problems")  # a dry run or commit that found problems; nothing written
        COMMITTED = "committed", _("Committed")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=24, choices=Kind.choices)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+",
                                   help_text=_("Who queued the last run: its rows are written as them."))
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    file_format = models.CharField(max_length=8, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True, help_text=_("Field name → column header."))
    dry_run = models.BooleanField(default=True, help_text=_("The last run only checked, or was it to commit?"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED, db_index=True)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display().lower()} from {self.original_name or 'a file'}"

    @property
    def reference(self) -> str:
        return f"IMP-{self.pk:05d}" if self.pk else "IMP-new"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        return max(0, min(100, round(100 * float(self.progress or 0))))

    @property
    def may_commit(self) -> bool:
        return self.status == self.Status.CHECKED


class ExternalRef(models.Model):
    """What an imported row became: (kind, organisation, external id) → object id, with the row's digest."""

    kind = models.CharField(max_length=24, choices=Kind.choices)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="external_refs")
    external_id = models.CharField(max_length=250)
    object_id = models.PositiveBigIntegerField()
    row_digest = models.CharField(max_length=64, help_text=_("SHA-256 of the row's values as last imported."))
    object_digest = models.CharField(max_length=64, blank=True,
                                     help_text=_("SHA-256 of the record as that import left it: an edit made "
                                                 "since then is put back by importing the row again."))
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "organisation", "external_id"],
                                    condition=Q(organisation__isnull=False), name="external_ref_unique"),
            # Reference data (items, locations, hubs) is the coalition's, not one organisation's.
            models.UniqueConstraint(fields=["kind", "external_id"], condition=Q(organisation__isnull=True),
                                    name="external_ref_unique_shared"),
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="external_ref_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id} → {self.object_id}"

