"""Root URLconf: the REST API, the health check, and each app's server-rendered pages.

A page that an app above adds under a lower app's address (the pledge's chain of custody is logistics', the
form that allocates to a requirement is allocation's) is composed here, at the top, into the lower app's
namespace, so that no app's ``urls.py`` names an app above it.
"""

from __future__ import annotations

from django.urls import include, path

from aidbridge.allocation.views import RequirementAllocate
from aidbridge.api import api
from aidbridge.core import views as core_views
from aidbridge.logistics.views import PledgeCustody
from aidbridge.pledges import urls as pledge_urls
from aidbridge.requirements import urls as requirement_urls

pledge_pages = [
    *pledge_urls.urlpatterns,
    path("pledges/<int:pk>/custody/", PledgeCustody.as_view(), name="pledge_custody"),
]
requirement_pages = [
    *requirement_urls.urlpatterns,
    path("requirements/<int:pk>/allocate/", RequirementAllocate.as_view(), name="requirement_allocate"),
]

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("aidbridge.dashboard.urls")),
    path("", include("aidbridge.accounts.urls")),
    path("", include("aidbridge.catalogue.urls")),
    path("", include("aidbridge.locations.urls")),
    path("", include((requirement_pages, requirement_urls.app_name))),
    path("", include((pledge_pages, pledge_urls.app_name))),
    path("", include("aidbridge.allocation.urls")),
    path("", include("aidbridge.logistics.urls")),
    path("", include("aidbridge.transparency.urls")),
    path("", include("aidbridge.audit.urls")),
    path("training/", include("aidbridge.training.urls")),
    path("whatif/", include("aidbridge.whatif.urls")),
    path("", include("aidbridge.interop.urls")),
]
