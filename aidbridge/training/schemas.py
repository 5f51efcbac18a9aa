"""API shapes for courses, training requests, enrolments and seat plan runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from aidbridge.accounts.schemas import OrganisationRef
from aidbridge.catalogue.models import Item
from aidbridge.catalogue.schemas import ItemRef
from aidbridge.core.api import InputSchema, Ref, choices_of, patch_schema
from aidbridge.core.models import Releasability
from aidbridge.locations.schemas import LocationRef
from aidbridge.requirements.models import Requirement
from aidbridge.training.models import TRAINEE_REF_HELP, SeatPlanRun

ReleasabilityChoice = choices_of(Releasability)
SupplyClass = choices_of(Item.SupplyClass)
Priority = choices_of(Requirement.Priority)
Method = choices_of(SeatPlanRun.Method)


class CourseRef(Schema):
    id: int
    reference: str
    title: str


class CourseOut(Schema):
    id: int
    reference: str = Field(description="e.g. CRS-00012")
    provider: OrganisationRef
    title: str
    location: LocationRef
    start_date: dt.date
    end_date: dt.date
    seats: int
    assigned: int = Field(description="Seats given to training requests by approved seat plans.")
    free_seats: int
    language: str = Field(description="ISO 639-1")
    qualifies_item: ItemRef | None
    qualifies_class: str = Field(description="NATO supply class, when the course qualifies a class.")
    prerequisites: list[CourseRef]
    status: str = Field(description="offered, confirmed, running, completed or cancelled.")
    releasability: str
    disclosure_date: dt.date | None
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_prerequisites(obj: Any) -> list[Any]:
        return sorted(obj.prerequisites.all(), key=lambda c: c.pk)  # prefetched by the API's queryset


class CourseIn(InputSchema):
    title: str
    location: Ref = Field(description="Location id or UN/LOCODE, e.g. “DE WIB”.")
    start_date: dt.date
    end_date: dt.date
    seats: int = Field(ge=1, le=10_000)
    language: str = Field(description="ISO 639-1, e.g. “en”, “de”, “pl”, “uk”.")
    qualifies_item: Ref | None = Field(None, description="Item id or code; or give qualifies_class.")
    qualifies_class: SupplyClass | None = Field(None, description="NATO supply class; or give qualifies_item.")  # type: ignore[valid-type]
    prerequisites: list[Ref] = Field(default_factory=list, description="Course ids or references (CRS-…).")
    releasability: ReleasabilityChoice = "coalition"  # type: ignore[valid-type]
    disclosure_date: dt.date | None = None
    notes: str = ""
    provider: Ref | None = Field(None, description="Donor id or short name; defaults to your own organisation.")


CoursePatch = patch_schema(CourseIn, "CoursePatch", exclude=("provider",))


class TrainingRequestOut(Schema):
    id: int
    reference: str = Field(description="e.g. TRQ-00007")
    recipient: OrganisationRef
    requirement: Any = Field(None, description="The linked requirement ({id, reference}), if any.")
    item: ItemRef
    crew_size: int
    crews: int
    trainees: int
    language: str
    latest_date: dt.date | None = Field(description="Needed by; null: the equipment's planned arrival.")
    priority: int
    status: str = Field(description="draft, submitted, validated, closed or cancelled.")
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_requirement(obj: Any) -> dict[str, Any] | None:
        r = obj.requirement
        return None if r is None else {"id": r.pk, "reference": r.reference}


class TrainingRequestIn(InputSchema):
    requirement: Ref | None = Field(None, description="Requirement id or reference (REQ-…): the default path.")
    item: Ref | None = Field(None, description="Item id or code; taken from the requirement when linked.")
    crew_size: int = Field(ge=1, le=100, description="Trainees per crew.")
    crews: int = Field(ge=1, le=10_000)
    language: str = Field(description="ISO 639-1, e.g. “uk”.")
    latest_date: dt.date | None = Field(None, description="Needed by; empty: the equipment's planned arrival.")
    priority: Priority | None = Field(None, description="Defaults to the requirement's.")  # type: ignore[valid-type]
    notes: str = ""
    recipient: Ref | None = Field(None, description="Recipient id or short name; defaults to your own.")


TrainingRequestPatch = patch_schema(TrainingRequestIn, "TrainingRequestPatch", exclude=("recipient", "requirement"))


class EnrolmentOut(Schema):
    id: int
    request: Any = Field(description="{id, reference} of the training request.")
    course: CourseRef
    trainee_ref: str = Field(description=TRAINEE_REF_HELP)
    status: str = Field(description="enrolled, attended, completed, withdrawn or failed.")
    certificate_ref: str
    completed_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_request(obj: Any) -> dict[str, Any]:
        return {"id": obj.request_id, "reference": obj.request.reference}


class EnrolmentIn(InputSchema):
    request: Ref = Field(description="Training request id or reference (TRQ-…).")
    course: Ref = Field(description="Course id or reference (CRS-…).")
    trainee_ref: str = Field(max_length=32, description=TRAINEE_REF_HELP)


class CompletionIn(InputSchema):
    certificate_ref: str = Field(max_length=64, description="The certificate's reference.")
    completed_on: dt.date | None = Field(None, description="Defaults to today.")


class SeatPlanIn(InputSchema):
    method: Method = Field("optimal", description="optimal (HiGHS) or first_come (the hand rule).")  # type: ignore[valid-type]
    time_limit: float | None = Field(30.0, description="Seconds the optimiser may take (0–3600]; null: no limit.")
    start_date: dt.date | None = Field(None, description="Day 0 of the plan; defaults to today.")


class AssignmentOut(Schema):
    request: str
    course: str
    seats: int


class SeatPlanOut(Schema):
    """A run without its instance (download it from the review page)."""

    id: int
    status: str = Field(description="queued, running, done, failed or approved.")
    method: str
    start_date: dt.date
    time_limit: float | None
    progress: float
    progress_message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_seconds: float | None
    plan_status: str
    objective: float | None = Field(description="Priority-weighted trainees finishing in time (re-checked).")
    bound: float | None
    baseline_objective: float | None = Field(description="The first-come baseline's objective.")
    error: str
    approved_at: dt.datetime | None


class SeatPlanDetailOut(SeatPlanOut):
    assignments: list[AssignmentOut] = Field(description="The plan's seats (fixed ones included).")

    @staticmethod
    def resolve_assignments(obj: Any) -> list[dict[str, Any]]:
        return list((obj.plan or {}).get("assignments", []))


class SeatPlanApproved(SeatPlanOut):
    assignments_written: int = Field(description="Seat assignments the approval wrote.")


class ReadinessOut(Schema):
    key: str
    label: str
    package: str
    priority: int
    status: str = Field(description="ready, at risk, equipment only, crews only or neither.")
    required: int
    delivered: int
    crews_needed: int
    crews_trained: int
    crews_planned: int
    equipment_date: dt.date | None
    training_date: dt.date | None
    ready_date: dt.date | None
    members: list[str] = Field(description="For a package: its requirements.")


class ReadinessListOut(Schema):
    requirements: list[ReadinessOut]
    packages: list[ReadinessOut]
