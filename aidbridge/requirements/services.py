from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.audit import writes
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import InvalidTransition, ServiceError
from aidbridge.core.hooks import Hook
from aidbridge.requirements.models import Requirement

REQUIREMENT_FIELDS = ("item", "quantity", "priority", "due_date", "destination", "package", "notes")
LATEST_DUE_DATE = dt.date(2100, 12, 31)
Status = Requirement.Status


def _due_date_errors(due_date: Any) -> dict[str, list[str]]:
    """A new (or moved) due date is today or later, and no later than 2100."""
    if not isinstance(due_date, dt.date):
        return {}
    today = clock.today()
    if due_date < today:
        return {"due_date": [_("The due date %(due)s is in the past; give today (%(today)s) or a later date.")
                             % {"due": date_format(due_date, "d M Y"), "today": date_format(today, "d M Y")}]}
    if due_date > LATEST_DUE_DATE:
        return {"due_date": [_("The due date %(due)s is after 2100; give a date no later than %(latest)s.")
                             % {"due": date_format(due_date, "d M Y"),
                                "latest": date_format(LATEST_DUE_DATE, "d M Y")}]}
    return {}


def _refuse_with(errors: dict[str, list[str]], requirement: Requirement) -> None:
    """Refuse with ``errors`` and whatever else is wrong with ``requirement``, so one answer names every field."""
    if not errors:
        return
    try:
        core.full_clean(requirement)
    except ServiceError as exc:
        for field, messages in exc.errors.items():
            errors.setdefault(field, []).extend(messages)
    raise ServiceError(errors)


def _require_owner(actor: Any, requirement: Requirement) -> None:
    core.require(
        principal(actor).writes_for(requirement.recipient_id),
        _("Only editors of the recipient organisation may change this requirement."),
    )


def _require_coordinator(actor: Any, message: str) -> None:
    p = principal(actor)
    core.require(p.is_coordinator_editor, message)


@transaction.atomic
def create_requirement(*, actor: Any, recipient: Organisation | None = None, **fields: Any) -> Requirement:
    p = principal(actor)
    if recipient is None:
        recipient = Organisation.objects.filter(pk=p.organisation_id).first() if p.organisation_id else None
    if recipient is None or recipient.kind != Organisation.Kind.RECIPIENT:
        raise ServiceError(_("Requirements belong to a recipient organisation."), field="recipient")
    requirement = Requirement(recipient=recipient, status=Status.DRAFT, **fields)
    _require_owner(actor, requirement)
    _refuse_with(_due_date_errors(fields.get("due_date")), requirement)
    return writes.create(actor=actor, obj=requirement, action="requirement.create")


@transaction.atomic
def update_requirement(*, actor: Any, requirement: Requirement, changes: dict[str, Any]) -> Requirement:
    requirement = core.lock(requirement)
    _require_owner(actor, requirement)
    if requirement.status not in (Status.DRAFT, Status.SUBMITTED):
        raise InvalidTransition(
            _("%(reference)s is %(status)s; only draft or submitted requirements can be edited.")
            % {"reference": requirement.reference, "status": requirement.get_status_display().lower()},
            field="status",
        )
    # An overdue requirement can still be edited; only a due date being changed must not be in the past.
    if "due_date" in changes and changes["due_date"] != requirement.due_date:
        errors = _due_date_errors(changes["due_date"])
        if errors:
            raise ServiceError(errors)
    return writes.update(
        actor=actor, obj=requirement, changes=changes, editable=REQUIREMENT_FIELDS, action="requirement.update"
    )


@transaction.atomic
def submit_requirement(*, actor: Any, requirement: Requirement) -> Requirement:
    _require_owner(actor, requirement)
    return writes.transition(actor=actor, obj=requirement, to=Status.SUBMITTED, action="requirement.submit")


@transaction.atomic
def validate_requirement(*, actor: Any, requirement: Requirement) -> Requirement:
    _require_coordinator(actor, _("Only coordinator editors may validate requirements."))
    return writes.transition(actor=actor, obj=requirement, to=Status.VALIDATED, action="requirement.validate")


@transaction.atomic
def return_requirement(*, actor: Any, requirement: Requirement) -> Requirement:
    """Send a submitted requirement back to draft for the recipient to rework."""
    p = principal(actor)
    core.require(
        p.writes_for(requirement.recipient_id) or p.is_coordinator_editor,
        _("Only the recipient's editors or coordinator editors may return this requirement to draft."),
    )
    return writes.transition(actor=actor, obj=requirement, to=Status.DRAFT, action="requirement.return")


@transaction.atomic
def close_requirement(*, actor: Any, requirement: Requirement) -> Requirement:
    _require_coordinator(actor, _("Only coordinator editors may close requirements."))
    return writes.transition(actor=actor, obj=requirement, to=Status.CLOSED, action="requirement.close")


requirement_cancelled = Hook("requirement_cancelled", """Called with ``actor=`` and ``requirement=`` once the
requirement is cancelled, in the same transaction. The allocation app returns the units promised to it to
their pledges here (unless already moving), one event per line.""")


@transaction.atomic
def cancel_requirement(*, actor: Any, requirement: Requirement) -> Requirement:
    p = principal(actor)
    core.require(
        p.writes_for(requirement.recipient_id) or p.is_coordinator_editor,
        _("Only the recipient's editors or coordinator editors may cancel this requirement."),
    )
    requirement = core.lock(requirement)
    if requirement.in_transit > 0:
        raise InvalidTransition(
            _("%(reference)s has %(units)s units in transit; receive them before cancelling.")
            % {"reference": requirement.reference, "units": requirement.in_transit},
            field="status",
        )
    requirement = writes.transition(actor=actor, obj=requirement, to=Status.CANCELLED, action="requirement.cancel")
    requirement_cancelled(actor=actor, requirement=requirement)
    return requirement
