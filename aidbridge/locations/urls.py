from __future__ import annotations

from django.urls import path

from aidbridge.locations import views

app_name = "locations"
urlpatterns = [
    path("locations/", views.LocationList.as_view(), name="location_list"),
    path("locations/add/", views.LocationEdit.as_view(), name="location_add"),
    path("locations/<int:pk>/", views.LocationDetail.as_view(), name="location"),
    path("locations/<int:pk>/edit/", views.LocationEdit.as_view(), name="location_edit"),
    path("hubs/", views.HubList.as_view(), name="hub_list"),
    path("hubs/add/", views.HubEdit.as_view(), name="hub_add"),
    path("hubs/<int:pk>/", views.HubDetail.as_view(), name="hub"),
    path("hubs/<int:pk>/edit/", views.HubEdit.as_view(), name="hub_edit"),
    path("hubs/<int:pk>/lead-times/inbound/", views.InboundLeadTimeSet.as_view(), name="hub_inbound"),
    path("hubs/<int:pk>/lead-times/outbound/", views.OutboundLeadTimeSet.as_view(), name="hub_outbound"),
]
