"""The node layout of the routing model, as plain numpy data (no OR-Tools here).

Vehicles are the usable engineer shifts that could do some job. Nodes, in order:
``[vehicle starts (V)] [vehicle ends (V)] [visit nodes...]``. A job becomes one or more
*alternative* visit nodes, of which at most one is performed (one disjunction carrying the
job's drop penalty):

- a **van** node, allowed on shifts whose van share holds all its parts and whose engineer
  carries all its tools (van stock use is limited by a per-part capacity dimension);
- for each of up to ``MAX_DEPOTS`` nearby depots that hold all its parts, a **depot** copy of
  the job, paired (pickup-and-delivery, same vehicle, pickup first) with a **pickup** node at
  that depot that brings exactly the job's parts and the tools its engineer lacks.

Shared depot stock: in small models (at most ``EXACT_STOCK_JOBS`` jobs) a hard linear
constraint over the pickups' active variables (exact, but OR-Tools only checks it after its
filters, which makes insertion slow: +2 s for the first solution of a 150-job day). Larger
models *reserve* stock instead: units are granted to jobs up front, jobs that no van could
serve first, then by priority, due and index, each at its nearest depot that still has all its
parts; a job may only be picked up for where it holds a grant, so no plan can over-commit a
depot. Units granted to a job that stays unassigned are then lost to others (a known cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from optimizer.compile import Compiled
from optimizer.dispatch.diagnose import Diagnosis


class NodeKind(IntEnum):
    """What a routing node is: a vehicle's start or end, a job served from the van or after a
    depot pick-up, or that pick-up."""

    START = 0
    END = 1
    JOB_VAN = 2
    JOB_DEPOT = 3
    PICKUP = 4


MAX_DEPOTS = 2
EXACT_STOCK_JOBS = 60


@dataclass(frozen=True)
class Layout:
    """Nodes and vehicles of one routing model (see module docstring)."""

    vehicles: np.ndarray  # shift id per vehicle
    kind: np.ndarray  # per node
    loc: np.ndarray  # location index per node
    service: np.ndarray  # minutes per node
    job: np.ndarray  # job index per node (-1: none); pickups carry their job too
    depot: np.ndarray  # depot index per node (-1)
    windows: tuple[np.ndarray, ...]  # per node (k, 2) allowed cumul values
    allowed: tuple[np.ndarray | None, ...]  # per node: allowed vehicles (None: all)
    disjunctions: tuple[tuple[tuple[int, ...], int], ...]  # (nodes, job index)
    pairs: tuple[tuple[int, int], ...]  # (pickup node, job node)
    van_alloc: np.ndarray  # (V, P)
    job_nodes: dict[int, tuple[int, ...]]  # job index -> its alternative nodes
    reserved: bool = False  # depot stock reserved per job (no stock constraint needed)

    @property
    def n_vehicles(self) -> int:
        return len(self.vehicles)

    @property
    def n_nodes(self) -> int:
        return len(self.kind)


def build_layout(
    c: Compiled,
    d: Diagnosis,
    jobs: np.ndarray,
    shifts: np.ndarray,
    warm_depot: dict[int, int] | None = None,
) -> Layout:
    """Layout for ``jobs`` (job indices) on ``shifts`` (shift indices), in the given order.

    ``warm_depot`` (job -> depot) names the depot where a warm-start plan picks a job's parts
    or tools up: that depot copy is always laid out (beside the nearest ones) and, when stock is
    reserved, granted first, so that the warm start is a solution of the model.
    """
    warm_depot = warm_depot or {}
    cand = d.candidates[np.ix_(jobs, shifts)] if len(jobs) else np.zeros((0, len(shifts)), bool)
    used = cand.any(axis=0)
    shifts = shifts[used]
    cand = cand[:, used]
    n_v = len(shifts)
    eng = c.shift_engineer[shifts]

    kind: list[int] = [NodeKind.START] * n_v + [NodeKind.END] * n_v
    loc: list[int] = [int(c.eng_start_loc[e]) for e in eng] + [int(c.eng_end_loc[e]) for e in eng]
    service: list[int] = [0] * (2 * n_v)
    job_of: list[int] = [-1] * (2 * n_v)
    depot_of: list[int] = [-1] * (2 * n_v)
    windows: list[np.ndarray] = []
    for s in shifts:
        windows.append(np.array([[c.shift_start[s], c.shift_end[s] + c.shift_max_ot[s]]]))
    windows = windows + windows
    allowed: list[np.ndarray | None] = [None] * (2 * n_v)
    disj: list[tuple[tuple[int, ...], int]] = []
    pairs: list[tuple[int, int]] = []
    job_nodes: dict[int, tuple[int, ...]] = {}
    alloc = d.van_alloc[shifts]
    all_v = np.arange(n_v)

    def add(k: int, lc: int, sv: int, j: int, dp: int, w: np.ndarray, al: np.ndarray) -> int:
        kind.append(k)
        loc.append(lc)
        service.append(sv)
        job_of.append(j)
        depot_of.append(dp)
        windows.append(w)
        allowed.append(None if len(al) == n_v else al)
        return len(kind) - 1

    n_depots = len(c.depot_loc)
    reserve = len(jobs) > EXACT_STOCK_JOBS
    grants = _reserve_stock(c, jobs, cand, alloc, eng, warm_depot) if reserve else {}
    for row, j in enumerate(jobs):
        j = int(j)
        vs = all_v[cand[row]]
        if len(vs) == 0:
            continue
        req = c.job_parts[j]
        need_t = c.job_tools[j]
        w = c.job_windows[j]
        ps = int(c.pinned_start[j])
        if c.has_pinned_start[j]:
            w = np.array([[ps, ps]])
        van_ok = np.ones(len(vs), dtype=bool)
        if req.any():
            van_ok &= np.all(alloc[vs] >= req, axis=1)
        if need_t.any():
            van_ok &= np.all(c.eng_tools[eng[vs]][:, need_t], axis=1)
        nodes: list[int] = []
        if van_ok.any():
            nodes.append(
                add(NodeKind.JOB_VAN, int(c.job_loc[j]), int(c.job_duration[j]), j, -1, w,
                    vs[van_ok])
            )
        if (req.any() or need_t.any()) and n_depots:
            has = np.all(c.depot_stock >= req, axis=1)
            order = np.argsort(c.travel.minutes[c.depot_loc, c.job_loc[j]], kind="stable")
            wd = warm_depot.get(j, -1)
            if wd >= 0:  # the warm start's depot first, so it is never cut off
                order = np.array([wd, *(x for x in order if x != wd)], dtype=np.int64)
            picked = 0
            for dp in order:
                if picked >= MAX_DEPOTS + (wd >= 0):
                    break
                if not has[dp] or (reserve and req.any() and dp not in grants.get(j, ())):
                    continue
                tools_here = c.depot_tools[dp] if c.depot_tools.shape[1] else np.zeros(0, bool)
                ok_v = (
                    np.array(
                        [bool(np.all(~need_t | c.eng_tools[eng[v]] | tools_here)) for v in vs],
                        dtype=bool,
                    )
                    if need_t.any()
                    else np.ones(len(vs), dtype=bool)
                )
                if not ok_v.any():
                    continue
                pu = int(c.depot_pickup[dp])
                open_w = np.array([[max(0, c.depot_open[dp, 0]), c.depot_open[dp, 1] - pu]])
                if open_w[0, 1] < open_w[0, 0]:
                    continue
                p = add(NodeKind.PICKUP, int(c.depot_loc[dp]), pu, j, int(dp), open_w, vs[ok_v])
                jn = add(
                    NodeKind.JOB_DEPOT, int(c.job_loc[j]), int(c.job_duration[j]), j, int(dp), w,
                    vs[ok_v],
                )
                pairs.append((p, jn))
                nodes.append(jn)
                picked += 1
        if nodes:
            disj.append((tuple(nodes), j))
            job_nodes[j] = tuple(nodes)

    return Layout(
        vehicles=shifts,
        kind=np.array(kind, dtype=np.int64),
        loc=np.array(loc, dtype=np.int64),
        service=np.array(service, dtype=np.int64),
        job=np.array(job_of, dtype=np.int64),
        depot=np.array(depot_of, dtype=np.int64),
        windows=tuple(windows),
        allowed=tuple(allowed),
        disjunctions=tuple(disj),
        pairs=tuple(pairs),
        van_alloc=alloc,
        job_nodes=job_nodes,
        reserved=reserve,
    )


def _reserve_stock(
    c: Compiled,
    jobs: np.ndarray,
    cand: np.ndarray,
    alloc: np.ndarray,
    eng: np.ndarray,
    warm_depot: dict[int, int],
) -> dict[int, set[int]]:
    """Grant depot stock to jobs up front (see module docstring): job -> depots it may use.

    The pick-ups of a warm-start plan (``warm_depot``) are granted first, where they are."""
    left = c.depot_stock.copy()
    grants: dict[int, set[int]] = {}
    for j, dp in warm_depot.items():
        req = c.job_parts[j]
        if req.any() and np.all(left[dp] >= req):
            left[dp] -= req
            grants[j] = {int(dp)}
    keyed = []
    for row, j in enumerate(jobs):
        j = int(j)
        req = c.job_parts[j]
        vs = np.flatnonzero(cand[row])
        if not req.any() or len(vs) == 0 or j in grants:
            continue
        van = bool(np.any(np.all(alloc[vs] >= req, axis=1)))
        due = int(c.job_due[j]) if c.job_due[j] >= 0 else 1 << 40
        keyed.append(((van, -int(c.job_tier[j]), due, j), j))
    for _key, j in sorted(keyed):
        req = c.job_parts[j]
        for dp in np.argsort(c.travel.minutes[c.depot_loc, c.job_loc[j]], kind="stable"):
            if np.all(left[dp] >= req):
                left[dp] -= req
                grants[j] = {int(dp)}
                break
    return grants
