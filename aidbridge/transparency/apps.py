from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "aidbridge.transparency"
    label = "transparency"
