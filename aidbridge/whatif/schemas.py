"""API shapes for what-if scenarios, their runs and sweeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from aidbridge.core.api import InputSchema, choices_of
from aidbridge.whatif.models import Scenario, Sweep
from aidbridge.whatif.perturbations import describe
from aidbridge.whatif.queries import sweep_progress

PERTURBATIONS_HELP = (
    "Perturbations in their stored form (database ids and dates), e.g. "
    '[{"kind": "withdraw_donor", "donor": 6, "from_date": "2026-04-01", "lose_allocated": true}]. Kinds: '
    "withdraw_donor (donor, from_date|null, lose_allocated), delay_donor (donor, weeks), close_hub (hub, cut, "
    "from_date, to_date), lead_time (leg in: origin|\"*\", hub|\"*\"; leg out: hub|\"*\", destination|\"*\"; "
    "weeks), demand_surge (item or supply_class, share). See docs/whatif.md.")


class ScenarioIn(InputSchema):
    name: str = Field(max_length=120)
    description: str = ""
    perturbations: list[dict[str, Any]] = Field(default_factory=list, description=PERTURBATIONS_HELP)
    threshold: float = Field(0.9, description="P1 coverage (0–1) below which a week is not survived.")
    weeks: int = Field(26, description="Planning horizon in weeks (1–104).")


class ScenarioPatch(InputSchema):
    name: str | None = Field(None, max_length=120)
    description: str | None = None
    perturbations: list[dict[str, Any]] | None = Field(None, description=PERTURBATIONS_HELP)
    threshold: float | None = None
    weeks: int | None = None


class ScenarioOut(Schema):
    id: int
    name: str
    description: str
    perturbations: list[dict[str, Any]]
    described: list[str] = Field(description="Each perturbation in plain words.")
    threshold: float
    weeks: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_described(obj: Scenario) -> list[str]:
        return [describe(p) for p in obj.perturbations or []]


class RunOut(Schema):
    """A run without its result document (``GET /scenarios/runs/{id}`` has it)."""

    id: int
    scenario_id: int | None
    sweep_id: int | None
    name: str
    kind: str = Field(description="For a sweep's run: withdraw_donor or close_hub.")
    target: str = Field(description="For a sweep's run: the donor's organisation id or the hub's code.")
    perturbations: list[dict[str, Any]] = Field(description="As run, in the engine's form (weeks from start_date).")
    start_date: dt.date = Field(description="Monday of week 0.")
    weeks: int
    threshold: float
    status: str = Field(description="queued, running, done or failed.")
    progress: float = Field(description="0 to 1.")
    progress_message: str
    baseline_objective: float | None
    objective: float | None
    bound: float | None
    loss_share: float | None = Field(description="Share (0–1) of the baseline's priority points lost.")
    time_to_survive_week: int | None = Field(
        description="First week whose P1 coverage falls below the threshold; null if none within the horizon.")
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class RunDetailOut(RunOut):
    result: dict[str, Any] | None = Field(description="The aidbridge.whatif-result/1 document, once done.")


class BackfillDonorOut(Schema):
    name: str
    units: int


class BackfillOut(Schema):
    item_code: str
    item_name: str
    week: int
    week_start: dt.date
    units_short: int
    donors: list[BackfillDonorOut] = Field(
        description="Donors that have pledged the item (pledges you may see), with their pledged units.")


SweepKind = choices_of(Sweep.Kind)


class SweepIn(InputSchema):
    kind: SweepKind = Field(description="donors (each donor withdraws) or hubs (each hub closes).")  # type: ignore[valid-type]
    from_date: dt.date | None = Field(
        None, description="Donors withdraw what they have not dispatched by this date; empty: everything not yet "
        "moved.")
    weeks: int = Field(26, description="Planning horizon in weeks (1–104).")
    threshold: float = Field(0.9, description="P1 coverage (0–1) below which a week is not survived.")


class SweepOut(Schema):
    id: int
    kind: str
    from_date: dt.date | None
    start_date: dt.date
    weeks: int
    threshold: float
    status: str = Field(description="queued, running, done or failed.")
    total: int = Field(description="Scenarios in the sweep, known once the baseline is planned.")
    progress: float = Field(description="Finished scenarios over all scenarios (0 to 1).")
    progress_message: str
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_progress(obj: Sweep) -> float:
        return sweep_progress(obj)


class SweepDetailOut(SweepOut):
    result: dict[str, Any] | None = Field(description="The aidbridge.whatif-sweep/1 document, once done.")


class ExposureOut(Schema):
    tornado: dict[str, list[dict[str, Any]]] = Field(
        description="Per sweep kind (donors, hubs): loss share when each one drops out, largest first (coordinators "
        "and auditors).")
    single_points_of_failure: list[dict[str, Any]] = Field(
        description="Items whose P1 coverage falls by more than half when one donor or hub drops out.")
    concentration: dict[str, list[dict[str, Any]]] = Field(
        description="Donor HHI and largest share per item, supply class and package, by units, value and points.")
    own: dict[str, Any] | None = Field(description="For a donor liaison: its own exposure; null for others.")
