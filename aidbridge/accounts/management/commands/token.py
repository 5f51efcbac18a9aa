"""``aidbridge token``: create, list and revoke API tokens from the command line (the system actor)."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import ApiToken
from aidbridge.core import clock
from aidbridge.core.errors import ServiceError
from aidbridge.core.management.tables import format_table
from aidbridge.core.requestid import request_id


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"There is no user called “{username}”.")
    return user


def _prefix(value: str) -> str:
    """Accept the 8-character prefix or the whole secret (``abt_<prefix>_…``)."""
    if value.startswith(accounts.TOKEN_PREFIX):
        value = value[len(accounts.TOKEN_PREFIX):].split("_", 1)[0]
    return value


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class Command(BaseCommand):
    help = "Manage API tokens: `token create --user NAME`, `token list`, `token revoke PREFIX`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="Create a token; its secret is printed once, as the last line.")
        create.add_argument("--user", required=True, help="Username the token acts as.")
        create.add_argument("--name", default="CLI token", help="A label to recognise the token by.")
        create.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ,
                            help="read (default) or read-write.")
        create.add_argument("--expires-days", type=int, metavar="N", help="Expire after N days (default: never).")
        listing = actions.add_parser("list", help="List tokens (prefix, user, scope, dates, state).")
        listing.add_argument("--user", help="Only this user's tokens.")
        revoke = actions.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix", help="The token's prefix, as shown by `token list` (or the whole secret).")

    def handle(self, *args: Any, **options: Any) -> None:
        with request_id():
            getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        user = _user(options["user"])
        expires_at = None
        if options["expires_days"] is not None:
            if options["expires_days"] < 1:
                raise CommandError("--expires-days must be at least 1.")
            expires_at = clock.now() + dt.timedelta(days=options["expires_days"])
        try:
            token, secret = accounts.create_api_token(actor=None, user=user, name=options["name"],
                                                      scope=options["scope"], expires_at=expires_at)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Created token “{token.name}” for {user.get_username()}: prefix {token.prefix}, scope {token.scope}, "
            f"expires {_when(token.expires_at) if token.expires_at else 'never'}."
        )
        self.stdout.write("Copy the secret now; it is not stored and cannot be shown again:")
        self.stdout.write(secret)

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("-created_at")
        if options["user"]:
            tokens = tokens.filter(user=_user(options["user"]))
        rows = []
        now = clock.now()
        for token in tokens:
            state = ("revoked" if token.revoked_at else
                     "expired" if token.expires_at and token.expires_at <= now else "active")
            rows.append((token.prefix, token.user.get_username(), token.name, token.scope, _when(token.created_at),
                         _when(token.expires_at), _when(token.last_used_at), state))
        if not rows:
            self.stdout.write("No tokens.")
            return
        header = ("prefix", "user", "name", "scope", "created", "expires", "last used", "state")
        for line in format_table(header, rows):
            self.stdout.write(line)

    def _revoke(self, options: dict[str, Any]) -> None:
        prefix = _prefix(options["prefix"])
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"There is no token with prefix “{prefix}” (see `aidbridge token list`).")
        try:
            accounts.revoke_api_token(actor=None, token=token)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Revoked token {token.prefix} (“{token.name}”) of {token.user.get_username()}.")
