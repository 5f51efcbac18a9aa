"""Open-data downloads in the API: the IATI 2.03 activity file, FTS-style flows and HXL-tagged CSV.

They publish public, disclosed pledges only (:mod:`aidbridge.interop.opendata`): the same file for every
caller, as on the /exports/ page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from aidbridge.core.api import READ_ERRORS
from aidbridge.interop import downloads
from aidbridge.interop.export_views import as_response

router = Router(tags=["exports"])


def _file(content_type: str, what: str) -> dict[str, Any]:
    """OpenAPI for a 200 that is a file, not JSON (the errors stay JSON)."""
    return {"responses": {"200": {"description": what, "content": {content_type: {"schema": {"type": "string"}}}}}}


@router.get(
    "/exports/iati.xml", response=READ_ERRORS, openapi_extra=_file("application/xml", "The IATI file."),
    summary="IATI 2.03 activity file of the released pledges",
    description="One activity per donor and programme; pledge statuses as transactions 12, 2 and 3. Donors without "
                "an IATI organisation identifier are left out (named in an XML comment).",
)
def iati_xml(request: HttpRequest) -> HttpResponse:
    return as_response(downloads.render("iati"))


@router.get(
    "/exports/fts.csv", response=READ_ERRORS, openapi_extra=_file("text/csv", "The FTS-style flows."),
    summary="FTS-style flows of the released pledges (CSV)",
    description="OCHA's incoming-funding layout: status pledge, commitment or paid; amountUSD at the flow's month "
                "with its rate date, empty when no rate is known.",
)
def fts_csv(request: HttpRequest) -> HttpResponse:
    return as_response(downloads.render("fts"))


@router.get(
    "/exports/hxl.csv", response=READ_ERRORS, openapi_extra=_file("text/csv", "The HXL-tagged CSV."),
    summary="HXL-tagged CSV of the released pledges",
    description="A header row, an HXL hashtag row (#org+funder+name, #sector, #value+usd, #date, #status…) and one "
                "row per pledge.",
)
def hxl_csv(request: HttpRequest) -> HttpResponse:
    return as_response(downloads.render("hxl"))
