from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.core.fields import QuantityField
from aidbridge.core.models import FillLevel, related_sum
from aidbridge.locations.models import Location

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)


class RequirementQuerySet(models.QuerySet["Requirement"]):
    def for_user(self, user) -> RequirementQuerySet:  # type: ignore[no-untyped-def]
        """The recipient sees its own requirements, drafts included; the coalition sees submitted ones."""
        p = principal(user)
        if p.sees_everything:
            return self.all()
        own = Q(recipient_id=p.organisation_id) if p.organisation_id else Q(pk__in=[])
        if p.in_coalition:
            return self.filter(own | ~Q(status=Requirement.Status.DRAFT))
        return self.filter(own)

    def with_fill(self) -> RequirementQuerySet:
        """``allocated_qty``, ``in_transit_qty`` and ``delivered_qty`` over the requirement's allocation lines,
        one subquery each (:func:`aidbridge.core.models.related_sum`): no join, no grouping, so a paginated
        list sums only the rows of its page and counts the plain filtered rows."""
        return self.annotate(
            allocated_qty=related_sum(self.model, "allocation_lines", "quantity"),
            in_transit_qty=related_sum(self.model, "allocation_lines", "in_transit_quantity"),
            delivered_qty=related_sum(self.model, "allocation_lines", "delivered_quantity"),
        )


class Requirement(models.Model):
    REFERENCE_PREFIX = "REQ-"  # the API accepts "REQ-00031" for requirement 31 (aidbridge.core.api.Ref)

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        VALIDATED = "validated", _("Validated")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.IntegerChoices):
        P1 = 1, _("P1 critical")
        P2 = 2, _("P2 high")
        P3 = 3, _("P3 medium")
        P4 = 4, _("P4 low")

    TRANSITIONS: dict[str, set[str]] = {
        Status.DRAFT: {Status.SUBMITTED, Status.CANCELLED},
        Status.SUBMITTED: {Status.VALIDATED, Status.DRAFT, Status.CANCELLED},
        Status.VALIDATED: {Status.CLOSED, Status.CANCELLED},
        Status.CLOSED: set(),
        Status.CANCELLED: set(),
    }

    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="requirements")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="requirements")
    quantity = QuantityField()
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P2)
    due_date = models.DateField()
    destination = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="requirements")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    package = models.SlugField(
        max_length=40,
        blank=True,
        help_text=_("Capability bundle: requirements sharing a package are filled completely or not at all."),
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RequirementQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "due_date", "pk"]
        # The list's order: a page is an index scan and a LIMIT, not a sort of every visible requirement.
        indexes = [models.Index(fields=["priority", "due_date", "id"], name="requirement_list_order")]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="requirement_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.reference} {self.item.code} ×{self.quantity}"

    @property
    def reference(self) -> str:
        return f"REQ-{self.pk:05d}" if self.pk else "REQ-new"

    def _sum(self, name: str, field: str) -> int:
        value = getattr(self, name, None)
        if value is None:
            value = self.allocation_lines.aggregate(s=Coalesce(Sum(field), 0))["s"]
            setattr(self, name, value)
        return int(value)

    @property
    def allocated(self) -> int:
        return self._sum("allocated_qty", "quantity")

    @property
    def in_transit(self) -> int:
        return self._sum("in_transit_qty", "in_transit_quantity")

    @property
    def delivered(self) -> int:
        return self._sum("delivered_qty", "delivered_quantity")

    @property
    def allocated_fill(self) -> FillLevel:
        return FillLevel.of(self.allocated, self.quantity)

    @property
    def in_transit_fill(self) -> FillLevel:
        return FillLevel.of(self.in_transit, self.quantity)

    @property
    def delivered_fill(self) -> FillLevel:
        return FillLevel.of(self.delivered, self.quantity)

    @property
    def allocated_percent(self) -> int:
        return min(100, round(100 * self.allocated / self.quantity)) if self.quantity else 0

    @property
    def delivered_percent(self) -> int:
        return min(100, round(100 * self.delivered / self.quantity)) if self.quantity else 0
