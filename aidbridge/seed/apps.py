from django.apps import AppConfig


class SeedConfig(AppConfig):
    """The demo scenario and the ``aidbridge demo`` command. No models."""

    name = "aidbridge.seed"
    label = "seed"
