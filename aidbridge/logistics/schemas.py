"""API shapes for shipments, receipts, proofs of delivery and the hub stock ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from aidbridge.core.api import DbInt, InputSchema, Quantity, Ref, choices_of
from aidbridge.logistics.models import DiscrepancyReason, Shipment, StockMovement
from aidbridge.logistics.queries import received_good

LegChoice = choices_of(Shipment.Leg)
ReasonChoice = Literal[("", *DiscrepancyReason.values)]  # type: ignore[valid-type]
KindChoice = choices_of(StockMovement.Kind)


class ShipmentOut(Schema):
    id: int
    reference: str = Field(description="e.g. SHP-00042")
    leg: str
    status: str
    hub: int = Field(description="Hub id: where an inbound leg ends and an outbound leg starts.")
    hub_code: str
    donor: int | None = Field(description="Inbound legs: the donor organisation id.")
    origin_country: str = Field(description="Inbound legs: withheld (\"\") unless you see its pledges in full.")
    origin_text: str
    destination: int | None = Field(description="Outbound legs: the destination location id.")
    week: dt.date
    expected_arrival: dt.date
    carrier: str
    tracking_reference: str
    generated: bool
    dispatched_at: dt.datetime | None
    arrived_at: dt.datetime | None
    received_at: dt.datetime | None
    notes: str
    created_at: dt.datetime

    @staticmethod
    def resolve_hub(obj: Shipment) -> int:
        return obj.hub_id

    @staticmethod
    def resolve_hub_code(obj: Shipment) -> str:
        return obj.hub.code

    @staticmethod
    def resolve_donor(obj: Shipment) -> int | None:
        return obj.donor_id

    @staticmethod
    def resolve_destination(obj: Shipment) -> int | None:
        return obj.destination_id

    @staticmethod
    def resolve_origin_country(obj: Shipment) -> str:
        return obj.released_origin_country


class ShipmentLineOut(Schema):
    id: int
    item: int
    allocation_line: int
    pledge: int
    quantity: int

    @staticmethod
    def resolve_item(obj: Any) -> int:
        return obj.item_id

    @staticmethod
    def resolve_allocation_line(obj: Any) -> int:
        return obj.allocation_line_id

    @staticmethod
    def resolve_pledge(obj: Any) -> int:
        return obj.allocation_line.pledge_id


class ShipmentEventOut(Schema):
    status: str
    at: dt.datetime
    recorded_by: str
    where: str
    carrier: str
    tracking_reference: str
    note: str

    @staticmethod
    def resolve_recorded_by(obj: Any) -> str:
        return obj.recorded_by.username if obj.recorded_by_id else ""


class ShipmentDetailOut(ShipmentOut):
    lines: list[ShipmentLineOut] = Field(description="The lines you may see.")
    events: list[ShipmentEventOut] = Field(description="The timeline, oldest first.")

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return obj.visible_lines

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return obj.timeline_rows


class LineIn(InputSchema):
    allocation_line: DbInt = Field(description="Allocation line id.")
    quantity: int = Field(ge=1)


class ShipmentIn(InputSchema):
    leg: LegChoice  # type: ignore[valid-type]
    hub: Ref = Field(description="Hub id or code, e.g. PL-RZE.")
    lines: list[LineIn]
    origin_text: str = ""
    week: dt.date | None = Field(None, description="Planned dispatch week (any day of it); default: the earliest.")
    expected_arrival: dt.date | None = None
    carrier: str = ""
    tracking_reference: str = ""
    notes: str = ""


class DispatchIn(InputSchema):
    carrier: str = ""
    tracking_reference: str = ""
    place: str = ""
    note: str = ""


class TrackIn(InputSchema):
    place: str = ""
    carrier: str = ""
    tracking_reference: str = ""
    note: str = ""


class ArriveIn(InputSchema):
    note: str = ""


class CancelIn(InputSchema):
    reason: str


class PickIn(InputSchema):
    line: DbInt = Field(description="Shipment line id.")
    quantity: Quantity = Field(description="Units of that line.")


class SplitIn(InputSchema):
    lines: list[PickIn] = Field(description="The lines, or parts of lines, that move to the new shipment.")
    week: dt.date | None = Field(None, description="The new shipment's dispatch week (any day of it); default: "
                                                   "the same week.")
    note: str = ""


class RemoveLinesIn(InputSchema):
    lines: list[PickIn] = Field(description="The lines, or parts of lines, to take off; they become unplanned.")
    reason: str


class ReceiptLineIn(InputSchema):
    line: DbInt = Field(description="Shipment line id.")
    good: int = Field(0, ge=0)
    damaged: int = Field(0, ge=0)
    lost: int = Field(0, ge=0)
    reason: ReasonChoice = Field("", description="Required when units are damaged or lost.")  # type: ignore[valid-type]
    note: str = ""


class ReceiptIn(InputSchema):
    lines: list[ReceiptLineIn]
    note: str = ""


class ReceiptLineOut(Schema):
    line: int
    good: int
    damaged: int
    lost: int
    reason: str

    @staticmethod
    def resolve_line(obj: Any) -> int:
        return obj.shipment_line_id


class ReceiptOut(Schema):
    id: int
    shipment: int
    received_at: dt.datetime
    location: int
    note: str
    lines: list[ReceiptLineOut]
    status: str = Field(description="The shipment's status after this receipt.")

    @staticmethod
    def resolve_shipment(obj: Any) -> int:
        return obj.shipment_id

    @staticmethod
    def resolve_location(obj: Any) -> int:
        return obj.location_id

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return obj.shipment.status


class ProofOut(Schema):
    id: int
    shipment: int
    signatory: str
    received_at: dt.datetime
    received_good: int = Field(description="Units signed for: counted off the shipment good (not units shipped).")
    has_file: bool
    original_name: str
    content_type: str
    size: int | None
    sha256: str

    @staticmethod
    def resolve_shipment(obj: Any) -> int:
        return obj.shipment_id

    @staticmethod
    def resolve_has_file(obj: Any) -> bool:
        return bool(obj.document)

    @staticmethod
    def resolve_received_good(obj: Any) -> int:
        return received_good(obj.shipment)


class StockMovementIn(InputSchema):
    hub: Ref = Field(description="Hub id or code, e.g. PL-RZE.")
    item: Ref = Field(description="Item id or code, e.g. GEN-100KW.")
    kind: KindChoice  # type: ignore[valid-type]
    quantity: int = Field(description="Units; signed for adjustments.")
    reason: str = Field("", description="Adjustments: damaged|lost|expired|count|other; write-offs: not count.")
    note: str = ""
    override_reason: str = Field("", description="Issues: why units reserved for allocations are taken. Without it "
                                                 "an issue may take only free stock (409 otherwise).")


class StockMovementOut(Schema):
    id: int
    hub: int
    item: int
    kind: str
    quantity: int
    delta: int = Field(description="The effect on on-hand stock.")
    reason: str
    note: str
    override_reason: str = Field(description="Set when an issue took stock reserved for allocations.")
    shipment: int | None
    reverses: int | None
    at: dt.datetime

    @staticmethod
    def resolve_hub(obj: Any) -> int:
        return obj.hub_id

    @staticmethod
    def resolve_item(obj: Any) -> int:
        return obj.item_id

    @staticmethod
    def resolve_shipment(obj: Any) -> int | None:
        return obj.shipment_id

    @staticmethod
    def resolve_reverses(obj: Any) -> int | None:
        return obj.reverses_id


class HubStockOut(Schema):
    item: int = Field(description="Item id.")
    on_hand: int
    reserved: int = Field(description="On-hand units that belong to allocations still to be sent on.")
    free: int = Field(description="On hand − reserved; negative when reserved units are missing.")

    @staticmethod
    def resolve_free(obj: Any) -> int:
        return int(obj.on_hand - obj.reserved)

    @staticmethod
    def resolve_item(obj: Any) -> int:
        return obj.item_id
