from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "aidbridge.audit"
    label = "audit"

    def ready(self) -> None:
        # Tasks import models, so they load here, once the app registry is ready (Django's idiom).
        from aidbridge.audit.tasks import schedule_periodic_checkpoint
        from aidbridge.core.worker import on_worker_start

        on_worker_start(schedule_periodic_checkpoint)
