"""API shapes for allocation lines."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from aidbridge.allocation.models import AllocationRun
from aidbridge.core.api import InputSchema, Ref, choices_of
from aidbridge.locations.schemas import HubRef
from aidbridge.pledges.schemas import PledgeRef
from aidbridge.requirements.schemas import RequirementRef


class AllocationOut(Schema):
    id: int
    pledge: PledgeRef
    requirement: RequirementRef
    hub: HubRef
    quantity: int
    in_transit_quantity: int
    delivered_quantity: int
    dispatch_week: dt.date | None = Field(description="Monday of the planned hub dispatch week.")
    created_at: dt.datetime


class AllocationIn(InputSchema):
    pledge: Ref = Field(description="Pledge id or reference, e.g. PLG-00431 (committed or allocated).")
    requirement: Ref = Field(description="Requirement id or reference, e.g. REQ-00031 (validated).")
    hub: Ref = Field(description="Hub id or code, e.g. PL-RZE: reachable from the pledge's origin and serving the "
                     "destination.")
    quantity: int
    dispatch_week: dt.date | None = Field(
        None, description="Monday of the planned hub dispatch week: this week or later, and no earlier than the "
        "pledge's available date plus the lead time from its origin to the hub. Empty: not yet scheduled.")
    override_capacity: bool = Field(
        False, description="Allocate even though the hub's capacity in the dispatch week would be exceeded.")
    override_reason: str = Field("", max_length=500, description="Why the capacity is overridden (required with "
                                 "override_capacity); recorded in the audit event.")


RunMethod = choices_of(AllocationRun.Method)


class AllocationRunIn(InputSchema):
    method: RunMethod = Field(  # type: ignore[valid-type]
        "optimal", description="optimal (HiGHS) or greedy (the hand-matching rule).")
    weeks: int = Field(26, description="Planning horizon in weeks (1–104).")
    time_limit: float | None = Field(60.0, description="Seconds the optimiser may take (0–3600]; null for no limit.")


class OverloadOut(Schema):
    hub: str
    week: int
    load_t: float
    capacity_t: float


class AllocationRunOut(Schema):
    """A run without its instance and plans (download those from the review page)."""

    id: int
    status: str = Field(description="queued, running, done, failed or approved.")
    method: str
    start_date: dt.date = Field(description="Monday of week 0 of the plan.")
    weeks: int
    time_limit: float | None
    progress: float = Field(description="0 to 1.")
    progress_message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_seconds: float | None
    plan_status: str = Field(description="optimal, feasible, infeasible or error: the solver's own verdict.")
    objective: float | None = Field(description="Priority points the plan earns (independently re-checked).")
    bound: float | None = Field(description="Proven upper bound on the objective, in priority points.")
    gap: float | None = Field(description="(bound − objective) / bound.")
    greedy_objective: float | None = Field(description="Priority points of the greedy hand-matching baseline.")
    fallback: str | None = Field(
        description="Why the optimal method failed and the greedy plan is used instead; null when it did not.")
    error: str
    approved_at: dt.datetime | None


class AllocationRunDetailOut(AllocationRunOut):
    stale: bool = Field(description="A finished plan whose inputs changed, or whose weeks passed: not approvable.")
    stale_reasons: list[str] = Field(description="Why the plan is stale, in plain words.")
    overloaded: list[OverloadOut] = Field(
        description="Hub-weeks whose existing allocations already exceed capacity; the run planned around them.")


class AllocationRunApproved(AllocationRunOut):
    lines: int = Field(description="Allocation lines the approval wrote.")
