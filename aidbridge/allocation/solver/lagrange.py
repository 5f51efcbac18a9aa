r"""Lagrangian relaxation of the hub-week capacity rows, with a price-guided integer repair.
Used by ``solve(method="optimal")`` for large instances (more than ``api.CG_MAX_PAIRS`` pairs);
see :mod:`optimal` for the full formulation and notation.

Relaxation and bound
--------------------
Price the H*W capacity rows with pi[h,d] >= 0 and drop the package constraints (a relaxation:
packages only restrict plans).  What is left splits into one transportation problem per item:

    T(pi) = max  sum_{(p,r)} g_pr(pi) x_pr
            s.t. sum_r x_pr <= q_p   (every pledge p),   sum_p x_pr <= Q_r   (every requirement r),
                 x >= 0
    g_pr(pi) = max(0, max_{h, dmin(p,h) <= d <= dmax(r,h)}  v_prhd - w_i pi[h,d])

(each unit of a pair independently takes its best hub and dispatch week under the prices; the
max over (h,d) is the suffix-maximum gather of :class:`pricing.Pricer`).  By weak duality

    L(pi) = T(pi) + sum_{h,d} C_hd pi[h,d]  >=  LP optimum  >=  any integer plan,

and the plan reports bound = L(0) + value of fixed flows.  T is ONE HiGHS LP over all items with
only pledge and requirement rows and no coupling rows (~86k columns, 15k rows at coalition scale):
dual simplex without presolve solves it in ~2-4 s.  On large instances it runs in a forked
process (the machine has 2 cores) while the repair rounds below run in this one; if it is not
done by the time limit, the weak but valid bound of :func:`pricing.pair_bound` at pi = 0 is
reported instead (stats say so).
Why pi = 0: on our instances capacity is tight in tonnes but cheap in value (units can move to
another week or hub, or lighter units take the slot, at little loss), so L(0) is within ~0.2%
of the LP optimum at coalition scale, while each capacity price we tried (duals of the LP on a
sample of items, subgradient steps) raised L.  (On instances where capacity is expensive L(0)
is looser; without a tight time limit the Dantzig-Wolfe refinement of :mod:`dw` then tightens
the bound.)

Integer plan (repair rounds, each ~1.5-3 s at coalition scale)
--------------------------------------------------------------
0. Transport at prices pi by a greedy: pairs by g_pr(pi) descending, each takes
   min(pledge left, requirement left) units (integral; ~0.2 s).
1. Packages that plan fills to >= 50% are kept (their flows placed first), the others dropped.
2. Place the pair flows into hub-weeks: all (flow, hub, week) candidates sorted by reduced value
   per tonne (v - w pi[h,d]) / w, ties to the latest week; each takes as many units as the flow
   has left and fit in the hub-week's remaining capacity.
3. Complete each kept package exactly: from unused pledge units, else by re-routing units of
   placed flows of the same item from requirements outside packages to the package's
   requirements through the same hub and week (capacity unchanged) when the package's value
   exceeds the value lost; packages still short are dropped.  Refill leftovers greedily by value
   per unit (:class:`integer.IntegerState`).
Round 0 uses pi = 0; afterwards pi <- pi/2 + m/4, where m[h,d] is the reduced value per tonne of
the marginal unit the repair accepted in a hub-week it filled (0 where capacity is left), so the
next round's transport and placement avoid the congested hub-weeks.  Rounds stop at the time
limit or when a round does not improve the best plan, which is returned ("limited" says whether
the time limit stopped them).  Round 0 always runs; on instances whose pairs were pruned
(:func:`compiled.compile_instance`) it takes seconds, and the bound is the pair bound over all pairs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np

from .compiled import Compiled, FltArr, IntArr
from .integer import IntegerState
from .pricing import Pricer, pair_bound

INF = highspy.kHighsInf
Progress = Callable[[float, str], None] | None


class TransportLP:
    """The block-diagonal transportation LP over all pairs (no capacity rows)."""

    def __init__(self, c: Compiled, pricer: Pricer) -> None:
        self.c = c
        self.pricer = pricer
        zero_pi = np.zeros((c.H, c.W))
        brc, _, _ = pricer.price(np.zeros(c.P), np.zeros(c.R), zero_pi)
        self.sel = np.flatnonzero(np.isfinite(brc))
        n = len(self.sel)
        self.n = n
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", 1)  # dual simplex for the cold start
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        nrow = c.P + c.R
        h.addRows(nrow, np.full(nrow, -INF), np.concatenate([c.p_res, c.r_res]).astype(float), 0,
                  np.zeros(nrow, np.int32), np.zeros(0, np.int32), np.zeros(0))
        if n:
            idx = np.stack([c.pair_p[self.sel], c.P + c.pair_r[self.sel]], axis=1).reshape(-1).astype(np.int32)
            h.addCols(n, np.zeros(n), np.zeros(n), np.full(n, INF), 2 * n, (2 * np.arange(n)).astype(np.int32),
                      idx, np.ones(2 * n))
        self.h = h
        self.runs = 0

    def solve(self, pi: FltArr, deadline: float) -> tuple[float, FltArr, IntArr, IntArr] | None:
        """T(pi), units per pair, and every pair's best hub and week; None if not solved to optimality."""
        c = self.c
        brc, bh, bd = self.pricer.price(np.zeros(c.P), np.zeros(c.R), pi)
        x = np.zeros(len(brc))
        if self.n == 0:
            return 0.0, x, bh, bd
        cost = np.maximum(brc[self.sel], 0.0)
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), cost)
        if self.runs:
            self.h.setOptionValue("simplex_strategy", 4)  # primal simplex: the old basis stays feasible
        remaining = deadline - time.monotonic()
        self.h.setOptionValue("time_limit", max(0.05, remaining) if math.isfinite(remaining) else INF)
        self.h.run()
        self.runs += 1
        st = self.h.getModelStatus()
        if st == highspy.HighsModelStatus.kModelEmpty:
            return 0.0, x, bh, bd
        if st != highspy.HighsModelStatus.kOptimal:
            return None
        x[self.sel] = np.asarray(self.h.getSolution().col_value, dtype=float)
        return float(self.h.getInfo().objective_function_value), x, bh, bd


def _slots(c: Compiled, k: IntArr) -> tuple[IntArr, IntArr, IntArr, FltArr]:
    """Every (flow, hub, week) a pair flow can use: flow index, hub, week, value per unit."""
    pp, rr = c.pair_p[k], c.pair_r[k]
    lo = c.dmin[pp]
    hi = c.dmax[rr]
    n = np.where(lo <= hi, hi - lo + 1, 0).reshape(-1)
    idx = np.repeat(np.arange(n.size), n)
    start = np.repeat(np.cumsum(n) - n, n)
    d = lo.reshape(-1)[idx] + (np.arange(idx.size) - start)
    f = idx // c.H
    h = idx % c.H
    return f, h, d, c.column_value(pp[f], rr[f], h, d)


def _reroute(st: IntegerState, members: IntArr) -> bool:
    """Complete the package's short requirements by re-routing units of placed flows of the same
    item to requirements outside packages: flow (p, r', h, d) -> (p, r, h, d) keeps pledge, hub
    and week (so capacity is unchanged) when r can be reached from h by d.  Commits only if the
    package gets complete and the plan value does not drop; returns whether it committed."""
    c = st.c
    moves: list[tuple[tuple[int, int, int, int], int, int]] = []
    delta = 0.0
    short_total = 0
    keys = np.array(list(st.flows.keys()), dtype=np.int64).reshape(-1, 4)
    qs = np.array(list(st.flows.values()), dtype=np.int64)
    fp, fr, fh, fd = keys[:, 0], keys[:, 1], keys[:, 2], keys[:, 3]
    used = np.zeros(len(qs), dtype=np.int64)
    for r in members.tolist():
        short = int(st.r_left[r])
        if short <= 0:
            continue
        short_total += short
        sel = np.flatnonzero((c.r_item[fr] == c.r_item[r]) & (c.r_pkg[fr] < 0) & (fd <= c.dmax[r, fh])
                             & (qs > used))
        rr = np.full(len(sel), r)
        loss = (c.column_value(fp[sel], fr[sel], fh[sel], fd[sel])
                - c.column_value(fp[sel], rr, fh[sel], fd[sel]))
        for j in np.argsort(loss, kind="stable").tolist():
            i = int(sel[j])
            t = min(int(qs[i] - used[i]), short)
            used[i] += t
            moves.append(((int(fp[i]), int(fr[i]), int(fh[i]), int(fd[i])), r, t))
            delta -= float(loss[j]) * t
            short -= t
            if short == 0:
                break
        if short > 0:
            return False
    # the package's value is realised only once complete: count its current flows as gain
    mine = np.isin(fr, members)
    gain = float((qs[mine] * c.column_value(fp[mine], fr[mine], fh[mine], fd[mine])).sum())
    if short_total == 0 or delta + gain < 0:
        return False
    for (p, r2, h, d), r, t in moves:
        key = (p, r2, h, d)
        st.flows[key] -= t
        if st.flows[key] == 0:
            del st.flows[key]
        st.r_left[r2] += t
        nk = (p, r, h, d)
        st.flows[nk] = st.flows.get(nk, 0) + t
        st.r_left[r] -= t
    return True


def complete_packages(st: IntegerState, order: list[int]) -> list[int]:
    """Complete each chosen package from unused pledge units (as :meth:`IntegerState.complete_packages`),
    else by re-routing flows of requirements outside packages (:func:`_reroute`); packages still
    short are dropped (their flows removed).  Returns the dropped packages."""
    c = st.c
    dropped = []
    for k in order:
        members = c.pkg_members[k]
        short = members[st.r_left[members] > 0]
        if len(short):
            st.fill(st.candidates(short, positive_only=False))
        if (st.r_left[members] > 0).any():
            _reroute(st, members)
        if (st.r_left[members] > 0).any():
            dropped.append(k)
            st.remove_requirements(set(members.tolist()))
    return dropped


PKG_KEEP_FILL = 0.5  # a package the transport fills to at least this share is kept, the others dropped


def repair(c: Compiled, x: FltArr, pi: FltArr) -> tuple[IntegerState, FltArr]:
    """Integer plan from transport units per pair under prices pi; also the marginal prices."""
    k = np.flatnonzero(x > 1 - 1e-6)
    q = np.floor(x[k] + 1e-6).astype(np.int64)
    K = len(c.pkg_members)
    pk = c.r_pkg[c.pair_r[k]]
    got = np.bincount(np.maximum(pk, 0), weights=np.where(pk >= 0, q, 0), minlength=K) if K else np.zeros(0)
    need = np.array([c.r_res[m].sum() for m in c.pkg_members], dtype=float) if K else np.zeros(0)
    fill = got / np.maximum(need, 1.0)
    chosen = (fill >= PKG_KEEP_FILL) | c.pkg_forced if K else np.zeros(0, dtype=bool)
    if K:
        keep = (pk < 0) | chosen[np.maximum(pk, 0)]
        k, q, pk = k[keep], q[keep], pk[keep]
    f, h, d, v = _slots(c, k)
    w = c.p_w[c.pair_p[k]]
    ok = v > 1e-12
    f, h, d, v = f[ok], h[ok], d[ok], v[ok]
    red = (v - w[f] * pi[h, d]) / w[f]
    o = np.lexsort((-d, -red, -(pk[f] >= 0).astype(np.int64)))
    st = IntegerState(c)
    W = c.W
    cap = st.cap.reshape(-1).tolist()
    left = q.tolist()
    wl = w.tolist()
    pp = c.pair_p[k].tolist()
    rr = c.pair_r[k].tolist()
    marg = [math.inf] * (c.H * W)
    placed: list[tuple[int, int, int, int]] = []
    s_o = (h * W + d)[o].tolist()
    for fi, s, rv in zip(f[o].tolist(), s_o, red[o].tolist(), strict=True):
        n_left = left[fi]
        if n_left <= 0:
            continue
        wf = wl[fi]
        cs = cap[s]
        if cs < wf * (1 - 1e-9):
            continue
        m = min(n_left, math.floor(cs / wf + 1e-9))
        if m > 0:
            cap[s] = cs - m * wf
            left[fi] = n_left - m
            placed.append((fi, s, m))  # type: ignore[arg-type]
            if rv < marg[s]:
                marg[s] = rv
    for fi, s, m in placed:  # type: ignore[misc]
        st.add(pp[fi], rr[fi], s // W, s % W, m)
    marg = np.array(marg).reshape(c.H, W)  # type: ignore[assignment]
    if K:
        for kk in np.flatnonzero(~chosen).tolist():
            st.remove_requirements(set(c.pkg_members[kk].tolist()))
        complete_packages(st, sorted(np.flatnonzero(chosen).tolist(), key=lambda kk: (not c.pkg_forced[kk],
                                                                                       -fill[kk])))
    st.refill()
    full = st.cap < 0.02 * c.cap + 1e-9
    return st, np.where(full & np.isfinite(marg), np.maximum(marg, 0.0), 0.0)


def greedy_transport(c: Compiled, brc: FltArr) -> FltArr:
    """Per-item transportation by best reduced value first (a heuristic for T(pi)); units per pair."""
    sel = np.flatnonzero(brc > 1e-12)
    order = sel[np.argsort(-brc[sel], kind="stable")]
    p_left = c.p_res.tolist()
    r_left = c.r_res.tolist()
    q = []
    for p, r in zip(c.pair_p[order].tolist(), c.pair_r[order].tolist(), strict=True):
        a = p_left[p]
        b = r_left[r]
        k = a if a < b else b
        if k < 0:
            k = 0
        q.append(k)
        p_left[p] = a - k
        r_left[r] = b - k
    x = np.zeros(len(brc))
    x[order] = q
    return x


def _bound_child(c: Compiled, pricer: Pricer, pi: FltArr, conn: Any) -> None:  # pragma: no cover - subprocess
    try:
        res = TransportLP(c, pricer).solve(pi, math.inf)
        conn.send(None if res is None else res[0])
    except BaseException:
        conn.send(None)
    finally:
        conn.close()


class BoundJob:
    """L(pi) computed by the exact transport LP, in a forked process when that is available (the
    machine has 2 cores; the repair rounds run meanwhile), else in this process on demand."""

    def __init__(self, c: Compiled, pricer: Pricer, pi: FltArr, parallel: bool) -> None:
        self.c, self.pricer, self.pi = c, pricer, pi
        self.proc: Any = None
        self.conn: Any = None
        if parallel:
            try:
                import multiprocessing as mp

                if "fork" in mp.get_all_start_methods():
                    ctx = mp.get_context("fork")
                    self.conn, child = ctx.Pipe(False)
                    self.proc = ctx.Process(target=_bound_child, args=(c, pricer, pi, child), daemon=True)
                    self.proc.start()
                    child.close()
            except Exception:
                self.proc = None

    def result(self, timeout: float = math.inf) -> tuple[float | None, bool]:
        """(L(pi), exact).  A forked solve not done within ``timeout`` seconds is abandoned and
        the weak bound of :func:`pricing.pair_bound` (all pledge/requirement duals zero; valid
        since pi >= 0) is returned instead, with exact=False."""
        T: float | None = None
        extra = float((self.pi * self.c.cap).sum())
        if self.proc is not None:
            try:
                if self.conn.poll(None if not math.isfinite(timeout) else max(0.0, timeout)):
                    T = self.conn.recv()
                else:
                    self.proc.kill()
                    brc, _, _ = self.pricer.price(np.zeros(self.c.P), np.zeros(self.c.R), self.pi)
                    return pair_bound(self.c, brc) + extra, False
            except Exception:
                T = None
            finally:
                self.proc.join(1.0)
                if self.proc.is_alive():  # pragma: no cover
                    self.proc.kill()
                self.conn.close()
        if T is None:
            res = TransportLP(self.c, self.pricer).solve(self.pi, math.inf)
            T = None if res is None else res[0]
        return (None if T is None else T + extra), True


PARALLEL_MIN_PAIRS = 20000  # below this the bound LP is cheap: solve it in-process


def run_lagrange(c: Compiled, pricer: Pricer, t0: float, deadline: float, progress: Progress,
                 max_rounds: int = 4, bound_deadline: float = math.inf) -> dict[str, Any]:
    """The bound L(0) (exact transport LP, in parallel on large instances) and rounds of
    (greedy transport at pi -> repair -> plan -> new pi) while time remains.

    Returns the best IntegerState ("state"), its objective and the bound (both without the fixed
    flows' value; bound None if the transport LP failed) and per-phase timings."""
    pi = np.zeros((c.H, c.W))
    tb = time.monotonic()
    # over pruned pairs the transport LP bounds only the pruned problem: the bound is then the pair bound
    # computed over all the pairs before pruning (valid, weaker)
    job = None if c.pruned else BoundJob(c, pricer, pi.copy(), parallel=len(c.pair_p) >= PARALLEL_MIN_PAIRS)
    limited = False
    best: IntegerState | None = None
    best_obj = -math.inf
    timings: list[str] = []
    last_round = 0.0
    zp, zr = np.zeros(c.P), np.zeros(c.R)
    for rnd in range(max_rounds):
        ts = time.monotonic()
        if rnd and ts + 0.8 * last_round > deadline:
            limited = True
            break
        brc, _, _ = pricer.price(zp, zr, pi)
        x = greedy_transport(c, brc)
        tt = time.monotonic()
        st, marg = repair(c, x, pi)
        obj = st.objective() - c.fixed_value
        tr = time.monotonic()
        timings.append(f"r{rnd}: transport {tt - ts:.2f}s repair {tr - tt:.2f}s obj {obj + c.fixed_value:.1f}")
        improved = obj > best_obj
        if improved:
            best, best_obj = st, obj
        last_round = tr - ts
        if progress is not None:
            progress(min(0.8, 0.1 + 0.15 * (rnd + 1)), f"lagrangian round {rnd + 1}: plan {obj + c.fixed_value:.1f}")
        if rnd and not improved:  # the prices have stopped helping; leave the cores to the bound
            break
        pi = 0.5 * pi + 0.25 * marg
    if time.monotonic() > deadline:  # round 0 always runs, even past the deadline
        limited = True
    if job is None:
        bound, exact = c.full_pair_bound, False
        timings.append("bound: the pair bound over all pairs (the pairs were pruned)")
    else:
        bound, exact = job.result(bound_deadline - time.monotonic())
        timings.append(f"bound L(0) {'ready' if exact else 'NOT ready (weak bound used)'} after "
                       f"{time.monotonic() - tb:.2f}s")
    return {"state": best, "objective": best_obj, "bound": bound, "bound_exact": exact,
            "rounds": len(timings) - 1, "timings": "; ".join(timings), "limited": limited}
