"""Who is asking, for the layers below ``accounts``.

The accounts app alone turns a user into rights (``accounts.principal``). Two layers sit below it and still
need a few of those rights: ``core`` (reference data is coalition-only; generic views hand each view its
user's principal) and ``audit`` (who may read the trail). They ask :func:`viewer`, and ``AccountsConfig.ready``
registers ``accounts.principal.principal`` here at start-up. This is an explicit dependency inversion, in
the manner of Django's ``get_user_model()``: the rules still live once, in accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class Viewer(Protocol):
    """The rights that code below ``accounts`` reads (``accounts.principal.Principal`` provides them all)."""

    @property
    def organisation_id(self) -> int | None: ...

    @property
    def sees_everything(self) -> bool: ...

    @property
    def sees_coalition(self) -> bool: ...

    @property
    def is_coordinator(self) -> bool: ...

    @property
    def oversees(self) -> bool: ...


_resolver: list[Callable[[Any], Any]] = []


def register(resolver: Callable[[Any], Viewer]) -> None:
    """Install the function that turns a user (or None, or an anonymous user) into its rights."""
    _resolver[:] = [resolver]


def viewer(user: Any) -> Any:
    """The registered resolver's answer for ``user`` (an ``accounts.principal.Principal``)."""
    if not _resolver:
        raise ImproperlyConfigured("No rights resolver is registered: is aidbridge.accounts in INSTALLED_APPS?")
    return _resolver[0](user)


def scope(user: Any) -> tuple[Any, ...]:
    """What decides which records ``user`` may see: organisation, its kind and membership of the coalition,
    the role, and whether the user sees everything (auditor, superuser). Anonymous users share one scope.
    Values cached for a viewer (``aidbridge.audit.cache``, ``aidbridge.core.versioned``) are keyed with it."""
    p = viewer(user)
    return ("org", getattr(p, "organisation_id", None), getattr(p, "org_kind", None),
            bool(getattr(p, "in_coalition", False)), getattr(p, "role", None), bool(p.sees_everything))
