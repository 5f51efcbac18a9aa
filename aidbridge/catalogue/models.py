from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aidbridge.core import clock
from aidbridge.core.fields import format_nsn, validate_currency, validate_fsc, validate_nsn
from aidbridge.core.models import ReferenceQuerySet


class Item(models.Model):
    REFERENCE_FIELD = "code"  # how the API accepts an item besides its id (aidbridge.core.api.Ref)

    class SupplyClass(models.TextChoices):
        I = "I", _("I — Subsistence")  # noqa: E741
        II = "II", _("II — Clothing and equipment")
        III = "III", _("III — Fuel")
        IV = "IV", _("IV — Construction")
        V = "V", _("V — Ammunition")
        VI = "VI", _("VI — Personal items")
        VII = "VII", _("VII — Major end items")
        VIII = "VIII", _("VIII — Medical")
        IX = "IX", _("IX — Repair parts")
        X = "X", _("X — Non-military programmes")

    class Unit(models.TextChoices):
        EACH = "each", _("each")
        KILOGRAM = "kg", _("kilogram")
        LITRE = "l", _("litre")
        BOX = "box", _("box")
        PALLET = "pallet", _("pallet")
        SET = "set", _("set")
        KIT = "kit", _("kit")
        ROUND = "round", _("round")

    code = models.SlugField(max_length=40, unique=True, help_text=_("Short catalogue code, e.g. “GEN-100KW”."))
    name = models.CharField(max_length=200)
    supply_class = models.CharField(max_length=4, choices=SupplyClass.choices)
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.EACH)
    weight_t = models.DecimalField(
        _("weight per unit (t)"),
        max_digits=12,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_("Tonnes per unit of measure; drives hub capacity."),
    )
    nsn = models.CharField(
        "NSN", max_length=13, blank=True, validators=[validate_nsn], help_text=_("NATO Stock Number, 13 digits.")
    )
    fsc = models.CharField(
        "FSC", max_length=4, blank=True, validators=[validate_fsc], help_text=_("4-digit Federal Supply Class.")
    )
    description = models.TextField(blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=models.Q(weight_t__gt=0), name="item_weight_positive")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def nsn_display(self) -> str:
        return format_nsn(self.nsn)


class ExchangeRate(models.Model):
    """How many units of ``currency`` one euro bought on ``date``: the layout of the ECB's euro reference rates.

    Converting between two other currencies goes through the euro (:mod:`aidbridge.catalogue.money`).
    Rates are imported from the ECB's CSV or entered by hand by an administrator; the euro itself needs none.
    """

    class Source(models.TextChoices):
        ECB = "ecb", _("ECB reference rates (CSV)")
        MANUAL = "manual", _("Entered by hand")

    currency = models.CharField(max_length=3, validators=[validate_currency])
    date = models.DateField()
    per_euro = models.DecimalField(
        _("units per euro"), max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))]
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(default=clock.now)

    objects = ReferenceQuerySet.as_manager()  # shared with the coalition, like the catalogue

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchange_rate_unique_currency_date"),
            models.CheckConstraint(condition=models.Q(per_euro__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~models.Q(currency="EUR"), name="exchange_rate_not_euro"),
        ]

    def __str__(self) -> str:
        return f"1 EUR = {self.per_euro.normalize():f} {self.currency} on {self.date:%Y-%m-%d}"
