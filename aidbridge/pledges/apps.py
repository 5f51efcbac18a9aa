from django.apps import AppConfig

from aidbridge.core import panels


class PledgesConfig(AppConfig):
    name = "aidbridge.pledges"
    label = "pledges"

    def ready(self) -> None:
        # What this app adds to other apps' pages; it loads here, once models are ready.
        from aidbridge.pledges import panels as mine

        panels.add_stats("catalogue.item", mine.of_item, order=20)
        panels.add_stats("accounts.organisation", mine.of_donor, order=10)
