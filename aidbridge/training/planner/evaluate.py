"""Independent plan checker: re-applies every feasibility rule of docs/training.md and recomputes the
objective, in plain Python over the instance, without the planner's code.

Fixed assignments are facts: the plan's assignments matching the instance's ``fixed`` (as a multiset) are not
checked against the pair rules and may overbook a course; new seats must fit in what they leave. Fixed seats on a
(request, course) pair that the rules do not allow take seats but train nobody.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import Instance, Plan


@dataclass
class Evaluation:
    feasible: bool
    violations: list[str]
    objective: float
    #: request id -> crews trained in time (finishing a course that qualifies them)
    trained_crews: dict[str, int] = field(default_factory=dict)
    #: course id -> seats booked by the plan (fixed included)
    seats_used: dict[str, int] = field(default_factory=dict)
    #: priority -> {"requests", "trainees", "trained", "value", "value_captured"}
    by_priority: dict[int, dict[str, float]] = field(default_factory=dict)


def evaluate(instance: Instance, plan: Plan) -> Evaluation:
    """Check every rule and recompute the objective of ``plan`` for ``instance``."""
    inst = instance
    courses = {c.id: c for c in inst.courses}
    requests = {r.id: r for r in inst.requests}
    v: list[str] = []
    total: dict[tuple[str, str], int] = defaultdict(int)
    new: dict[tuple[str, str], int] = defaultdict(int)
    fixed_left: dict[tuple[str, str, int], int] = defaultdict(int)
    for a in inst.fixed:
        fixed_left[(a.request, a.course, a.seats)] += 1
    fixed_on: dict[str, int] = defaultdict(int)
    new_on: dict[str, int] = defaultdict(int)
    fixed_pair: dict[tuple[str, str], int] = defaultdict(int)
    for i, a in enumerate(plan.assignments):
        tag = f"assignment[{i}] ({a.request} on {a.course}, {a.seats} seats)"
        r = requests.get(a.request)
        c = courses.get(a.course)
        if r is None or c is None:
            v.append(f"{tag}: unknown request or course")
            continue
        if not isinstance(a.seats, int) or isinstance(a.seats, bool) or a.seats <= 0:
            v.append(f"rule 1: {tag}: seats must be a positive integer")
            continue
        if a.seats % r.crew_size:
            v.append(f"rule 1: {tag}: not a whole number of crews of {r.crew_size}")
            continue
        total[(r.id, c.id)] += a.seats // r.crew_size
        if fixed_left.get((a.request, a.course, a.seats)):
            fixed_left[(a.request, a.course, a.seats)] -= 1
            fixed_on[c.id] += a.seats
            fixed_pair[(r.id, c.id)] += a.seats // r.crew_size
        else:
            new_on[c.id] += a.seats
            new[(r.id, c.id)] += a.seats // r.crew_size
    for (rid, cid, seats), n in sorted(fixed_left.items()):
        if n > 0:
            v.append(f"fixed assignment {rid} on {cid} ({seats} seats) is missing from the plan")

    # which (request, course) pairs the rules allow: the course and its whole prerequisite tree
    def reachable(rid: str, cid: str) -> bool:
        r, c = requests[rid], courses[cid]
        t = inst.travel_days.get(r.origin, {}).get(c.location)
        return (r.language == c.language and t is not None and c.start_day >= t
                and c.end_day + t <= r.needed_by_day)

    def needs(rid: str, cid: str) -> set[str]:
        out = {cid}
        for p in courses[cid].prerequisites:
            if p not in requests[rid].holds:
                out |= needs(rid, p)
        return out

    def allowed_tree(rid: str, cid: str) -> str | None:
        """None if a crew of rid may finish cid, else the reason."""
        tree = needs(rid, cid)
        for k in sorted(tree):
            if not reachable(rid, k):
                return f"course {k}: language, travel or timing rule fails"
            for p in courses[k].prerequisites:
                if p not in requests[rid].holds and courses[p].end_day >= courses[k].start_day:
                    return f"prerequisite {p} does not end before {k} starts"
        spans = sorted((courses[k].start_day, courses[k].end_day, k) for k in tree)
        for (_s1, e1, k1), (s2, _e2, k2) in zip(spans, spans[1:], strict=False):
            if s2 <= e1:
                return f"courses {k1} and {k2} of the same crew overlap"
        return None

    def qualifies(rid: str, cid: str) -> bool:
        r = requests[rid]
        q = courses[cid].qualifies
        return r.item in q or (r.item_class is not None and r.item_class in q)

    allowed: dict[tuple[str, str], bool] = {}

    def pair_allowed(rid: str, cid: str) -> bool:
        key = (rid, cid)
        if key not in allowed:
            ok = allowed_tree(rid, cid) is None and any(
                qualifies(rid, q.id) and allowed_tree(rid, q.id) is None and cid in needs(rid, q.id)
                for q in inst.courses)
            allowed[key] = ok
        return allowed[key]

    for (rid, cid), n in sorted(new.items()):
        if n <= 0:
            continue
        if not pair_allowed(rid, cid):
            why = allowed_tree(rid, cid) or "it neither qualifies the request nor leads to a course that does"
            v.append(f"rule 2: {rid} on {cid}: not allowed ({why})")

    for cid in sorted(set(fixed_on) | set(new_on)):
        cap = max(0, courses[cid].seats - fixed_on.get(cid, 0))
        if new_on.get(cid, 0) > cap:
            v.append(f"rule 3: course {cid}: {new_on[cid]} new seats booked, only {cap} free "
                     f"({courses[cid].seats} seats, {fixed_on.get(cid, 0)} fixed)")

    # crews per pair that count (allowed pairs; fixed seats on other pairs train nobody)
    x = {key: n for key, n in total.items() if n > 0 and pair_allowed(*key)}
    trained: dict[str, int] = {}
    for r in inst.requests:
        mine = {cid: n for (rid, cid), n in x.items() if rid == r.id}
        onward: dict[str, int] = defaultdict(int)
        for cid, n in mine.items():
            for p in courses[cid].prerequisites:
                if p not in r.holds:
                    onward[p] += n
        for p, n in sorted(onward.items()):
            if n > mine.get(p, 0):
                v.append(f"rule 4: {r.id}: {n} crews go on from prerequisite {p}, but only {mine.get(p, 0)} "
                         f"crews take it")
        finishing = {cid: n - onward.get(cid, 0) for cid, n in mine.items()}
        crews = sum(max(0, n) for n in finishing.values())
        # fixed crews are facts: if they alone already finish more crews than requested, that many are allowed
        fixed_mine = {cid: n for (rid, cid), n in fixed_pair.items() if rid == r.id and (rid, cid) in x}
        fixed_onward: dict[str, int] = defaultdict(int)
        for cid, n in fixed_mine.items():
            for p in courses[cid].prerequisites:
                if p not in r.holds:
                    fixed_onward[p] += n
        limit = max(r.crews, sum(max(0, n - fixed_onward.get(cid, 0)) for cid, n in fixed_mine.items()))
        if crews > limit:
            v.append(f"rule 5: {r.id}: {crews} crews planned, only {limit} requested")
        trained[r.id] = min(r.crews, sum(max(0, n) for cid, n in finishing.items() if qualifies(r.id, cid)))

    objective = 0.0
    by_priority: dict[int, dict[str, float]] = {}
    for r in inst.requests:
        value = inst.priority_value[r.priority]
        gain = value * trained[r.id] / r.crews
        objective += gain
        e = by_priority.setdefault(r.priority, {"requests": 0, "trainees": 0, "trained": 0, "value": 0.0,
                                                "value_captured": 0.0})
        e["requests"] += 1
        e["trainees"] += r.trainees
        e["trained"] += trained[r.id] * r.crew_size
        e["value"] += value
        e["value_captured"] += gain
    seats_used = {cid: fixed_on.get(cid, 0) + new_on.get(cid, 0) for cid in sorted(set(fixed_on) | set(new_on))}
    return Evaluation(feasible=not v, violations=v, objective=objective, trained_crews=trained,
                      seats_used=seats_used, by_priority=dict(sorted(by_priority.items())))
