from django.apps import AppConfig

from aidbridge.core import panels


class RequirementsConfig(AppConfig):
    name = "aidbridge.requirements"
    label = "requirements"

    def ready(self) -> None:
        # What this app adds to other apps' pages; it loads here, once models are ready.
        from aidbridge.requirements import panels as mine

        panels.add_stats("catalogue.item", mine.of_item, order=10)
        panels.add_stats("locations.location", mine.of_destination, order=10)
        panels.add_stats("accounts.organisation", mine.of_recipient, order=20)
