from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aidbridge.audit.verify import Report, verify_chain, verify_checkpoints


class Command(BaseCommand):
    help = "Audit trail tools. `aidbridge audit verify` re-checks the hash chain (and signed checkpoints)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Re-compute every event's hash and link; exit non-zero at the first "
                                               "bad event.")
        verify.add_argument("--checkpoint", nargs="+", default=[], metavar="FILE",
                            help="Signed checkpoint files (`aidbridge log checkpoint`) the trail must still extend.")

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoints = []
        for name in options["checkpoint"]:
            try:
                checkpoints.append(json.loads(Path(name).read_text()))
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the checkpoint {name}: {exc}") from exc
        report = verify_chain()
        if report.finding is not None:
            raise CommandError(f"Audit chain broken after {report.verified} good events: {report.finding.message}")
        if checkpoints:
            finding = verify_checkpoints(checkpoints)
            if finding is not None:
                raise CommandError(f"Audit trail does not extend the checkpoints: {finding.message}")
            self.stdout.write(f"{report.verified} events verified ({_rate(report)}); the trail extends "
                              f"{len(checkpoints)} checkpoint(s)")
            return
        self.stdout.write(f"{report.verified} events verified ({_rate(report)})")


def _rate(report: Report) -> str:
    return f"{report.seconds:.1f} s, {report.per_second:,.0f} events/s"
