"""Turn an engine's visiting orders into a contract plan with our own insertion layer.

An external engine sees a relaxed problem (see each adapter's docstring). Its routes are
replayed here, shift by shift and job by job in the engine's order, on the insertion board
(``optimizer.insertion``), which schedules exactly as the validator reads the contract: travel
minutes per leg, the job's windows (the first that fits), breaks inside their windows, depot
detours for the parts the van lacks and the tools it does not carry (the nearest depot with
stock left, so depot stock shared by all engineers is never over-committed), van stock over
the engineer's shifts in time order, capacity, pins. Each job goes into the cheapest gap after
the job before it, so the engine's order is kept while breaks and detours fall where they fit.
A job the exact schedule cannot take (the engine relaxed what made it late) is left out here;
the repair that follows (``optimizer.dispatch.fill``) places it elsewhere if it can.

Preferred engineers (and ``SolveOptions.affinity``) are soft costs no external engine sees:
each job with one is then taken out and put back at its cheapest place with the preference
priced in (``PREFERRED_MIN`` minutes of travel, the OR-Tools model's ``PREFERRED_COST`` at the
default cost per hour), so it moves to a preferred engineer where that costs less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from optimizer.compile import Compiled
from optimizer.dispatch.diagnose import Diagnosis
from optimizer.dispatch.engines import EngineRoutes
from optimizer.dispatch.read import read_unassigned
from optimizer.insertion.board import BIG, Board, Move, WorkRoute, board_plan, empty_routes
from optimizer.models import Plan

PREFERRED_MIN = 60.0  # travel minutes a job's preferred engineer is worth (insertion units)
MIN_PER_CURRENCY = 2.0  # affinity costs are in currency; the default engineer costs 0.5/min


def realise(c: Compiled, d: Diagnosis, found: EngineRoutes, *, wall_s: float = 0.0,
            affinity: Mapping[str, Mapping[str, int]] | None = None) -> Plan:
    """A valid plan of ``found``'s routes (jobs that do not fit exactly left unassigned)."""
    minutes = np.asarray(c.travel.minutes)
    work = empty_routes(c)  # one per flat shift, in shift order
    depot_left = c.depot_stock.copy()
    placed: set[int] = set()
    for e in range(c.n_engineers):
        shifts = [s for s in np.flatnonzero(c.shift_engineer == e).tolist()
                  if found.routes.get(s)]
        if not shifts:
            continue
        shifts.sort(key=lambda s: int(c.shift_start[s]))
        board = Board(c, [work[s] for s in shifts], minutes, c.travel.km)
        board.depot_left = depot_left  # shared by every engineer's board in turn
        for i, s in enumerate(shifts):
            placed.update(_replay(board, i, found.routes[s], placed, d,
                                  found.breaks_before.get(s)))
    board = Board(c, work, minutes, c.travel.km)
    honour_preferences(board, preference_costs(c, affinity or {}), placed)
    left = [j for j in range(c.n_jobs) if j not in placed]
    reasons = {c.job_index[u.job]: (u.reason.value, u.detail)
               for u in read_unassigned(c, d, None, placed)}
    status = "success" if found.status == "solved" else found.status
    plan = board_plan(board, left, status=status, wall_s=wall_s, reasons=reasons)
    info = plan.solver.model_dump()
    info.update(engine=found.engine, engine_assigned=sum(len(v) for v in found.routes.values()),
                **found.info)
    return plan.model_copy(update={"solver": type(plan.solver)(**info)})


def _replay(board: Board, ri: int, jobs: Sequence[int], placed: set[int], d: Diagnosis,
            breaks_before: Sequence[int] | None = None) -> list[int]:
    """Append ``jobs`` in order to the board's route ``ri``; returns the jobs placed.
    ``breaks_before`` (per job): where the engine put the breaks, kept where it fits."""
    out: list[int] = []
    last = -1  # position of the previous job in the route's future items
    route: WorkRoute = board.routes[ri]
    for k, j in enumerate(jobs):
        j = int(j)
        if j in placed or j in d.reasons or j in out:
            continue
        nb = None if breaks_before is None else int(breaks_before[k])
        mv = _append_move(board, ri, j, last, nb)
        if mv is None or not board.apply(mv):
            continue
        out.append(j)
        last = next(k for k, x in enumerate(route.future) if x.kind == "job" and x.ref == j)
    return out


def _append_move(board: Board, ri: int, j: int, last: int, n_breaks: int | None = None
                 ) -> Move | None:
    """The cheapest insertion of ``j`` into route ``ri`` after position ``last`` (directly, or
    behind a depot pick-up when the van lacks its parts or tools); with ``n_breaks``, after
    that many breaks if it fits there (the engine's own break placement)."""
    c = board.c
    mask = np.zeros(len(board.routes), dtype=bool)
    mask[ri] = True
    ev = board.evaluate(j, route_mask=mask)
    g = board.gaps
    after = (g.route == ri) & (g.pos > last)
    if n_breaks is not None:
        future = board.routes[ri].future
        breaks = np.cumsum([0] + [x.kind == "break" for x in future])  # before each gap
        at = after & (breaks[np.minimum(g.pos, len(future))] == n_breaks)
        if (ev.ok & at).any():
            after = at
    best: Move | None = None
    ok = ev.ok & after
    if ok.any():
        k = int(np.argmin(np.where(ok, _score(board, j, ev.cost, ev.start), np.inf)))
        best = Move(j, ri, int(g.pos[k]), float(ev.cost[k]), int(ev.start[k]))
    if len(c.depot_loc) and (c.job_parts[j].any() or c.job_tools[j].any()):
        evd, dep, _ = board.evaluate_with_depot(j)
        okd = evd.ok & after
        if okd.any():
            k = int(np.argmin(np.where(okd, _score(board, j, evd.cost, evd.start), np.inf)))
            if best is None or evd.cost[k] < best.cost:
                best = Move(j, ri, int(g.pos[k]), float(evd.cost[k]), int(evd.start[k]),
                            depot=int(dep[k]))
    return best


def _score(board: Board, j: int, cost: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Insertion cost, ties broken by when the job (and a break right after it) is done: a
    job appended before a break pushes the break, one after it may start at the same time
    (waiting for its window either way), and later jobs need the earlier finish."""
    g = board.gaps
    end = start + int(board.c.job_duration[j])
    done = np.where(g.b_s > -BIG, np.maximum(end, g.b_s) + g.b_dur, end)
    return cost + 1e-3 * done




def preference_costs(c: Compiled, affinity: Mapping[str, Mapping[str, int]]
                     ) -> dict[int, np.ndarray]:
    """Job -> (engineers,) cost in insertion units of the job NOT being on each engineer's
    route: the contract's preferred engineers and ``SolveOptions.affinity``."""
    out: dict[int, np.ndarray] = {}
    for j in np.flatnonzero(c.preferred.any(axis=1)).tolist():
        out[j] = np.where(c.preferred[j], 0.0, PREFERRED_MIN)
    for jid, prefs in affinity.items():
        j = c.job_index.get(jid)
        if j is None:
            continue
        cost = out.setdefault(j, np.zeros(c.n_engineers))
        for eid, value in prefs.items():
            e = c.eng_index.get(eid)
            if e is not None:
                cost += np.where(np.arange(c.n_engineers) == e, 0.0, value * MIN_PER_CURRENCY)
    return out


def honour_preferences(board: Board, costs: Mapping[int, np.ndarray], placed: set[int]) -> int:
    """Put each placed job with a preference back at its cheapest place, the preference priced
    in; returns how many changed engineer."""
    moved = 0
    for j in sorted(costs, key=lambda j: (-int(board.c.job_tier[j]), j)):
        if j not in placed:
            continue
        snap = board.snapshot()
        was = next(r.eng for r in board.routes if any(
            x.kind == "job" and x.ref == j for x in r.future))
        board.remove_job(j)
        mv = board.best_insertion(j, eng_cost=costs[j])
        if mv is None or not board.apply(mv):
            board.restore(snap)
            continue
        moved += board.routes[mv.route].eng != was
    return moved
