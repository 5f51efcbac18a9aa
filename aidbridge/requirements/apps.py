from django.apps import AppConfig


class RequirementsConfig(AppConfig):
    name = "aidbridge.requirements"
    label = "requirements"
