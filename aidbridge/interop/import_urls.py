"""The imports pages: ``/imports/`` (upload, the jobs), ``/imports/<id>/`` (map, preview, check, commit, progress)
and the templates to download."""

from __future__ import annotations

from django.urls import path

from aidbridge.interop import import_views as views

urlpatterns = [
    path("imports/", views.import_index, name="import_index"),
    path("imports/upload/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/dry-run/", views.import_dry_run, name="import_dry_run"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/templates/<str:kind>.<str:extension>", views.import_template, name="import_template"),
]
