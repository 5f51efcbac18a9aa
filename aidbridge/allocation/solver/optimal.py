r"""Column generation with HiGHS for the allocation LP (used for small instances; large ones use
the Lagrangian relaxation and repair of :mod:`lagrange`, refined by the item decomposition of
:mod:`dw` when there is no tight time limit), then an integer plan.

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
from .pricing import Pricer, pair_bound

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
            starts: list[int] = []
            idx: list[int] = []
            vals: list[float] = []
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
        self.pricer = Pricer(c)
        self.pair_pkg = self.pricer.pair_pkg
        self.iterations = 0
        self.lp_obj = 0.0

    def price(self, alpha: FltArr, beta: FltArr, pi: FltArr) -> tuple[FltArr, IntArr, IntArr]:
        return self.pricer.price(alpha, beta, pi)

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

    def solve_lp(self, deadline: float = math.inf) -> str:
        """Run (warm-started primal) simplex; return "optimal", "time" or another status."""
        remaining = deadline - time.monotonic()
        self.h.setOptionValue("time_limit", max(0.05, remaining) if math.isfinite(remaining) else INF)
        self.h.run()
        self.iterations += 1
        st = self.h.getModelStatus()
        if st == highspy.HighsModelStatus.kModelEmpty:
            self.lp_obj = 0.0
            return "optimal"
        if st == highspy.HighsModelStatus.kOptimal:
            self.lp_obj = float(self.h.getInfo().objective_function_value)
            return "optimal"
        if st in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit):
            return "time"
        return self.h.modelStatusToString(st)

    def duals(self) -> tuple[FltArr, FltArr, FltArr]:
        c = self.c
        y = np.asarray(self.h.getSolution().row_dual, dtype=float)
        if len(y) != self.nrow:  # empty model: no columns yet
            y = np.zeros(self.nrow)
        # maximisation: HiGHS reports duals with the sign of the objective change per unit of rhs
        alpha = y[: c.P]
        beta = y[c.P: c.P + c.R]
        pi = np.maximum(y[c.P + c.R:], 0.0).reshape(c.H, c.W)
        return np.maximum(alpha, 0.0), np.where(c.r_pkg >= 0, beta, np.maximum(beta, 0.0)), pi

    def lagrangian_bound(self, brc: FltArr) -> float:
        return self.lp_obj + pair_bound(self.c, brc)

    def values(self) -> tuple[FltArr, FltArr]:
        sol = np.asarray(self.h.getSolution().col_value, dtype=float)
        if len(sol) != self.K + len(self.col_p):
            sol = np.zeros(self.K + len(self.col_p))
        return sol[: self.K], sol[self.K:]


def top_k_per_row(c: Compiled, score: FltArr, cand: IntArr, k: int) -> IntArr:
    """Candidates (pair indices) that are among the k best by score for their requirement or pledge."""
    if len(cand) == 0:
        return cand
    out = []
    for owner in (c.pair_r, c.pair_p):
        o = cand[np.lexsort((-score[cand], owner[cand]))]
        key = owner[o]
        rank = np.arange(len(o)) - np.searchsorted(key, key)
        out.append(o[rank < k])
    return np.union1d(out[0], out[1])


def run_column_generation(cg: ColumnGeneration, deadline: float, progress: Progress,
                          max_iter: int = 500, rel_tol: float = 1e-6) -> dict[str, Any]:
    """Column generation until no column prices out, the gap closes or the deadline passes.

    Returns the best proven bound (None only if the master is infeasible) and whether the last
    master LP was solved to optimality (its primal is always feasible: primal simplex)."""
    c = cg.c
    zero_p, zero_r, zero_pi = np.zeros(c.P), np.zeros(c.R), np.zeros((c.H, c.W))
    brc, bh, bd = cg.price(zero_p, zero_r, zero_pi)
    finite = np.isfinite(brc)
    # LP value with all duals zero is a valid (weak) bound
    best_bound = cg.lagrangian_bound(np.where(finite, brc, 0.0))
    pos = np.flatnonzero(brc > 1e-12)
    init = np.union1d(top_k_per_row(c, brc, pos, 2), np.flatnonzero(cg.pair_pkg & finite))
    cg.add_columns(init, bh[init], bd[init])
    cg.h.setOptionValue("simplex_strategy", 4)  # primal simplex: warm starts stay feasible
    converged = False
    lp_optimal = False
    batch = max(2000, len(c.pair_p) // 10)
    tol = 1e-9 * max(1.0, float(np.abs(c.r_unit).max(initial=1.0)))
    while True:
        status = cg.solve_lp(deadline)
        if status != "optimal":
            if status != "time":
                return {"lp_status": status, "bound": None, "converged": False, "lp_optimal": False,
                        "columns": len(cg.col_p)}
            break
        lp_optimal = True
        alpha, beta, pi = cg.duals()
        brc, bh, bd = cg.price(alpha, beta, pi)
        best_bound = min(best_bound, cg.lagrangian_bound(brc))
        gap = (best_bound - cg.lp_obj) / max(1.0, abs(best_bound))
        if progress is not None:
            progress(min(0.8, 0.05 + 0.75 * (1 - 1 / (1 + cg.iterations / 4))),
                     f"column generation: iteration {cg.iterations}, LP {cg.lp_obj:.1f}, "
                     f"bound {best_bound:.1f}")
        new = np.flatnonzero(brc > tol)
        if len(new) == 0 or gap <= rel_tol:
            converged = True
            break
        if cg.iterations >= max_iter or time.monotonic() > deadline:
            break
        if len(new) > batch:
            first = top_k_per_row(c, brc, new, 1)
            new = first if len(first) <= batch else first[np.argsort(-brc[first])[:batch]]
        if cg.add_columns(new, bh[new], bd[new]) == 0:
            converged = True
            break
        lp_optimal = False
    return {"bound": best_bound, "converged": converged, "lp_optimal": lp_optimal,
            "columns": len(cg.col_p), "lp_objective": cg.lp_obj}
