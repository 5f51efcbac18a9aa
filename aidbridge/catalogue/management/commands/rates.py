"""``aidbridge rates``: exchange rates from the command line, as the system actor.

::

    aidbridge rates import eurofxref-hist.csv [--dry-run] [--json]
    aidbridge rates set USD 2026-12-04 1.0555

``import`` reads either ECB layout (the daily ``eurofxref.csv`` or the history ``eurofxref-hist.csv``, or the zip
the ECB serves each in); a file
with any unreadable cell is refused whole, each problem named by row and column, and the exit status is 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aidbridge.catalogue import services
from aidbridge.core.cli import BAD_INPUT, date_arg
from aidbridge.core.errors import ServiceError
from aidbridge.core.requestid import request_id


class Command(BaseCommand):
    help = ("Exchange rates (units of a currency per euro): `rates import FILE` reads an ECB reference-rate CSV, "
            "`rates set CUR DATE RATE` enters one rate.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{import,set}")
        load = sub.add_parser("import", help="Import eurofxref(-hist).zip or the CSV inside it; all or nothing.")
        load.add_argument("file", help="The CSV file.")
        load.add_argument("--dry-run", action="store_true", help="Check and count; write nothing.")
        load.add_argument("--json", action="store_true", help="Print the report as JSON.")
        one = sub.add_parser("set", help="Enter (or correct) one rate.")
        one.add_argument("currency", help="ISO 4217 code, e.g. USD.")
        one.add_argument("date", type=date_arg, help="The day of the rate, YYYY-MM-DD.")
        one.add_argument("rate", help="Units of the currency per euro, e.g. 1.0555.")

    def handle(self, *args: Any, **options: Any) -> None:
        with request_id():
            if options["action"] == "import":
                self._import(options)
            else:
                self._set(options)

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            size = path.stat().st_size
            if size > settings.MAX_UPLOAD_BYTES:
                raise CommandError(f"{path} is {size:,} bytes; the limit is {settings.MAX_UPLOAD_BYTES:,}.",
                                   returncode=BAD_INPUT)
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}", returncode=BAD_INPUT) from exc
        try:
            report = services.import_ecb_rates(actor=None, content=content, filename=path.name,
                                               dry_run=options["dry_run"])
        except services.RatesFileRefused as exc:
            self._print(exc.report, options["json"])
            raise CommandError("Nothing was imported.", returncode=BAD_INPUT) from exc
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=BAD_INPUT) from exc
        self._print(report, options["json"])

    def _print(self, report: services.RatesReport, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=1, ensure_ascii=False))
        else:
            for line in report.lines():
                self.stdout.write(line)

    def _set(self, options: dict[str, Any]) -> None:
        try:
            rate = services.set_exchange_rate(actor=None, currency=options["currency"], date=options["date"],
                                              per_euro=options["rate"])
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=BAD_INPUT) from exc
        self.stdout.write(str(rate))
