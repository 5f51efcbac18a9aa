r"""Dantzig-Wolfe decomposition by item, for large instances.

The pair-level LP (see :mod:`optimal`) has one pledge row per pledge and one requirement row per
requirement (15k at coalition scale); HiGHS needs tens of seconds for it.  Only the H*W capacity
rows (and the package rows) couple the items, so the master here keeps just those:

    max  sum_{i,j} val_ij lambda_ij
    s.t. sum_{i,j} load_ij[h,d] lambda_ij          <= C_hd     (pi_hd >= 0)     H*W rows
         sum_j lambda_ij                           <= 1        (mu_i)           one per item
         sum_{i,j} flow_ij[r] lambda_ij - Q_r z_k   = 0        (beta_r)         r in package k
         lambda >= 0, 0 <= z <= 1

where column j of item i is an integral transportation plan of that item (pledge -> requirement
units, each pair routed through its best hub and week under the current prices).  Plans are
proposed by pricing every (pledge, requirement) pair under (pi, beta) with :class:`Pricer` and
solving each item's transportation problem greedily (best reduced value first); a plan enters if
its value minus mu_i is positive.

Bound: for any pi >= 0 and beta, the Lagrangian
    L(pi, beta) = sum_i T_i(pi, beta) + sum_hd C_hd pi_hd + sum_k max(0, sum_{r in k} Q_r beta_r),
with T_i the *exact* optimum of item i's transportation problem, is an upper bound on the LP and
so on every plan.  T = sum_i T_i is computed with one HiGHS solve of the block-diagonal
transportation LP (no coupling rows), whose item plans also enter the master.
"""

from __future__ import annotations

import math
import time
from typing import Any

import highspy
import numpy as np

from .compiled import Compiled, FltArr, IntArr
from .pricing import Pricer, pair_bound

INF = highspy.kHighsInf


class DantzigWolfe:
    def __init__(self, c: Compiled, pricer: Pricer) -> None:
        self.c = c
        self.pricer = pricer
        self.HW = c.H * c.W
        self.I = len(c.inst.items)
        self.pkg_reqs = np.flatnonzero(c.r_pkg >= 0)
        self.pkg_row = np.full(c.R, -1, np.int64)
        self.pkg_row[self.pkg_reqs] = self.HW + self.I + np.arange(len(self.pkg_reqs))
        self.nrow = self.HW + self.I + len(self.pkg_reqs)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        lower = np.concatenate([np.full(self.HW, -INF), np.full(self.I, -INF), np.zeros(len(self.pkg_reqs))])
        upper = np.concatenate([c.cap.reshape(-1), np.ones(self.I), np.zeros(len(self.pkg_reqs))])
        h.addRows(self.nrow, lower, upper, 0, np.zeros(self.nrow, np.int32), np.zeros(0, np.int32),
                  np.zeros(0))
        self.K = len(c.pkg_members)
        if self.K:
            starts: list[int] = []
            idx: list[int] = []
            vals: list[float] = []
            for m in c.pkg_members:
                starts.append(len(idx))
                for r in m.tolist():
                    if c.r_res[r] > 0:
                        idx.append(int(self.pkg_row[r]))
                        vals.append(-float(c.r_res[r]))
            h.addCols(self.K, np.zeros(self.K), np.zeros(self.K), np.ones(self.K), len(idx),
                      np.array(starts, np.int32), np.array(idx, np.int32), np.array(vals, float))
        # artificial shortfall columns for package rows (enabled only while packages are fixed)
        self.n_art = len(self.pkg_reqs)
        if self.n_art:
            penalty = -(10.0 * float(c.r_unit.max()) + 1.0)
            h.addCols(self.n_art, np.full(self.n_art, penalty), np.zeros(self.n_art), np.zeros(self.n_art),
                      self.n_art, np.arange(self.n_art, dtype=np.int32),
                      (self.HW + self.I + np.arange(self.n_art)).astype(np.int32), np.ones(self.n_art))
        self.K0 = self.K + self.n_art  # first plan column
        self.h = h
        # flows of every master column, flat: column id, pair index, hub, week, quantity
        self.f_col = np.zeros(0, np.int64)
        self.f_pair = np.zeros(0, np.int64)
        self.f_h = np.zeros(0, np.int64)
        self.f_d = np.zeros(0, np.int64)
        self.f_x = np.zeros(0)
        self.ncol = 0
        self.obj = 0.0
        self.iterations = 0

    # ------------------------------------------------------------------ plans
    def greedy_plans(self, brc: FltArr) -> FltArr:
        """Per-item transportation by best reduced value first; returns units per pair."""
        c = self.c
        sel = np.flatnonzero(brc > 1e-12)
        order = sel[np.argsort(-brc[sel], kind="stable")]
        p_left = c.p_res.tolist()
        r_left = c.r_res.tolist()
        x = np.zeros(len(brc))
        pp = c.pair_p[order].tolist()
        rr = c.pair_r[order].tolist()
        for k, p, r in zip(order.tolist(), pp, rr, strict=True):
            q = p_left[p] if p_left[p] < r_left[r] else r_left[r]
            if q > 0:
                x[k] = q
                p_left[p] -= q
                r_left[r] -= q
        return x

    def add_plans(self, x: FltArr, bh: IntArr, bd: IntArr, items: IntArr | None = None) -> int:
        """Add, as master columns, the item plans given by units per pair (optionally only some items)."""
        k = np.flatnonzero(x > 0)
        return self.add_flows(k, bh[k], bd[k], x[k], items)

    def add_flows(self, k: IntArr, h: IntArr, d: IntArr, q: FltArr, items: IntArr | None = None) -> int:
        """Add one master column per item for the flows (pair index k, hub, week, units)."""
        c = self.c
        it = c.r_item[c.pair_r[k]]
        if items is not None:
            keep = np.isin(it, items)
            k, it, h, d, q = k[keep], it[keep], h[keep], d[keep], q[keep]
        if len(k) == 0:
            return 0
        uniq, col_local = np.unique(it, return_inverse=True)
        n = len(uniq)
        p, r = c.pair_p[k], c.pair_r[k]
        val = np.bincount(col_local, weights=q * c.column_value(p, r, h, d), minlength=n).astype(float)
        rows = [self.HW + uniq[col_local], h * c.W + d]
        coefs = [np.ones(len(k)), q * c.p_w[p]]
        inpk = self.pkg_row[r] >= 0
        rows.append(self.pkg_row[r][inpk])
        coefs.append(q[inpk])
        cols = [col_local, col_local, col_local[inpk]]
        R = np.concatenate(rows)
        C = np.concatenate(cols)
        V = np.concatenate(coefs)
        key = C * self.nrow + R
        ukey, inv = np.unique(key, return_inverse=True)
        vals = np.bincount(inv, weights=V).astype(float)
        ucol = ukey // self.nrow
        urow = (ukey % self.nrow).astype(np.int32)
        # dedupe convexity entries (one per item: bincount summed them)
        is_conv = (urow >= self.HW) & (urow < self.HW + self.I)
        vals = np.where(is_conv, 1.0, vals)
        starts = np.searchsorted(ucol, np.arange(n)).astype(np.int32)
        self.h.addCols(n, val, np.zeros(n), np.full(n, INF), len(ukey), starts, urow, vals)
        self.f_col = np.concatenate([self.f_col, self.ncol + col_local])
        self.f_pair = np.concatenate([self.f_pair, k])
        self.f_h = np.concatenate([self.f_h, h])
        self.f_d = np.concatenate([self.f_d, d])
        self.f_x = np.concatenate([self.f_x, q])
        self.ncol += n
        return n

    # ------------------------------------------------------------------ master
    def solve_master(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        self.h.setOptionValue("time_limit", max(0.05, remaining) if math.isfinite(remaining) else INF)
        self.h.run()
        self.iterations += 1
        ok = self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if ok:
            self.obj = float(self.h.getInfo().objective_function_value)
        return ok

    def duals(self) -> tuple[FltArr, FltArr, FltArr]:
        c = self.c
        y = np.asarray(self.h.getSolution().row_dual, dtype=float)
        pi = np.maximum(y[: self.HW], 0.0).reshape(c.H, c.W)
        mu = np.maximum(y[self.HW: self.HW + self.I], 0.0)
        beta = np.zeros(c.R)
        beta[self.pkg_reqs] = y[self.HW + self.I:]
        return pi, mu, beta

    def primal(self) -> tuple[FltArr, IntArr, IntArr, IntArr, IntArr, FltArr]:
        """z and the aggregated fractional flows (p, r, h, d, x) of the master solution."""
        c = self.c
        sol = np.asarray(self.h.getSolution().col_value, dtype=float)
        z = sol[: self.K]
        lam = sol[self.K0:]
        xf = self.f_x * lam[self.f_col]
        ok = xf > 1e-9
        pair, h, d, xf = self.f_pair[ok], self.f_h[ok], self.f_d[ok], xf[ok]
        key = (pair * c.H + h) * c.W + d
        ukey, inv = np.unique(key, return_inverse=True)
        x = np.bincount(inv, weights=xf).astype(float)
        d_ = ukey % c.W
        h_ = (ukey // c.W) % c.H
        pair_ = ukey // (c.W * c.H)
        return z, c.pair_p[pair_], c.pair_r[pair_], h_.astype(np.int64), d_.astype(np.int64), x

    def lagrangian_extra(self, pi: FltArr, beta: FltArr) -> float:
        c = self.c
        extra = float((c.cap * pi).sum())
        for m in c.pkg_members:
            extra += max(0.0, float((beta[m] * c.r_res[m]).sum()))
        return extra


def exact_transport(c: Compiled, brc: FltArr, deadline: float) -> tuple[float, FltArr] | None:
    """Solve every item's transportation problem exactly (one block-diagonal HiGHS LP over pairs
    with positive reduced value).  Returns (sum of optima, units per pair) or None on timeout."""
    sel = np.flatnonzero(brc > 1e-12)
    x = np.zeros(len(brc))
    if len(sel) == 0:
        return 0.0, x
    P = c.P
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    nrow = P + c.R
    h.addRows(nrow, np.full(nrow, -INF), np.concatenate([c.p_res, c.r_res]).astype(float), 0,
              np.zeros(nrow, np.int32), np.zeros(0, np.int32), np.zeros(0))
    n = len(sel)
    idx = np.stack([c.pair_p[sel], P + c.pair_r[sel]], axis=1).reshape(-1).astype(np.int32)
    h.addCols(n, brc[sel], np.zeros(n), np.full(n, INF), 2 * n, (2 * np.arange(n)).astype(np.int32), idx,
              np.ones(2 * n))
    remaining = deadline - time.monotonic()
    if math.isfinite(remaining):
        h.setOptionValue("time_limit", max(0.05, remaining))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    x[sel] = np.asarray(h.getSolution().col_value, dtype=float)
    return float(h.getInfo().objective_function_value), x


def _iterate(dw: DantzigWolfe, deadline: float, progress: Any, max_iter: int, rel_tol: float
             ) -> tuple[bool, FltArr, FltArr]:
    """Master / pricing rounds until no plan prices out (or the deadline). Returns (converged, pi, beta)."""
    c = dw.c
    zero_p = np.zeros(c.P)
    pi, beta = np.zeros((c.H, c.W)), np.zeros(c.R)
    start = dw.iterations
    while True:
        if not dw.solve_master(deadline):
            return False, pi, beta
        pi, mu, beta = dw.duals()
        brc, bh, bd = dw.pricer.price(zero_p, beta, pi)
        x = dw.greedy_plans(brc)
        it = c.r_item[c.pair_r]
        plan_val = np.bincount(it, weights=np.where(x > 0, x * brc, 0.0), minlength=dw.I)
        rc = plan_val - mu
        scale = max(1.0, abs(dw.obj))
        better = np.flatnonzero(rc > 1e-9 * scale)
        if progress is not None:
            progress(min(0.75, 0.05 + 0.7 * (1 - 1 / (1 + dw.iterations / 5))),
                     f"decomposition: iteration {dw.iterations}, master {dw.obj:.1f}")
        if len(better) == 0 or rc[better].sum() <= rel_tol * scale:
            return True, pi, beta
        if dw.iterations - start >= max_iter or time.monotonic() > deadline:
            return False, pi, beta
        dw.add_plans(x, bh, bd, better)


def run_dw(dw: DantzigWolfe, deadline: float, bound_deadline: float, progress: Any,
           max_iter: int = 200, rel_tol: float = 1e-4) -> dict[str, Any]:
    c = dw.c
    pricer = dw.pricer
    zero_p = np.zeros(c.P)
    brc, bh, bd = pricer.price(zero_p, np.zeros(c.R), np.zeros((c.H, c.W)))
    dw.add_plans(dw.greedy_plans(brc), bh, bd)
    best_bound = pair_bound(c, brc)  # weak but valid (all duals zero)
    converged, pi, beta = _iterate(dw, deadline, progress, max_iter, rel_tol)
    # exact Lagrangian bound at the final prices; its plans also join the master
    info: dict[str, Any] = {"dw_iterations": dw.iterations, "dw_converged": converged,
                            "master_objective": dw.obj}
    brc, bh, bd = pricer.price(zero_p, beta, pi)
    extra = dw.lagrangian_extra(pi, beta)
    best_bound = min(best_bound, pair_bound(c, brc) + extra)  # per-item bound at the final prices
    ex = exact_transport(c, brc, bound_deadline)
    if ex is not None:
        T, xe = ex
        best_bound = min(best_bound, T + extra)
        info["bound_exact_transport"] = True
        xe = np.floor(xe + 1e-9)
        if dw.add_plans(xe, bh, bd):
            dw.solve_master(bound_deadline)
    info["bound"] = best_bound if math.isfinite(best_bound) else None
    # packages: fix z to 0/1 (shortfalls allowed at a penalty) and let the master re-optimise;
    # packages still short afterwards are dropped
    if dw.K:
        sol = np.asarray(dw.h.getSolution().col_value, dtype=float)
        z = sol[: dw.K] if len(sol) >= dw.K else np.zeros(dw.K)
        frac = (z > 1e-6) & (z < 1 - 1e-6)
        info["packages_fractional"] = int(frac.sum())
        if frac.any() and time.monotonic() < bound_deadline:
            idx = np.arange(dw.K, dtype=np.int32)
            zf = ((z >= 0.5) | c.pkg_forced).astype(float)
            dw.h.changeColsBounds(dw.K, idx, zf, zf)
            aidx = np.arange(dw.K, dw.K0, dtype=np.int32)
            dw.h.changeColsBounds(dw.n_art, aidx, np.zeros(dw.n_art), np.full(dw.n_art, INF))
            if dw.solve_master(bound_deadline):
                _iterate(dw, bound_deadline, progress, 10, rel_tol)
            sol = np.asarray(dw.h.getSolution().col_value, dtype=float)
            if len(sol) >= dw.K0:
                short = sol[dw.K: dw.K0] > 1e-6
                for k in np.unique(c.r_pkg[dw.pkg_reqs[short]]).tolist():
                    if not c.pkg_forced[k]:
                        zf[k] = 0.0
            dw.h.changeColsBounds(dw.K, idx, zf, zf)
            dw.h.changeColsBounds(dw.n_art, aidx, np.zeros(dw.n_art), np.zeros(dw.n_art))
            dw.solve_master(bound_deadline)
    info["master_columns"] = dw.ncol
    info["master_objective_final"] = dw.obj
    return info
