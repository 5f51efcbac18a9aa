"""Who a user is in the coalition: the one place that turns a user into visibility and write rights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aidbridge.accounts.models import Membership, Organisation


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    organisation_id: int | None
    org_kind: str | None
    role: str | None
    in_coalition: bool
    is_superuser: bool

    @property
    def is_auditor(self) -> bool:
        return self.role == Membership.Role.AUDITOR

    @property
    def is_coordinator(self) -> bool:
        return self.in_coalition and self.org_kind == Organisation.Kind.COORDINATOR

    @property
    def sees_everything(self) -> bool:
        """Auditors (and the platform superuser) read everything, including drafts and unreleased records."""
        return self.is_auditor or self.is_superuser

    @property
    def sees_coalition(self) -> bool:
        return self.in_coalition or self.sees_everything

    @property
    def can_write(self) -> bool:
        return self.is_superuser or self.role in (Membership.Role.EDITOR, Membership.Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Membership.Role.ADMIN

    def writes_for(self, organisation_id: int | None) -> bool:
        """May edit records owned by this organisation."""
        return self.is_superuser or (self.can_write and organisation_id == self.organisation_id)

    @property
    def is_coordinator_editor(self) -> bool:
        """A coordinator who may write (editor or admin of the coordination cell), or the platform superuser.

        The one definition of this predicate: allocation, requirements, logistics and reference data all ask it.
        """
        return self.is_superuser or (self.is_coordinator and self.can_write)

    @property
    def oversees(self) -> bool:
        """Coordinators and auditors (and the platform superuser): they read every record released to the cell,
        every shipment and the trail of what they see."""
        return self.sees_everything or self.is_coordinator

    @property
    def manages_reference_data(self) -> bool:
        """Coordinators' editors keep the catalogue, locations, hubs and organisations."""
        return self.is_coordinator_editor


# The same rights as view predicates, ``(principal, object) -> bool``, for the generic views' permission slots.

def manages_reference_data(p: Principal, obj: Any = None) -> bool:
    return p.manages_reference_data


def coordinator_editor(p: Principal, obj: Any = None) -> bool:
    return p.is_coordinator_editor


ANONYMOUS = Principal(None, None, None, None, False, False)


def principal(user: Any) -> Principal:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_aidbridge_principal", None)
    if cached is not None:
        return cached
    membership = (
        Membership.objects.select_related("organisation").filter(user_id=user.pk).first()
        if user.is_active
        else None
    )
    if membership is None:
        p = Principal(user.pk, None, None, None, False, bool(user.is_superuser and user.is_active))
    else:
        org = membership.organisation
        p = Principal(user.pk, org.pk, org.kind, membership.role, org.in_coalition, bool(user.is_superuser))
    user._aidbridge_principal = p
    return p


def forget(user: Any) -> None:
    """Drop the cached principal after a membership change."""
    if hasattr(user, "_aidbridge_principal"):
        del user._aidbridge_principal
