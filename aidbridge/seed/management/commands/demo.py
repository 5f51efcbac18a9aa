"""``aidbridge demo``: a working coalition in one command: migrate, load the seed scenario, serve."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from aidbridge.core.management.commands.serve import add_server_arguments, exit_if_port_in_use, run_server
from aidbridge.core.management.tables import format_table
from aidbridge.core.progress import ProgressBar
from aidbridge.core.requestid import request_id
from aidbridge.seed import scenario


class Command(BaseCommand):
    help = (
        "Run the demo: apply migrations, load the seed scenario (once), print the demo logins and serve "
        "Aidbridge on 127.0.0.1:8000. The demo passwords are for this demo only."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Prepare the database and stop; do not serve.")
        parser.add_argument("--reset", action="store_true",
                            help="Delete the embedded SQLite database first and start afresh.")
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_serve"]:  # before migrating and loading, not after a minute's work
            exit_if_port_in_use(options["host"], options["port"], self.stderr)
        if options["reset"]:
            self._reset()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        with request_id():
            if scenario.is_loaded():
                self.stdout.write("The demo scenario is already loaded; skipping (use --reset to start afresh).")
            else:
                self.stdout.write("Loading the demo scenario…")
                # The raw stream: OutputWrapper would end every redraw with a newline.
                bar = ProgressBar(stream=getattr(self.stderr, "_out", sys.stderr))
                summary = scenario.load(progress=bar)
                bar.finish("done")
                for line in summary.lines():
                    self.stdout.write(line)
                self.stdout.write(f"Loaded in {summary.seconds:.1f} s.")
        self.stdout.write("")
        self.stdout.write("Demo logins (demo only: everyone shares one password; never use it for real data):")
        for line in format_table(("username", "persona", "organisation", "password"), scenario.demo_logins()):
            self.stdout.write("  " + line)
        self.stdout.write("")
        if options["no_serve"]:
            self.stdout.write("Ready. Start the server with: aidbridge serve")
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        run_server(host=options["host"], port=options["port"], threads=options["threads"], stdout=self.stdout,
                   worker=not options["no_worker"], workers=options["workers"])

    def _reset(self) -> None:
        connection = connections["default"]
        name = str(connection.settings_dict["NAME"])
        if connection.vendor != "sqlite" or connection.is_in_memory_db():  # type: ignore[attr-defined]
            raise CommandError(
                "--reset only deletes the embedded SQLite database file. For PostgreSQL, drop and re-create the "
                "database yourself (or run `aidbridge flush`)."
            )
        connections.close_all()
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        self.stdout.write(f"Deleted {name}.")
