"""Synthetic coalition instances (deterministic for a seed).

``generate()`` with default parameters builds the coalition-scale benchmark instance of
docs/allocation.md: 40 donors, 1,000 items, 10,000 pledges, 5,000 requirements, 6 hubs, 26 weeks.

Distributions, and why:

* **Donors and origins.** Each donor ships from its own origin. Donor 0 holds ``big_donor_share``
  (40 %) of the pledges, the others share the rest with Zipf weights ``1/k**1.1``: a coalition has
  one dominant donor and a long tail. Origins are *near* (lead-in 0–1 week), *mid* (1–3) or
  *far* (2–3); each origin reaches each hub with probability 0.75 (at least one hub), so
  routing matters.
* **Hubs and destinations.** Hubs sit on a west–east line; destinations too. The lead-out time
  grows with the distance between them (0–3 weeks) and 15 % of the hub→destination links are
  missing. The hub order is shuffled so that the first hub listed (the one the greedy baseline
  tries first) is not systematically the fastest. ``cost_in_per_t`` is small (≤ 0.002 per tonne
  per week of lead-in) and only breaks ties.
* **Items.** Unit weights are log-normal (median 0.3 t, sigma 1.2, clipped to 5 kg–12 t): from
  medical kits to generators. Item popularity is log-normal (sigma 0.8), so some items have many
  pledges and requirements and others one or two.
* **Pledges.** Tonnage per pledge is log-normal (median 6 t, sigma 1); units = tonnage / unit
  weight (at least 1). ``available_week`` is 0 for 55 % of pledges, else 1 + geometric
  (mean ~3 weeks), capped at weeks/2: most goods are ready now, some come later.
* **Requirements.** Per item, total demand is ``demand_ratio`` (1.25) × the item's supply × a
  log-normal factor (sigma 0.3), split over the item's requirements with Dirichlet(1.5) shares, so
  demand exceeds supply by about 25 %. Priorities P1–P4 have probabilities 15/25/30/30 %; due
  weeks are uniform on [5, weeks-4], P1 due weeks slightly skewed early (u**1.1: urgent needs).
  Destinations are uniform.
* **Packages.** About ``package_share`` (5 %) of requirements are grouped in packages of 2–3
  requirements of the same destination and priority (a capability delivered as one bundle).
* **Capacity.** Hub shares are Dirichlet(4); the weekly capacity of all hubs together is
  ``capacity_ratio`` (0.7) × the supply tonnage / the number of weeks in which supply can still
  arrive usefully (weeks − 4): the hubs are tight, so week and hub choices matter.
* These settings were tuned so that the greedy baseline lands well below the LP bound (it fills
  P1 by units but late, through the first listed hub) while the instance stays realistic.
* ``priority_value`` = {1: 1000, 2: 100, 3: 10, 4: 1}, ``lateness_decay_per_week`` = 0.1.
"""

from __future__ import annotations

import numpy as np

from .model import Hub, Instance, Item, Package, Pledge, Requirement

_HUB_NAMES = ["PL-RZE", "RO-SCV", "SK-KSC", "HU-DEB", "MD-KIV", "PL-LUB", "RO-GAL", "PL-WAW"]
_DESTS = ["UA-LWO", "UA-IEV", "UA-ODS", "UA-KHA", "UA-DNP", "UA-ZAP", "UA-MYK", "UA-CHE",
          "UA-SUM", "UA-POL"]
_ORIGINS = ["DE", "US", "GB", "FR", "PL", "NL", "SE", "NO", "DK", "FI", "CA", "JP", "IT", "ES",
            "CZ", "SK", "AT", "BE", "LT", "LV", "EE", "RO", "HU", "PT", "IE", "AU", "KR", "CH",
            "GR", "HR", "SI", "BG", "LU", "IS", "NZ", "TR", "MT", "CY", "AL", "MK"]


def generate(
    n_donors: int = 40,
    n_items: int = 1000,
    n_pledges: int = 10_000,
    n_requirements: int = 5_000,
    n_hubs: int = 6,
    weeks: int = 26,
    seed: int = 0,
    *,
    big_donor_share: float = 0.4,
    demand_ratio: float = 1.25,
    capacity_ratio: float = 0.7,
    package_share: float = 0.05,
    n_destinations: int = 10,
) -> Instance:
    """Generate a synthetic instance; see the module docstring for the distributions."""
    rng = np.random.default_rng(seed)
    weeks = max(1, weeks)
    n_items = max(1, n_items)
    n_dest = max(1, min(n_destinations, 1000))
    hub_ids = [_HUB_NAMES[i] if i < len(_HUB_NAMES) else f"HUB-{i:02d}" for i in range(n_hubs)]
    dests = [_DESTS[i] if i < len(_DESTS) else f"UA-D{i:02d}" for i in range(n_dest)]
    donors = [_ORIGINS[i] if i < len(_ORIGINS) else f"X{i:03d}" for i in range(max(1, n_donors))]

    # geography
    hub_x = rng.uniform(0, 1, n_hubs)
    dest_x = rng.uniform(0, 1, n_dest)
    lead_out: dict[str, dict[str, int]] = {}
    for h in range(n_hubs):
        row = {}
        for j in range(n_dest):
            if rng.random() < 0.15:
                continue
            row[dests[j]] = int(min(3, round(3 * abs(hub_x[h] - dest_x[j]) + rng.uniform(0, 0.8))))
        if not row:
            j = int(rng.integers(n_dest))
            row[dests[j]] = int(min(3, round(3 * abs(hub_x[h] - dest_x[j]))))
        lead_out[hub_ids[h]] = row
    lead_in: dict[str, dict[str, int]] = {}
    cost_in: dict[str, dict[str, float]] = {}
    for o in donors:
        base = int(rng.choice([0, 1, 2], p=[0.45, 0.4, 0.15]))
        reach = [h for h in range(n_hubs) if rng.random() < 0.75] or [int(rng.integers(n_hubs))]
        lead_in[o] = {}
        cost_in[o] = {}
        for h in reach:
            li = base + int(rng.integers(0, 2))
            lead_in[o][hub_ids[h]] = li
            cost_in[o][hub_ids[h]] = round(0.0005 * (1 + li) * rng.uniform(0.5, 1.5), 6)
    for h in range(n_hubs):  # every hub is reached by someone
        if not any(hub_ids[h] in row for row in lead_in.values()):
            lead_in[donors[0]][hub_ids[h]] = 1
            cost_in[donors[0]][hub_ids[h]] = 0.001
    # hub order is arbitrary (shuffled), as in a real register
    order = rng.permutation(n_hubs)

    # items
    weight = np.clip(np.exp(rng.normal(np.log(0.3), 1.2, n_items)), 0.005, 12.0).round(3)
    weight = np.maximum(weight, 0.005)
    popularity = np.exp(rng.normal(0, 0.8, n_items))
    popularity /= popularity.sum()
    items = [Item(f"I{i:04d}", float(weight[i])) for i in range(n_items)]

    # pledges
    share = 1.0 / np.arange(1, len(donors)) ** 1.1 if len(donors) > 1 else np.zeros(0)
    share = np.concatenate([[big_donor_share], (1 - big_donor_share) * share / max(share.sum(), 1e-12)])
    share /= share.sum()
    p_item = rng.choice(n_items, n_pledges, p=popularity)
    p_item[: min(n_items, n_pledges)] = np.arange(min(n_items, n_pledges))  # every item pledged once
    p_donor = rng.choice(len(donors), n_pledges, p=share)
    tonnes = np.exp(rng.normal(np.log(6.0), 1.0, n_pledges))
    p_qty = np.maximum(1, np.round(tonnes / weight[p_item])).astype(int)
    p_qty = np.minimum(p_qty, 100_000)
    late = rng.random(n_pledges) >= 0.55
    p_avail = np.where(late, np.minimum(weeks // 2, 1 + rng.geometric(0.35, n_pledges) - 1), 0)
    p_avail = np.minimum(p_avail, weeks - 1)
    pledges = [
        Pledge(f"P{i:05d}", donors[p_donor[i]], donors[p_donor[i]], items[p_item[i]].id, int(p_qty[i]),
               int(p_avail[i]))
        for i in range(n_pledges)
    ]

    # requirements
    supply = np.bincount(p_item, weights=p_qty, minlength=n_items)
    r_item = rng.choice(n_items, n_requirements, p=popularity)
    r_prio = rng.choice([1, 2, 3, 4], n_requirements, p=[0.15, 0.25, 0.30, 0.30])
    hi = max(1, weeks - 4)
    u = rng.random(n_requirements)
    u = np.where(r_prio == 1, u**1.1, u)
    lo_due = min(5, hi - 1)
    r_due = (np.minimum(weeks - 1, (lo_due + u * (hi - lo_due)).astype(int)) if weeks > 1
             else np.zeros(n_requirements, int))
    r_dest = rng.integers(0, n_dest, n_requirements)
    r_qty = np.ones(n_requirements, dtype=int)
    for i in np.unique(r_item):
        idx = np.flatnonzero(r_item == i)
        total = demand_ratio * max(supply[i], 1.0) * np.exp(rng.normal(0, 0.3))
        parts = rng.dirichlet(np.full(len(idx), 1.5)) * total
        r_qty[idx] = np.maximum(1, np.round(parts)).astype(int)
    requirements = [
        Requirement(f"R{i:05d}", items[r_item[i]].id, int(r_qty[i]), int(r_prio[i]), int(r_due[i]),
                    dests[r_dest[i]])
        for i in range(n_requirements)
    ]

    # packages: groups of 2-3 requirements sharing destination and priority
    packages: list[Package] = []
    target = int(package_share * n_requirements)
    pool: dict[tuple[int, int], list[int]] = {}
    for i in rng.permutation(n_requirements).tolist():
        pool.setdefault((int(r_dest[i]), int(r_prio[i])), []).append(i)
    used = 0
    keys = sorted(pool)
    while used < target and keys:
        key = keys[int(rng.integers(len(keys)))]
        size = int(rng.integers(2, 4))
        group = pool[key]
        if len(group) < size:
            keys.remove(key)
            continue
        members = [group.pop() for _ in range(size)]
        packages.append(Package(f"K{len(packages) + 1:04d}", tuple(requirements[m].id for m in members)))
        used += size

    # capacity: tight
    supply_t = float((p_qty * weight[p_item]).sum())
    hub_share = rng.dirichlet(np.full(n_hubs, 4.0)) if n_hubs else np.zeros(0)
    weekly = capacity_ratio * supply_t / max(1, weeks - 4)
    hubs = [Hub(hub_ids[h], round(float(weekly * hub_share[h]), 3)) for h in order.tolist()]

    return Instance(
        weeks=weeks,
        items=tuple(items),
        hubs=tuple(hubs),
        lead_in_weeks=lead_in,
        lead_out_weeks=lead_out,
        cost_in_per_t=cost_in,
        pledges=tuple(pledges),
        requirements=tuple(requirements),
        packages=tuple(packages),
        priority_value={1: 1000.0, 2: 100.0, 3: 10.0, 4: 1.0},
        lateness_decay_per_week=0.1,
    )
