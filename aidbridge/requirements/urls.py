from __future__ import annotations

from django.urls import path

from aidbridge.core.views import transition_paths
from aidbridge.requirements import views
from aidbridge.requirements.models import Requirement

app_name = "requirements"
urlpatterns = [
    path("requirements/", views.RequirementList.as_view(), name="requirement_list"),
    path("requirements/add/", views.RequirementEdit.as_view(), name="requirement_add"),
    path("requirements/<int:pk>/", views.RequirementDetail.as_view(), name="requirement"),
    path("requirements/<int:pk>/edit/", views.RequirementEdit.as_view(), name="requirement_edit"),
]
urlpatterns += transition_paths(Requirement, "requirement", views.TRANSITIONS, prefix="requirements/")
