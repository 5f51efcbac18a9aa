"""Numpy view of an instance shared by the solvers (not used by :mod:`evaluate`).

Fixed flows are applied here: they are subtracted from pledge quantities, requirement quantities and
hub-week capacities (as is ``reserved_t``; a hub-week already full is left at 0, not below); packages
touched by a fixed flow are forced to be complete.
A requirement keeps its *original* quantity for the per-unit value ``priority_value / quantity``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .model import Instance

IntArr = npt.NDArray[np.int64]
FltArr = npt.NDArray[np.float64]
BoolArr = npt.NDArray[np.bool_]
BIG = 10**6


@dataclass
class Compiled:
    inst: Instance
    P: int
    R: int
    H: int
    W: int
    p_item: IntArr
    p_origin: IntArr
    p_avail: IntArr
    p_res: IntArr          # pledge quantity left after fixed flows
    r_item: IntArr
    r_dest: IntArr
    r_due: IntArr
    r_qty: IntArr          # original quantity
    r_res: IntArr          # quantity left after fixed flows
    r_unit: FltArr         # priority_value / original quantity
    r_prio: IntArr
    r_pkg: IntArr          # package index or -1
    p_w: FltArr            # weight per unit of the pledge's item
    r_w: FltArr
    cost: FltArr           # [origin, hub] cost per tonne
    dmin: IntArr           # [pledge, hub] earliest dispatch week (BIG if unreachable)
    dmax: IntArr           # [req, hub] latest dispatch week (-1 if unreachable)
    lo: IntArr             # [req, hub] lead-out weeks (0 where unreachable)
    cap: FltArr            # [hub, week] capacity left after fixed flows
    pkg_members: list[IntArr]
    pkg_forced: BoolArr    # package already has fixed flows -> must be completed
    fixed_value: float     # objective contribution of the fixed flows
    pair_p: IntArr         # candidate (pledge, requirement) pairs: same item, some route in time
    pair_r: IntArr
    #: the pairs were pruned (:func:`prune_pairs`): only each requirement's and each pledge's best partners
    pruned: bool = False
    #: when pruned, a valid upper bound on the transport relaxation T(0) over ALL pairs (:func:`pricing.pair_bound`
    #: computed before pruning); an LP over the pruned pairs bounds only the pruned problem
    full_pair_bound: float | None = None

    def unit_value(self, r: IntArr, h: IntArr, d: IntArr) -> FltArr:
        """Gross per-unit value (before transport cost) of dispatching to r via h in week d."""
        late = np.maximum(0, d + self.lo[r, h] - self.r_due[r])
        decay = np.maximum(0.0, 1.0 - self.inst.lateness_decay_per_week * late)
        return self.r_unit[r] * decay

    def column_value(self, p: IntArr, r: IntArr, h: IntArr, d: IntArr) -> FltArr:
        return self.unit_value(r, h, d) - self.p_w[p] * self.cost[self.p_origin[p], h]


#: Pruning keeps, for every requirement, its best pledges (by value per unit at zero capacity prices, near-equal
#: values in a pseudo-random order) until they hold PRUNE_COVER times what it still needs (at least
#: PRUNE_MIN_PARTNERS of them), and for every pledge requirements it adds value to, in a pseudo-random order,
#: the same way. Tuned on the database at 100,000 pledges (docs/scale.md): 1.5 of its 13.8 million pairs kept,
#: and a plan within 0.07% of the plan over all pairs, in 4-6 s instead of over 40 s; on generated instances of 47
#: items, 8,000 pledges and 3,000 requirements, 2.5 times fewer pairs and the same plan value.
PRUNE_COVER = 32
PRUNE_MIN_PARTNERS = 16
PRUNE_BUCKETS = 20


def compile_instance(inst: Instance, prune_above: int | None = None) -> Compiled:
    """Compile an instance. With ``prune_above``, an instance with more candidate pairs than that keeps only
    the best partners of every pledge and requirement (:func:`_pruned_pairs`); smaller instances, and every
    instance without ``prune_above``, keep all their pairs."""
    W = inst.weeks
    item_idx = {it.id: k for k, it in enumerate(inst.items)}
    hub_idx = {h.id: k for k, h in enumerate(inst.hubs)}
    weights = np.array([it.weight_t for it in inst.items], dtype=float)
    origins = sorted({p.origin for p in inst.pledges} | set(inst.lead_in_weeks))
    o_idx = {o: k for k, o in enumerate(origins)}
    dests = sorted({r.destination for r in inst.requirements})
    dst_idx = {d: k for k, d in enumerate(dests)}
    H = len(inst.hubs)

    li = np.full((len(origins), H), BIG, dtype=np.int64)
    cost = np.zeros((len(origins), H))
    for o, row in inst.lead_in_weeks.items():
        for h, v in row.items():
            li[o_idx[o], hub_idx[h]] = v
    for o, crow in inst.cost_in_per_t.items():
        if o in o_idx:
            for h, c in crow.items():
                cost[o_idx[o], hub_idx[h]] = c
    lo_t = np.full((H, len(dests)), -1, dtype=np.int64)
    for h, row in inst.lead_out_weeks.items():
        for dname, v in row.items():
            if dname in dst_idx:
                lo_t[hub_idx[h], dst_idx[dname]] = v

    pl = inst.pledges
    rq = inst.requirements
    p_item = np.array([item_idx[p.item] for p in pl], dtype=np.int64)
    p_origin = np.array([o_idx[p.origin] for p in pl], dtype=np.int64)
    p_avail = np.array([p.available_week for p in pl], dtype=np.int64)
    p_res = np.array([p.quantity for p in pl], dtype=np.int64)
    r_item = np.array([item_idx[r.item] for r in rq], dtype=np.int64)
    r_dest = np.array([dst_idx[r.destination] for r in rq], dtype=np.int64)
    r_due = np.array([r.due_week for r in rq], dtype=np.int64)
    r_qty = np.array([r.quantity for r in rq], dtype=np.int64)
    r_res = r_qty.copy()
    r_prio = np.array([r.priority for r in rq], dtype=np.int64)
    r_unit = np.array([inst.priority_value[r.priority] / r.quantity for r in rq], dtype=float)
    r_pkg = np.full(len(rq), -1, dtype=np.int64)
    req_idx = {r.id: k for k, r in enumerate(rq)}
    pl_idx = {p.id: k for k, p in enumerate(pl)}
    members = []
    for k, pk in enumerate(inst.packages):
        m = np.array([req_idx[x] for x in pk.requirements], dtype=np.int64)
        r_pkg[m] = k
        members.append(m)
    forced = np.zeros(len(inst.packages), dtype=bool)

    dmin = (p_avail[:, None] + li[p_origin, :]).reshape(len(pl), H) if len(pl) else np.zeros((0, H), np.int64)
    dmin = np.where(dmin >= BIG, BIG, dmin)
    if len(rq):
        lo_r = lo_t[:, r_dest].T
        dmax = np.where(lo_r >= 0, W - 1 - lo_r, -1)
        lo_r = np.maximum(lo_r, 0)
    else:
        lo_r = np.zeros((0, H), np.int64)
        dmax = np.zeros((0, H), np.int64)
    cap = np.array([[h.capacity_t_per_week] * W for h in inst.hubs], dtype=float).reshape(H, W)

    comp = Compiled(
        inst=inst, P=len(pl), R=len(rq), H=H, W=W, p_item=p_item, p_origin=p_origin, p_avail=p_avail,
        p_res=p_res, r_item=r_item, r_dest=r_dest, r_due=r_due, r_qty=r_qty, r_res=r_res, r_unit=r_unit,
        r_prio=r_prio, r_pkg=r_pkg, p_w=weights[p_item] if len(pl) else np.zeros(0),
        r_w=weights[r_item] if len(rq) else np.zeros(0), cost=cost, dmin=dmin, dmax=dmax, lo=lo_r,
        cap=cap, pkg_members=members, pkg_forced=forced, fixed_value=0.0,
        pair_p=np.zeros(0, np.int64), pair_r=np.zeros(0, np.int64),
    )

    for hub, by_week in inst.reserved_t.items():
        for week, t in by_week.items():
            comp.cap[hub_idx[hub], week] -= t
    fv = 0.0
    for f in inst.fixed_flows:
        p, r, hi = pl_idx[f.pledge], req_idx[f.requirement], hub_idx[f.hub]
        comp.p_res[p] -= f.quantity
        comp.r_res[r] -= f.quantity
        comp.cap[hi, f.dispatch_week] -= f.quantity * comp.p_w[p]
        if r_pkg[r] >= 0:
            forced[r_pkg[r]] = True
        fv += f.quantity * float(comp.column_value(np.array([p]), np.array([r]), np.array([hi]),
                                                   np.array([f.dispatch_week]))[0])
    comp.fixed_value = fv
    np.maximum(comp.cap, 0.0, out=comp.cap)

    # candidate pairs: same item, both with quantity left, at least one hub on time
    if len(pl) and len(rq):
        n_items = len(inst.items)
        live_p = comp.p_res > 0
        live_r = comp.r_res > 0
        pc = np.bincount(p_item[live_p], minlength=n_items)
        rc = np.bincount(r_item[live_r], minlength=n_items)
        if prune_above is not None and int((pc * rc).sum()) > prune_above:
            comp.pair_p, comp.pair_r, comp.full_pair_bound = _pruned_pairs(comp)
            comp.pruned = True
            return comp
        po = np.argsort(p_item, kind="stable")
        ro = np.argsort(r_item, kind="stable")
        pc = np.bincount(p_item, minlength=n_items)
        rc = np.bincount(r_item, minlength=n_items)
        ps = np.concatenate([[0], np.cumsum(pc)])
        rs = np.concatenate([[0], np.cumsum(rc)])
        npair = pc * rc
        tot = int(npair.sum())
        it = np.repeat(np.arange(n_items), npair)
        off = np.arange(tot) - np.repeat(np.concatenate([[0], np.cumsum(npair)[:-1]]), npair)
        rc_it = rc[it]
        pp = po[ps[it] + off // np.maximum(rc_it, 1)]
        rr = ro[rs[it] + off % np.maximum(rc_it, 1)]
        ok = (comp.p_res[pp] > 0) & (comp.r_res[rr] > 0)
        pp, rr = pp[ok], rr[ok]
        ok = (comp.dmin[pp] <= comp.dmax[rr]).any(axis=1)
        comp.pair_p, comp.pair_r = pp[ok], rr[ok]
    return comp


def best_values(c: Compiled) -> FltArr:
    """S[r,h,d]: the best gross value per unit of dispatching to r via h in week d or later (-inf where no week
    from d on reaches r in time); a pair's value at zero prices is max_h S[r,h,dmin(p,h)] - transport cost."""
    d = np.arange(c.W)
    late = np.maximum(0, d[None, None, :] + c.lo[:, :, None] - c.r_due[:, None, None])
    decay = np.maximum(0.0, 1.0 - c.inst.lateness_decay_per_week * late)
    U = c.r_unit[:, None, None] * decay
    U[d[None, None, :] > c.dmax[:, :, None]] = -np.inf
    return np.maximum.accumulate(U[:, :, ::-1], axis=2)[:, :, ::-1]


def _pruned_pairs(c: Compiled) -> tuple[IntArr, IntArr, float]:
    """The candidate pairs worth keeping, item by item, and the bound of :func:`pricing.pair_bound` at zero
    prices over all the pairs.

    Per item, the value per unit of every (requirement, pledge) pair at zero capacity prices is computed as
    one matrix (numpy, never all items' pairs at once). A requirement keeps its pledges in decreasing value
    until they hold ``PRUNE_COVER`` times its quantity (at least ``PRUNE_MIN_PARTNERS`` pledges); a pledge
    keeps its requirements the same way; a pair stays if either side keeps it. Every pair kept is a pair of
    the full instance, so every plan over the pruned pairs is a plan of the instance."""
    W = c.W
    S = best_values(c)
    live_p = np.flatnonzero(c.p_res > 0)
    live_r = np.flatnonzero(c.r_res > 0)
    n_items = len(c.inst.items)
    p_by = np.split(live_p[np.argsort(c.p_item[live_p], kind="stable")],
                    np.cumsum(np.bincount(c.p_item[live_p], minlength=n_items))[:-1])
    r_by = np.split(live_r[np.argsort(c.r_item[live_r], kind="stable")],
                    np.cumsum(np.bincount(c.r_item[live_r], minlength=n_items))[:-1])
    out_p: list[IntArr] = []
    out_r: list[IntArr] = []
    bound = 0.0
    for ps, rs in zip(p_by, r_by, strict=True):
        if not len(ps) or not len(rs):
            continue
        V = np.full((len(rs), len(ps)), -np.inf)
        for h in range(c.H):
            dm = c.dmin[ps, h]
            val = S[rs, h][:, np.minimum(dm, W - 1)] - (c.p_w[ps] * c.cost[c.p_origin[ps], h])[None, :]
            val[dm[None, :] > c.dmax[rs, h][:, None]] = -np.inf
            np.maximum(V, val, out=V)
        fin = np.isfinite(V)
        if not fin.any():
            continue
        pos = np.where(fin, np.maximum(V, 0.0), 0.0)
        qp, qr = c.p_res[ps], c.r_res[rs]
        bound += min(float((pos.max(axis=0) * qp).sum()), float((pos.max(axis=1) * qr).sum()))
        keep = np.zeros(V.shape, dtype=bool)
        # near-equal values (within 1/PRUNE_BUCKETS of the row's best) rank in a pseudo-random
        # order: otherwise every requirement picks the same earliest pledges, and every pledge the same
        # most valuable requirements
        mix = (ps[None, :] * 2654435761 + rs[:, None] * 40503) % 1000003
        top = np.where(fin, V, 0.0)
        b = np.where(fin, np.floor(PRUNE_BUCKETS * V / np.maximum(np.abs(top).max(axis=1, keepdims=True), 1e-300)),
                     -np.inf)
        o = np.lexsort((mix, -b), axis=1)                  # each requirement's pledges, best first
        q = qp[o]
        sel = ((np.cumsum(q, axis=1) - q) < PRUNE_COVER * qr[:, None]) \
            | (np.arange(len(ps))[None, :] < PRUNE_MIN_PARTNERS)
        keep[np.nonzero(sel)[0], o[sel]] = True
        b = np.where(fin, (V > 0).astype(float), -np.inf)  # a pledge: any requirement it adds value to
        o = np.lexsort((mix.T, -b.T), axis=1).T            # each pledge's requirements, best first
        q = qr[o]
        sel = ((np.cumsum(q, axis=0) - q) < PRUNE_COVER * qp[None, :]) \
            | (np.arange(len(rs))[:, None] < PRUNE_MIN_PARTNERS)
        keep[o[sel], np.nonzero(sel)[1]] = True
        keep &= fin
        pj, ri = np.nonzero(keep.T)                        # pledge-major, as the unpruned pairs
        out_p.append(ps[pj])
        out_r.append(rs[ri])
    if not out_p:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0.0
    return np.concatenate(out_p), np.concatenate(out_r), bound
