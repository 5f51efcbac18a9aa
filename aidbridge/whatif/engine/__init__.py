"""The what-if engine: scenarios re-planned by the allocation optimiser (no Django, no database).

A scenario is the baseline (an allocation instance and its plan) plus perturbations (:mod:`.perturb`): a
donor withdraws or delays, a hub closes or loses capacity, a route slows down, demand surges. The engine
re-plans the scenario warm from the baseline with an exact bound (:mod:`.replan`), compares it with the
baseline (:mod:`.metrics`), and runs sweeps where each donor or each hub drops out in turn (:mod:`.sweep`).
:mod:`.concentration` measures how concentrated supply is among donors (HHI, largest share).
Formats and definitions: docs/whatif.md.
"""

from __future__ import annotations

from .metrics import compare, coverage_by_week, figures
from .perturb import KINDS, Change, PerturbationError, apply, validate_perturbations
from .replan import DEFAULT_TIME_LIMIT, Baseline, item_bounds, prepare_baseline, replan
from .sweep import (
    RESULT_SCHEMA,
    SWEEP_KINDS,
    SWEEP_SCHEMA,
    replan_scenario,
    run_scenario,
    run_sweep,
    scenario_instance,
    summarise_sweep,
    sweep_targets,
    target_name,
)

__all__ = [
    "DEFAULT_TIME_LIMIT", "KINDS", "RESULT_SCHEMA", "SWEEP_KINDS", "SWEEP_SCHEMA", "Baseline", "Change",
    "PerturbationError", "apply", "compare", "coverage_by_week", "figures", "item_bounds", "prepare_baseline",
    "replan", "replan_scenario", "run_scenario", "run_sweep", "scenario_instance", "summarise_sweep", "sweep_targets",
    "target_name", "validate_perturbations",
]
