"""``aidbridge whatif run|sweep``: what-if scenarios from the command line, on an instance file or the database.

On a file (no database needed)::

    aidbridge whatif run --input instance.json --withdraw-donor D [--from-week W] [--keep-allocated] --output r.json
    aidbridge whatif run --input instance.json --close-hub PL-RZE [--cut 0.5] [--from-week W] [--to-week W]
    aidbridge whatif run --input instance.json --delay-donor D --weeks N
    aidbridge whatif run --input instance.json --lead-time in DE PL-RZE --weeks N     (or: out PL-RZE UA-LWO; * = all)
    aidbridge whatif run --input instance.json --surge GEN-100KW,MED-KIT --share 0.25
    aidbridge whatif run --input instance.json --perturbations perts.json             (a JSON list, engine form)
    aidbridge whatif sweep --input instance.json --donors|--hubs [--from-week W] [--workers N] --output sweep.json

On the database, ``--scenario NAME`` instead of ``--input``: ``run`` records a run of the saved scenario (audited,
as the system actor) and executes it here; ``sweep`` sweeps the current state with the scenario's perturbations
applied first (nothing is recorded). Output is JSON (``aidbridge.whatif-result/1`` or ``aidbridge.whatif-sweep/1``,
docs/whatif.md) to ``--output``, or to stdout without it. A progress bar goes to stderr (``--quiet``: none).
Every solve stops after 10 s by default (``--time-limit none``: run to convergence).
Exit status: 0 done, 1 the run failed, 2 bad input.
"""

from __future__ import annotations

import json
import math
import sys
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from aidbridge.allocation import solver
from aidbridge.allocation.instance import monday
from aidbridge.allocation.solver.cli import time_limit_arg
from aidbridge.core import clock
from aidbridge.core.cli import BAD_INPUT
from aidbridge.core.errors import ServiceError
from aidbridge.core.progress import ProgressBar
from aidbridge.core.requestid import request_id
from aidbridge.whatif import engine, services, tasks
from aidbridge.whatif.models import Scenario, Status
from aidbridge.whatif.perturbations import to_engine


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise ArgumentTypeError("must be 1 or more")
    return value


def _common(parser: CommandParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", metavar="FILE", help="An instance file (aidbridge.allocation-instance/1).")
    source.add_argument("--scenario", metavar="NAME", help="A saved scenario: work on the database's current state.")
    parser.add_argument("--output", metavar="FILE", help="Where to write the JSON (default: stdout).")
    parser.add_argument("--time-limit", type=time_limit_arg, default=engine.DEFAULT_TIME_LIMIT, metavar="S|none",
                        help=f"Seconds each solve may take (default: {engine.DEFAULT_TIME_LIMIT:g}); 'none' runs to "
                             "convergence.")
    parser.add_argument("--threshold", type=float, default=None,
                        help="P1 coverage below which a week is not survived (default 0.9, or the scenario's).")
    parser.add_argument("--quiet", action="store_true", help="No progress bar.")


class Command(BaseCommand):
    help = ("What-if scenarios: `aidbridge whatif run` re-plans one scenario and compares it with the baseline; "
            "`aidbridge whatif sweep` withdraws each donor (or closes each hub) in turn.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Re-plan one scenario and compare it with the baseline.")
        _common(run)
        run.add_argument("--withdraw-donor", metavar="D", help="This donor withdraws (an instance donor id).")
        run.add_argument("--keep-allocated", action="store_true",
                         help="With --withdraw-donor: approved allocations not yet dispatched are still delivered.")
        run.add_argument("--close-hub", metavar="H", help="This hub closes (or loses --cut of its capacity).")
        run.add_argument("--cut", type=float, default=1.0, help="With --close-hub: the capacity share lost (0–1].")
        run.add_argument("--from-week", type=_non_negative, default=0, metavar="W",
                         help="The donor withdraws what it has not dispatched by week W / the hub closes from week W "
                              "(default 0: everything not yet moved).")
        run.add_argument("--to-week", type=_non_negative, default=None, metavar="W",
                         help="With --close-hub: the last week closed (default: the horizon's end).")
        run.add_argument("--delay-donor", metavar="D", help="This donor delivers --weeks later.")
        run.add_argument("--lead-time", nargs=3, metavar=("LEG", "FROM", "TO"),
                         help="Lead times rise by --weeks: LEG 'in' (origin country → hub) or 'out' (hub → "
                              "destination); '*' matches all.")
        run.add_argument("--weeks", type=_positive, default=None, help="Weeks for --delay-donor or --lead-time.")
        run.add_argument("--surge", metavar="ITEMS", help="Demand for these items (comma-separated) rises by --share.")
        run.add_argument("--share", type=float, default=None, help="With --surge: the rise, e.g. 0.25 for +25%%.")
        run.add_argument("--perturbations", metavar="FILE",
                         help="More perturbations: a JSON list in the engine's form.")
        run.add_argument("--name", default="", help="The scenario's name in the result (file input).")
        sweep = sub.add_parser("sweep", help="Each donor withdraws, or each hub closes, in turn.")
        _common(sweep)
        kind = sweep.add_mutually_exclusive_group(required=True)
        kind.add_argument("--donors", dest="kind", action="store_const", const="donors", help="Each donor withdraws.")
        kind.add_argument("--hubs", dest="kind", action="store_const", const="hubs", help="Each hub closes.")
        sweep.add_argument("--from-week", type=_non_negative, default=0, metavar="W",
                           help="Donors withdraw what they have not dispatched by week W (default 0).")
        sweep.add_argument("--workers", type=_positive, default=1, metavar="N",
                           help="Processes to share the scenarios (default 1).")

    # --- plumbing ------------------------------------------------------------------------------------------

    def _bar(self, options: dict[str, Any]) -> ProgressBar | None:
        if options["quiet"]:
            return None
        return ProgressBar(stream=getattr(self.stderr, "_out", sys.stderr))  # the raw stream: no newline per redraw

    def _write(self, document: dict[str, Any], options: dict[str, Any]) -> None:
        text = json.dumps(document, indent=1, ensure_ascii=False)
        if options["output"]:
            try:
                Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {options['output']}: {exc.strerror or exc}",
                                   returncode=BAD_INPUT) from exc
        else:
            self.stdout.write(text)

    def _say(self, line: str, options: dict[str, Any]) -> None:
        (self.stdout if options["output"] else self.stderr).write(line)

    def _instance(self, path: str) -> solver.Instance:
        try:
            return solver.load_instance(path)
        except solver.InstanceError as exc:
            raise CommandError(f"Invalid instance {path}: {exc}", returncode=BAD_INPUT) from exc

    def _scenario(self, name: str) -> Scenario:
        scenario = Scenario.objects.filter(name=name).first()
        if scenario is None:
            known = ", ".join(f"“{n}”" for n in Scenario.objects.values_list("name", flat=True)[:20]) or "none yet"
            raise CommandError(f"No scenario is called “{name}”. Saved scenarios: {known}.", returncode=BAD_INPUT)
        return scenario

    def handle(self, *args: Any, **options: Any) -> None:
        threshold = options["threshold"]
        if threshold is not None and not (math.isfinite(threshold) and 0 <= threshold <= 1):
            raise CommandError("--threshold is a share from 0 to 1.", returncode=BAD_INPUT)
        if options["action"] == "run":
            self._run(options)
        else:
            self._sweep(options)

    # --- run -------------------------------------------------------------------------------------------

    def _perturbations(self, o: dict[str, Any]) -> list[dict[str, Any]]:
        perts: list[dict[str, Any]] = []
        if o["withdraw_donor"]:
            perts.append({"kind": "withdraw_donor", "donor": o["withdraw_donor"], "from_week": o["from_week"],
                          "lose_allocated": not o["keep_allocated"]})
        if o["close_hub"]:
            perts.append({"kind": "close_hub", "hub": o["close_hub"], "cut": o["cut"], "from_week": o["from_week"],
                          "to_week": o["to_week"]})
        if o["delay_donor"]:
            if o["weeks"] is None:
                raise CommandError("--delay-donor needs --weeks N.", returncode=BAD_INPUT)
            perts.append({"kind": "delay_donor", "donor": o["delay_donor"], "weeks": o["weeks"]})
        if o["lead_time"]:
            leg, start, end = o["lead_time"]
            if o["weeks"] is None:
                raise CommandError("--lead-time needs --weeks N.", returncode=BAD_INPUT)
            perts.append({"kind": "lead_time", "leg": leg, "from": start, "to": end, "weeks": o["weeks"]})
        if o["surge"]:
            if o["share"] is None:
                raise CommandError("--surge needs --share X (0.25 for +25%).", returncode=BAD_INPUT)
            perts.append({"kind": "demand_surge", "items": [s.strip() for s in o["surge"].split(",") if s.strip()],
                          "share": o["share"]})
        if o["perturbations"]:
            try:
                more = json.loads(Path(o["perturbations"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read {o['perturbations']}: {exc}", returncode=BAD_INPUT) from exc
            if not isinstance(more, list):
                raise CommandError(f"{o['perturbations']}: expected a JSON list of perturbations.",
                                   returncode=BAD_INPUT)
            perts.extend(more)
        return perts

    def _run(self, o: dict[str, Any]) -> None:
        if o["scenario"]:
            self._run_scenario(o)
            return
        perturbations = self._perturbations(o)
        instance = self._instance(o["input"])
        try:
            engine.validate_perturbations(instance, perturbations)
        except engine.PerturbationError as exc:
            raise CommandError(str(exc), returncode=BAD_INPUT) from exc
        bar = self._bar(o)
        if bar is not None:
            bar(0.0, "planning the baseline")
        baseline = engine.prepare_baseline(instance, time_limit=o["time_limit"],
                                           progress=_scaled(bar, 0.0, 0.45))
        result = engine.run_scenario(baseline, perturbations, name=o["name"],
                                     threshold=0.9 if o["threshold"] is None else o["threshold"],
                                     time_limit=o["time_limit"], progress=_scaled(bar, 0.45, 1.0))
        if bar is not None:
            bar.finish("done")
        self._write(result, o)
        self._say(_run_line(result), o)

    def _run_scenario(self, o: dict[str, Any]) -> None:
        if self._perturbations(o):
            raise CommandError("--scenario runs the saved scenario's perturbations; give no perturbation options.",
                               returncode=BAD_INPUT)
        scenario = self._scenario(o["scenario"])
        with request_id():
            try:
                with transaction.atomic():
                    if o["threshold"] is not None and o["threshold"] != scenario.threshold:
                        raise CommandError("--threshold: the saved scenario has its own threshold; change it there.",
                                           returncode=BAD_INPUT)
                    run = services.run_scenario(actor=None, scenario=scenario, enqueue=False)
            except ServiceError as exc:
                raise CommandError(exc.message, returncode=BAD_INPUT) from exc
            bar = self._bar(o)
            tasks.execute_scenario_run(run.pk, progress=bar, time_limit=o["time_limit"])
            if bar is not None:
                bar.finish("done")
        run.refresh_from_db()
        if run.status != Status.DONE:
            first = run.error.splitlines()[0] if run.error else ""
            raise CommandError(f"Run #{run.pk} of “{scenario.name}” failed: {first}")
        self._write(run.result or {}, o)
        self._say(f"run #{run.pk}: " + _run_line(run.result or {}), o)

    # --- sweep -----------------------------------------------------------------------------------------

    def _sweep(self, o: dict[str, Any]) -> None:
        bar = self._bar(o)
        threshold = 0.9 if o["threshold"] is None else o["threshold"]
        if o["scenario"]:
            scenario = self._scenario(o["scenario"])
            threshold = scenario.threshold if o["threshold"] is None else threshold
            start = monday(clock.today())
            try:
                perturbations = to_engine(scenario.perturbations, start_date=start)
            except Exception as exc:
                raise CommandError(f"Scenario “{scenario.name}”: {exc}", returncode=BAD_INPUT) from exc
            current = tasks.current_instance(start_date=start, weeks=scenario.weeks)
            if bar is not None:
                bar(0.0, "planning the current state")
            first = engine.prepare_baseline(current, time_limit=o["time_limit"], progress=_scaled(bar, 0.0, 0.2))
            try:
                instance = engine.scenario_instance(first, perturbations)
            except engine.PerturbationError as exc:
                raise CommandError(f"Scenario “{scenario.name}”: {exc}", returncode=BAD_INPUT) from exc
            progress = _scaled(bar, 0.2, 1.0)
        else:
            instance = self._instance(o["input"])
            progress = _scaled(bar, 0.0, 1.0)
        document = engine.run_sweep(instance, o["kind"], o["from_week"], time_limit=o["time_limit"],
                                    workers=o["workers"], threshold=threshold, progress=progress)
        if o["scenario"]:
            document["scenario"] = o["scenario"]
        if bar is not None:
            bar.finish("done")
        self._write(document, o)
        worst = max(document["scenarios"], key=lambda s: s["loss_share"], default=None)
        self._say(f"{len(document['scenarios'])} scenarios; baseline objective "
                  f"{document['baseline']['objective']:.6g}"
                  + (f"; largest loss: {worst['name']} ({worst['loss_share']:.1%})" if worst else "")
                  + f"; {document.get('seconds', 0):.1f} s", o)


def _scaled(bar: ProgressBar | None, lo: float, hi: float) -> Any:
    if bar is None:
        return None

    def progress(fraction: float, message: str) -> None:
        bar(lo + (hi - lo) * min(1.0, max(0.0, fraction)), message)

    return progress


def _run_line(result: dict[str, Any]) -> str:
    survive = result.get("time_to_survive_week")
    baseline = (result.get("baseline") or {}).get("objective", 0)
    return (f"objective {result.get('objective', 0):.6g} (baseline {baseline:.6g}); "
            f"loss share {result.get('loss_share', 0):.1%}; time to survive: "
            + ("beyond the horizon" if survive is None else f"week {survive}")
            + f"; {result.get('seconds', 0):.1f} s")
