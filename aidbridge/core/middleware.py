from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from aidbridge.core.errors import BUSY_MESSAGE, is_database_busy
from aidbridge.core.requestid import request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Make the request id on the server, always; keep a well-formed incoming X-Request-ID apart.

    The client's id is never adopted as the request id (a client could otherwise forge or reuse the id that ties
    audit events together). It is recorded as the client request id and echoed back in X-Client-Request-ID; the
    server's id goes back in X-Request-ID.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        client = incoming if _SAFE_ID.match(incoming) else ""
        with request_id(client=client) as rid:
            request.request_id = rid  # type: ignore[attr-defined]
            request.client_request_id = client  # type: ignore[attr-defined]
            response = self.get_response(request)
        response["X-Request-ID"] = rid
        if client:
            response["X-Client-Request-ID"] = client
        return response


class MethodNotAllowedPageMiddleware:
    """Give a page a 405 that has none: Django's views answer it with an empty body.

    The REST API is left alone: it answers its own errors.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.path.startswith("/api/"):
            return response
        allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
        if "POST" in allowed and "GET" not in allowed:
            message = gettext("This address only takes a form submission: use the button on the page instead of "
                              "opening it.")
        else:
            message = (gettext("This address does not take a %(method)s request; it takes %(allowed)s.")
                       % {"method": request.method, "allowed": ", ".join(allowed)} if allowed else
                       gettext("This address does not take a %(method)s request.") % {"method": request.method})
        page = render(request, "notice.html", {"heading": gettext("Not allowed here"), "message": message,
                                                "back_url": _back_url(request)}, status=405)
        if allowed:
            page["Allow"] = ", ".join(allowed)
        return page


def _back_url(request: HttpRequest) -> str:
    """The page an action belongs to: the address without its last segment (``…/12/submit/`` → ``…/12/``)."""
    parent = request.path.rstrip("/").rsplit("/", 1)[0]
    return parent + "/" if parent else "/"


class BusyDatabaseMiddleware:
    """Answer SQLite's "database is locked" from any page with a 409 page that says to try again, not a 500.

    The service's transaction has already been rolled back whole when the exception reaches here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_busy(exception):
            return None
        return render(request, "notice.html",
                      {"heading": gettext("Please try again"), "message": gettext(BUSY_MESSAGE),
                       "back_url": _back_url(request)},
                      status=409)
