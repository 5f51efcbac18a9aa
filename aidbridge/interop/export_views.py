"""The open-data page (/exports/) and its downloads: public, disclosed pledges only, so open to everyone.

Like the transparency page, these need no login: they publish exactly what an anonymous visitor may see
(:mod:`aidbridge.interop.opendata`), and the same file for every viewer.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from aidbridge.core import clock
from aidbridge.interop import downloads, opendata
from aidbridge.interop.iati.export import export_iati

FORMATS = {"iati": "xml", "fts": "csv", "hxl": "csv"}


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    records = opendata.records()
    iati = export_iati(records)
    context = {
        "title": gettext("Open data"),
        "as_of": clock.today(),
        "pledges": len(records),
        "financial": sum(1 for r in records if r.kind == opendata.FINANCIAL),
        "in_kind": sum(1 for r in records if r.kind == opendata.IN_KIND),
        "donors": len({r.donor.pk for r in records}),
        "iati": iati,
    }
    return render(request, "interop/exports.html", context)


@require_safe
def download(request: HttpRequest, kind: str, extension: str) -> HttpResponse:
    if FORMATS.get(kind) != extension:
        raise Http404("No such export.")
    return as_response(downloads.render(kind))


def as_response(file: downloads.Download) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response
