"""``aidbridge ledger verify``: re-check every logistics invariant over the whole database, against the audit log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aidbridge.logistics.invariants import verify


class Command(BaseCommand):
    help = ("Stock ledger tools. `aidbridge ledger verify` re-checks hub ledgers, shipments and allocations, and "
            "compares them with the audit log, each check a query returning only what breaks (on PostgreSQL, in "
            "parallel).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Re-check every invariant; exit non-zero naming each violation.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify()
        if not report.ok:
            for violation in report.violations:
                self.stderr.write(violation)
            raise CommandError(f"{len(report.violations)} violation(s) found.")
        self.stdout.write(report.summary)
