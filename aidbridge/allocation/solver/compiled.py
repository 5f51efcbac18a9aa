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

    def unit_value(self, r: IntArr, h: IntArr, d: IntArr) -> FltArr:
        """Gross per-unit value (before transport cost) of dispatching to r via h in week d."""
        late = np.maximum(0, d + self.lo[r, h] - self.r_due[r])
        decay = np.maximum(0.0, 1.0 - self.inst.lateness_decay_per_week * late)
        return self.r_unit[r] * decay

    def column_value(self, p: IntArr, r: IntArr, h: IntArr, d: IntArr) -> FltArr:
        return self.unit_value(r, h, d) - self.p_w[p] * self.cost[self.p_origin[p], h]


def compile_instance(inst: Instance) -> Compiled:
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
        po = np.argsort(p_item, kind="stable")
        ro = np.argsort(r_item, kind="stable")
        n_items = len(inst.items)
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
