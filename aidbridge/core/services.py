"""Building blocks shared by every app's ``services.py``.

A service function is keyword-only, runs in ``transaction.atomic``, checks the actor's rights, validates,
writes, and appends exactly one audit event in the same transaction. These helpers keep that shape short.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from aidbridge.accounts.principal import Principal, principal
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core.errors import InvalidTransition, NotPermitted, ServiceError

M = TypeVar("M", bound=models.Model)


def actor_principal(actor: Any) -> Principal:
    return principal(actor)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise NotPermitted(message)


def full_clean(obj: models.Model, *, exclude: Iterable[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=list(exclude) if exclude else None)
    except ValidationError as exc:
        raise ServiceError(_messages(exc)) from exc


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def lock(obj: M) -> M:
    """Re-read the row FOR UPDATE, so concurrent services on the same object run one after the other."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


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
    *, actor: Any, obj: M, to: str, action: str, field: str = "status", only_from: Iterable[str] | None = None
) -> M:
    """Move ``obj`` along its ``TRANSITIONS`` table, or refuse with a message that names both states.

    ``only_from`` narrows the table for one user action (committing is only from "announced", although an
    allocation being released also returns a pledge to "committed").
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
    obj.save(update_fields=[field, *(["updated_at"] if hasattr(obj, "updated_at") else [])])
    record_event(actor=actor, action=action, obj=obj, before=before, after=snapshot(obj))
    return obj
