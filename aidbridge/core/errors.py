"""Errors raised by service functions. Every front door (UI, API, CLI, importers) maps them the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ServiceError(Exception):
    """A change was refused. Nothing was written.

    ``errors`` maps a field name (or ``"__all__"``) to a list of human-readable messages.
    """

    status_code = 422

    def __init__(self, message: str | Mapping[str, Sequence[str] | str], *, field: str | None = None) -> None:
        if isinstance(message, Mapping):
            self.errors = {k: [v] if isinstance(v, str) else list(v) for k, v in message.items()}
        else:
            self.errors = {field or "__all__": [message]}
        super().__init__(self.message)

    @property
    def message(self) -> str:
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
