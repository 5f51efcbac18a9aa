"""The first-come baseline of docs/training.md: what a training cell does by hand.

Requests are taken in order of ``needed_by_day``, then priority, then id. Fixed assignments come first (and
fixed crews missing a seat on a prerequisite get one, before anything else is booked). Each of
a request's crews still to train then takes the earliest-ending usable course that qualifies it (ties: instance
order) whose whole prerequisite tree (the course and the prerequisites the request does not hold) still has a
seat for every member of the crew; the crew books the prerequisites first, then the course. When no such course
is left the request is done, and the next one is served.
"""

from __future__ import annotations

import time
from collections import Counter

from .compiled import Compiled, compile_instance, objective_of
from .model import Assignment, Instance, Plan


def first_come_crews(comp: Compiled) -> tuple[dict[tuple[str, str], int], bool]:
    """Crews per (request, course) booked by the first-come rule, fixed crews included, and whether the result
    is feasible (False when fixed crews lack seats on their prerequisites and none are left to book)."""
    inst = comp.inst
    cb = inst.course_by_id
    free = dict(comp.free)
    x: dict[tuple[str, str], int] = dict(comp.fixed_crews)
    order = sorted(inst.requests, key=lambda r: (r.needed_by_day, r.priority, r.id))
    ok = True
    for r in order:
        # fixed crews whose prerequisites are not booked: book them before anything else (latest courses first)
        for k in sorted(comp.active[r.id], key=lambda k: cb[k].start_day, reverse=True):
            onward = sum(x.get((r.id, c), 0) for c in comp.deps.get((r.id, k), ()))
            deficit = onward - x.get((r.id, k), 0)
            while deficit > 0:
                tree = comp.tree[(r.id, k)]
                if not all(free[c] >= n * r.crew_size for c, n in tree.items()):
                    ok = False
                    break
                for c, n in tree.items():
                    free[c] -= n * r.crew_size
                    x[(r.id, c)] = x.get((r.id, c), 0) + n
                deficit -= 1
    for r in order:
        qual = set(comp.targets[r.id])
        # crews already sent (fixed): every active course's crews minus those going on
        sent = 0
        for k in comp.active[r.id]:
            onward = sum(x.get((r.id, c), 0) for c in comp.deps.get((r.id, k), ()))
            sent += max(0, x.get((r.id, k), 0) - onward)
        targets = sorted(qual, key=lambda k: (cb[k].end_day, inst.courses.index(cb[k])))
        left = r.crews - sent
        while left > 0:
            for t in targets:
                need: Counter[str] = comp.tree[(r.id, t)]
                if all(free[k] >= n * r.crew_size for k, n in need.items()):
                    for k, n in need.items():
                        free[k] -= n * r.crew_size
                        x[(r.id, k)] = x.get((r.id, k), 0) + n
                    left -= 1
                    break
            else:
                break
    return x, ok


def plan_from_crews(comp: Compiled, x: dict[tuple[str, str], int]) -> tuple[Assignment, ...]:
    """Fixed assignments (unchanged, first), then the new seats per (request, course) in instance order."""
    inst = comp.inst
    out = list(inst.fixed)
    for r in inst.requests:
        for k in comp.active[r.id]:
            new = x.get((r.id, k), 0) - comp.fixed_crews.get((r.id, k), 0)
            if new > 0:
                out.append(Assignment(r.id, k, new * r.crew_size))
    return tuple(out)


def first_come(instance: Instance) -> Plan:
    """The baseline plan (status "feasible", no bound). Never raises for a valid instance."""
    t0 = time.monotonic()
    try:
        comp = compile_instance(instance)
        x, ok = first_come_crews(comp)
        return Plan("feasible" if ok else "infeasible", round(objective_of(comp, x), 9), None, plan_from_crews(comp, x),
                    {"seconds": round(time.monotonic() - t0, 4), "method": "first-come", "gap": None,
                     **({} if ok else {"note": "fixed crews lack seats on their prerequisites"})})
    except Exception as exc:  # pragma: no cover - defensive: valid instances never get here
        return Plan("error", 0.0, None, tuple(instance.fixed),
                    {"seconds": round(time.monotonic() - t0, 4), "method": "first-come",
                     "error": f"{type(exc).__name__}: {exc}"})
