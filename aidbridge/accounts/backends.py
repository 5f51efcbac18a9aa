from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest
from django.utils.translation import gettext


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes lock-out for logins over HTTP.

    Authentication without a request (the command line, the test client's ``login``) has no client address
    to throttle, so it passes through to the next backend instead of failing.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,  # type: ignore[override]
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any) -> Any:
    """What a locked-out user sees: a clear page, status 429, no hint whether the account exists."""
    from django.conf import settings
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"cooloff_minutes": minutes, "title": gettext("Too many attempts")}
    return render(request, "accounts/locked_out.html", context, status=429)
