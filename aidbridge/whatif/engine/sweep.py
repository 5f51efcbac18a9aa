"""Running scenarios: one (:func:`run_scenario`), or a sweep where each donor withdraws, or each hub closes,
in turn (:func:`sweep_targets`, :func:`summarise_sweep`, :func:`run_sweep`)."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aidbridge.allocation.solver import Instance

from .metrics import compare
from .perturb import apply, validate_perturbations
from .replan import DEFAULT_TIME_LIMIT, Baseline, prepare_baseline, replan

Progress = Callable[[float, str], None]
RESULT_SCHEMA = "aidbridge.whatif-result/1"
SWEEP_SCHEMA = "aidbridge.whatif-sweep/1"
SWEEP_KINDS = {"donors": "withdraw_donor", "hubs": "close_hub"}
SWEEP_LOSING_ROWS = 100  # requirements listed per scenario in a sweep document (all are counted)


def scenario_instance(baseline: Baseline, perturbations: Sequence[Mapping[str, Any]]) -> Instance:
    """The instance of a scenario (for a sweep on top of a scenario, say)."""
    perts = validate_perturbations(baseline.instance, perturbations)
    return apply(baseline.instance, baseline.plan, perts)[0]


def run_scenario(baseline: Baseline, perturbations: Sequence[Mapping[str, Any]], *, name: str = "",
                 threshold: float = 0.9, item_classes: Mapping[str, str] | None = None,
                 time_limit: float | None = DEFAULT_TIME_LIMIT, warm: bool = True,
                 progress: Progress | None = None) -> dict[str, Any]:
    """Apply the perturbations to the baseline, re-plan, and compare: the ``aidbridge.whatif-result/1``
    document (docs/whatif.md). Raises :class:`PerturbationError` for a bad perturbation."""
    return replan_scenario(baseline, perturbations, name=name, threshold=threshold, item_classes=item_classes,
                           time_limit=time_limit, warm=warm, progress=progress)[0]


def replan_scenario(baseline: Baseline, perturbations: Sequence[Mapping[str, Any]], *, name: str = "",
                    threshold: float = 0.9, item_classes: Mapping[str, str] | None = None,
                    time_limit: float | None = DEFAULT_TIME_LIMIT, warm: bool = True,
                    progress: Progress | None = None) -> tuple[dict[str, Any], Instance]:
    """:func:`run_scenario`, also returning the scenario's instance (for comparisons the engine does not make,
    such as capability readiness)."""
    t0 = time.monotonic()
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie between 0 and 1, not {threshold!r}")
    say = progress or (lambda f, m: None)
    perts = validate_perturbations(baseline.instance, perturbations)
    say(0.02, "applying the perturbations")
    scen, change = apply(baseline.instance, baseline.plan, perts)

    def sub(fraction: float, message: str) -> None:
        say(0.05 + 0.85 * fraction, message)

    plan = replan(baseline, scen, change, time_limit=time_limit, warm=warm, progress=sub)
    say(0.92, "comparing with the baseline")
    out: dict[str, Any] = {"schema": RESULT_SCHEMA, "name": name, "perturbations": perts}
    cmp = compare(baseline.instance, baseline.plan.flows, scen, plan.flows, threshold=threshold,
                  item_classes=item_classes, withdrawn=change.withdrawn)
    out["baseline"] = {"objective": baseline.plan.objective, "bound": round(baseline.bound, 9), **cmp.pop("baseline")}
    # approved allocations (fixed flows) that the scenario lost or released to be re-planned: without them the
    # scenario has more freedom than the baseline, so it may score above it (docs/whatif.md)
    scen_fixed = set(scen.fixed_flows)
    released = [f for f in baseline.instance.fixed_flows if f not in scen_fixed]
    out["released"] = {"flows": len(released), "units": sum(f.quantity for f in released)}
    out.update({"objective": plan.objective, "bound": plan.bound, "gap": plan.stats.get("gap")})
    out.update(cmp)
    out["plan"] = {"status": plan.status, "objective": plan.objective, "bound": plan.bound,
                   "stats": dict(plan.stats), "flows": [f.to_dict() for f in plan.flows]}
    out["seconds"] = round(time.monotonic() - t0, 4)
    say(1.0, "done")
    return out, scen


def sweep_targets(instance: Instance, kind: str, from_week: int = 0) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """``(kind, target, perturbations)`` for each donor (``kind="donors"``: largest pledged tonnes first) or
    each hub (``kind="hubs"``, by id)."""
    if kind not in SWEEP_KINDS:
        raise ValueError(f"unknown sweep kind {kind!r}; expected one of {', '.join(SWEEP_KINDS)}")
    if kind == "hubs":
        return [("close_hub", h.id, [{"kind": "close_hub", "hub": h.id}]) for h in sorted(instance.hubs,
                                                                                          key=lambda h: h.id)]
    weight = {i.id: i.weight_t for i in instance.items}
    tonnes: dict[str, float] = {}
    for p in instance.pledges:
        tonnes[p.donor] = tonnes.get(p.donor, 0.0) + p.quantity * weight[p.item]
    donors = sorted(tonnes, key=lambda d: (-tonnes[d], d))
    return [("withdraw_donor", d, [{"kind": "withdraw_donor", "donor": d, "from_week": from_week}]) for d in donors]


def target_name(kind: str, target: str) -> str:
    return f"{target} withdraws" if kind == "withdraw_donor" else f"{target} closes"


def summarise_sweep(baseline: Baseline, results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``aidbridge.whatif-sweep/1`` document from the scenario results (each carrying "kind" and
    "target"), in the order given."""
    scenarios = []
    for r in results:
        losing = list(r["requirements_losing"])
        scenarios.append({
            "name": r.get("name") or target_name(r["kind"], r["target"]), "kind": r["kind"], "target": r["target"],
            "objective": r["objective"], "bound": r["bound"], "gap": r.get("gap"), "loss_share": r["loss_share"],
            "time_to_survive_week": r["time_to_survive_week"],
            "requirements_losing": losing[:SWEEP_LOSING_ROWS], "requirements_losing_count": len(losing),
            "single_points_of_failure": r["single_points_of_failure"],
            "replan": r.get("plan", {}).get("stats", {}).get("replan"), "seconds": r.get("seconds"),
        })
    return {"schema": SWEEP_SCHEMA,
            "baseline": {"objective": baseline.plan.objective, "bound": round(baseline.bound, 9)},
            "scenarios": scenarios}


_SHARED: dict[str, Any] = {}


def _one(job: tuple[int, str, str, list[dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    i, kind, target, perts = job
    res = run_scenario(_SHARED["baseline"], perts, name=target_name(kind, target), threshold=_SHARED["threshold"],
                       time_limit=_SHARED["time_limit"], warm=_SHARED["warm"])
    res["kind"], res["target"] = kind, target
    return i, res


def run_sweep(instance: Instance, kind: str, from_week: int = 0, *, time_limit: float | None = DEFAULT_TIME_LIMIT,
              workers: int = 1, warm: bool = True, threshold: float = 0.9, baseline: Baseline | None = None,
              progress: Progress | None = None) -> dict[str, Any]:
    """A whole sweep in one call: the baseline (unless given), then every scenario, on ``workers`` processes
    (forked; each scenario's solve then stays single-process)."""
    t0 = time.monotonic()
    say = progress or (lambda f, m: None)
    if baseline is None:
        say(0.0, "planning the baseline")
        baseline = prepare_baseline(instance, time_limit=time_limit)
    jobs = [(i, k, t, p) for i, (k, t, p) in enumerate(sweep_targets(baseline.instance, kind, from_week))]
    _SHARED.update(baseline=baseline, threshold=threshold, time_limit=time_limit, warm=warm)
    results: dict[int, dict[str, Any]] = {}
    say(0.05, f"{len(jobs)} scenarios")
    try:
        if workers > 1 and len(jobs) > 1 and "fork" in mp.get_all_start_methods():
            with mp.get_context("fork").Pool(min(workers, len(jobs))) as pool:
                for i, res in pool.imap_unordered(_one, jobs):
                    results[i] = res
                    say(0.05 + 0.95 * len(results) / len(jobs), f"{len(results)} of {len(jobs)}: {res['name']}")
        else:
            for job in jobs:
                i, res = _one(job)
                results[i] = res
                say(0.05 + 0.95 * len(results) / len(jobs), f"{len(results)} of {len(jobs)}: {res['name']}")
    finally:
        _SHARED.clear()
    doc = summarise_sweep(baseline, [results[i] for i in range(len(jobs))])
    doc["seconds"] = round(time.monotonic() - t0, 4)
    return doc
