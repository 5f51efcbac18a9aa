"""Command line: ``--input instance.json --output plan.json [--method optimal|greedy] [--time-limit S]``.

Shows a progress bar on stderr, writes the plan and prints a one-line summary. Exit status 0 on
success, 2 for bad input (missing file, invalid JSON, invalid instance), 1 if solving failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from .api import METHODS, solve
from .model import InstanceError, dump_plan, load_instance


class ProgressBar:
    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.last_draw = 0.0
        self.drawn = False

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - self.last_draw < 0.1 and self.drawn:
            return
        self.last_draw = now
        filled = int(round(self.width * fraction))
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {100 * fraction:5.1f}% {message[:60]:<60}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="aidbridge allocate", description="Solve an allocation instance.")
    ap.add_argument("--input", required=True, help="instance JSON (aidbridge.allocation-instance/1)")
    ap.add_argument("--output", required=True, help="plan JSON to write (aidbridge.allocation-plan/1)")
    ap.add_argument("--method", choices=METHODS, default="optimal")
    ap.add_argument("--time-limit", type=float, default=None, metavar="S", help="seconds (optimal method)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.time_limit is not None and args.time_limit <= 0:
        print("error: --time-limit must be positive", file=sys.stderr)
        return 2
    try:
        instance = load_instance(args.input)
    except InstanceError as exc:
        print(f"error: invalid instance: {exc}", file=sys.stderr)
        return 2
    bar = None if args.quiet else ProgressBar(sys.stderr)
    try:
        plan = solve(instance, method=args.method, time_limit=args.time_limit, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    try:
        dump_plan(plan, args.output)
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    bound = "n/a" if plan.bound is None else f"{plan.bound:.6g}"
    gap = plan.gap
    gap_s = "n/a" if gap is None else f"{100 * gap:.3f}%"
    print(f"status={plan.status} objective={plan.objective:.6g} bound={bound} gap={gap_s} "
          f"flows={len(plan.flows)} seconds={plan.stats.get('seconds', 0):.2f} method={args.method}")
    return 0 if plan.status in ("optimal", "feasible") else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
