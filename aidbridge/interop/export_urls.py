from __future__ import annotations

from django.urls import path

from aidbridge.interop import export_views

urlpatterns: list = [
    path("exports/", export_views.index, name="exports"),
    path("exports/aidbridge-<str:kind>.<str:extension>", export_views.download, name="export_download"),
]
