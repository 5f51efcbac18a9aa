"""Random seat-planning instances, for the property tests and the benchmark (plain Python, seeded).

Courses start within four weeks and last up to eight days; some need one or two earlier courses, and each
qualifies up to two of three items or two supply classes. Requests need whole crews of 1-4 trainees, in
English or German, by day 10-50, from Ukraine or Poland. Seats are scarce, so the plan has choices to make.
"""

from __future__ import annotations

import random
from typing import Any

from .model import Instance

ITEMS = (("GEN", "C7"), ("HOW", "C7"), ("RAD", "C2"))
LOCATIONS = ("DE-GRF", "PL-WAW", "GB-LON")


def generate(seed: int, n_courses: int, n_requests: int, with_fixed: bool = False) -> Instance:
    """A random instance (the same for the same arguments)."""
    rng = random.Random(seed)
    courses: list[dict[str, Any]] = []
    for i in range(n_courses):
        start = rng.randint(0, 25)
        earlier = [c["id"] for c in courses]
        prereq = rng.sample(earlier, k=min(len(earlier), rng.choice((0, 0, 1, 1, 2))))
        quals = rng.sample(("GEN", "HOW", "C7", "C2"), k=rng.choice((0, 1, 1, 2)))
        courses.append({"id": f"C{i}", "provider": str(rng.randint(1, 3)), "seats": rng.choice((0, 2, 4, 6, 8, 12)),
                        "language": rng.choice(("en", "en", "de")), "start_day": start,
                        "end_day": start + rng.randint(0, 8),
                        "location": rng.choice(LOCATIONS), "qualifies": quals, "prerequisites": prereq})
    requests: list[dict[str, Any]] = []
    for j in range(n_requests):
        item, cls = rng.choice(ITEMS)
        crew = rng.randint(1, 4)
        requests.append({"id": f"R{j}", "trainees": crew * rng.randint(1, 4), "crew_size": crew,
                         "language": rng.choice(("en", "en", "de")), "item": item, "class": rng.choice((cls, None)),
                         "priority": rng.randint(1, 4), "needed_by_day": rng.randint(10, 50),
                         "origin": rng.choice(("UA", "PL")),
                         "holds": rng.sample([c["id"] for c in courses], k=min(len(courses), rng.choice((0, 0, 1))))})
    travel = {o: {loc: rng.randint(0, 4) for loc in LOCATIONS if rng.random() < 0.9} for o in ("UA", "PL")}
    fixed: list[dict[str, Any]] = []
    if with_fixed and courses and requests:
        for _ in range(rng.randint(1, 3)):
            r = rng.choice(requests)
            c = rng.choice(courses)
            if not any(f["request"] == r["id"] and f["course"] == c["id"] for f in fixed):
                fixed.append({"request": r["id"], "course": c["id"], "seats": r["crew_size"]})
    return Instance.from_dict({"courses": courses, "requests": requests, "travel_days": travel,
                               "priority_value": {"1": 1000, "2": 100, "3": 10, "4": 1}, "fixed": fixed})
