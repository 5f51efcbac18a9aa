"""``aidbridge allocate --input instance.json --output plan.json [--method optimal|greedy] [--time-limit S|none]``.

The solver needs no database, so this command hands its arguments straight to the solver's own CLI
(:mod:`aidbridge.allocation.solver.cli`): a 10 s time limit by default, ``--time-limit none`` to run to
convergence, exit status 3 with "fallback to greedy: <reason>" on stderr if the optimal method failed.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Solve an allocation instance file (docs/allocation.md format) and write the plan file."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def run_from_argv(self, argv: list[str]) -> None:
        from aidbridge.allocation.solver.cli import main

        sys.exit(main(argv[2:]))

    def handle(self, *args: object, **options: object) -> None:  # pragma: no cover - run_from_argv is the entry
        self.run_from_argv(["aidbridge", "allocate", "--help"])
