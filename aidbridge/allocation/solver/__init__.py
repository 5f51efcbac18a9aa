"""Aidbridge allocation solver (no Django, no database).

Public API: :class:`Instance`, :class:`Plan`, :class:`Flow`, :func:`load_instance`,
:func:`dump_plan`, :func:`solve`, :func:`evaluate`, :class:`InstanceError`, :func:`generate`.

Formats are those of docs/allocation.md (``aidbridge.allocation-instance/1`` and
``aidbridge.allocation-plan/1``), validated on load (``InstanceError`` names the bad entry).

Extension: ``"fixed_flows"``. An instance may carry an optional key ``"fixed_flows"``: a list of
flows in plan format that are already approved or shipped. They are fixed inputs: each must obey
rules 1-5, together they must fit rules 6-7 (else ``InstanceError``); they consume pledge
quantity, requirement quantity and hub-week capacity, count in the objective (and in
``evaluate``, since they are part of the plan), and are returned unchanged at the head of
``Plan.flows``. A package that contains a requirement with a fixed flow must be completed; if it
cannot be, the plan has status ``"infeasible"`` and holds just the fixed flows.

Extension: ``"reserved_t"`` (``{hub: {week: tonnes}}``): hub capacity already taken by other allocations.
Fixed flows and reserved tonnes may overfill a hub-week: the solver then plans that hub-week as full and lists
it in ``stats["overloaded"]``; ``evaluate`` refuses only new flows there. If the optimal method fails, the
greedy plan is returned with ``stats["fallback"]`` (a plain-language reason). See docs/allocation.md.

Methods: ``solve(instance, "greedy")`` is the docs/allocation.md baseline (:mod:`.greedy`).
``solve(instance, "optimal")`` prices (pledge, requirement) pairs over hubs and weeks in numpy
(:mod:`.pricing`). Small instances: pair-level column generation on the LP with HiGHS
(:mod:`.optimal`, whose docstring gives the formulation). Large ones: Lagrangian relaxation of
the hub-week capacity rows (bound from one transport LP) and price-guided integer repair rounds
(:mod:`.lagrange`); without a tight time limit (>= 30 s left) a Dantzig-Wolfe decomposition by
item (:mod:`.dw`) then refines the plan and the bound. LP solutions are made integral by
:mod:`.integer`. The plan's ``bound`` is a proven upper bound (Lagrangian / LP dual bound).
"""

from __future__ import annotations

from .api import METHODS, solve
from .evaluate import Evaluation, evaluate
from .generator import generate
from .model import (
    INSTANCE_SCHEMA,
    PLAN_SCHEMA,
    Flow,
    Hub,
    Instance,
    InstanceError,
    Item,
    Package,
    Plan,
    Pledge,
    Requirement,
    dump_instance,
    dump_plan,
    load_instance,
    load_plan,
)

__all__ = [
    "INSTANCE_SCHEMA", "METHODS", "PLAN_SCHEMA", "Evaluation", "Flow", "Hub", "Instance", "InstanceError",
    "Item", "Package", "Plan", "Pledge", "Requirement", "dump_instance", "dump_plan", "evaluate",
    "generate", "load_instance", "load_plan", "solve",
]
