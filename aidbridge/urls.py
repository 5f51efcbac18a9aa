"""Root URLconf: the REST API, the health check, and each app's server-rendered pages."""

from __future__ import annotations

from django.urls import include, path

from aidbridge.api import api
from aidbridge.core import views as core_views

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("", core_views.DashboardView.as_view(), name="dashboard"),
    path("", include("aidbridge.accounts.urls")),
    path("", include("aidbridge.catalogue.urls")),
    path("", include("aidbridge.locations.urls")),
    path("", include("aidbridge.requirements.urls")),
    path("", include("aidbridge.pledges.urls")),
    path("", include("aidbridge.allocation.urls")),
    path("", include("aidbridge.logistics.urls")),
    path("", include("aidbridge.transparency.urls")),
    path("", include("aidbridge.audit.urls")),
]
