from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aidbridge.accounts.principal import principal


def membership(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    p = principal(user)
    org = None
    if p.organisation_id is not None:
        org = user.membership.organisation  # type: ignore[union-attr]
    return {"principal": p, "my_organisation": org}
