"""``aidbridge stock --hub CODE``: what a hub holds, by item: on hand, reserved for allocations, and free."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aidbridge.locations.models import Hub
from aidbridge.logistics.queries import stock_on_hand


class Command(BaseCommand):
    help = ("Print one hub's stock by item: on hand, reserved for allocations and free. Reserved units belong to "
            "allocations and wait for their outbound leg; free = on hand − reserved.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hub", required=True, metavar="CODE", help="Hub code, e.g. PL-RZE.")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["hub"].strip()
        hub = Hub.objects.filter(code__iexact=code).first()
        if hub is None:
            known = ", ".join(Hub.objects.order_by("code").values_list("code", flat=True)) or "none yet"
            raise CommandError(f"Unknown hub “{code}”. Known hubs: {known}.")
        rows = stock_on_hand(hub)
        if not rows:
            self.stdout.write(f"{hub.code} {hub.name}: no stock recorded.")
            return
        width = max(len("code"), *(len(r.item.code) for r in rows))
        name_width = min(50, max(len("name"), *(len(r.item.name) for r in rows)))
        self.stdout.write(f"{'code':<{width}}  {'name':<{name_width}}  {'on hand':>10}  {'reserved':>10}  "
                          f"{'free':>10}  unit")
        for row in rows:
            self.stdout.write(f"{row.item.code:<{width}}  {row.item.name[:name_width]:<{name_width}}  "
                              f"{row.on_hand:>10,}  {row.reserved:>10,}  {row.free:>10,}  {row.item.unit}")
