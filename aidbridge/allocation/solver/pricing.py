"""Vectorised pricing of (pledge, requirement) pairs under hub-week capacity prices."""

from __future__ import annotations

import numpy as np

from .compiled import Compiled, FltArr, IntArr


class Pricer:
    """For prices pi[h,d] on capacity and alpha/beta on pledges/requirements, find for every
    candidate pair its best (hub, dispatch week) and reduced cost in a few numpy passes."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        W = c.W
        # per-unit gross value table U[r,h,d] (-inf where the arrival would be past the horizon)
        d = np.arange(W)
        late = np.maximum(0, d[None, None, :] + c.lo[:, :, None] - c.r_due[:, None, None])
        decay = np.maximum(0.0, 1.0 - c.inst.lateness_decay_per_week * late)
        U = c.r_unit[:, None, None] * decay
        U[d[None, None, :] > c.dmax[:, :, None]] = -np.inf
        self.U = U
        pp, rr = c.pair_p, c.pair_r
        self.pair_dm = c.dmin[pp]                          # (npair, H)
        self.pair_valid = self.pair_dm <= c.dmax[rr]
        self.pair_dmc = np.minimum(self.pair_dm, W - 1)
        self.pair_cost = c.p_w[pp][:, None] * c.cost[c.p_origin[pp]]
        self.pair_pkg = c.r_pkg[rr] >= 0

    def price(self, alpha: FltArr, beta: FltArr, pi: FltArr) -> tuple[FltArr, IntArr, IntArr]:
        """Best reduced cost per pair, with its hub and week."""
        c = self.c
        W = c.W
        g = self.U - c.r_w[:, None, None] * pi[None, :, :]
        S = g.copy()
        A = np.empty(g.shape, np.int64)
        A[:, :, W - 1] = W - 1
        for d in range(W - 2, -1, -1):
            take = g[:, :, d] >= S[:, :, d + 1]
            S[:, :, d] = np.where(take, g[:, :, d], S[:, :, d + 1])
            A[:, :, d] = np.where(take, d, A[:, :, d + 1])
        pp, rr = c.pair_p, c.pair_r
        hh = np.arange(c.H)[None, :]
        val = S[rr[:, None], hh, self.pair_dmc] - self.pair_cost
        val[~self.pair_valid] = -np.inf
        rc = val - alpha[pp][:, None] - beta[rr][:, None]
        bh = np.argmax(rc, axis=1)
        ar = np.arange(len(pp))
        brc = rc[ar, bh]
        bd = A[rr, bh, self.pair_dmc[ar, bh]]
        return brc, bh, bd



def pair_bound(c: Compiled, brc: FltArr) -> float:
    """Valid bound increment: for every item, the cheaper of raising all its pledge duals or all
    its requirement duals by their largest positive reduced cost (see module :mod:`optimal`)."""
    pos = np.maximum(np.where(np.isfinite(brc), brc, 0.0), 0.0)
    mp = np.zeros(c.P)
    np.maximum.at(mp, c.pair_p, pos)
    mr = np.zeros(c.R)
    np.maximum.at(mr, c.pair_r, pos)
    n_items = len(c.inst.items)
    by_p = np.bincount(c.p_item, weights=mp * c.p_res, minlength=n_items)
    by_r = np.bincount(c.r_item, weights=mr * c.r_res, minlength=n_items)
    return float(np.minimum(by_p, by_r).sum())
