from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aidbridge.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools. `aidbridge audit verify` re-checks the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Re-compute every event's hash and link; exit non-zero at the first bad event.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.finding is not None:
            raise CommandError(f"Audit chain broken after {report.verified} good events: {report.finding.message}")
        self.stdout.write(f"{report.verified} events verified")
