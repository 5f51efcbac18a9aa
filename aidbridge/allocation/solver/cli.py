"""Command line: ``--input instance.json --output plan.json [--method optimal|greedy] [--time-limit S|none]``.

Shows a progress bar on stderr, writes the plan and prints a one-line summary. The optimal method stops
after 10 s by default (``--time-limit none`` runs to convergence). Exit status: 0 on success, 1 if solving
failed, 2 for bad input (missing file, invalid JSON, invalid instance, bad option), 3 if the optimal method
failed and the greedy baseline's plan was written instead (stderr says "fallback to greedy: <reason>").
"""

from __future__ import annotations

import argparse
import math
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


DEFAULT_TIME_LIMIT = 10.0
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_FALLBACK = 0, 1, 2, 3


def time_limit_arg(text: str) -> float | None:
    """An argparse type: a positive number of seconds, or ``none`` for no limit."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or 'none', got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds or 'none', got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="aidbridge allocate", description="Solve an allocation instance (docs/allocation.md).",
        epilog="Exit status: 0 plan written; 1 solving failed (plan status infeasible or error); 2 bad input; "
               "3 the optimal method failed and the greedy baseline's plan was written instead "
               "(stderr says 'fallback to greedy: <reason>').")
    ap.add_argument("--input", required=True, help="instance JSON (aidbridge.allocation-instance/1)")
    ap.add_argument("--output", required=True, help="plan JSON to write (aidbridge.allocation-plan/1)")
    ap.add_argument("--method", choices=METHODS, default="optimal", help="default: %(default)s")
    ap.add_argument("--time-limit", type=time_limit_arg, default=DEFAULT_TIME_LIMIT, metavar="S|none",
                    help=f"seconds the optimal method may take (default: {DEFAULT_TIME_LIMIT:g}); "
                         "'none' runs to convergence, which can take minutes on large instances")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        instance = load_instance(args.input)
    except InstanceError as exc:
        print(f"error: invalid instance: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
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
        return EXIT_BAD_INPUT
    bound = "n/a" if plan.bound is None else f"{plan.bound:.6g}"
    gap = plan.gap
    gap_s = "n/a" if gap is None else f"{100 * gap:.3f}%"
    print(f"status={plan.status} objective={plan.objective:.6g} bound={bound} gap={gap_s} "
          f"flows={len(plan.flows)} seconds={plan.stats.get('seconds', 0):.2f} method={args.method}")
    for o in plan.stats.get("overloaded", []):
        print(f"warning: hub {o['hub']} week {o['week']} is overloaded by fixed flows "
              f"({o['load_t']:.6g} t of {o['capacity_t']:.6g} t); no new flows planned there", file=sys.stderr)
    if plan.stats.get("error") and plan.status == "error":
        print(f"error: {plan.stats['error']}", file=sys.stderr)
    if plan.stats.get("fallback"):
        print(f"fallback to greedy: {plan.stats['fallback']}", file=sys.stderr)
        return EXIT_FALLBACK
    return EXIT_OK if plan.status in ("optimal", "feasible") else EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
