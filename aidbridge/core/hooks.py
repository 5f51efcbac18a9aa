"""Hooks: a named point in a service where an app above adds a consequence, inside the same transaction.

Withdrawing a pledge must release its allocations, but ``pledges`` sits below ``allocation`` and may not
import it. So ``pledges.services`` declares a :class:`Hook` at that point and calls it; ``allocation``
registers its function there in ``AppConfig.ready``. The service stays the one entry point (UI, API, CLI and
importers all call it), the consequence runs in its transaction, and each write still records its own audit
event. Unlike Django signals, a hook is a plain object that its caller declares and documents, called with
keyword arguments in registration order; ``registered`` lists what is attached, and reading an app's
``apps.py`` shows everything it attaches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc
        self._functions: list[Callable[..., Any]] = []

    def register(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Attach ``function`` (once; registering it again changes nothing)."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    @property
    def registered(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._functions)

    def __call__(self, **kwargs: Any) -> None:
        for function in self._functions:
            function(**kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._functions)} registered>"
