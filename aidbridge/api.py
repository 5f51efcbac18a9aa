"""The REST API (django-ninja), mounted at /api/v1/. Each app contributes a router from its ``api.py``."""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from aidbridge.accounts.api import AUTH
from aidbridge.accounts.api import router as accounts_router
from aidbridge.allocation.api import router as allocation_router
from aidbridge.audit.api import router as audit_router
from aidbridge.catalogue.api import router as catalogue_router
from aidbridge.core.api import install_exception_handlers, install_index
from aidbridge.interop.api import router as interop_router
from aidbridge.locations.api import router as locations_router
from aidbridge.logistics.api import router as logistics_router
from aidbridge.pledges.api import router as pledges_router
from aidbridge.requirements.api import router as requirements_router
from aidbridge.training.api import router as training_router
from aidbridge.whatif.api import router as whatif_router

api = NinjaAPI(
    title="Aidbridge API",
    version="1",
    description=(
        "Requirements, pledges, hubs and allocations of an assistance coalition.\n\n"
        "Authenticate with `Authorization: Bearer <token>` (a `read` token may only read) or a logged-in "
        "session. Errors are JSON: `{\"detail\": …, \"errors\": {field: [messages]}}`. Objects outside your "
        "view answer 404."
    ),
    docs_url="/docs",
    # Swagger UI's default validator badge calls validator.swagger.io; an air-gapped deployment calls no one.
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
    auth=AUTH,
)
install_exception_handlers(api)

for router in (accounts_router, catalogue_router, locations_router, requirements_router, pledges_router,
               allocation_router, logistics_router, training_router, whatif_router, interop_router, audit_router):
    api.add_router("", router)
install_index(api)
