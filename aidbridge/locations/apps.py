from django.apps import AppConfig

from aidbridge.core import panels


class LocationsConfig(AppConfig):
    name = "aidbridge.locations"
    label = "locations"

    def ready(self) -> None:
        # What this app adds to other apps' pages; it loads here, once models are ready.
        from aidbridge.locations import panels as mine

        panels.add_stats("accounts.organisation", mine.hubs_of_operator, order=30)
