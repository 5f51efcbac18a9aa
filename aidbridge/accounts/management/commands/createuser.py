"""``aidbridge createuser``: add a login and its membership from the command line (the system actor)."""

from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import Membership, Organisation
from aidbridge.core.errors import ServiceError
from aidbridge.core.requestid import request_id


def find_organisation(short_name: str) -> Organisation:
    organisation = Organisation.objects.filter(short_name=short_name).first()
    if organisation is not None:
        return organisation
    available = list(Organisation.objects.order_by("short_name").values_list("short_name", flat=True))
    if not available:
        raise CommandError(f"Unknown organisation “{short_name}”: there are no organisations yet "
                           "(run `aidbridge demo --no-serve` for the demo coalition).")
    raise CommandError(f"Unknown organisation “{short_name}”. Available: {', '.join(available)}.")


class Command(BaseCommand):
    help = (
        "Create a user with a role in an organisation (identified by its short name). The password comes from "
        "--password, from the first line of standard input (--password-stdin) or from a prompt."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--organisation", metavar="SHORT_NAME",
                            help="Short name of the user's organisation (required unless --superuser).")
        parser.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.VIEWER,
                            help="Role in the organisation (default viewer).")
        parser.add_argument("--email", default="")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument("--password", help="The password (visible in the process list: prefer --password-stdin).")
        secret.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
        parser.add_argument("--superuser", action="store_true", help="Platform superuser: reads and writes everything.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = None
        if options["organisation"]:
            organisation = find_organisation(options["organisation"])
        elif not options["superuser"]:
            raise CommandError("--organisation is required (only a --superuser may have none).")
        password = self._password(options)
        if password:
            try:
                password_validation.validate_password(password)
            except ValidationError as exc:
                raise CommandError("The password was refused: " + " ".join(exc.messages)) from exc
        with request_id():
            try:
                user = accounts.create_user(
                    actor=None, username=options["username"], password=password, organisation=organisation,
                    role=options["role"], email=options["email"], is_superuser=options["superuser"],
                )
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
        where = f"{options['role']} at {organisation.name}" if organisation else "no organisation"
        self.stdout.write(f"Created user “{user.get_username()}” ({where}"
                          f"{', superuser' if options['superuser'] else ''}).")
        if not password:
            self.stdout.write("No password was given, so this user cannot log in until one is set.")

    def _password(self, options: dict[str, Any]) -> str | None:
        if options["password"] is not None:
            return str(options["password"])
        stdin = options.get("stdin") or sys.stdin
        if options["password_stdin"]:
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin read an empty line.")
            return password
        if getattr(stdin, "isatty", lambda: False)():
            first = getpass.getpass("Password: ")
            if first and first != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
            return first or None
        return None
