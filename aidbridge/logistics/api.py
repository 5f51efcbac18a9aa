"""``/shipments``, ``/stock-movements`` and ``/hubs/{id}/stock``: moving allocated goods and the hub ledgers.

Objects outside the caller's view answer 404; a hub's ledger is for coordinators, auditors and its operator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile

from aidbridge.allocation.models import AllocationLine
from aidbridge.catalogue.models import Item
from aidbridge.core.api import (
    ERRORS,
    NOT_FOUND,
    READ_ERRORS,
    actor,
    apply_filters,
    filter_schema,
    get_visible_or_404,
    paginated,
    require_storable,
)
from aidbridge.core.errors import ServiceError
from aidbridge.locations.models import Hub
from aidbridge.logistics import services
from aidbridge.logistics.filtersets import ShipmentFilterSet, StockMovementFilterSet
from aidbridge.logistics.models import Shipment, StockBalance, StockMovement
from aidbridge.logistics.schemas import (
    ArriveIn,
    CancelIn,
    DispatchIn,
    HubStockOut,
    ProofOut,
    ReceiptIn,
    ReceiptOut,
    ShipmentDetailOut,
    ShipmentIn,
    ShipmentOut,
    StockMovementIn,
    StockMovementOut,
    TrackIn,
)
from aidbridge.logistics.views import record_movement
from aidbridge.logistics.visibility import sees_hub_stock

router = Router(tags=["logistics"])
ShipmentFilters = filter_schema(ShipmentFilterSet, "ShipmentFilters")
MovementFilters = filter_schema(StockMovementFilterSet, "StockMovementFilters")


def _shipments(user: Any) -> Any:
    return Shipment.objects.for_user(user).select_related("hub", "donor", "destination")


def _detail(user: Any, shipment: Shipment) -> Shipment:
    shipment.visible_lines = list(  # type: ignore[attr-defined]
        shipment.lines.for_user(user).select_related("allocation_line").order_by("pk"))
    shipment.timeline_rows = list(shipment.events.select_related("recorded_by", "location"))  # type: ignore[attr-defined]
    return shipment


def _hub_ledger(user: Any, hub_id: int) -> Hub:
    """The hub if the user may see (and so perhaps write) its ledger; everyone else gets 404."""
    hub = get_visible_or_404(Hub.objects.for_user(user), hub_id)
    if not sees_hub_stock(user, hub):
        raise Http404(NOT_FOUND)
    return hub


@router.get("/shipments", response={200: list[ShipmentOut], **READ_ERRORS})
@paginated
def list_shipments(request: HttpRequest, filters: Query[ShipmentFilters]) -> Any:  # type: ignore[valid-type]
    return apply_filters(ShipmentFilterSet, filters, _shipments(actor(request))).order_by("week", "pk")


@router.post("/shipments", response={201: ShipmentDetailOut, **ERRORS})
def create_shipment(request: HttpRequest, payload: ShipmentIn) -> Any:
    """Plan one shipment by hand from (allocation line, units) pairs routed through one hub."""
    user = actor(request)
    hub = Hub.objects.for_user(user).filter(pk=payload.hub).first()
    if hub is None:
        raise ServiceError(f"There is no hub with id {payload.hub}.", field="hub")
    known = AllocationLine.objects.for_user(user).select_related("pledge", "requirement", "hub").in_bulk(
        [line.allocation_line for line in payload.lines])
    missing = [line.allocation_line for line in payload.lines if line.allocation_line not in known]
    if missing:
        raise ServiceError({"lines": [f"There is no allocation line with id {pk}." for pk in missing]})
    shipment = services.create_shipment(
        actor=user, leg=payload.leg, hub=hub,
        lines=[(known[line.allocation_line], line.quantity) for line in payload.lines],
        origin_text=payload.origin_text, week=payload.week, expected=payload.expected_arrival,
        carrier=payload.carrier, tracking_reference=payload.tracking_reference, notes=payload.notes,
    )
    return Status(201, _detail(user, _shipments(user).get(pk=shipment.pk)))


@router.post("/shipments/generate", response={200: list[ShipmentOut], **ERRORS})
def generate_shipments(request: HttpRequest) -> Any:
    """Plan shipments for every approved allocation not yet on one (coordinators). Idempotent."""
    user = actor(request)
    planned = services.generate_shipments(actor=user)
    return list(_shipments(user).filter(pk__in=[s.pk for s in planned]).order_by("pk"))


@router.get("/shipments/{shipment_id}", response={200: ShipmentDetailOut, **READ_ERRORS})
def get_shipment(request: HttpRequest, shipment_id: int) -> Any:
    user = actor(request)
    return _detail(user, get_visible_or_404(_shipments(user), shipment_id))


def _act(request: HttpRequest, shipment_id: int, service: Callable[..., Any], **kwargs: Any) -> Any:
    user = actor(request)
    shipment = get_visible_or_404(_shipments(user), shipment_id)
    service(actor=user, shipment=shipment, **kwargs)
    return _detail(user, _shipments(user).get(pk=shipment.pk))


@router.post("/shipments/{shipment_id}/dispatch", response={200: ShipmentDetailOut, **ERRORS})
def dispatch_shipment(request: HttpRequest, shipment_id: int, payload: DispatchIn | None = None) -> Any:
    """Planned → dispatched: the sender hands the goods to the carrier."""
    return _act(request, shipment_id, services.dispatch_shipment, **(payload or DispatchIn()).dict())


@router.post("/shipments/{shipment_id}/in-transit", response={200: ShipmentDetailOut, **ERRORS})
def report_in_transit(request: HttpRequest, shipment_id: int, payload: TrackIn | None = None) -> Any:
    """Report a dispatched shipment under way (again, to add tracking points)."""
    return _act(request, shipment_id, services.report_in_transit, **(payload or TrackIn()).dict())


@router.post("/shipments/{shipment_id}/arrived", response={200: ShipmentDetailOut, **ERRORS})
def mark_arrived(request: HttpRequest, shipment_id: int, payload: ArriveIn | None = None) -> Any:
    return _act(request, shipment_id, services.mark_arrived, **(payload or ArriveIn()).dict())


@router.post("/shipments/{shipment_id}/cancel", response={200: ShipmentDetailOut, **ERRORS})
def cancel_shipment(request: HttpRequest, shipment_id: int, payload: CancelIn) -> Any:
    """Cancel a planned shipment; say why."""
    return _act(request, shipment_id, services.cancel_shipment, reason=payload.reason)


@router.post("/shipments/{shipment_id}/receipts", response={201: ReceiptOut, **ERRORS})
def receive_shipment(request: HttpRequest, shipment_id: int, payload: ReceiptIn) -> Any:
    """Count goods off: per shipment line, units good, damaged and lost (with a reason for any discrepancy)."""
    user = actor(request)
    shipment = get_visible_or_404(_shipments(user), shipment_id)
    on_board = {line.pk: line for line in shipment.lines.all()}
    unknown = [row.line for row in payload.lines if row.line not in on_board]
    if unknown:
        raise ServiceError({"lines": [f"Line {pk} is not on {shipment.reference}." for pk in unknown]})
    receipt = services.receive_shipment(
        actor=user, shipment=shipment, note=payload.note,
        lines=[services.Received(on_board[row.line], row.good, row.damaged, row.lost, row.reason, row.note)
               for row in payload.lines],
    )
    return Status(201, receipt)


@router.post("/shipments/{shipment_id}/proof-of-delivery", response={201: ProofOut, **ERRORS})
def record_proof_of_delivery(
    request: HttpRequest, shipment_id: int, signatory: Form[str], document: File[UploadedFile | None] = None,
) -> Any:
    """Multipart: ``signatory`` and an optional ``document`` (PDF, PNG, JPEG or text) for a received outbound leg."""
    user = actor(request)
    shipment = get_visible_or_404(_shipments(user), shipment_id)
    require_storable(signatory=signatory)
    content = None
    if document is not None:
        if document.size is not None and document.size > settings.MAX_UPLOAD_BYTES:
            raise ServiceError(f"The file is {document.size:,} bytes; the limit is {settings.MAX_UPLOAD_BYTES:,}.",
                               field="document")
        content = document.read()
    proof = services.record_proof_of_delivery(
        actor=user, shipment=shipment, signatory=signatory, content=content,
        filename=(document.name or "") if document is not None else "",
    )
    return Status(201, proof)


@router.get("/stock-movements", response={200: list[StockMovementOut], **READ_ERRORS})
@paginated
def list_stock_movements(request: HttpRequest, filters: Query[MovementFilters]) -> Any:  # type: ignore[valid-type]
    return apply_filters(StockMovementFilterSet, filters, StockMovement.objects.for_user(actor(request))).order_by(
        "-pk")


@router.post("/stock-movements", response={201: StockMovementOut, **ERRORS})
def create_stock_movement(request: HttpRequest, payload: StockMovementIn) -> Any:
    """Issue, adjust or write off stock at a hub you operate. Taking out more than is on hand answers 409.

    Receipts are recorded by counting a shipment in (``POST /shipments/{id}/receipts``), so ``receipt`` is
    refused here with 422.
    """
    user = actor(request)
    hub = _hub_ledger(user, payload.hub)
    item = Item.objects.for_user(user).filter(pk=payload.item).first()
    if item is None:
        raise ServiceError(f"There is no item with id {payload.item}.", field="item")
    movement = record_movement(actor=user, hub=hub, item=item, kind=payload.kind, quantity=payload.quantity,
                               reason=payload.reason, note=payload.note)
    return Status(201, movement)


@router.get("/hubs/{hub_id}/stock", response={200: list[HubStockOut], **READ_ERRORS})
@paginated
def hub_stock(request: HttpRequest, hub_id: int) -> Any:
    """On-hand quantity per item at the hub, by item code."""
    hub = _hub_ledger(actor(request), hub_id)
    return StockBalance.objects.filter(hub=hub).order_by("item__code", "item_id")
