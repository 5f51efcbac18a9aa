"""``aidbridge import KIND FILE``: import a spreadsheet (CSV or XLSX), an IATI activity file or an FTS flow CSV.

    aidbridge import requirements needs.xlsx --as recipient            # commit, all or nothing
    aidbridge import pledges offers.csv --as donor-de --dry-run       # check only: every problem, nothing written
    aidbridge import items catalogue.csv --as coordinator --mapping columns.json --json
    aidbridge import iati activities.xml --as coordinator --dry-run --json
    aidbridge import fts flows.csv --as coordinator

Spreadsheet kinds: requirements, pledges, financial-pledges, items, locations, hubs, courses. ``--mapping`` is a
JSON file (``{"field": "column header", …}``), or the name of a mapping the user's organisation saved in the web
pages; without it, the mapping remembered for the file's header row is used, else the columns named like the
fields. Each row goes through the same service as a hand-made record, as the user named by ``--as`` (by default
the first superuser; without one, ``--as`` is required). A progress
bar goes to stderr (``--quiet``: none); the report goes to stdout, as text or ``--json``.

Exit status: 0 done (or a clean dry run), 1 the file has problems (nothing was written), 2 bad arguments.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aidbridge.core.cli import BAD_INPUT
from aidbridge.core.errors import ServiceError
from aidbridge.core.progress import ProgressBar
from aidbridge.core.requestid import request_id
from aidbridge.interop import fts
from aidbridge.interop.iati import importer as iati
from aidbridge.interop.mappings import named_mapping
from aidbridge.interop.running import import_file
from aidbridge.interop.tabular.kinds import KINDS

OPEN_DATA = ("iati", "fts")
PROBLEMS = 1


class Command(BaseCommand):
    help = ("Import a spreadsheet (requirements, pledges, financial-pledges, items, locations, hubs, courses), an "
            "IATI activity file or an FTS flow CSV. All or nothing; --dry-run only checks.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[*KINDS, *OPEN_DATA], help="What the file holds.")
        parser.add_argument("file", help="The file: .csv or .xlsx (IATI: .xml).")
        parser.add_argument("--mapping", metavar="M", default=None,
                            help="A JSON file {field: column header}, or the name of a saved mapping.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row; write nothing.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--as", dest="username", metavar="USER", default=None,
                            help="The user the rows are written as (their rights apply); default: the first superuser.")
        parser.add_argument("--sheet", default="", help="The workbook's sheet to read (default: the first).")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"There is no file {path}.", returncode=BAD_INPUT)
        actor = self._actor(options["username"])
        with request_id():
            if options["kind"] in OPEN_DATA:
                ok, data, lines = self._open_data(options["kind"], path, actor, options["dry_run"])
            else:
                ok, data, lines = self._sheet(options, path, actor)
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=1, sort_keys=True, default=str))
        else:
            self.stdout.write("\n".join(lines))
        if not ok:
            sys.exit(PROBLEMS)

    def _actor(self, username: str | None) -> Any:
        users = get_user_model().objects.filter(is_active=True)
        if not username:
            # The platform's administrator, when there is one; never an anonymous writer that every row refuses.
            user = users.filter(is_superuser=True).order_by("pk").first()
            if user is None:
                raise CommandError("Name the user the rows are written as, with --as USER: their rights apply and "
                                   "the audit trail names them. (There is no superuser to act as by default.)",
                                   returncode=BAD_INPUT)
            return user
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no active user “{username}”.", returncode=BAD_INPUT)
        return user

    def _mapping(self, value: str | None, kind: str, actor: Any) -> dict[str, str] | None:
        if value is None:
            return None
        path = Path(value)
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"The mapping {path} is not a JSON file: {exc}", returncode=BAD_INPUT) from None
            if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in data.items()):
                raise CommandError(f"The mapping {path} must be a JSON object of field → column header.",
                                   returncode=BAD_INPUT)
            return data
        saved = named_mapping(actor, kind, value)
        if saved is None:
            raise CommandError(f"“{value}” is neither a JSON file nor a mapping your organisation saved for {kind}.",
                               returncode=BAD_INPUT)
        return dict(saved.columns)

    def _bar(self, options: dict[str, Any]) -> ProgressBar | None:
        if options["quiet"]:
            return None
        return ProgressBar(stream=getattr(self.stderr, "_out", sys.stderr))

    def _sheet(self, options: dict[str, Any], path: Path, actor: Any) -> tuple[bool, dict[str, Any], list[str]]:
        kind = options["kind"]
        mapping = self._mapping(options["mapping"], kind, actor)
        if path.stat().st_size > settings.MAX_UPLOAD_BYTES * 10:
            raise CommandError(f"{path} is {path.stat().st_size:,} bytes; the limit is "
                               f"{settings.MAX_UPLOAD_BYTES * 10:,}.", returncode=BAD_INPUT)
        bar = self._bar(options)
        try:
            with path.open("rb") as stream:
                report = import_file(kind=kind, stream=stream, actor=actor, filename=path.name, mapping=mapping,
                                     dry_run=options["dry_run"], progress=bar, sheet_name=options["sheet"])
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=BAD_INPUT) from None
        if bar is not None:
            bar.finish(report.summary())
        return report.ok, report.as_dict(), report.lines()

    def _open_data(self, kind: str, path: Path, actor: Any, dry_run: bool) -> tuple[bool, dict[str, Any], list[str]]:
        limit = settings.MAX_UPLOAD_BYTES * 10
        if path.stat().st_size > limit:
            raise CommandError(f"{path} is {path.stat().st_size:,} bytes; the limit is {limit:,}.",
                               returncode=BAD_INPUT)
        content = path.read_bytes()
        run = iati.import_iati if kind == "iati" else fts.import_fts
        try:
            report = run(content, actor=actor, dry_run=dry_run)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=BAD_INPUT) from None
        return bool(report.ok), report.as_dict(), list(report.lines())
