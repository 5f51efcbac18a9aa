"""Audited writes shared by every app's ``services.py``: create, update and transition, each with its event.

Each runs inside the calling service's transaction and appends exactly one audit event (none for an update
that changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

from aidbridge.audit.services import record_event, snapshot
from aidbridge.core.errors import InvalidTransition, ServiceError
from aidbridge.core.services import full_clean, lock

M = TypeVar("M", bound=models.Model)


def create(*, actor: Any, obj: M, action: str) -> M:
    full_clean(obj)
    obj.save()
    record_event(actor=actor, action=action, obj=obj, after=snapshot(obj))
    return obj


def update(*, actor: Any, obj: M, changes: Mapping[str, Any], editable: Iterable[str], action: str) -> M:
    """Apply ``changes`` (field name → new value) to a locked copy of ``obj`` and audit the difference."""
    editable = set(editable)
    unknown = sorted(set(changes) - editable)
    if unknown:
        raise ServiceError({name: ["This field cannot be changed here."] for name in unknown})
    obj = lock(obj)
    before = snapshot(obj)
    for name, value in changes.items():
        field = obj._meta.get_field(name)
        if value is None and isinstance(field, models.CharField | models.TextField) and not field.null:
            value = ""  # a cleared text field is stored as empty text, never NULL
        setattr(obj, name, value)
    full_clean(obj)
    if _comparable(snapshot(obj)) == _comparable(before):
        return obj  # nothing changed: no write, no event
    obj.save()
    record_event(actor=actor, action=action, obj=obj, before=before, after=snapshot(obj))
    return obj


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "updated_at"}


def transition(
    *, actor: Any, obj: M, to: str, action: str, field: str = "status", only_from: Iterable[str] | None = None,
    also: Mapping[str, Any] | None = None,
) -> M:
    """Move ``obj`` along its ``TRANSITIONS`` table, or refuse with a message that names both states.

    ``only_from`` narrows the table for one user action (committing is only from "announced", although an
    allocation being released also returns a pledge to "committed"). ``also`` sets other fields in the same
    write and event (a financial pledge's ``status_date``).
    """
    obj = lock(obj)
    current = getattr(obj, field)
    allowed = type(obj).TRANSITIONS.get(current, set())  # type: ignore[attr-defined]
    if only_from is not None and current not in set(only_from):
        allowed = {s for s in allowed if s != to}
    if to not in allowed:
        label = obj._meta.verbose_name
        choices = dict(getattr(obj._meta.get_field(field), "choices", None) or [])
        raise InvalidTransition(
            f"Cannot move {label} {obj} from “{choices.get(current, current)}” to “{choices.get(to, to)}”"
            + (f"; from “{choices.get(current, current)}” it can go to: "
               + ", ".join(f"“{choices.get(s, s)}”" for s in sorted(allowed)) + "."
               if allowed else f": “{choices.get(current, current)}” is final."),
            field=field,
        )
    before = snapshot(obj)
    setattr(obj, field, to)
    for name, value in (also or {}).items():
        setattr(obj, name, value)
    obj.save(update_fields=[field, *(also or {}), *(["updated_at"] if hasattr(obj, "updated_at") else [])])
    record_event(actor=actor, action=action, obj=obj, before=before, after=snapshot(obj))
    return obj
