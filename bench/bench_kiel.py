"""Concentration and exposure in real aid flows: the Kiel Ukraine Support Tracker, website release 29.

Run from the repository root: ``python bench/bench_kiel.py`` prints a Markdown section and writes it into
docs/benchmarks.md (``make bench`` runs it); ``run()`` returns it. Does not import Django.

The data are the tracker's monthly aggregates by donor (``data_explorer.csv``: EUR billions of financial,
humanitarian and military allocations, and commitments, per donor and month), read from
``../shared/data/aid-flows/kiel-ukraine-support-tracker/website-release29/`` next to the repository (or
``$AIDBRIDGE_KIEL_DIR``). They state no licence: they are used here, in benchmarks and tests, and never
copied into the repository.

1. Concentration: per aid type, over the whole series and per month, the donor HHI and the largest donor's
   share of allocations (and of commitments, which the files give per month for all aid types together),
   computed by ``aidbridge.whatif.engine.concentration``, the code the application runs on its own pledges.
2. Exposure: per aid type, an allocation instance in which each month is one planning "week": one item (units
   of EUR 1m), one pledge per donor and month, one P1 requirement per month equal to that month's total and
   due that month, one hub with ample capacity, lead times 0. Late aid is worth nothing (decay 1 per month);
   aid may be carried forward to a later month. The what-if engine then withdraws the type's largest donor
   from the first month and from the middle of the series (the months before it fixed as history), re-plans,
   and reports the coverage lost.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aidbridge.allocation.solver import Instance  # noqa: E402
from aidbridge.whatif import engine  # noqa: E402
from aidbridge.whatif.engine import concentration  # noqa: E402
from bench.report import write_section  # noqa: E402

TITLE = "## Concentration in real aid flows (Kiel Ukraine Support Tracker, release 29)"
DEFAULT_DIR = ROOT.parent / "shared" / "data" / "aid-flows" / "kiel-ukraine-support-tracker" / "website-release29"
EXPLORER = "data_explorer.csv"
TYPES = ("financial", "humanitarian", "military")
UNIT_PER_BN = 1000  # instance units are EUR 1m
HUB = "KIEL-HUB"
DESTINATION = "UA"
#: Seconds per solve. Above 30 s the solver refines its plan by Dantzig-Wolfe, which closes the gap on these
#: single-item instances in under a second; with the engine's 10 s default the Lagrangian repair alone can stop
#: far from the bound (18.7% on humanitarian aid without Germany from mid-series).
TIME_LIMIT = 60.0


class DataMissing(FileNotFoundError):
    """The Kiel files are not there (they are not part of the repository)."""


@dataclass(frozen=True)
class Row:
    """One line of ``data_explorer.csv``: a donor's aid in one month, EUR billions."""

    donor: str  # ISO code as the tracker gives it ("USA"; "EU" for the EU institutions)
    name: str
    year: int
    month: int
    financial: float
    humanitarian: float
    military: float
    commitments: float

    @property
    def ym(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def amount(self, kind: str) -> float:
        return float(getattr(self, kind))


def data_dir() -> Path:
    env = os.environ.get("AIDBRIDGE_KIEL_DIR")
    return Path(env) if env else DEFAULT_DIR


def load(directory: Path | None = None) -> list[Row]:
    """The rows of ``data_explorer.csv``; ``DataMissing`` if the file is absent, ``ValueError`` naming the line
    for a malformed one (a missing column, a non-number, a negative or non-finite amount)."""
    path = (directory or data_dir()) / EXPLORER
    if not path.is_file():
        raise DataMissing(
            f"Kiel Ukraine Support Tracker data not found: {path} is missing. It is not shipped with Aidbridge "
            f"(no licence is stated); put website release 29 at {DEFAULT_DIR} or set AIDBRIDGE_KIEL_DIR."
        )
    out: list[Row] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for line, rec in enumerate(csv.DictReader(fh), start=2):
            try:
                amounts = {k: float(rec[k]) for k in (*TYPES, "commitments")}
                row = Row(donor=rec["iso"].strip(), name=rec["country"].strip(), year=int(rec["year"]),
                          month=int(rec["month"]), **amounts)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path.name} line {line}: {exc}") from None
            bad = [k for k, v in amounts.items() if not math.isfinite(v) or v < 0]
            if bad or not row.donor or not 1 <= row.month <= 12:
                raise ValueError(f"{path.name} line {line}: bad value in {bad or ['iso/month']}")
            out.append(row)
    return out


def months(rows: Iterable[Row]) -> list[str]:
    """Every month from the first to the last in the data, as ``YYYY-MM`` (none skipped)."""
    yms = sorted({(r.year, r.month) for r in rows})
    if not yms:
        return []
    (y, m), last, out = yms[0], yms[-1], []
    while (y, m) <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def names(rows: Iterable[Row]) -> dict[str, str]:
    return {r.donor: r.name for r in rows}


def by_type(rows: Sequence[Row]) -> dict[str, concentration.Concentration]:
    """Whole series, per aid type (allocations)."""
    return concentration.by_group((k, r.donor, r.amount(k)) for k in TYPES for r in rows)


def by_type_and_month(rows: Sequence[Row]) -> dict[tuple[str, str], concentration.Concentration]:
    """Per (aid type or "commitments", month)."""
    return concentration.by_group(((k, r.ym), r.donor, r.amount(k)) for k in (*TYPES, "commitments") for r in rows)


# ---- the allocation instance -----------------------------------------------------------------------------


def units(amount_bn: float) -> int:
    return int(round(amount_bn * UNIT_PER_BN))


def instance_dict(rows: Sequence[Row], kind: str, fixed_before: int = 0) -> dict[str, Any]:
    """The allocation instance of one aid type (module docstring, point 2). Week w is month w of the series.

    Months before ``fixed_before`` are history: each of their pledges goes to its own month's requirement as a
    fixed flow, so a scenario that starts in month ``fixed_before`` cannot re-plan the past (in the application
    the past is likewise fixed: approved flows are fixed flows, moved ones are netted off).
    """
    series = months(rows)
    week = {ym: w for w, ym in enumerate(series)}
    pledges: list[dict[str, Any]] = []
    fixed: list[dict[str, Any]] = []
    need: dict[str, int] = defaultdict(int)
    for r in sorted(rows, key=lambda r: (r.ym, r.donor)):
        q = units(r.amount(kind))
        if q > 0:
            w = week[r.ym]
            pledges.append({"id": f"{r.donor}-{r.ym}", "donor": r.donor, "origin": r.donor, "item": kind,
                            "quantity": q, "available_week": w})
            need[r.ym] += q
            if w < fixed_before:
                fixed.append({"pledge": f"{r.donor}-{r.ym}", "requirement": f"{kind}-{r.ym}", "hub": HUB,
                              "ship_week": w, "dispatch_week": w, "quantity": q})
    requirements = [{"id": f"{kind}-{ym}", "item": kind, "quantity": q, "priority": 1, "due_week": week[ym],
                     "destination": DESTINATION} for ym, q in sorted(need.items())]
    origins = sorted({p["origin"] for p in pledges})
    out: dict[str, Any] = {
        "schema": "aidbridge.allocation-instance/1",
        "weeks": len(series),
        "items": [{"id": kind, "weight_t": 1.0}],
        "hubs": [{"id": HUB, "capacity_t_per_week": float(sum(need.values()) + 1)}],
        "lead_in_weeks": {o: {HUB: 0} for o in origins},
        "lead_out_weeks": {HUB: {DESTINATION: 0}},
        "cost_in_per_t": {},
        "pledges": pledges,
        "requirements": requirements,
        "packages": [],
        "priority_value": {"1": 1000},
        "lateness_decay_per_week": 1.0,
    }
    if fixed:
        out["fixed_flows"] = fixed
    return out


def withdrawal(rows: Sequence[Row], kind: str, donor: str, from_week: int) -> dict[str, Any]:
    """The what-if result of ``donor`` stopping ``kind`` aid from month ``from_week`` (the past before it fixed),
    with ``"baseline_plan_objective"`` and ``"wall_seconds"`` added."""
    t0 = time.perf_counter()
    inst = Instance.from_dict(instance_dict(rows, kind, fixed_before=from_week))
    baseline = engine.prepare_baseline(inst, time_limit=TIME_LIMIT)
    res = engine.run_scenario(baseline, [{"kind": "withdraw_donor", "donor": donor, "from_week": from_week}],
                              name=f"{donor} stops {kind} aid from month {from_week}", time_limit=TIME_LIMIT)
    res["baseline_plan_objective"] = baseline.plan.objective
    res["wall_seconds"] = time.perf_counter() - t0
    return res


# ---- the Markdown section --------------------------------------------------------------------------------


def _pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _top(c: concentration.Concentration, label: dict[str, str]) -> str:
    return "–" if c.top is None else f"{label.get(c.top, c.top)} {_pct(c.top_share)}"


def _concentration_tables(rows: Sequence[Row], series: list[str], label: dict[str, str]) -> list[str]:
    overall = by_type(rows)
    commit = concentration.by_group(("commitments", r.donor, r.commitments) for r in rows)["commitments"]
    total = concentration.by_group(("total", r.donor, sum(r.amount(k) for k in TYPES)) for r in rows)["total"]
    lines = ["| aid type | EUR bn | donors | HHI | largest donor (share) |", "|---|---:|---:|---:|---|"]
    for k, c in [*((k, overall[k]) for k in TYPES), ("all allocations", total), ("commitments (all types)", commit)]:
        lines.append(f"| {k} | {c.total:.1f} | {c.donors} | {c.hhi:.3f} | {_top(c, label)} |")
    monthly = by_type_and_month(rows)
    head = "| month | " + " | ".join(f"{k} HHI | {k} largest" for k in (*TYPES, "commitments")) + " |"
    lines += ["", "By month (HHI of the month's allocations; largest donor and its share):", "",
              head, "|---|" + "---:|---|" * (len(TYPES) + 1)]
    empty = concentration.EMPTY
    for ym in series:
        cells = []
        for k in (*TYPES, "commitments"):
            c = monthly.get((k, ym), empty)
            cells += ["–" if c.total == 0 else f"{c.hhi:.2f}", _top(c, label)]
        lines.append(f"| {ym} | " + " | ".join(cells) + " |")
    return lines


def _exposure_tables(rows: Sequence[Row], series: list[str], label: dict[str, str]) -> list[str]:
    overall = by_type(rows)
    mid = len(series) // 2
    starts = [0, mid]
    results = {(k, w): withdrawal(rows, k, str(overall[k].top), w) for k in TYPES for w in starts}
    lines = [
        f"Each aid type's largest donor stops from {series[0]} (the first month) or from {series[mid]} "
        "(mid-series; the months before are history, fixed), and the what-if engine re-plans the other donors' "
        "aid. Each month is one planning week and one P1 requirement, equal to what all donors gave that month "
        "(in units of EUR 1m) and due that month; aid may be carried forward to a later month, and aid that "
        "comes late counts for nothing. *Loss share* is the engine's: the share of the baseline's priority "
        "points lost, where every month's requirement is worth the same, so re-planning moves money given early "
        "towards the smaller months it can fill. *EUR lost* is the share of the type's euros over the whole "
        "series no longer delivered in time; *no re-plan* is the donor's own euros from that month on, the loss "
        "if nothing were re-planned. The tracker records aid given, not needs left unmet, so there is no slack "
        "for others to fill the gap: EUR lost equals the no-re-plan figure, and re-planning only shapes which "
        "months bear it.",
        "",
        "| aid type | donor | share (whole series) | stops from | loss share (points) | EUR lost | no re-plan | "
        "first month below 90% cumulative coverage | proven gap | s |",
        "|---|---|---:|---|---:|---:|---:|---|---:|---:|",
    ]
    for k in TYPES:
        c = overall[k]
        donor = str(c.top)
        total_units = sum(units(r.amount(k)) for r in rows)
        for w in starts:
            res = results[(k, w)]
            fill = res["fill_by_priority"].get("1", {})
            eur_lost = (fill.get("baseline", 0) - fill.get("scenario", 0)) / total_units if total_units else 0.0
            own = sum(units(r.amount(k)) for r in rows if r.donor == donor and r.ym >= series[w])
            tts = res["time_to_survive_week"]
            no_replan = own / total_units if total_units else 0.0
            lines.append(
                f"| {k} | {label.get(donor, donor)} | {_pct(c.top_share)} | {series[w]} | "
                f"{_pct(res['loss_share'], 1)} | {_pct(eur_lost, 1)} | {_pct(no_replan, 1)} | "
                f"{'–' if tts is None else series[tts]} | {_pct(res['gap'], 2)} | {res['wall_seconds']:.1f} |"
            )
    lines += ["", "Cumulative coverage month by month (the engine's P1 coverage: the share of the euros due up to "
              "that month delivered by then; the baseline is 100% throughout):", "",
              "| month | " + " | ".join(f"{k}, no {overall[k].top} from {series[w]}" for k in TYPES for w in starts)
              + " |",
              "|---|" + "---:|" * (len(TYPES) * len(starts))]
    for i, ym in enumerate(series):
        cells = [_pct(results[(k, w)]["coverage_by_week"]["scenario"][i]) for k in TYPES for w in starts]
        lines.append(f"| {ym} | " + " | ".join(cells) + " |")
    return lines


def run(directory: Path | None = None) -> str:
    """The Markdown section (``DataMissing`` if the Kiel files are absent)."""
    t0 = time.perf_counter()
    rows = load(directory)
    series = months(rows)
    label = names(rows)
    donors = len({r.donor for r in rows})
    lines = [
        TITLE, "",
        f"The Kiel Institute's Ukraine Support Tracker (website release 29, data to {series[-1]}): {len(rows)} "
        f"donor-months, {donors} donors, {series[0]} to {series[-1]}, EUR billions of financial, humanitarian "
        "and military allocations (aid delivered or earmarked) and of commitments, per donor and month. The "
        "files state no licence, so Aidbridge uses them only in this benchmark and in tests, and does not ship "
        "them: the figures below are computed at run time from a local copy of the tracker's files ("
        "`$AIDBRIDGE_KIEL_DIR` names its folder). HHI is the Herfindahl–Hirschman index as "
        "a share (1 = one donor; 1/n = n equal donors), computed by `aidbridge.whatif.engine.concentration`, the "
        "code the application runs on its own pledges.", "",
    ]
    lines += _concentration_tables(rows, series, label)
    lines += ["", "### The coverage lost if that donor had stopped", ""]
    lines += _exposure_tables(rows, series, label)
    lines += ["", f"Whole section computed in {time.perf_counter() - t0:.1f} s.", ""]
    return "\n".join(lines)


def main() -> int:
    # HiGHS prints a banner on the process's standard output; send it to stderr so stdout is just the Markdown.
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        md = run()
    except DataMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    print(md)
    print(f"wrote {write_section('kiel', md)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
