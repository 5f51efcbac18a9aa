"""Command line: ``--input instance.json --output plan.json [--method mip|first-come] [--time-limit S|none]``.

Needs no database. Shows a progress bar on stderr (unless ``--quiet``), writes the plan and prints a one-line
summary. Exit status: 0 plan written; 1 planning failed (status infeasible or error); 2 bad input (missing
file, invalid JSON, invalid instance, bad option); 3 the MIP failed and the first-come plan was written instead
(stderr says "fallback to first-come: <reason>").
"""

from __future__ import annotations

import argparse
import sys

from aidbridge.allocation.solver.cli import (
    DEFAULT_TIME_LIMIT,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_FALLBACK,
    EXIT_OK,
    ProgressBar,
    time_limit_arg,
)

from .baseline import first_come
from .model import InstanceError, dump_plan, load_instance
from .solve import solve

METHODS = ("mip", "first-come")
__all__ = ["DEFAULT_TIME_LIMIT", "EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_FALLBACK", "EXIT_OK", "METHODS", "ProgressBar",
           "main", "time_limit_arg"]


def build_parser(prog: str = "aidbridge training plan") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=prog, description="Plan course seats for training requests (docs/training.md, Seat planning).",
        epilog="Exit status: 0 plan written; 1 planning failed (plan status infeasible or error); 2 bad input; "
               "3 the MIP failed and the first-come plan was written instead.")
    ap.add_argument("--input", required=True, help="instance JSON (aidbridge.seat-instance/1)")
    ap.add_argument("--output", required=True, help="plan JSON to write (aidbridge.seat-plan/1)")
    ap.add_argument("--method", choices=METHODS, default="mip", help="default: %(default)s")
    ap.add_argument("--time-limit", type=time_limit_arg, default=DEFAULT_TIME_LIMIT, metavar="S|none",
                    help=f"seconds the MIP may take (default: {DEFAULT_TIME_LIMIT:g}); 'none' for no limit")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def main(argv: list[str] | None = None, prog: str = "aidbridge training plan") -> int:
    """Run the command line; returns the exit status (argparse errors exit with 2)."""
    args = build_parser(prog).parse_args(argv)
    try:
        instance = load_instance(args.input)
    except InstanceError as exc:
        print(f"error: invalid instance: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    bar = None if args.quiet else ProgressBar(sys.stderr)
    try:
        plan = first_come(instance) if args.method == "first-come" else \
            solve(instance, time_limit=args.time_limit, progress=bar)
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
    seats = sum(a.seats for a in plan.assignments)
    print(f"status={plan.status} objective={plan.objective:.6g} bound={bound} gap={gap_s} "
          f"assignments={len(plan.assignments)} seats={seats} seconds={plan.stats.get('seconds', 0):.2f} "
          f"method={args.method}")
    for o in plan.stats.get("overbooked", []):
        print(f"warning: course {o['course']} is overbooked by fixed assignments ({o['fixed']} of {o['seats']} "
              "seats); no new seats planned there", file=sys.stderr)
    if plan.status == "error" and plan.stats.get("error"):
        print(f"error: {plan.stats['error']}", file=sys.stderr)
    if plan.stats.get("fallback"):
        print(f"fallback to first-come: {plan.stats['fallback']}", file=sys.stderr)
        return EXIT_FALLBACK
    return EXIT_OK if plan.status in ("optimal", "feasible") else EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
