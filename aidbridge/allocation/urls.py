from __future__ import annotations

from django.urls import path

from aidbridge.allocation import run_urls, views
from aidbridge.allocation.models import AllocationLine
from aidbridge.core.views import transition_paths

app_name = "allocation"
urlpatterns = [
    *run_urls.urlpatterns,
    path("allocations/", views.AllocationLineList.as_view(), name="allocationline_list"),
    path("allocations/<int:pk>/", views.AllocationLineDetail.as_view(), name="allocationline"),
    path("allocations/<int:pk>/dispatch/", views.Dispatch.as_view(), name="allocationline_dispatch"),
    path("allocations/<int:pk>/deliver/", views.Deliver.as_view(), name="allocationline_deliver"),
]
urlpatterns += transition_paths(AllocationLine, "line", views.TRANSITIONS, prefix="allocations/",
                                related=views.RELATED, next_url=views.after_release)
