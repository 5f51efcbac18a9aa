"""Who sees which shipments and ledger entries: the ``for_user`` querysets of the logistics models.

- coordinators and auditors see everything;
- a hub operator sees every shipment and movement at its own hubs;
- a donor sees the shipments carrying its pledges, but only its own lines on a shared outbound lorry;
- the recipient sees the outbound legs bringing goods for its requirements;
- everyone else sees nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Case, CharField, F, Q, Sum, When
from django.db.models import Value as V

from aidbridge.accounts.principal import principal
from aidbridge.allocation.models import AllocationLine
from aidbridge.core import versioned
from aidbridge.logistics.appendonly import AppendOnlyQuerySet


class ShipmentLineQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> ShipmentLineQuerySet:
        p = principal(user)
        if p.oversees:
            return self.all()
        if p.organisation_id is None:
            return self.none()
        org = p.organisation_id
        # The donor's and the recipient's allocations as subqueries, not joins ORed together: PostgreSQL
        # hashes each set once instead of joining every line to its pledge and requirement (4x faster at
        # 100,000 shipment lines).
        donors = AllocationLine.objects.filter(pledge__donor_id=org).values("pk")
        recipients = AllocationLine.objects.filter(requirement__recipient_id=org).values("pk")
        return self.filter(
            Q(shipment__hub__operator_id=org)
            | Q(allocation_line__in=donors)
            | Q(shipment__leg="outbound", allocation_line__in=recipients)
        )

    def on_shipment(self, shipment: Any, user: Any) -> ShipmentLineQuerySet:
        """The lines of ``shipment`` that ``user`` may see: :meth:`for_user`'s rule, decided for one shipment.

        What :meth:`for_user` asks of each line through the organisation's every allocation (tens of thousands,
        hashed) is here a join from the shipment's own lines to their pledge and requirement: on a lorry of 1,500
        lines, a few index lookups each instead of 20 ms of hashing, three times per shipment page. The shipment's
        hub and leg are known, so only the donor's (and, on an outbound leg, the recipient's) test remains.
        """
        p = principal(user)
        lines = self.filter(shipment=shipment)
        if p.oversees:
            return lines
        org = p.organisation_id
        if org is None:
            return self.none()
        if shipment.hub.operator_id == org:
            return lines
        mine = Q(allocation_line__pledge__donor_id=org)
        if shipment.leg == "outbound":
            mine |= Q(allocation_line__requirement__recipient_id=org)
        return lines.filter(mine)


def _lines_of(lines: Any, org: int) -> tuple[Any, Any]:
    """The shipments carrying the organisation's pledges, and the outbound legs carrying goods for its
    requirements (``lines``: the shipment-line model): two subqueries, which PostgreSQL hashes once each."""
    donor = lines.objects.filter(allocation_line__pledge__donor_id=org).order_by().values("shipment_id")
    recipient = (lines.objects.filter(shipment__leg="outbound", allocation_line__requirement__recipient_id=org)
                 .order_by().values("shipment_id"))
    return donor, recipient


def _with_lines_of(lines: Any, org: int) -> Q:
    """The shipments carrying lines the organisation may see (``ShipmentLine.for_user`` but the hub operator's).

    Every list, count and filter choice of a page asks for them, and at 100,000 shipment lines each asking costs
    tens of milliseconds, while the shipments are a few thousand. So their ids are cached until the next write
    (:func:`aidbridge.core.versioned.cached`, keyed with the organisation); where nothing is cached (inside a
    transaction) the condition is two subqueries, asked of the database with the query that uses them.
    """
    donor, recipient = _lines_of(lines, org)

    def ids() -> Q:
        return Q(pk__in=sorted(set(donor.values_list("shipment_id", flat=True))
                               | set(recipient.values_list("shipment_id", flat=True))))

    return versioned.cached(("logistics.shipments_carrying_lines_of", org), ids,
                            uncached=lambda: Q(pk__in=donor) | Q(pk__in=recipient))


def origin_visible_q(user: Any) -> Q | None:
    """The shipments whose origin country ``user`` may see; ``None``: all of them.

    An inbound leg's origin is its pledges' origin, which is withheld below a full view of the pledge
    (:mod:`aidbridge.pledges.releasability`): so only coordinators, auditors and the shipment's donor see it.
    Outbound legs have no origin country.
    """
    p = principal(user)
    if p.oversees:
        return None
    return Q(donor_id=p.organisation_id) if p.organisation_id is not None else Q(pk__in=[])


def released_origin(user: Any) -> Any:
    """``origin_country`` where ``user`` may see it, else "": the ``origin_released`` annotation of ``for_user``."""
    condition = origin_visible_q(user)
    if condition is None:
        return F("origin_country")
    return Case(When(condition, then=F("origin_country")), default=V(""), output_field=CharField())


class ShipmentQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> ShipmentQuerySet:
        """The shipments ``user`` sees, each annotated with ``origin_released`` (see :func:`released_origin`)."""
        p = principal(user)
        if p.oversees:
            return self.annotate(origin_released=released_origin(user))
        if p.organisation_id is None:
            return self.none()
        lines = self.model._meta.get_field("lines").related_model
        return (self.filter(Q(hub__operator_id=p.organisation_id) | _with_lines_of(lines, p.organisation_id))
                .annotate(origin_released=released_origin(user)))

    def origin_withheld(self, user: Any) -> ShipmentQuerySet:
        """Of these shipments, those whose origin country ``user`` may not see."""
        condition = origin_visible_q(user)
        return self.none() if condition is None else self.exclude(condition)


class ShipmentChildQuerySet(models.QuerySet):
    """Timeline rows, receipts and proofs of delivery follow their shipment."""

    def for_user(self, user: Any) -> ShipmentChildQuerySet:
        if principal(user).oversees:
            return self.all()
        shipments: Any = self.model._meta.get_field("shipment").related_model
        return self.filter(shipment__in=shipments.objects.for_user(user))


class ShipmentEventQuerySet(AppendOnlyQuerySet, ShipmentChildQuerySet):  # type: ignore[override]
    """Timeline rows are append-only as well as following their shipment."""


class ReceiptLineQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> ReceiptLineQuerySet:
        if principal(user).oversees:
            return self.all()
        lines: Any = self.model._meta.get_field("shipment_line").related_model
        return self.filter(shipment_line__in=lines.objects.for_user(user))

    def on_shipment(self, shipment: Any, user: Any) -> ReceiptLineQuerySet:
        """The receipt lines of ``shipment`` that ``user`` may see (:meth:`ShipmentLineQuerySet.on_shipment`)."""
        counted = self.filter(receipt__shipment=shipment)
        if principal(user).oversees:
            return counted
        lines: Any = self.model._meta.get_field("shipment_line").related_model
        return counted.filter(shipment_line__in=lines.objects.on_shipment(shipment, user).values("pk"))

    def discrepancies(self) -> ReceiptLineQuerySet:
        return self.filter(Q(damaged__gt=0) | Q(lost__gt=0))


class StockMovementQuerySet(AppendOnlyQuerySet):
    def for_user(self, user: Any) -> StockMovementQuerySet:
        p = principal(user)
        if p.oversees:
            return self.all()
        if p.organisation_id is None:
            return self.none()
        org = p.organisation_id
        return self.filter(Q(hub__operator_id=org) | Q(allocation_line__pledge__donor_id=org))

    def delta(self) -> Case:
        """SQL for :attr:`StockMovement.delta`, so that on-hand stock is one ``Sum`` over the ledger."""
        kind: Any = self.model.Kind  # type: ignore[attr-defined]
        outflow = Q(kind__in=[kind.ISSUE, kind.WRITE_OFF])
        return Case(
            When(outflow & Q(reverses__isnull=True), then=-F("quantity")),
            When(outflow, then=F("quantity")),
            When(reverses__isnull=True, then=F("quantity")),
            default=-F("quantity"),
            output_field=models.IntegerField(),
        )

    def with_delta(self) -> StockMovementQuerySet:
        return self.annotate(signed=self.delta())

    def on_hand(self) -> int:
        return int(self.aggregate(total=Sum(self.delta()))["total"] or 0)


def sees_hub_stock(user: Any, hub: Any) -> bool:
    """The whole ledger of a hub is for coordinators, auditors and that hub's operator."""
    p = principal(user)
    return p.oversees or (p.organisation_id is not None and p.organisation_id == hub.operator_id)
