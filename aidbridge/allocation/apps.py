from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "aidbridge.allocation"
    label = "allocation"
