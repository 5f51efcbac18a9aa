"""Aidbridge allocation solver (no Django).

Public API: :class:`Instance`, :class:`Plan`, :class:`Flow`, :func:`load_instance`,
:func:`dump_plan`, :func:`solve`, :func:`evaluate`, :class:`InstanceError`, :func:`generate`.
"""
from __future__ import annotations

from .api import METHODS, solve
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
    "INSTANCE_SCHEMA", "METHODS", "PLAN_SCHEMA", "Flow", "Hub", "Instance", "InstanceError", "Item",
    "Package", "Plan", "Pledge", "Requirement", "dump_instance", "dump_plan", "generate",
    "load_instance", "load_plan", "solve",
]
