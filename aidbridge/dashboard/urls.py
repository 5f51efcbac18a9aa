from django.urls import path

from aidbridge.dashboard import map_views, views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("map/", map_views.FlowMapView.as_view(), name="flow_map"),
]
