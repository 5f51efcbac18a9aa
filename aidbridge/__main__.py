"""The ``aidbridge`` command.

``aidbridge`` (or ``aidbridge --help``) lists Aidbridge's own commands, one line each. ``aidbridge django …``
runs any of Django's management commands (``aidbridge django --help`` lists them all). A command named
directly, Aidbridge's or Django's (``aidbridge migrate``), runs as before, so scripts keep working.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import IO

from django.db import OperationalError

from aidbridge.core.errors import BUSY_MESSAGE, is_database_busy

PROGRAM = "aidbridge"
HELP_FLAGS = ("-h", "--help", "help")


def own_commands() -> dict[str, str]:
    """Aidbridge's commands (those of its own apps), each with the first sentence of its help."""
    from django.core.management import get_commands, load_command_class

    commands = {}
    for name, app in sorted(get_commands().items()):
        if app == PROGRAM or app.startswith(PROGRAM + "."):
            commands[name] = _first_sentence(load_command_class(app, name).help)
    return commands


def _first_sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return text.split(". ", 1)[0].rstrip(".")


def print_help(stream: IO[str]) -> None:
    commands = own_commands()
    width = max(map(len, commands), default=0)
    lines = [
        f"usage: {PROGRAM} COMMAND [options]",
        "",
        "Aidbridge: coordinate a coalition's assistance. Commands:",
        "",
        *(f"  {name.ljust(width)}  {description}" for name, description in commands.items()),
        "",
        f"`{PROGRAM} COMMAND --help` explains one command.",
        f"Django's own commands (migrate, shell, …) run as `{PROGRAM} django COMMAND`; "
        f"`{PROGRAM} django --help` lists them.",
    ]
    stream.write("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidbridge.settings")
    import django
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (len(args) == 1 and args[0] in HELP_FLAGS):
        django.setup()
        print_help(sys.stdout)
        return
    if args[0] == "django":
        args = args[1:] or ["help"]
        if args == ["--help"] or args == ["-h"]:
            args = ["help"]
    try:
        execute_from_command_line([PROGRAM, *args])
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        sys.stderr.write(BUSY_MESSAGE + "\n")  # nothing was written: the transaction was rolled back whole
        sys.exit(1)


if __name__ == "__main__":
    main()
