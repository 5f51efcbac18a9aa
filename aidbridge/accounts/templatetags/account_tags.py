"""Template helpers for accounts."""

from __future__ import annotations

from django import template

from aidbridge.accounts.models import Membership

register = template.Library()


@register.filter
def role_label(role: str | None) -> str:
    return str(Membership.Role(role).label) if role in Membership.Role.values else ""
