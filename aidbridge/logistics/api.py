"""``/shipments``, ``/stock-movements`` and ``/hubs/{id}/stock``: moving allocated goods and the hub ledgers.

Objects outside the caller's view answer 404; a hub's ledger is for coordinators, auditors and its operator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext as _
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
    reference_lookup,
    require_storable,
    resolve_refs,
)
from aidbridge.core.errors import ServiceError
from aidbridge.locations.models import Hub
from aidbridge.logistics import services
from aidbridge.logistics.filtersets import ShipmentFilterSet, StockMovementFilterSet
from aidbridge.logistics.models import Shipment, ShipmentLine, StockBalance, StockMovement
from aidbridge.logistics.schemas import (
    ArriveIn,
    CancelIn,
    DispatchIn,
    HubStockOut,
    PickIn,
    ProofOut,
    ReceiptIn,
    ReceiptOut,
    RemoveLinesIn,
    ShipmentDetailOut,
    ShipmentIn,
    ShipmentOut,
    SplitIn,
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
        ShipmentLine.objects.on_shipment(shipment, user).select_related("allocation_line").order_by("pk"))
    shipment.timeline_rows = list(shipment.events.select_related("recorded_by", "location"))  # type: ignore[attr-defined]
    return shipment


def _hub_ledger(user: Any, hub_ref: int | str) -> Hub:
    """The hub (by id or code) if the user may see (and so perhaps write) its ledger; everyone else gets 404."""
    lookup = reference_lookup(Hub, hub_ref)
    hub = Hub.objects.for_user(user).filter(lookup).first() if lookup is not None else None
    if hub is None or not sees_hub_stock(user, hub):
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
    hub = resolve_refs(user, {"hub": payload.hub}, {"hub": Hub})["hub"]
    known = AllocationLine.objects.for_user(user).select_related("pledge", "requirement", "hub").in_bulk(
        [line.allocation_line for line in payload.lines])
    missing = [line.allocation_line for line in payload.lines if line.allocation_line not in known]
    if missing:
        raise ServiceError({"lines": [_("There is no allocation line with id %(pk)s.") % {"pk": pk} for pk in missing]})
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


def _on_board(user: Any, shipment: Shipment) -> dict[int, ShipmentLine]:
    """The lines of ``shipment`` that ``user`` may see, by id. Any other id, on the lorry or not, gets one answer,
    so that no line id of another donor's goods can be learnt by trying it."""
    return {line.pk: line for line in ShipmentLine.objects.on_shipment(shipment, user)}


def _picked(user: Any, shipment: Shipment, picks: list[PickIn]) -> list[tuple[ShipmentLine, int]]:
    on_board = _on_board(user, shipment)
    unknown = [pick.line for pick in picks if pick.line not in on_board]
    if unknown:
        raise ServiceError({"lines": [_("Line %(line)s is not on %(reference)s.")
                                      % {"line": pk, "reference": shipment.reference} for pk in unknown]})
    return [(on_board[pick.line], pick.quantity) for pick in picks]


@router.post("/shipments/{shipment_id}/split", response={201: ShipmentDetailOut, **ERRORS})
def split_shipment(request: HttpRequest, shipment_id: int, payload: SplitIn) -> Any:
    """Move lines, or parts of lines, of a planned shipment onto a new planned shipment, which is returned.

    For the operator of the shipment's hub and coordinators; at least one unit stays on the original.
    """
    user = actor(request)
    shipment = get_visible_or_404(_shipments(user), shipment_id)
    new = services.split_shipment(actor=user, shipment=shipment, lines=_picked(user, shipment, payload.lines),
                                  week=payload.week, note=payload.note)
    return Status(201, _detail(user, _shipments(user).get(pk=new.pk)))


@router.post("/shipments/{shipment_id}/remove-lines", response={200: ShipmentDetailOut, **ERRORS})
def remove_shipment_lines(request: HttpRequest, shipment_id: int, payload: RemoveLinesIn) -> Any:
    """Take lines, or parts of lines, off a planned shipment (say why); those units can be planned again."""
    user = actor(request)
    shipment = get_visible_or_404(_shipments(user), shipment_id)
    services.remove_shipment_lines(actor=user, shipment=shipment, lines=_picked(user, shipment, payload.lines),
                                   reason=payload.reason)
    return _detail(user, _shipments(user).get(pk=shipment.pk))


@router.post("/shipments/{shipment_id}/receipts", response={201: ReceiptOut, **ERRORS})
def receive_shipment(request: HttpRequest, shipment_id: int, payload: ReceiptIn) -> Any:
    """Count goods off: per shipment line, units good, damaged and lost (with a reason for any discrepancy)."""
    user = actor(request)
    shipment = get_visible_or_404(_shipments(user), shipment_id)
    on_board = _on_board(user, shipment)
    unknown = [row.line for row in payload.lines if row.line not in on_board]
    if unknown:
        raise ServiceError({"lines": [_("Line %(line)s is not on %(reference)s.")
                                      % {"line": pk, "reference": shipment.reference} for pk in unknown]})
    receipt = services.receive_shipment(
        actor=user, shipment=shipment, note=payload.note,
        lines=[services.Received(on_board[row.line], row.good, row.damaged, row.lost, row.reason, row.note)
               for row in payload.lines],
    )
    return Status(201, receipt)


def _read_upload(document: UploadedFile) -> bytes:
    if document.size is not None and document.size > settings.MAX_UPLOAD_BYTES:
        raise ServiceError(_("The file is %(size)s bytes; the limit is %(limit)s.")
                           % {"size": number_format(document.size, force_grouping=True),
                              "limit": number_format(settings.MAX_UPLOAD_BYTES, force_grouping=True)}, field="document")
    return bytes(document.read())


@router.post("/shipments/{shipment_id}/proof-of-delivery", response={201: ProofOut, **ERRORS})
def record_proof_of_delivery(
    request: HttpRequest, shipment_id: int, signatory: Form[str], document: File[UploadedFile | None] = None,
) -> Any:
    """Multipart: ``signatory`` and an optional ``document`` (PDF, PNG, JPEG or text) for a received outbound leg."""
    user = actor(request)
    shipment = get_visible_or_404(_shipments(user), shipment_id)
    require_storable(signatory=signatory)
    content = _read_upload(document) if document is not None else None
    proof = services.record_proof_of_delivery(
        actor=user, shipment=shipment, signatory=signatory, content=content,
        filename=(document.name or "") if document is not None else "",
    )
    return Status(201, proof)


@router.post("/shipments/{shipment_id}/proof-of-delivery/document", response={200: ProofOut, **ERRORS})
def attach_proof_document(request: HttpRequest, shipment_id: int, document: File[UploadedFile]) -> Any:
    """Multipart ``document``: the scan of the signed delivery note, for a proof of delivery recorded without one.

    A scan once attached is never replaced (409).
    """
    user = actor(request)
    shipment = get_visible_or_404(_shipments(user), shipment_id)
    return services.attach_proof_document(actor=user, shipment=shipment, content=_read_upload(document),
                                          filename=document.name or "")


@router.get("/stock-movements", response={200: list[StockMovementOut], **READ_ERRORS})
@paginated
def list_stock_movements(request: HttpRequest, filters: Query[MovementFilters]) -> Any:  # type: ignore[valid-type]
    return apply_filters(StockMovementFilterSet, filters, StockMovement.objects.for_user(actor(request))).order_by(
        "-pk")


@router.post("/stock-movements", response={201: StockMovementOut, **ERRORS})
def create_stock_movement(request: HttpRequest, payload: StockMovementIn) -> Any:
    """Issue, adjust or write off stock at a hub you operate. Taking out more than is on hand answers 409.

    An issue takes free stock only: issuing units reserved for allocations answers 409 (field
    ``override_reason``) unless ``override_reason`` says why; the override is kept on the movement and audited.

    Receipts are recorded by counting a shipment in (``POST /shipments/{id}/receipts``), so ``receipt`` is
    refused here with 422.
    """
    user = actor(request)
    hub = _hub_ledger(user, payload.hub)
    item = resolve_refs(user, {"item": payload.item}, {"item": Item})["item"]
    movement = record_movement(actor=user, hub=hub, item=item, kind=payload.kind, quantity=payload.quantity,
                               reason=payload.reason, note=payload.note, override_reason=payload.override_reason)
    return Status(201, movement)


@router.get("/hubs/{hub_id}/stock", response={200: list[HubStockOut], **READ_ERRORS})
@paginated
def hub_stock(request: HttpRequest, hub_id: int) -> Any:
    """On hand, reserved for allocations still to be sent on, and free (on hand − reserved) per item, by item code."""
    hub = _hub_ledger(actor(request), hub_id)
    reserved = (StockMovement.objects.filter(hub=OuterRef("hub"), item=OuterRef("item"), allocation_line__isnull=False)
                .order_by().values("item").annotate(units=Sum(StockMovement.objects.delta())).values("units"))
    return (StockBalance.objects.filter(hub=hub).annotate(reserved=Coalesce(Subquery(reserved), 0))
            .order_by("item__code", "item_id"))
