"""From a (restricted-master) LP solution to an integer plan: round down, complete packages
exactly or drop them, then refill leftover quantities greedily by value per unit."""

from __future__ import annotations

import math

import numpy as np

from .compiled import Compiled, FltArr, IntArr

IFlow = tuple[int, int, int, int, int]  # (pledge, req, hub, dispatch week, quantity)


class IntegerState:
    def __init__(self, c: Compiled) -> None:
        self.c = c
        self.p_left = c.p_res.astype(np.int64).copy()
        self.r_left = c.r_res.astype(np.int64).copy()
        self.cap = c.cap.copy()
        self.flows: dict[tuple[int, int, int, int], int] = {}

    def add(self, p: int, r: int, h: int, d: int, k: int) -> None:
        key = (p, r, h, d)
        self.flows[key] = self.flows.get(key, 0) + k
        self.p_left[p] -= k
        self.r_left[r] -= k
        self.cap[h, d] -= k * self.c.p_w[p]

    def remove_requirements(self, reqs: set[int]) -> None:
        for key in [k for k in self.flows if k[1] in reqs]:
            p, r, h, d = key
            k = self.flows.pop(key)
            self.p_left[p] += k
            self.r_left[r] += k
            self.cap[h, d] += k * self.c.p_w[p]

    def apply_lp(self, col_p: IntArr, col_r: IntArr, col_h: IntArr, col_d: IntArr, x: FltArr) -> None:
        q = np.floor(x + 1e-6).astype(np.int64)
        p_w = self.c.p_w
        for i in np.flatnonzero(q > 0).tolist():
            p, r, h, d = int(col_p[i]), int(col_r[i]), int(col_h[i]), int(col_d[i])
            # clamp: the LP may be a time-limited (or slightly inexact) one
            k = min(int(q[i]), int(self.p_left[p]), int(self.r_left[r]),
                    math.floor(self.cap[h, d] / p_w[p] + 1e-6))
            if k > 0:
                self.add(p, r, h, d, k)
        # guard against tiny LP tolerance overshoots
        over = np.flatnonzero(self.cap < -1e-9)
        for hd in over.tolist():
            self._shed_capacity(hd // self.c.W, hd % self.c.W)

    def _shed_capacity(self, h: int, d: int) -> None:
        for key in sorted((k for k in self.flows if k[2] == h and k[3] == d),
                          key=lambda k: self.c.r_unit[k[1]]):
            if self.cap[h, d] >= -1e-9:
                return
            p = key[0]
            need = math.ceil(-self.cap[h, d] / self.c.p_w[p] - 1e-9)
            k = min(need, self.flows[key])
            self.flows[key] -= k
            if self.flows[key] == 0:
                del self.flows[key]
            self.p_left[p] += k
            self.r_left[key[1]] += k
            self.cap[h, d] += k * self.c.p_w[p]

    def candidates(self, reqs: IntArr, positive_only: bool) -> tuple[IntArr, IntArr, IntArr, IntArr, FltArr]:
        """All (p, r, h, d) columns for the given requirements and pledges with units left,
        sorted by value per unit (desc), then earliest week."""
        c = self.c
        mask = np.zeros(c.R, dtype=bool)
        mask[reqs] = True
        sel = mask[c.pair_r] & (self.p_left[c.pair_p] > 0) & (self.r_left[c.pair_r] > 0)
        pp, rr = c.pair_p[sel], c.pair_r[sel]
        if len(pp) == 0:
            e = np.zeros(0, np.int64)
            return e, e, e, e, np.zeros(0)
        lo = c.dmin[pp]
        hi = c.dmax[rr]
        n = np.where(lo <= hi, hi - lo + 1, 0)       # (npair, H)
        flat = n.reshape(-1)
        idx = np.repeat(np.arange(flat.size), flat)
        start = np.repeat(np.cumsum(flat) - flat, flat)
        d = lo.reshape(-1)[idx] + (np.arange(idx.size) - start)
        pi = idx // c.H
        h = idx % c.H
        p, r = pp[pi], rr[pi]
        ok = self.cap[h, d] >= c.p_w[p] * (1 - 1e-9)
        p, r, h, d = p[ok], r[ok], h[ok], d[ok]
        v = c.column_value(p, r, h, d)
        if positive_only:
            ok = v > 1e-12
            p, r, h, d, v = p[ok], r[ok], h[ok], d[ok], v[ok]
        order = np.lexsort((d, -v))
        return p[order], r[order], h[order], d[order], v[order]

    def fill(self, cand: tuple[IntArr, IntArr, IntArr, IntArr, FltArr], log: list[IFlow] | None = None
             ) -> None:
        c = self.c
        W = c.W
        p_w = c.p_w.tolist()
        # plain Python lists in the loop (numpy scalar indexing is slow); written back below
        p_left = self.p_left.tolist()
        r_left = self.r_left.tolist()
        cap = self.cap.reshape(-1).tolist()
        flows = self.flows
        for p, r, h, d in zip(*(a.tolist() for a in cand[:4]), strict=True):
            pl = p_left[p]
            rl = r_left[r]
            if pl <= 0 or rl <= 0:
                continue
            s = h * W + d
            wp = p_w[p]
            if cap[s] < wp * (1 - 1e-9):
                continue
            k = min(pl, rl, math.floor(cap[s] / wp + 1e-9))
            if k > 0:
                key = (p, r, h, d)
                flows[key] = flows.get(key, 0) + k
                p_left[p] = pl - k
                r_left[r] = rl - k
                cap[s] -= k * wp
                if log is not None:
                    log.append((p, r, h, d, k))
        self.p_left[:] = p_left
        self.r_left[:] = r_left
        self.cap[:] = np.asarray(cap).reshape(self.cap.shape)

    def complete_packages(self, chosen: list[int]) -> list[int]:
        """Fill every chosen package exactly; drop (and return) those that cannot be completed."""
        c = self.c
        dropped = []
        for k in chosen:
            members = c.pkg_members[k]
            short = members[self.r_left[members] > 0]
            if len(short):
                self.fill(self.candidates(short, positive_only=False))
            if (self.r_left[members] > 0).any():
                dropped.append(k)
                self.remove_requirements(set(members.tolist()))
        return dropped

    def refill(self) -> None:
        c = self.c
        open_r = np.flatnonzero((c.r_pkg < 0) & (self.r_left > 0))
        if len(open_r):
            self.fill(self.candidates(open_r, positive_only=True))

    def objective(self) -> float:
        c = self.c
        if not self.flows:
            return c.fixed_value
        keys = np.array(list(self.flows.keys()), dtype=np.int64)
        q = np.array(list(self.flows.values()), dtype=float)
        v = c.column_value(keys[:, 0], keys[:, 1], keys[:, 2], keys[:, 3])
        return c.fixed_value + float((q * v).sum())
