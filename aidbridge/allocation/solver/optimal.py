r"""Column generation with HiGHS for the allocation LP, then an integer plan.

Formulation (all quantities after subtracting fixed flows)
-----------------------------------------------------------
Sets: pledges p (quantity q_p, item i_p, origin o_p, available week a_p), requirements r
(quantity Q_r, item i_r, destination s_r, due week t_r, unit value u_r = priority_value/Q_r^orig),
hubs h (capacity C_h per week), weeks d = 0..W-1, packages k (member set M_k).

A column is c = (p, r, h, d) with i_p = i_r, d >= a_p + LI[o_p,h] and d + LO[h,s_r] <= W-1.
The ship week does not appear: storage at hubs is unlimited, so shipping in week a_p is never
worse, and only the dispatch week d touches a capacity row.
Its per-unit value is

    v_c = u_r * max(0, 1 - lambda * max(0, d + LO[h,s_r] - t_r)) - w_i * cost_in[o_p,h].

Variables: x_c >= 0 (units), z_k in {0,1} (package k delivered).

    max  sum_c v_c x_c
    s.t. sum_{c in p} x_c               <= q_p          (alpha_p >= 0)     pledge rows
         sum_{c in r} x_c               <= Q_r          (beta_r  >= 0)     r in no package
         sum_{c in r} x_c - Q_r z_k      = 0            (beta_r free)      r in package k
         sum_{c at (h,d)} w_i x_c       <= C_h          (pi_hd   >= 0)     capacity rows, H x W
         x integer, 0 <= z_k <= 1, z binary.

Why it is small: the full column space is ~50k (p,r) pairs x H hubs x W weeks (millions), but
only H*W = 156 rows couple the items.  Given capacity prices pi, the best week of a (p,r,h) is a
suffix maximum over d of u_r*decay(d) - w*pi[h,d], computed once per (r,h) for all weeks in
numpy; the reduced cost of a pair is then a gather: rc = max_h [S(r,h,dmin(p,h)) - w*cost]
- alpha_p - beta_r.  The restricted master starts with the best (h,d) of every pair (~one column
per pair) and only gains the few thousand columns that pricing finds.

Bound: at every iteration the restricted-master duals plus, for every item, the cheaper of
raising alpha_p by max(0, max rc over p's columns) for all its pledges or beta_r likewise for
all its requirements are dual feasible for the *full* LP, so
LP_restricted + sum_items min(sum_p q_p rc_p^+, sum_r Q_r rc_r^+) is a proven upper bound
(and equals the LP optimum when no column prices out).

Integer plan: packages with fractional z are rounded (z >= 0.5 -> 1, else 0; back to 0 if the
LP becomes infeasible), the restricted LP is re-solved with z fixed, flows are rounded down,
packages are completed exactly (or dropped entirely) and leftover pledge units are refilled
greedily, best value per unit first, through any hub-week with capacity left.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np

from .compiled import Compiled, FltArr, IntArr

Progress = Callable[[float, str], None] | None
INF = highspy.kHighsInf


class ColumnGeneration:
    def __init__(self, c: Compiled) -> None:
        self.c = c
        P, R, H, W = c.P, c.R, c.H, c.W
        self.nrow = P + R + H * W
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.h = h
        in_pkg = c.r_pkg >= 0
        lower = np.concatenate([np.full(P, -INF), np.where(in_pkg, 0.0, -INF), np.full(H * W, -INF)])
        upper = np.concatenate([c.p_res.astype(float), np.where(in_pkg, 0.0, c.r_res.astype(float)),
                                c.cap.reshape(-1)])
        h.addRows(self.nrow, lower, upper, 0, np.zeros(self.nrow, np.int32), np.zeros(0, np.int32),
                  np.zeros(0))
        K = len(c.pkg_members)
        self.K = K
        if K:
            starts, idx, vals = [], [], []
            for m in c.pkg_members:
                starts.append(len(idx))
                for r in m.tolist():
                    if c.r_res[r] > 0:
                        idx.append(P + r)
                        vals.append(-float(c.r_res[r]))
            lb = np.where(c.pkg_forced, 1.0, 0.0)
            h.addCols(K, np.zeros(K), lb, np.ones(K), len(idx), np.array(starts, np.int32),
                      np.array(idx, np.int32), np.array(vals, float))
        self.col_p = np.zeros(0, np.int64)
        self.col_r = np.zeros(0, np.int64)
        self.col_h = np.zeros(0, np.int64)
        self.col_d = np.zeros(0, np.int64)
        self.col_v = np.zeros(0)
        self.keys: set[int] = set()
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
        self.iterations = 0
        self.lp_obj = 0.0

    # ---------------------------------------------------------------- pricing
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

    def add_columns(self, sel: IntArr, hub: IntArr, week: IntArr) -> int:
        c = self.c
        p, r = c.pair_p[sel], c.pair_r[sel]
        key = ((p * c.R + r) * c.H + hub) * c.W + week
        fresh = np.array([k not in self.keys for k in key.tolist()], dtype=bool)
        if not fresh.any():
            return 0
        p, r, hub, week, key = p[fresh], r[fresh], hub[fresh], week[fresh], key[fresh]
        self.keys.update(key.tolist())
        v = c.column_value(p, r, hub, week)
        n = len(p)
        idx = np.stack([p, c.P + r, c.P + c.R + hub * c.W + week], axis=1).reshape(-1).astype(np.int32)
        vals = np.stack([np.ones(n), np.ones(n), c.p_w[p]], axis=1).reshape(-1)
        self.h.addCols(n, v, np.zeros(n), np.full(n, INF), 3 * n, (3 * np.arange(n)).astype(np.int32),
                       idx, vals)
        self.col_p = np.concatenate([self.col_p, p])
        self.col_r = np.concatenate([self.col_r, r])
        self.col_h = np.concatenate([self.col_h, hub])
        self.col_d = np.concatenate([self.col_d, week])
        self.col_v = np.concatenate([self.col_v, v])
        return n

    def solve_lp(self) -> bool:
        self.h.run()
        self.iterations += 1
        ok = self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if ok:
            self.lp_obj = float(self.h.getInfo().objective_function_value)
        return ok

    def duals(self) -> tuple[FltArr, FltArr, FltArr]:
        c = self.c
        y = np.asarray(self.h.getSolution().row_dual, dtype=float)
        # maximisation: HiGHS reports duals with the sign of the objective change per unit of rhs
        alpha = y[: c.P]
        beta = y[c.P: c.P + c.R]
        pi = np.maximum(y[c.P + c.R:], 0.0).reshape(c.H, c.W)
        return np.maximum(alpha, 0.0), np.where(c.r_pkg >= 0, beta, np.maximum(beta, 0.0)), pi

    def lagrangian_bound(self, brc: FltArr) -> float:
        c = self.c
        pos = np.maximum(brc, 0.0)
        mp = np.zeros(c.P)
        np.maximum.at(mp, c.pair_p, pos)
        mr = np.zeros(c.R)
        np.maximum.at(mr, c.pair_r, pos)
        n_items = len(c.inst.items)
        by_p = np.bincount(c.p_item, weights=mp * c.p_res, minlength=n_items)
        by_r = np.bincount(c.r_item, weights=mr * c.r_res, minlength=n_items)
        return self.lp_obj + float(np.minimum(by_p, by_r).sum())

    def values(self) -> tuple[FltArr, FltArr]:
        sol = np.asarray(self.h.getSolution().col_value, dtype=float)
        return sol[: self.K], sol[self.K:]


def run_column_generation(cg: ColumnGeneration, deadline: float, progress: Progress,
                          max_iter: int = 200, rel_tol: float = 1e-6) -> dict[str, Any]:
    c = cg.c
    zero_p, zero_r, zero_pi = np.zeros(c.P), np.zeros(c.R), np.zeros((c.H, c.W))
    brc, bh, bd = cg.price(zero_p, zero_r, zero_pi)
    init = np.flatnonzero((brc > 1e-12) | (cg.pair_pkg & np.isfinite(brc)))
    cg.add_columns(init, bh[init], bd[init])
    best_bound = math.inf
    converged = False
    added = len(init)
    while True:
        if not cg.solve_lp():
            return {"lp_status": cg.h.modelStatusToString(cg.h.getModelStatus()), "bound": None,
                    "converged": False, "columns_initial": len(init)}
        alpha, beta, pi = cg.duals()
        brc, bh, bd = cg.price(alpha, beta, pi)
        best_bound = min(best_bound, cg.lagrangian_bound(brc))
        scale = max(1.0, abs(best_bound))
        gap = (best_bound - cg.lp_obj) / scale
        if progress is not None:
            progress(min(0.8, 0.05 + 0.75 * (1 - 1 / (1 + cg.iterations / 4))),
                     f"column generation: iteration {cg.iterations}, LP {cg.lp_obj:.1f}, "
                     f"bound {best_bound:.1f}")
        tol = 1e-9 * max(1.0, float(np.abs(c.r_unit).max(initial=1.0)))
        new = np.flatnonzero(brc > tol)
        if len(new) == 0 or gap <= rel_tol:
            converged = True
            break
        if cg.iterations >= max_iter or time.monotonic() > deadline:
            break
        n = cg.add_columns(new, bh[new], bd[new])
        added += n
        if n == 0:
            converged = True
            break
    return {"bound": best_bound, "converged": converged, "columns_initial": len(init),
            "columns": len(cg.col_p), "lp_objective": cg.lp_obj}
