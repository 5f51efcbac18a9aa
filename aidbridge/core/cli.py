"""What Aidbridge's own commands share: their exit status for bad input, and argument types."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentTypeError

BAD_INPUT = 2  # the exit status of a command given arguments or a file it cannot use


def date_arg(text: str) -> dt.date:
    """An ``argparse`` type: a date written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None
