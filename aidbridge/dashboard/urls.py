from django.urls import path

from aidbridge.dashboard import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
]
