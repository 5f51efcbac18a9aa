"""Errors raised by service functions. Every front door (UI, API, CLI, importers) maps them the same way."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from django.db import OperationalError, connection
from django.utils.functional import Promise

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    Text = str | StrPromise  # a message, possibly a lazy translation

P = ParamSpec("P")
R = TypeVar("R")



def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogues (makemessages finds ``gettext_noop`` calls by name) without asking
    Django: the ``aidbridge`` command imports this module before the settings are configured, and Django's
    own ``gettext_noop`` reads them."""
    return message


BUSY_MESSAGE = gettext_noop("The database is busy; try again.")  # gettext() it where a page shows it


class ServiceError(Exception):
    """A change was refused. Nothing was written.

    ``errors`` maps a field name (or ``"__all__"``) to a list of human-readable messages.
    """

    status_code = 422

    def __init__(self, message: Text | Mapping[str, Sequence[Text] | Text], *, field: str | None = None) -> None:
        # Messages may be lazy translations (``gettext_lazy``): each is made text here, in the active language.
        if isinstance(message, Mapping):
            self.errors = {k: [str(v)] if isinstance(v, str | Promise) else [str(m) for m in v]
                           for k, v in message.items()}
        else:
            self.errors = {field or "__all__": [str(message)]}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The messages for a person reading a page or a terminal: no internal field names.

        Each message is a sentence that says what it is about; a form shows field messages beside their field.
        """
        return " ".join("; ".join(messages) for messages in self.errors.values())

    @property
    def detail(self) -> str:
        """The messages for an API client, each prefixed by the field (the API's own name for it) it is about."""
        parts = []
        for field, messages in self.errors.items():
            text = "; ".join(messages)
            parts.append(text if field == "__all__" else f"{field}: {text}")
        return " ".join(parts)


class InvalidTransition(ServiceError):
    """The object's current status does not allow the requested transition."""

    status_code = 409


class Conflict(ServiceError):
    """The change lost a race or would break an invariant (for example over-allocation). Try again."""

    status_code = 409


class NotPermitted(ServiceError):
    """The actor may see the object but may not make this change."""

    status_code = 403


def is_database_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked": another writer held the database longer than the busy timeout.

    Nothing was written (the transaction was rolled back whole), so the person can simply try again.
    PostgreSQL waits on row locks instead and never raises this.
    """
    return isinstance(exc, OperationalError) and connection.vendor == "sqlite" and "locked" in str(exc).lower()


def busy_as_conflict(func: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLite's "database is locked" into a ``Conflict`` the caller can act on, instead of a crash.

    Goes outside ``transaction.atomic``: with IMMEDIATE transactions the losing writer fails when it begins,
    and the whole transaction must be gone before the caller is told to try again. The web UI, the API and
    the command line apply the same mapping at their boundary, so it holds for every service.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            if is_database_busy(exc):
                raise Conflict(BUSY_MESSAGE) from exc
            raise

    return wrapper
