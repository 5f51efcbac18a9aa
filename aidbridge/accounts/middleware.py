"""The language of the pages: a logged-in user's own setting wins over the browser's.

``LocaleMiddleware`` (earlier in ``MIDDLEWARE``) has already picked a language from the language cookie or the
browser's Accept-Language; this middleware, placed after authentication, switches to the language the user saved
(``UserPreference.language``), if any. LocaleMiddleware's response half then labels the response with the
active language (Content-Language).

The saved language is read once per session, at login (``remember_language``), and kept in the session, so a
page costs no extra query; the language switcher updates the session as it saves the setting. A change made
in another session applies from the next login.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from aidbridge.accounts.models import UserPreference

SESSION_KEY = "aidbridge_language"


def saved_language(user: Any) -> str:
    """The language ``user`` chose, or "" (follow the browser)."""
    language = UserPreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return language or ""


def remember_language(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """On login (``user_logged_in``): keep the user's language in the new session."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = saved_language(user)


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            if SESSION_KEY not in session:  # a session opened before this middleware existed
                session[SESSION_KEY] = saved_language(user)
            language = session[SESSION_KEY]
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        return self.get_response(request)
