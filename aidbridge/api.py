"""The REST API (django-ninja), mounted at /api/v1/. Each app contributes a router from its ``api.py``."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Aidbridge API",
    version="1",
    description="Requirements, pledges, hubs and allocations of an assistance coalition.",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
