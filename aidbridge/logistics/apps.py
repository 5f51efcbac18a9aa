from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "aidbridge.logistics"
    label = "logistics"
