from django.apps import AppConfig

from aidbridge.core import panels


class AllocationConfig(AppConfig):
    name = "aidbridge.allocation"
    label = "allocation"

    def ready(self) -> None:
        # What this app adds to other apps' pages, and the consequences it owns of their services (releasing
        # allocations when a pledge is withdrawn or a requirement cancelled). They load here, once models are.
        from aidbridge.allocation import panels as mine
        from aidbridge.allocation import services
        from aidbridge.pledges.services import pledge_withdrawing, pledge_withdrawn
        from aidbridge.requirements.services import requirement_cancelled

        panels.add_panel("requirements.requirement", "allocation/_requirement_allocations.html",
                         mine.requirement_allocations)
        panels.add_panel("pledges.pledge", "allocation/_pledge_allocations.html", mine.pledge_allocations)
        pledge_withdrawing.register(services.lock_pledge_lines)
        pledge_withdrawn.register(services.release_withdrawn_pledge)
        requirement_cancelled.register(services.release_cancelled_requirement)
