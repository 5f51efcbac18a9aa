"""Building blocks shared by every app's ``services.py`` that know nothing of users or the trail.

A service function is keyword-only, runs in ``transaction.atomic``, checks the actor's rights, validates,
writes, and appends exactly one audit event in the same transaction. These helpers keep that shape short;
the audited writes themselves (``create``, ``update``, ``transition``) are in ``aidbridge.audit.writes``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from aidbridge.core.errors import NotPermitted, ServiceError

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

M = TypeVar("M", bound=models.Model)


def require(condition: bool, message: str | StrPromise) -> None:
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
