from django.apps import AppConfig

from aidbridge.core import panels


class LogisticsConfig(AppConfig):
    name = "aidbridge.logistics"
    label = "logistics"

    def ready(self) -> None:
        # What this app adds to other apps' pages; it loads here, once models are ready.
        from aidbridge.logistics import panels as mine

        panels.add_panel("locations.hub", "logistics/_hub_logistics.html", mine.hub_logistics)
        panels.add_stats("pledges.pledge", mine.pledge_custody)
