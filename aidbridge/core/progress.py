"""A small text progress bar for command-line work, with no dependency.

On a terminal the bar redraws itself in place::

    [############..................]  42%  pledges

Elsewhere (a log file, a CI job) it prints a plain line each time another 10% is done, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class ProgressBar:
    """``update(done, message)``: ``done`` is a fraction in [0, 1], or a count when ``total`` is given.

    A ``ProgressBar`` is also a ``progress(fraction, message)`` callback, as used by the seed loader and
    by background tasks.
    """

    def __init__(self, total: float | None = None, *, stream: TextIO | None = None, width: int = 30,
                 tty: bool | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty()) if tty is None else tty
        self.fraction = 0.0
        self._last_step = -1
        self._last_len = 0
        self._open = False

    def __call__(self, done: float, message: str = "") -> None:
        self.update(done, message)

    def update(self, done: float, message: str = "") -> None:
        fraction = done / self.total if self.total else done
        self.fraction = min(1.0, max(0.0, fraction))
        if self.tty:
            self._redraw(message)
        else:
            step = int(self.fraction * 10)
            if step > self._last_step:
                self._last_step = step
                self.stream.write(self.render(message) + "\n")
                self.stream.flush()

    def render(self, message: str = "") -> str:
        filled = round(self.fraction * self.width)
        text = f"[{'#' * filled}{'.' * (self.width - filled)}] {round(self.fraction * 100):3d}%"
        return f"{text}  {message}" if message else text

    def finish(self, message: str = "") -> None:
        """Show 100% and end the line."""
        if self.fraction < 1.0 or self.tty:
            self.update(self.total or 1.0, message)
        if self.tty and self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def _redraw(self, message: str) -> None:
        line = self.render(message)
        padding = " " * max(0, self._last_len - len(line))
        self.stream.write("\r" + line + padding)
        self.stream.flush()
        self._last_len = len(line)
        self._open = True


class RowProgress:
    """A ``progress(fraction, message)`` callback that writes a background task's progress to its row, at most
    twice a second, so that a page can poll it. ``fraction`` is mapped into ``[lo, hi]`` and written to the
    row's ``progress`` field (unless ``fraction=False``: the row has only a ``progress_message``)."""

    def __init__(self, model: Any, pk: int, lo: float = 0.0, hi: float = 1.0, *, fraction: bool = True) -> None:
        self.model, self.pk, self.lo, self.hi, self.fraction = model, pk, lo, hi, fraction
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and fraction < 1.0:
            return
        self.last = now
        fields: dict[str, Any] = {"progress_message": str(message)[:200]}
        if self.fraction:
            fields["progress"] = self.lo + (self.hi - self.lo) * min(1.0, max(0.0, float(fraction)))
        self.model.objects.filter(pk=self.pk).update(**fields)
