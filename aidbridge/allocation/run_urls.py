from django.urls import path

from aidbridge.allocation import run_views

# Included under the "allocation" namespace by aidbridge/allocation/urls.py.
urlpatterns = [
    path("allocations/runs/", run_views.run_list, name="run_list"),
    path("allocations/runs/start/", run_views.run_start, name="run_start"),
    path("allocations/runs/<int:pk>/", run_views.run_detail, name="run_detail"),
    path("allocations/runs/<int:pk>/progress/", run_views.run_progress, name="run_progress"),
    path("allocations/runs/<int:pk>/status.json", run_views.run_status, name="run_status"),
    path("allocations/runs/<int:pk>/approve/", run_views.run_approve, name="run_approve"),
    path("allocations/runs/<int:pk>/<str:what>.json", run_views.run_download, name="run_download"),
]
