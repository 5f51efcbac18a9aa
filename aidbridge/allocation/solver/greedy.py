"""The greedy baseline of docs/allocation.md: what a coordination cell does by hand.

Requirements are taken in (priority, due_week) order (ties: instance order). Each is filled from
the pledges of its item in order of available_week (ties: instance order), each pledge through the
first reachable hub in instance hub order, and within a hub the first dispatch week (from the
earliest possible one) with capacity left; goods are shipped in the pledge's available week.
A package is handled when its first member comes up: all its requirements are filled tentatively
and the whole package is rolled back if any of them cannot be filled completely.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .compiled import Compiled

Progress = Callable[[float, str], None] | None
GreedyFlow = tuple[int, int, int, int, int]  # (pledge, req, hub, dispatch week, quantity)


class _State:
    def __init__(self, c: Compiled) -> None:
        self.c = c
        self.p_left = c.p_res.astype(np.int64).tolist()
        self.cap = c.cap.tolist()
        order = np.lexsort((np.arange(c.P), c.p_avail, c.p_item)) if c.P else np.zeros(0, np.int64)
        self.pledges_of: dict[int, list[int]] = {}
        for p in order.tolist():
            self.pledges_of.setdefault(int(c.p_item[p]), []).append(p)
        self.dmin = c.dmin.tolist()
        self.dmax = c.dmax.tolist()
        self.p_w = c.p_w.tolist()

    def fill(self, r: int, need: int, out: list[GreedyFlow]) -> int:
        """Fill up to ``need`` units of requirement r; append flows; return units filled."""
        c = self.c
        got = 0
        dmax = self.dmax[r]
        for p in self.pledges_of.get(int(c.r_item[r]), []):
            if got >= need:
                break
            if self.p_left[p] <= 0:
                continue
            w = self.p_w[p]
            dmin = self.dmin[p]
            for h in range(c.H):
                lo, hi = dmin[h], dmax[h]
                if lo > hi:
                    continue
                caprow = self.cap[h]
                for d in range(lo, hi + 1):
                    want = min(need - got, self.p_left[p])
                    if want <= 0:
                        break
                    k = min(want, math.floor(caprow[d] / w + 1e-9))
                    if k <= 0:
                        continue
                    caprow[d] -= k * w
                    self.p_left[p] -= k
                    got += k
                    out.append((p, r, h, d, k))
                if got >= need or self.p_left[p] <= 0:
                    break
        return got

    def undo(self, flows: list[GreedyFlow]) -> None:
        for p, _r, h, d, k in flows:
            self.cap[h][d] += k * self.p_w[p]
            self.p_left[p] += k


def greedy_flows(c: Compiled, progress: Progress = None) -> tuple[list[GreedyFlow], bool]:
    """Return (flows, ok); ok is False if a package that already has fixed flows cannot be completed."""
    st = _State(c)
    flows: list[GreedyFlow] = []
    order = np.lexsort((np.arange(c.R), c.r_due, c.r_prio)).tolist() if c.R else []
    done_pkg: set[int] = set()
    ok = True
    n = max(1, len(order))
    for i, r in enumerate(order):
        if progress is not None and i % 500 == 0:
            progress(i / n, f"greedy: requirement {i}/{n}")
        k = int(c.r_pkg[r])
        if k < 0:
            if c.r_res[r] > 0:
                st.fill(r, int(c.r_res[r]), flows)
            continue
        if k in done_pkg:
            continue
        done_pkg.add(k)
        tentative: list[GreedyFlow] = []
        complete = True
        for m in c.pkg_members[k].tolist():
            need = int(c.r_res[m])
            if need > 0 and st.fill(m, need, tentative) < need:
                complete = False
                break
        if complete:
            flows.extend(tentative)
        else:
            st.undo(tentative)
            if c.pkg_forced[k]:
                ok = False
    return flows, ok
