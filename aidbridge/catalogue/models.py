from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from aidbridge.core.fields import format_nsn, validate_fsc, validate_nsn
from aidbridge.core.models import ReferenceQuerySet


class Item(models.Model):
    REFERENCE_FIELD = "code"  # how the API accepts an item besides its id (aidbridge.core.api.Ref)

    class SupplyClass(models.TextChoices):
        I = "I", "I — Subsistence"  # noqa: E741
        II = "II", "II — Clothing and equipment"
        III = "III", "III — Fuel"
        IV = "IV", "IV — Construction"
        V = "V", "V — Ammunition"
        VI = "VI", "VI — Personal items"
        VII = "VII", "VII — Major end items"
        VIII = "VIII", "VIII — Medical"
        IX = "IX", "IX — Repair parts"
        X = "X", "X — Non-military programmes"

    class Unit(models.TextChoices):
        EACH = "each", "each"
        KILOGRAM = "kg", "kilogram"
        LITRE = "l", "litre"
        BOX = "box", "box"
        PALLET = "pallet", "pallet"
        SET = "set", "set"
        KIT = "kit", "kit"
        ROUND = "round", "round"

    code = models.SlugField(max_length=40, unique=True, help_text="Short catalogue code, e.g. “GEN-100KW”.")
    name = models.CharField(max_length=200)
    supply_class = models.CharField(max_length=4, choices=SupplyClass.choices)
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.EACH)
    weight_t = models.DecimalField(
        "weight per unit (t)",
        max_digits=12,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text="Tonnes per unit of measure; drives hub capacity.",
    )
    nsn = models.CharField(
        "NSN", max_length=13, blank=True, validators=[validate_nsn], help_text="NATO Stock Number, 13 digits."
    )
    fsc = models.CharField(
        "FSC", max_length=4, blank=True, validators=[validate_fsc], help_text="4-digit Federal Supply Class."
    )
    description = models.TextField(blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=models.Q(weight_t__gt=0), name="item_weight_positive")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def nsn_display(self) -> str:
        return format_nsn(self.nsn)
