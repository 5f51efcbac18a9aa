from __future__ import annotations

from django.urls import path

from aidbridge.whatif import views

# Included under /whatif/ by aidbridge/urls.py.
app_name = "whatif"
urlpatterns = [
    path("", views.index, name="index"),
    path("scenarios/add/", views.scenario_add, name="scenario_add"),
    path("scenarios/<int:pk>/", views.scenario_detail, name="scenario"),
    path("scenarios/<int:pk>/edit/", views.scenario_edit, name="scenario_edit"),
    path("scenarios/<int:pk>/delete/", views.scenario_delete, name="scenario_delete"),
    path("scenarios/<int:pk>/run/", views.scenario_run, name="scenario_run"),
    path("runs/<int:pk>/", views.run_detail, name="scenariorun"),
    path("runs/<int:pk>/progress/", views.run_progress, name="scenariorun_progress"),
    path("runs/<int:pk>/backfill.<str:extension>", views.run_backfill, name="scenariorun_backfill"),
    path("sweeps/start/", views.sweep_start, name="sweep_start"),
    path("sweeps/<int:pk>/", views.sweep_detail, name="sweep"),
    path("sweeps/<int:pk>/progress/", views.sweep_progress, name="sweep_progress"),
    path("exposure/", views.exposure, name="exposure"),
]
