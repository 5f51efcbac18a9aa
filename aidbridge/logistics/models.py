"""Shipments by leg, their timelines and receipts, and the append-only stock ledger of each hub.

Two legs carry every allocated unit: *inbound* from the donor's country to a hub, and *outbound* from the hub
to the requirement's destination. Hubs keep a ledger of :class:`StockMovement` rows that is never edited or
deleted; mistakes are corrected by reversing entries. :class:`StockBalance` holds the running on-hand figure
per hub and item, written in the same transaction as each movement, so that a row lock on it serialises
concurrent issues and stock can never go negative.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from aidbridge.accounts.models import Organisation
from aidbridge.allocation.models import AllocationLine
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.locations.models import Hub, Location
from aidbridge.logistics.appendonly import AppendOnlyError as AppendOnlyError  # re-exported for callers
from aidbridge.logistics.appendonly import AppendOnlyModel
from aidbridge.logistics.visibility import (
    ReceiptLineQuerySet,
    ShipmentChildQuerySet,
    ShipmentEventQuerySet,
    ShipmentLineQuerySet,
    ShipmentQuerySet,
    StockMovementQuerySet,
)

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

User = settings.AUTH_USER_MODEL


class Shipment(models.Model):
    class Leg(models.TextChoices):
        INBOUND = "inbound", _("Inbound (donor → hub)")
        OUTBOUND = "outbound", _("Outbound (hub → destination)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_TRANSIT = "in_transit", _("In transit")
        ARRIVED = "arrived", _("Arrived")
        PARTIALLY_RECEIVED = "partially_received", _("Partially received")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    # Receipts may be recorded straight after dispatch: a hub that unloads a lorry need not first mark it
    # "arrived". Once goods have left, a shipment can no longer be cancelled; losses are recorded on receipt.
    TRANSITIONS: dict[str, set[str]] = {
        Status.PLANNED: {Status.DISPATCHED, Status.CANCELLED},
        Status.DISPATCHED: {Status.IN_TRANSIT, Status.ARRIVED, Status.PARTIALLY_RECEIVED, Status.RECEIVED},
        Status.IN_TRANSIT: {Status.ARRIVED, Status.PARTIALLY_RECEIVED, Status.RECEIVED},
        Status.ARRIVED: {Status.PARTIALLY_RECEIVED, Status.RECEIVED},
        Status.PARTIALLY_RECEIVED: {Status.RECEIVED},
        Status.RECEIVED: set(),
        Status.CANCELLED: set(),
    }
    MOVING = (Status.DISPATCHED, Status.IN_TRANSIT, Status.ARRIVED, Status.PARTIALLY_RECEIVED)
    OPEN = (Status.PLANNED, Status.DISPATCHED, Status.IN_TRANSIT)  # may become overdue

    leg = models.CharField(max_length=16, choices=Leg.choices)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PLANNED, db_index=True)
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="shipments",
                            help_text=_("Where an inbound leg ends and an outbound leg starts."))
    donor = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="shipments", help_text=_("Inbound legs: the donor whose goods travel."))
    origin_country = models.CharField(max_length=2, blank=True)
    origin = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    origin_text = models.CharField("origin", max_length=200, blank=True, help_text=_("Depot or address, if known."))
    destination = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="inbound_shipments", help_text=_("Outbound legs only."))
    week = models.DateField(help_text=_("Monday of the planned dispatch week."))
    expected_arrival = models.DateField()
    carrier = models.CharField(max_length=120, blank=True)
    tracking_reference = models.CharField(max_length=120, blank=True)
    generated = models.BooleanField(default=False, help_text=_("Planned by generate_shipments, not by hand."))
    dispatched_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["week", "pk"]
        indexes = [models.Index(fields=["week", "id"], name="shipment_list_order")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(leg="inbound", donor__isnull=False, destination__isnull=True)
                           | Q(leg="outbound", destination__isnull=False)),
                name="shipment_leg_endpoints",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.route}"

    @property
    def reference(self) -> str:
        return f"SHP-{self.pk:05d}" if self.pk else "SHP-new"

    @property
    def route(self) -> str:
        if self.leg == self.Leg.INBOUND:
            return f"{self.origin_country or '?'} → {self.hub.code}"
        return f"{self.hub.code} → {self.destination.unlocode if self.destination else '?'}"

    @property
    def released_origin_country(self) -> str:
        """The origin country as the viewer may see it: set by ``Shipment.objects.for_user`` (withheld below a
        full view of the pledges on board); a shipment read any other way shows none."""
        return str(getattr(self, "origin_released", "") or "")

    @property
    def released_route(self) -> str:
        """:attr:`route` with :attr:`released_origin_country` in place of the origin country."""
        if self.leg == self.Leg.INBOUND:
            return f"{self.released_origin_country or '?'} → {self.hub.code}"
        return self.route

    @classmethod
    def withheld_history_fields(cls, user: Any, ids: Iterable[Any]) -> dict[str, frozenset[str]]:
        """For the audit history: per shipment id, the snapshot keys ``user`` may not read (its origin)."""
        hidden = cls.objects.filter(pk__in=list(ids)).origin_withheld(user).values_list("pk", flat=True)
        return {str(pk): WITHHELD_HISTORY for pk in hidden}


WITHHELD_HISTORY = frozenset({"origin_country"})


class ShipmentLine(models.Model):
    """Units of one allocation on one shipment. Editable only while the shipment is planned."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    # CASCADE: releasing an allocation that has not moved drops it from planned shipments too.
    allocation_line = models.ForeignKey(AllocationLine, on_delete=models.CASCADE, related_name="shipment_lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    objects = ShipmentLineQuerySet.as_manager()

    class Meta:
        ordering = ["shipment", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "allocation_line"], name="shipment_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipment_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} ×{self.quantity} ({self.allocation_line.pledge.reference})"


class ShipmentEvent(AppendOnlyModel):
    """One row of a shipment's timeline: who handed over or reported what, when, where and with which carrier."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=24, choices=Shipment.Status.choices)
    at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    place = models.CharField(max_length=200, blank=True, help_text=_("Free text where no location fits."))
    carrier = models.CharField(max_length=120, blank=True)
    tracking_reference = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = ShipmentEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.shipment.reference} {self.get_status_display().lower()}"

    @property
    def where(self) -> str:
        return str(self.location) if self.location_id else self.place


class DiscrepancyReason(models.TextChoices):
    HANDLING = "handling", _("Handling damage")
    ACCIDENT = "accident", _("Accident or hostile action")
    SPOILAGE = "spoilage", _("Spoilage or expiry")
    THEFT = "theft", _("Theft or pilferage")
    SHORT_SHIPPED = "short_shipped", _("Short-shipped by sender")
    UNKNOWN = "unknown", _("Unknown")
    OTHER = "other", _("Other")


class Receipt(models.Model):
    """One unloading of a shipment, at its hub (inbound) or destination (outbound)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="receipts")
    received_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(default=clock.now)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = ShipmentChildQuerySet.as_manager()

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"Receipt #{self.pk} of {self.shipment.reference}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="receipt_lines")
    good = models.PositiveIntegerField(default=0)
    damaged = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=16, choices=DiscrepancyReason.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects = ReceiptLineQuerySet.as_manager()

    class Meta:
        ordering = ["receipt", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(good__gt=0) | Q(damaged__gt=0) | Q(lost__gt=0),
                                   name="receipt_line_not_empty"),
            models.CheckConstraint(condition=Q(damaged=0, lost=0) | ~Q(reason=""),
                                   name="receipt_line_discrepancy_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_line}: {self.good} good, {self.damaged} damaged, {self.lost} lost"

    @property
    def accounted(self) -> int:
        return self.good + self.damaged + self.lost


class ProofOfDelivery(models.Model):
    """Closes the last leg: who received, when, who signed, and optionally the scanned signed document."""

    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="proof_of_delivery")
    received_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(default=clock.now)
    signatory = models.CharField(max_length=200)
    document = models.FileField(upload_to="proof-of-delivery/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = ShipmentChildQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "proofs of delivery"

    def __str__(self) -> str:
        return f"Proof of delivery for {self.shipment.reference}, signed by {self.signatory}"

    @classmethod
    def withheld_history_fields(cls, user: Any, ids: Iterable[Any]) -> dict[str, frozenset[str]]:
        """For the audit history: the units signed for count every line of the shipment, so a viewer who may
        not see one of them (a donor on a shared lorry) does not read them."""
        visible = ShipmentLine.objects.for_user(user).values("pk")
        hidden = (ShipmentLine.objects.filter(shipment__proof_of_delivery__pk__in=list(ids)).exclude(pk__in=visible)
                  .values_list("shipment__proof_of_delivery__pk", flat=True).distinct())
        return {str(pk): WITHHELD_PROOF_HISTORY for pk in hidden}


WITHHELD_PROOF_HISTORY = frozenset({"received_good"})


class StockMovement(AppendOnlyModel):
    """One ledger entry at a hub. Never edited or deleted: a correction is a new entry that ``reverses`` this one.

    ``quantity`` is positive for receipts, issues and write-offs, and signed for adjustments. The effect on
    on-hand stock is :meth:`StockMovementQuerySet.with_delta`'s ``delta``: receipts and adjustments add,
    issues and write-offs subtract, and a reversing entry has the opposite effect of the kind it reverses.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        ISSUE = "issue", _("Issue")
        ADJUSTMENT = "adjustment", _("Adjustment")
        WRITE_OFF = "write_off", _("Write-off")

    class Reason(models.TextChoices):
        DAMAGED = "damaged", _("Damaged")
        LOST = "lost", _("Lost")
        EXPIRED = "expired", _("Expired")
        COUNT = "count", _("Stock count")
        OTHER = "other", _("Other")

    WRITE_OFF_REASONS = (Reason.DAMAGED, Reason.LOST, Reason.EXPIRED, Reason.OTHER)

    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="stock_movements")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock_movements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    quantity = models.IntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    override_reason = models.CharField(
        max_length=300, blank=True,
        help_text=_("Issues by hand only: why this issue took units reserved for allocations still to be sent on."))
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="stock_movements")
    shipment_line = models.ForeignKey(ShipmentLine, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="stock_movements")
    # Which allocation's units moved, so that units at a hub can be traced per pledge (chain of custody).
    allocation_line = models.ForeignKey(AllocationLine, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="stock_movements")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="adjustment", quantity__lt=0) | Q(quantity__gt=0), name="stock_movement_quantity"),
            models.CheckConstraint(
                condition=~Q(kind="write_off") | Q(reason__in=["damaged", "lost", "expired", "other"]),
                name="stock_write_off_reason"),
            models.CheckConstraint(condition=~Q(kind="adjustment") | ~Q(reason=""), name="stock_adjustment_reason"),
            models.CheckConstraint(condition=Q(override_reason="") | Q(kind="issue"), name="stock_override_on_issues"),
        ]
        indexes = [models.Index(fields=["hub", "item"], name="stock_movement_hub_item")]

    def __str__(self) -> str:
        prefix = "Reversal of " if self.reverses_id else ""
        return f"{prefix}{self.get_kind_display()} {self.item.code} ×{self.quantity} at {self.hub.code}"

    @property
    def delta(self) -> int:
        sign = -1 if self.kind in (self.Kind.ISSUE, self.Kind.WRITE_OFF) else 1
        return sign * self.quantity * (-1 if self.reverses_id else 1)


class StockBalance(models.Model):
    """The on-hand figure per hub and item, kept with each movement; the row that concurrent writers lock."""

    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="stock_balances")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock_balances")
    on_hand = models.IntegerField(default=0)

    class Meta:
        ordering = ["hub", "item"]
        constraints = [
            models.UniqueConstraint(fields=["hub", "item"], name="stock_balance_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_balance_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} at {self.hub.code}: {self.on_hand}"


