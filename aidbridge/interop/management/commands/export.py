"""``aidbridge export iati|fts|hxl [-o FILE]``: the open-data files of the released pledges."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from aidbridge.interop import downloads


class Command(BaseCommand):
    help = ("Export the released pledges (public and disclosed) as open data: `export iati` (IATI 2.03 activity "
            "XML), `export fts` (FTS-style flows, CSV) or `export hxl` (HXL-tagged CSV), to standard output or "
            "`-o FILE`.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=downloads.KINDS, help="iati, fts or hxl.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        file = downloads.render(options["kind"])
        output = options["output"]
        if output:
            try:
                Path(output).write_bytes(file.content)
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror or exc}.") from exc
            for note in file.notes:
                self.stdout.write(note)
            self.stdout.write(f"Wrote {output}.")
        else:
            self.stdout.write(file.content.decode("utf-8"), ending="")
            for note in file.notes:
                self.stderr.write(note)
