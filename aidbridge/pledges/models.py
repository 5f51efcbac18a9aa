from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.core.fields import QuantityField, validate_country, validate_currency, validate_sector
from aidbridge.core.models import Releasability, related_sum

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)


def released_to(user, *, owner: str) -> Q | None:  # type: ignore[no-untyped-def]
    """What releasability lets ``user`` see of records owned through the field ``owner`` (a pledge's donor, a
    course's provider): a ``Q``, or None for everything (auditors). See :meth:`PledgeQuerySet.for_user`."""
    p = principal(user)
    if p.sees_everything or p.is_coordinator:  # coordinators: every releasability is released to them
        return None
    visible = Q(releasability=Releasability.PUBLIC, disclosure_date__lte=clock.today())
    if p.organisation_id is not None:
        visible |= Q(**{f"{owner}_id": p.organisation_id})
    if p.in_coalition:
        visible |= Q(releasability__in=[Releasability.COALITION, Releasability.PUBLIC])
    return visible


class PledgeQuerySet(models.QuerySet["Pledge"]):
    def for_user(self, user) -> PledgeQuerySet:  # type: ignore[no-untyped-def]
        """Releasability, applied in one place.

        - the donor sees all its own pledges;
        - auditors see everything;
        - coordinators see pledges released to coordinators or wider;
        - other coalition members see coalition-released pledges;
        - everyone, anonymous included, sees public pledges once their disclosure date has passed.
        """
        visible = released_to(user, owner="donor")
        return self.all() if visible is None else self.filter(visible)

    def with_use(self) -> PledgeQuerySet:
        """``allocated_qty`` and ``delivered_qty``: sums over the pledge's allocation lines, one subquery each
        (:func:`aidbridge.core.models.related_sum`), so a paginated list sums only the rows of its page."""
        return self.annotate(
            allocated_qty=related_sum(self.model, "allocation_lines", "quantity"),
            delivered_qty=related_sum(self.model, "allocation_lines", "delivered_quantity"),
        )


class SourceDocument(models.Model):
    """Evidence behind a pledge: a URL or an uploaded file, always with the SHA-256 of what was seen."""

    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to="source-documents/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="source_documents")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    # A withdrawn document is hidden from everyone but auditors; its file and digest are kept as evidence.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(url="") | ~Q(file=""), name="source_document_has_url_or_file")
        ]

    def __str__(self) -> str:
        return self.title


class Pledge(models.Model):
    REFERENCE_PREFIX = "PLG-"  # the API accepts "PLG-00431" for pledge 431 (aidbridge.core.api.Ref)

    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("Announced")
        COMMITTED = "committed", _("Committed")
        ALLOCATED = "allocated", _("Allocated")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class FundingSource(models.TextChoices):
        STOCKPILE = "stockpile", _("Stockpile")
        PROCUREMENT = "procurement", _("Procurement")
        POOLED_FUND = "pooled_fund", _("Pooled fund")

    TRANSITIONS: dict[str, set[str]] = {
        Status.ANNOUNCED: {Status.COMMITTED, Status.WITHDRAWN},
        Status.COMMITTED: {Status.ALLOCATED, Status.WITHDRAWN},
        Status.ALLOCATED: {Status.SHIPPED, Status.COMMITTED, Status.WITHDRAWN},
        Status.SHIPPED: {Status.DELIVERED, Status.WITHDRAWN},
        Status.DELIVERED: set(),
        Status.WITHDRAWN: set(),
    }

    donor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="pledges")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="pledges")
    quantity = QuantityField()
    available_from = models.DateField()
    origin_country = models.CharField(max_length=2, validators=[validate_country], help_text=_("ISO 3166-1 alpha-2"))
    unit_value = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    funding_source = models.CharField(max_length=16, choices=FundingSource.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ANNOUNCED, db_index=True)
    releasability = models.CharField(
        max_length=16, choices=Releasability.choices, default=Releasability.COALITION, db_index=True
    )
    disclosure_date = models.DateField(
        null=True, blank=True, help_text=_("Public pledges become visible to everyone from this date.")
    )
    source_documents = models.ManyToManyField(SourceDocument, blank=True, related_name="pledges")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        ordering = ["available_from", "pk"]
        # The list's order: a page is an index scan and a LIMIT, not a sort of every visible pledge.
        indexes = [models.Index(fields=["available_from", "id"], name="pledge_list_order")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="pledge_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(releasability="public") | Q(disclosure_date__isnull=False),
                name="pledge_public_needs_disclosure_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.item.code} ×{self.quantity}"

    def clean(self) -> None:
        if self.releasability == Releasability.PUBLIC and self.disclosure_date is None:
            raise ValidationError({"disclosure_date": "A public pledge needs a disclosure date."})

    @property
    def reference(self) -> str:
        return f"PLG-{self.pk:05d}" if self.pk else "PLG-new"

    @property
    def total_value(self) -> Decimal:
        return self.unit_value * self.quantity

    @property
    def allocated(self) -> int:
        value = getattr(self, "allocated_qty", None)
        if value is None:
            value = self.allocation_lines.aggregate(s=Coalesce(Sum("quantity"), 0))["s"]
            self.allocated_qty = value
        return int(value)

    @property
    def unallocated(self) -> int:
        return self.quantity - self.allocated


class FinancialPledge(models.Model):
    """Money pledged by a donor: an amount in a currency, with an optional DAC sector and purpose.

    It shares the in-kind pledge's lifecycle up to the point where goods would move: announced, committed,
    then disbursed (IATI transaction types 12, 2 and 3), or withdrawn; its releasability and audit are the
    same. It never enters the allocation solver (money is not shipped through hubs), but it counts in the
    dashboards, exposure and transparency through exchange rates (:mod:`aidbridge.catalogue.money`).
    """

    REFERENCE_PREFIX = "FIN-"  # "FIN-00012" is financial pledge 12

    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("Announced")
        COMMITTED = "committed", _("Committed")
        DISBURSED = "disbursed", _("Disbursed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    TRANSITIONS: dict[str, set[str]] = {
        Status.ANNOUNCED: {Status.COMMITTED, Status.DISBURSED, Status.WITHDRAWN},
        Status.COMMITTED: {Status.DISBURSED, Status.WITHDRAWN},
        Status.DISBURSED: set(),
        Status.WITHDRAWN: set(),
    }

    donor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="financial_pledges")
    amount = models.DecimalField(max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    pledged_on = models.DateField(help_text=_("When the donor announced the pledge."))
    status_date = models.DateField(
        null=True, blank=True, help_text=_("When the pledge reached its current status (committed, disbursed…).")
    )
    sector = models.CharField(
        max_length=5, blank=True, validators=[validate_sector],
        help_text=_("OECD DAC 5-digit purpose code, e.g. 72010."),
    )
    purpose = models.CharField(max_length=300, blank=True, help_text=_("The programme or purpose, in a line."))
    recipient_country = models.CharField(
        max_length=2, blank=True, validators=[validate_country], help_text=_("ISO 3166-1 alpha-2")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ANNOUNCED, db_index=True)
    releasability = models.CharField(
        max_length=16, choices=Releasability.choices, default=Releasability.COALITION, db_index=True
    )
    disclosure_date = models.DateField(
        null=True, blank=True, help_text=_("Public pledges become visible to everyone from this date.")
    )
    external_id = models.CharField(
        max_length=250, blank=True,
        help_text=_("Identifier in the source it was imported from (an IATI transaction, an FTS flow); unique."),
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        ordering = ["pledged_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="financial_pledge_amount_positive"),
            models.CheckConstraint(
                condition=~Q(releasability="public") | Q(disclosure_date__isnull=False),
                name="financial_pledge_public_needs_disclosure_date",
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="financial_pledge_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        # No amount: the coalition tier may see a pledge but not its value, and objects print in histories.
        return f"{self.reference} — {self.purpose}" if self.purpose else self.reference

    def clean(self) -> None:
        if self.releasability == Releasability.PUBLIC and self.disclosure_date is None:
            raise ValidationError({"disclosure_date": "A public pledge needs a disclosure date."})

    @property
    def reference(self) -> str:
        return f"FIN-{self.pk:05d}" if self.pk else "FIN-new"
