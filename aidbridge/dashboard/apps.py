from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "aidbridge.dashboard"
    label = "dashboard"
