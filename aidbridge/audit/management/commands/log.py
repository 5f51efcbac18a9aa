"""``aidbridge log``: the audit trail's transparency log — checkpoints, proofs, and offline verification."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from aidbridge.audit import log, transparency
from aidbridge.audit.models import AuditEvent


def _read_json(name: str) -> Any:
    try:
        return json.loads(Path(name).read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read {name}: {exc}") from exc


class Command(BaseCommand):
    help = ("Transparency log: `log checkpoint`, `log prove --event ID`, `log consistency OLD NEW`, "
            "`log verify-proof FILE --public-key KEY`, `log public-key`.")
    # verify-proof must work with no database at all: no system checks (they may touch it).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{checkpoint,prove,consistency,verify-proof,public-key}"
        )
        checkpoint = actions.add_parser("checkpoint", help="Sign and store a checkpoint of the whole trail.")
        checkpoint.add_argument("--output", metavar="FILE", help="Also write it to FILE (JSON).")
        prove = actions.add_parser("prove", help="An event's inclusion proof against the latest checkpoint.")
        prove.add_argument("--event", type=int, required=True, metavar="ID", help="The audit event's id.")
        prove.add_argument("--output", metavar="FILE", help="Write the proof to FILE (default: standard output).")
        consistency = actions.add_parser("consistency", help="Prove that checkpoint NEW extends checkpoint OLD.")
        consistency.add_argument("old", help="The older checkpoint file.")
        consistency.add_argument("new", help="The newer checkpoint file.")
        consistency.add_argument("--output", metavar="FILE", help="Write the proof to FILE (default: standard output).")
        verify = actions.add_parser("verify-proof", help="Verify a proof or checkpoint file offline, without a "
                                                         "database.")
        verify.add_argument("file", help="A proof (`log prove`, `log consistency`) or checkpoint file.")
        verify.add_argument("--public-key", required=True, metavar="KEY",
                            help="The log's public key: a PEM file, or the raw key as 64 hex digits.")
        public = actions.add_parser("public-key", help="Print the log's public key.")
        public.add_argument("--hex", action="store_true", help="The raw key in hex instead of PEM.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _write(self, data: dict[str, Any], output: str | None) -> None:
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        if output:
            Path(output).write_text(text)
            self.stdout.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")

    def _checkpoint(self, options: dict[str, Any]) -> None:

        self._write(log.as_dict(log.make_checkpoint()), options["output"])

    def _prove(self, options: dict[str, Any]) -> None:

        event = AuditEvent.objects.filter(pk=options["event"]).first()
        if event is None:
            raise CommandError(f"There is no audit event {options['event']}.")
        latest = log.latest_checkpoint()
        if latest is None or latest.tree_size < log.leaves()[0].index(event.pk) + 1:
            latest = log.make_checkpoint()
        try:
            bundle = log.inclusion_bundle(event, log.as_dict(latest))
        except (log.LogError, transparency.ProofError) as exc:
            raise CommandError(str(exc)) from exc
        self._write(bundle, options["output"])

    def _consistency(self, options: dict[str, Any]) -> None:

        try:
            bundle = log.consistency_bundle(_read_json(options["old"]), _read_json(options["new"]))
        except (log.LogError, transparency.ProofError) as exc:
            raise CommandError(str(exc)) from exc
        self._write(bundle, options["output"])

    def _verify_proof(self, options: dict[str, Any]) -> None:
        key_text = options["public_key"]
        if Path(key_text).is_file():
            key_text = Path(key_text).read_text()
        try:
            message = transparency.verify_bundle(_read_json(options["file"]), transparency.load_public_key(key_text))
        except transparency.ProofError as exc:
            raise CommandError(f"NOT VERIFIED: {exc}") from exc
        self.stdout.write(f"Verified: {message}")

    def _public_key(self, options: dict[str, Any]) -> None:

        key = log.signing_key().public_key()
        if options["hex"]:
            self.stdout.write(transparency.raw_public_key(key).hex())
        else:
            self.stdout.write(transparency.public_key_pem(key), ending="")
