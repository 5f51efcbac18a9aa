from django.apps import AppConfig

from aidbridge.core import versioned
from aidbridge.core.worker import on_worker_start


class AuditConfig(AppConfig):
    name = "aidbridge.audit"
    label = "audit"

    def ready(self) -> None:
        # Tasks import models, so they load here, once the app registry is ready (Django's idiom).
        from aidbridge.audit.cache import cached
        from aidbridge.audit.tasks import schedule_periodic_checkpoint

        on_worker_start(schedule_periodic_checkpoint)
        versioned.use_cache(cached)  # list counts, cached until the next write
