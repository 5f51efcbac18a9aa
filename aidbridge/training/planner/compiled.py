"""Which courses each request's crews may take (shared by :mod:`.solve` and :mod:`.baseline`;
:mod:`.evaluate` re-derives the same rules on its own).

For a request r and a course k, the *tree* of k is k plus, recursively, the trees of k's prerequisites that r
does not hold: the courses one crew must take, in prerequisite order, to finish k. A course k is *usable* by r
when every course of its tree passes the pair rules (language, travel there in time, ends plus travel back by
``needed_by_day``), each prerequisite in the tree ends before the course that needs it starts, and no two courses
of the tree overlap in time. A *target* is a usable course that qualifies r. ``active[r]`` is the union of the
trees of r's targets: the only (request, course) pairs the planner ever books.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .model import Course, Instance, Request


@dataclass
class Compiled:
    inst: Instance
    #: seats left on each course after all fixed assignments (never negative)
    free: dict[str, int] = field(default_factory=dict)
    #: request id -> usable courses that qualify it, in instance course order
    targets: dict[str, list[str]] = field(default_factory=dict)
    #: request id -> the courses its crews may take (union of its targets' trees), in instance course order
    active: dict[str, list[str]] = field(default_factory=dict)
    #: (request, course) -> the active courses that name it as a prerequisite the request does not hold
    deps: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: (request, course) -> how many seats of each course one crew finishing that course takes
    tree: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    #: fixed crews on active pairs; fixed seats on other pairs only take seats ("inert")
    fixed_crews: dict[tuple[str, str], int] = field(default_factory=dict)
    #: request id -> most crews that may finish anywhere: its crews, or more if fixed crews already do
    crew_limit: dict[str, int] = field(default_factory=dict)


def pair_ok(inst: Instance, r: Request, c: Course) -> bool:
    if r.language != c.language:
        return False
    t = inst.travel(r.origin, c.location)
    return t is not None and c.start_day - t >= 0 and c.end_day + t <= r.needed_by_day


def compile_instance(inst: Instance) -> Compiled:
    cb = inst.course_by_id
    order = {c.id: i for i, c in enumerate(inst.courses)}
    comp = Compiled(inst)
    used: Counter[str] = Counter()
    for a in inst.fixed:
        used[a.course] += a.seats
    comp.free = {c.id: max(0, c.seats - used[c.id]) for c in inst.courses}
    for r in inst.requests:
        holds = set(r.holds)
        memo: dict[str, Counter[str] | None] = {}

        def tree(cid: str, r: Request = r, holds: set[str] = holds, memo: dict[str, Counter[str] | None] = memo
                 ) -> Counter[str] | None:
            if cid in memo:
                return memo[cid]
            c = cb[cid]
            out: Counter[str] | None = Counter({cid: 1}) if pair_ok(inst, r, c) else None
            for p in c.prerequisites:
                if out is None:
                    break
                if p in holds:
                    continue
                sub = tree(p)
                out = None if sub is None or cb[p].end_day >= c.start_day else out + sub
            if out is not None:
                courses = sorted(out, key=lambda cid_: (cb[cid_].start_day, cb[cid_].end_day))
                for a, b in zip(courses, courses[1:], strict=False):
                    if cb[b].start_day <= cb[a].end_day:
                        out = None
                        break
            memo[cid] = out
            return out

        targets = [c.id for c in inst.courses if r.qualified_by(c) and tree(c.id) is not None]
        comp.targets[r.id] = targets
        active: set[str] = set()
        for t in targets:
            active.update(tree(t) or ())
        comp.active[r.id] = sorted(active, key=order.__getitem__)
        for k in comp.active[r.id]:
            comp.tree[(r.id, k)] = tree(k) or Counter()
            for p in cb[k].prerequisites:
                if p not in holds:
                    comp.deps.setdefault((r.id, p), []).append(k)
    crews_of = {r.id: r.crew_size for r in inst.requests}
    for a in inst.fixed:
        key = (a.request, a.course)
        if key in comp.tree:
            comp.fixed_crews[key] = comp.fixed_crews.get(key, 0) + a.seats // crews_of[a.request]
    for r in inst.requests:
        roots = 0
        for k in comp.active[r.id]:
            onward = sum(comp.fixed_crews.get((r.id, c), 0) for c in comp.deps.get((r.id, k), ()))
            roots += max(0, comp.fixed_crews.get((r.id, k), 0) - onward)
        comp.crew_limit[r.id] = max(r.crews, roots)
    return comp


def trained_crews(comp: Compiled, x: dict[tuple[str, str], int]) -> dict[str, int]:
    """Crews of each request that finish a target: for each target k, crews on k minus those going on to
    another course that needs k."""
    inst = comp.inst
    out: dict[str, int] = {}
    for r in inst.requests:
        qual = set(comp.targets[r.id])
        total = 0
        for k in comp.active[r.id]:
            if k in qual:
                onward = sum(x.get((r.id, c), 0) for c in comp.deps.get((r.id, k), ()))
                total += max(0, x.get((r.id, k), 0) - onward)
        out[r.id] = min(r.crews, total)
    return out


def objective_of(comp: Compiled, x: dict[tuple[str, str], int]) -> float:
    inst = comp.inst
    t = trained_crews(comp, x)
    return sum(inst.priority_value[r.priority] * t[r.id] / r.crews for r in inst.requests)
