"""``aidbridge training plan``: plan course seats, on an instance file or on the database.

On a file (no database needed)::

    aidbridge training plan --input instance.json --output plan.json [--method mip|first-come] [--time-limit S|none]

On the database::

    aidbridge training plan --database [--method optimal|first_come] [--time-limit S|none] [--start-date YYYY-MM-DD]
                            [--output plan.json]

``--database`` records a seat plan run (audited, as the system actor) and executes it here, like
``aidbridge whatif run --scenario``; a coordinator then reviews and approves it (page or API). The plan
(``aidbridge.seat-plan/1``) goes to ``--output`` when given. A progress bar goes to stderr (``--quiet``: none).
Exit status: 0 done; 1 the run failed; 2 bad input; 3 (file mode) the MIP failed and first-come stands in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from aidbridge.core.cli import BAD_INPUT, date_arg
from aidbridge.core.errors import ServiceError
from aidbridge.core.progress import ProgressBar
from aidbridge.core.requestid import request_id
from aidbridge.training import services, tasks
from aidbridge.training.models import SeatPlanRun
from aidbridge.training.planner import cli


class Command(BaseCommand):
    help = "Training: `aidbridge training plan` plans course seats for training requests (docs/training.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        plan = sub.add_parser("plan", help="Plan course seats, on an instance file or on the database.")
        source = plan.add_mutually_exclusive_group(required=True)
        source.add_argument("--input", metavar="FILE", help="An instance file (aidbridge.seat-instance/1).")
        source.add_argument("--database", action="store_true",
                            help="Record and execute a seat plan run over the database's current state.")
        plan.add_argument("--output", metavar="FILE", help="Where to write the plan (required with --input).")
        plan.add_argument("--method", default=None,
                          help="File: mip (default) or first-come. Database: optimal (default) or first_come.")
        plan.add_argument("--time-limit", type=cli.time_limit_arg, default=cli.DEFAULT_TIME_LIMIT, metavar="S|none",
                          help=f"Seconds the MIP may take (default: {cli.DEFAULT_TIME_LIMIT:g}); 'none': no limit.")
        plan.add_argument("--start-date", type=date_arg, default=None, help="Database: day 0 (default: today).")
        plan.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["input"]:
            self._file(o)
        else:
            self._database(o)

    def _file(self, o: dict[str, Any]) -> None:
        if not o["output"]:
            raise CommandError("--input needs --output FILE.", returncode=BAD_INPUT)
        if o["start_date"] is not None:
            raise CommandError("--start-date is for --database; an instance file has its own days.",
                               returncode=BAD_INPUT)
        argv = ["--input", o["input"], "--output", o["output"], "--method", o["method"] or "mip",
                "--time-limit", "none" if o["time_limit"] is None else str(o["time_limit"])]
        if o["quiet"]:
            argv.append("--quiet")
        try:
            status = cli.main(argv)
        except SystemExit as exc:  # argparse refused an option
            raise CommandError(f"Invalid option: {exc}", returncode=BAD_INPUT) from exc
        if status:
            raise CommandError(f"Planning ended with exit status {status} (see above).", returncode=status)

    def _database(self, o: dict[str, Any]) -> None:
        method = {"mip": "optimal", "first-come": "first_come"}.get(o["method"] or "", o["method"] or "optimal")
        with request_id():
            try:
                with transaction.atomic():
                    run = services.start_seat_plan(actor=None, method=method, time_limit=o["time_limit"],
                                                   start_date=o["start_date"], enqueue=False)
            except ServiceError as exc:
                raise CommandError(exc.message, returncode=BAD_INPUT) from exc
            bar = None if o["quiet"] else ProgressBar(stream=getattr(self.stderr, "_out", sys.stderr))
            tasks.execute(run.pk, progress=bar)
            if bar is not None:
                bar.finish("done")
        run.refresh_from_db()
        if run.status != SeatPlanRun.Status.DONE:
            first = run.error.splitlines()[0] if run.error else ""
            raise CommandError(f"Seat plan #{run.pk} failed: {first}")
        if o["output"]:
            try:
                Path(o["output"]).write_text(json.dumps(run.plan, indent=1, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {o['output']}: {exc.strerror or exc}", returncode=BAD_INPUT) from exc
        seats = sum(int(a["seats"]) for a in (run.plan or {}).get("assignments", []))
        self.stdout.write(f"seat plan #{run.pk}: status={run.plan_status} objective={run.objective:.6g} "
                          f"first_come={run.baseline_objective:.6g} seats={seats}; review and approve it "
                          "on its page or at /api/v1/seat-plans/{id}/approve.".replace("{id}", str(run.pk)))
