"""Integer costs of the routing objective, computed from the layout (no OR-Tools here).

Money is scaled by ``SCALE`` (objective units per currency unit). The objective is
engineer time (``cost_per_hour`` on each route's span), distance (``cost_per_km`` per arc),
overtime, lateness against ``due`` (dearer per minute the higher the priority), soft
job->engineer costs (preferred engineers, ``affinity``, stability) and drop penalties.

Drop penalties are tiered so that a lower-priority job never takes the place of a
higher-priority one that could be served: ``penalty[tier] > sum of all lower tiers' penalties
+ an upper bound of every other cost in the model``. The lowest tier is worth more than
the dearest single insertion, so any job that fits is served. Pinned jobs sit one tier above
``critical``. If the tiers would overflow int64 the separation is reduced (logged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from optimizer.compile import Compiled
from optimizer.dispatch.layout import Layout, NodeKind
from optimizer.dispatch.options import Stability

SCALE = 100
LATE_PER_MIN = (0.25, 0.5, 1.0, 2.0)  # currency per minute late, by tier low..critical
PREFERRED_COST = 30.0  # currency when a job is not on one of its preferred engineers
OVERTIME_FACTOR = 1.5  # overtime minute = 1.5 x the engineer's minute (+ 1 currency unit)
PIN_TIER = 4
MAX_OBJECTIVE = 2**62


@dataclass(frozen=True)
class Costs:
    """All integer cost coefficients of one model."""

    span_coef: np.ndarray  # (V,)
    km_coef: np.ndarray  # (V,) scaled currency per km
    overtime_coef: np.ndarray  # (V,)
    late_coef: np.ndarray  # (N,) per visit node, 0 when no due
    due: np.ndarray  # (N,) -1 when none
    pref: np.ndarray | None  # (V, N) unary cost of visiting node on vehicle, or None
    retime_ref: np.ndarray  # (N,) reference start, -1 none
    retime_coef: int
    penalty: dict[int, int]  # job index -> drop penalty
    tier_penalty: tuple[int, ...]


def arc_cost_matrix(c: Compiled, layout: Layout, km_coef: float) -> np.ndarray:
    """Scaled distance cost between nodes for one currency-per-km coefficient."""
    km = c.travel.km[np.ix_(layout.loc, layout.loc)]
    return np.rint(km * km_coef).astype(np.int64)


def compute_costs(
    c: Compiled,
    layout: Layout,
    affinity: Mapping[str, Mapping[str, int]],
    stability: Stability | None,
    reference: Mapping[str, tuple[str, int]],
    log: Callable[[str], None],
) -> Costs:
    """Costs for ``layout``; ``reference`` maps job id -> (engineer id, start minute)."""
    veh_eng = c.shift_engineer[layout.vehicles]
    n_v, n_n = layout.n_vehicles, layout.n_nodes
    span = np.rint(c.cost_per_hour[veh_eng] / 60.0 * SCALE).astype(np.int64)
    km_coef = c.cost_per_km[veh_eng] * SCALE
    ot = np.rint(span * OVERTIME_FACTOR + SCALE).astype(np.int64)

    is_job = (layout.kind == NodeKind.JOB_VAN) | (layout.kind == NodeKind.JOB_DEPOT)
    job = layout.job
    due = np.full(n_n, -1, dtype=np.int64)
    late = np.zeros(n_n, dtype=np.int64)
    late_tier = np.rint(np.array(LATE_PER_MIN) * SCALE).astype(np.int64)
    for n in np.flatnonzero(is_job):
        j = job[n]
        if c.job_due[j] >= 0:
            due[n] = c.job_due[j]
            late[n] = late_tier[c.job_tier[j]]

    # Soft job -> engineer costs, per vehicle and node.
    pref = None
    retime_ref = np.full(n_n, -1, dtype=np.int64)
    retime_coef = 0
    wants_pref = bool(c.preferred.any() or affinity or (stability and reference))
    if wants_pref:
        pref = np.zeros((n_v, n_n), dtype=np.int64)
        for n in np.flatnonzero(is_job):
            j = int(job[n])
            jid = c.job_ids[j]
            prefs = c.preferred[j]
            if prefs.any():
                pref[:, n] += np.where(prefs[veh_eng], 0, int(PREFERRED_COST * SCALE))
            aff = affinity.get(jid)
            if aff:
                for eid, cost in aff.items():
                    e = c.eng_index.get(eid)
                    if e is None:
                        continue
                    pref[:, n] += np.where(veh_eng == e, 0, int(cost * SCALE))
        if stability is not None and reference:
            retime_coef = int(stability.retime_cost_per_min * SCALE)
            reassign = max(int(stability.reassign_cost * SCALE), retime_coef * (c.horizon + 1) + 1)
            for n in np.flatnonzero(is_job):
                ref = reference.get(c.job_ids[int(job[n])])
                if ref is None:
                    continue
                e = c.eng_index.get(ref[0])
                pref[:, n] += np.where(veh_eng == e, 0, reassign)
                retime_ref[n] = ref[1]
        if not pref.any():
            pref = None

    # An upper bound of every non-penalty cost (each node leaves by exactly one arc).
    max_km = c.travel.km[np.ix_(layout.loc, layout.loc)].max(axis=1) if n_n else np.zeros(0)
    kmc = float(km_coef.max()) if n_v else 0.0
    arcs = float(max_km.sum() * kmc) + n_n
    shift_len = c.shift_end[layout.vehicles] - c.shift_start[layout.vehicles]
    ots = c.shift_max_ot[layout.vehicles]
    bound = arcs + float((span * (shift_len + ots)).sum()) + float((ot * ots).sum())
    bound += float((late * np.maximum(0, c.horizon - due)).sum())
    if pref is not None:
        bound += float(pref.max(axis=0).sum())
    bound += float(retime_coef * c.horizon * (retime_ref >= 0).sum())
    bound = int(bound) + 1

    # The dearest single insertion bounds the lowest tier.
    max_arc = float(max_km.max() * kmc) if n_n else 0.0
    max_travel = int(c.travel.minutes.max()) if c.travel.size else 0
    one = 2 * max_arc + float(span.max(initial=0)) * (
        int(layout.service.max(initial=0)) * 2 + 2 * max_travel
    )
    one += float(late.max(initial=0)) * c.horizon + retime_coef * c.horizon
    if pref is not None:
        one += float(pref.max())
    base = int(one) + SCALE

    tiers_of = {}
    for _nodes, j in layout.disjunctions:
        tiers_of[j] = PIN_TIER if c.pinned_engineer[j] >= 0 else int(c.job_tier[j])
    counts = [0] * (PIN_TIER + 1)
    for t in tiers_of.values():
        counts[t] += 1
    tier_pen = [base]
    for t in range(1, PIN_TIER + 1):
        below = sum(counts[k] * tier_pen[k] for k in range(t))
        tier_pen.append(below + bound + 1)
    total = sum(counts[k] * tier_pen[k] for k in range(PIN_TIER + 1)) + bound
    if total > MAX_OBJECTIVE:
        log("drop penalties would overflow; tier separation reduced to x1000 per tier")
        tier_pen = [base]
        for _t in range(1, PIN_TIER + 1):
            tier_pen.append(tier_pen[-1] * 1000)
        cap = MAX_OBJECTIVE // max(1, sum(counts))
        tier_pen = [min(p, cap) for p in tier_pen]
    penalty = {j: tier_pen[t] for j, t in tiers_of.items()}
    return Costs(
        span_coef=span,
        km_coef=km_coef,
        overtime_coef=ot,
        late_coef=late,
        due=due,
        pref=pref,
        retime_ref=retime_ref,
        retime_coef=retime_coef,
        penalty=penalty,
        tier_penalty=tuple(tier_pen),
    )
