from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "aidbridge.core"
    label = "core"
    verbose_name = "Aidbridge core"
