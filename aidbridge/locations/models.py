from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.core.fields import validate_country, validate_unlocode
from aidbridge.core.models import ReferenceQuerySet


class Location(models.Model):
    REFERENCE_FIELD = "unlocode"  # how the API accepts a location besides its id (aidbridge.core.api.Ref)

    unlocode = models.CharField("UN/LOCODE", max_length=6, unique=True, validators=[validate_unlocode])
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, validators=[validate_country])
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["unlocode"]

    def __str__(self) -> str:
        return f"{self.unlocode} {self.name}"


class Hub(models.Model):
    REFERENCE_FIELD = "code"  # how the API accepts a hub besides its id (aidbridge.core.api.Ref)

    code = models.SlugField(max_length=16, unique=True, help_text=_("e.g. “PL-RZE”."))
    name = models.CharField(max_length=200)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="hubs")
    operator = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="hubs")
    capacity_t_per_week = models.DecimalField(
        _("weekly throughput (t)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    active = models.BooleanField(default=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("hub")
        verbose_name_plural = _("hubs")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity_t_per_week__gte=0), name="hub_capacity_nonneg")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InboundLeadTime(models.Model):
    """Weeks from an origin country to a hub. No row: the hub cannot be reached from there."""

    origin_country = models.CharField(max_length=2, validators=[validate_country])
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="inbound_lead_times")
    weeks = models.PositiveSmallIntegerField(validators=[MaxValueValidator(52)])
    cost_per_t = models.DecimalField(
        max_digits=10, decimal_places=4, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbound lead time")
        verbose_name_plural = _("inbound lead times")
        ordering = ["origin_country", "hub__code"]
        constraints = [
            models.UniqueConstraint(fields=["origin_country", "hub"], name="inbound_lead_unique")
        ]

    def __str__(self) -> str:
        return f"{self.origin_country} → {self.hub.code}: {self.weeks} wk"


class OutboundLeadTime(models.Model):
    """Weeks from a hub to a destination. No row: the hub does not serve that destination."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="outbound_lead_times")
    destination = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="inbound_lead_times")
    weeks = models.PositiveSmallIntegerField(validators=[MaxValueValidator(52)])

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbound lead time")
        verbose_name_plural = _("outbound lead times")
        ordering = ["hub__code", "destination__unlocode"]
        constraints = [models.UniqueConstraint(fields=["hub", "destination"], name="outbound_lead_unique")]

    def __str__(self) -> str:
        return f"{self.hub.code} → {self.destination.unlocode}: {self.weeks} wk"
