from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from aidbridge.accounts.models import ApiToken, Membership, Organisation, UserPreference
from aidbridge.accounts.principal import forget, principal
from aidbridge.audit import writes
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import ServiceError

ORGANISATION_FIELDS = ("name", "short_name", "kind", "country", "iati_identifier", "in_coalition")
TOKEN_PREFIX = "abt_"


@transaction.atomic
def create_organisation(*, actor: Any, **fields: Any) -> Organisation:
    """Add an organisation. ``actor=None`` is the command line's system actor, which founds the first one."""
    if actor is not None:
        core.require(principal(actor).manages_reference_data,
                     gettext("Only coordinator editors may add organisations."))
    return writes.create(actor=actor, obj=Organisation(**fields), action="organisation.create")


@transaction.atomic
def update_organisation(*, actor: Any, organisation: Organisation, changes: dict[str, Any]) -> Organisation:
    core.require(principal(actor).manages_reference_data, gettext("Only coordinator editors may change organisations."))
    return writes.update(
        actor=actor, obj=organisation, changes=changes, editable=ORGANISATION_FIELDS, action="organisation.update"
    )


@transaction.atomic
def create_user(
    *,
    actor: Any,
    username: str,
    password: str | None,
    organisation: Organisation | None = None,
    role: str = Membership.Role.VIEWER,
    email: str = "",
    is_superuser: bool = False,
) -> AbstractBaseUser:
    """Create a login, optionally with its membership. ``actor=None`` is the command line's system actor.

    Only a superuser (or the system actor: an operator at the command line) may create a superuser; an
    organisation's administrator creates users in its own organisation only.
    """
    if actor is not None:
        p = principal(actor)
        core.require(p.is_admin, gettext("Only administrators may create users."))
        core.require(p.is_superuser or not is_superuser, gettext("Only a superuser may create a superuser."))
        core.require(
            p.is_superuser or (organisation is not None and organisation.pk == p.organisation_id),
            "Administrators may create users in their own organisation only.",
        )
    User = get_user_model()
    if not username:
        raise ServiceError(gettext("A username is required."), field="username")
    if User.objects.filter(username=username).exists():
        raise ServiceError(gettext("A user called “%(username)s” already exists.") % {"username": username},
                           field="username")
    if role not in Membership.Role.values:
        raise ServiceError(gettext("“%(role)s” is not a role; choose one of %(roles)s.")
                           % {"role": role, "roles": ", ".join(Membership.Role.values)}, field="role")
    user = User(username=username, email=email, is_superuser=is_superuser, is_staff=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    record_event(
        actor=actor,
        action="user.create",
        obj=user,
        after={"username": username, "email": email, "is_superuser": is_superuser},
    )
    if organisation is not None:
        membership = Membership.objects.create(user=user, organisation=organisation, role=role)
        record_event(actor=actor, action="membership.create", obj=membership, after=snapshot(membership))
    return user


@transaction.atomic
def set_membership(*, actor: Any, user: Any, organisation: Organisation, role: str) -> Membership:
    """Put a user in an organisation with a role. An organisation's administrator acts within its own
    organisation only: on its own members (or users with no organisation yet), into its own organisation, and
    never on a superuser. A superuser (or the system actor) may do anything."""
    if actor is not None:
        core.require(principal(actor).is_admin, gettext("Only administrators may change memberships."))
    if role not in Membership.Role.values:
        raise ServiceError(gettext("“%(role)s” is not a role.") % {"role": role}, field="role")
    membership = Membership.objects.select_for_update().filter(user=user).first()
    if actor is not None and not principal(actor).is_superuser:
        own = principal(actor).organisation_id
        core.require(
            organisation.pk == own and (membership is None or membership.organisation_id == own),
            "Administrators may change memberships in their own organisation only.",
        )
        core.require(not user.is_superuser, gettext("Only a superuser may change a superuser's membership."))
    before = snapshot(membership) if membership else None
    if membership is None:
        membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    else:
        membership.organisation, membership.role = organisation, role
        membership.save()
    record_event(
        actor=actor, action="membership.set", obj=membership, before=before, after=snapshot(membership)
    )
    forget(user)
    return membership


@transaction.atomic
def set_language(*, actor: Any, user: Any, language: str) -> UserPreference:
    """Save the language ``user`` reads the pages in; ``""`` goes back to following the browser.

    Only the user may choose their own language (or the system actor, at the command line).
    """
    if actor is not None:
        core.require(getattr(actor, "pk", None) == user.pk, gettext("You may choose your own language only."))
    if language and language not in dict(settings.LANGUAGES):
        raise ServiceError(gettext("“%(code)s” is not a language of this site.") % {"code": language},
                           field="language")
    preference = UserPreference.objects.select_for_update().filter(user=user).first()
    before = snapshot(preference) if preference else None
    if preference is None:
        preference = UserPreference(user=user)
    elif preference.language == language:
        return preference  # nothing changed: no write, no event
    preference.language, preference.updated_at = language, clock.now()
    preference.save()
    record_event(actor=actor, action="preference.language", obj=preference, before=before,
                 after=snapshot(preference))
    return preference


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def create_api_token(
    *,
    actor: Any,
    user: Any,
    name: str = "API token",
    scope: str = ApiToken.Scope.WRITE,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token and return it with its secret. The secret is shown once and never stored."""
    if actor is not None and getattr(actor, "pk", None) != user.pk:
        core.require(principal(actor).is_admin, gettext("Only administrators may create tokens for other users."))
    if scope not in ApiToken.Scope.values:
        raise ServiceError(gettext("“%(scope)s” is not a token scope.") % {"scope": scope}, field="scope")
    if expires_at is not None and expires_at <= clock.now():
        raise ServiceError(gettext("The expiry must be in the future."), field="expires_at")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name or "API token", prefix=prefix, token_hash=_hash(secret), scope=scope, expires_at=expires_at
    )
    record_event(
        actor=actor,
        action="token.create",
        obj=token,
        after={"user": user.pk, "name": token.name, "prefix": prefix, "scope": scope,
               "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token, secret


@transaction.atomic
def revoke_api_token(*, actor: Any, token: ApiToken) -> ApiToken:
    if actor is not None and getattr(actor, "pk", None) != token.user_id:
        core.require(principal(actor).is_admin, gettext("Only administrators may revoke other users' tokens."))
    token = core.lock(token)
    if token.revoked_at is not None:
        raise ServiceError(gettext("This token is already revoked."), field="token")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    record_event(actor=actor, action="token.revoke", obj=token, after={"revoked_at": token.revoked_at.isoformat()})
    return token


def authenticate_token(secret: str) -> tuple[Any, ApiToken] | None:
    """Return (user, token) for a valid, active token secret, else None. A read, so it is not audited."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    prefix = secret[len(TOKEN_PREFIX):].split("_", 1)[0]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash(secret)):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token
