from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from aidbridge.locations.models import Hub
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement


class AllocationLineQuerySet(models.QuerySet["AllocationLine"]):
    def for_user(self, user) -> AllocationLineQuerySet:  # type: ignore[no-untyped-def]
        """A line is visible to whoever may see both its pledge and its requirement."""
        return self.filter(
            pledge__in=Pledge.objects.for_user(user), requirement__in=Requirement.objects.for_user(user)
        )


class AllocationLine(models.Model):
    """Units of one pledge assigned to one requirement, routed through a hub.

    ``in_transit_quantity`` and ``delivered_quantity`` are kept by the logistics services so that fill
    levels can be read without walking shipments.
    """

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="allocation_lines")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="allocation_lines")
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="allocation_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    in_transit_quantity = models.PositiveIntegerField(default=0)
    delivered_quantity = models.PositiveIntegerField(default=0)
    dispatch_week = models.DateField(null=True, blank=True, help_text="Monday of the planned hub dispatch week.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AllocationLineQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="allocation_quantity_positive"),
            models.CheckConstraint(
                condition=Q(in_transit_quantity__lte=F("quantity") - F("delivered_quantity")),
                name="allocation_moved_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pledge.reference} → {self.requirement.reference} ×{self.quantity} via {self.hub.code}"
