from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "aidbridge.interop"
    label = "interop"
    verbose_name = "Imports and exports"
