"""Aidbridge seat planner (pure: stdlib, numpy, HiGHS and the allocation solver's input, file and command-line
helpers; no Django, no database).

Assigns course seats to training requests in whole crews so as to maximise the priority-weighted trainees who
finish, prerequisites included, before their equipment arrives. Formats and rules: docs/training.md, section
"Seat planning" (``aidbridge.seat-instance/1`` in, ``aidbridge.seat-plan/1`` out).

Public API: :class:`Instance`, :class:`Course`, :class:`Request`, :class:`Assignment`, :class:`Plan`,
:class:`InstanceError`, :func:`load_instance`, :func:`dump_instance`, :func:`load_plan`, :func:`dump_plan`,
:func:`solve` (the HiGHS MIP), :func:`first_come` (the baseline), :func:`evaluate` (independent checker) and
:func:`aidbridge.training.planner.cli.main`.
"""

from __future__ import annotations

from .baseline import first_come
from .evaluate import Evaluation, evaluate
from .model import (
    INSTANCE_SCHEMA,
    PLAN_SCHEMA,
    STATUSES,
    Assignment,
    Course,
    Instance,
    InstanceError,
    Plan,
    Request,
    dump_instance,
    dump_plan,
    instance_from_dict,
    load_instance,
    load_plan,
)
from .solve import solve

__all__ = [
    "INSTANCE_SCHEMA", "PLAN_SCHEMA", "STATUSES", "Assignment", "Course", "Evaluation", "Instance",
    "InstanceError", "Plan", "Request", "dump_instance", "dump_plan", "evaluate", "first_come",
    "instance_from_dict", "load_instance", "load_plan", "solve",
]
