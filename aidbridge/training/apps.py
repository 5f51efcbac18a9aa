import importlib.util

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "aidbridge.training"
    label = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        # What this app adds to other apps' pages (the requirement's training chain, counts on organisation and
        # item pages) lives in ``panels.py`` (the UI's module): its ``register()`` adds the panels and stats to
        # ``core.panels`` once the models are loaded.
        if importlib.util.find_spec("aidbridge.training.panels") is not None:
            from aidbridge.training import panels

            register = getattr(panels, "register", None)
            if register is not None:
                register()
