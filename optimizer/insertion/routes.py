"""Working routes from planned stops: frozen history, future items, re-timing that keeps order.

A plan's route becomes a :class:`~optimizer.insertion.board.WorkRoute`: stops already done are
:class:`Frozen` (emitted exactly as they were), the rest future items that keep their planned
start as a lower bound (:func:`planned_items`); :func:`retime_route` schedules them forward and
drops what no longer fits into a pool for the repair operators. :func:`routes_from_plan` does
this for a whole plan before its day starts (the solver's fill pass).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from optimizer.compile import Compiled
from optimizer.insertion.board import BIG, Frozen, Item, StopKind, WorkRoute, break_items, schedule
from optimizer.models import BreakStop, DepotStop, JobStop, Plan, Stop


def piece_of_flat(c: Compiled, eid: str, piece: int) -> int:
    """Flat shift index of engineer ``eid``'s ``piece``-th shift in the compiled problem."""
    e = c.eng_index[eid]
    hits = np.flatnonzero((c.shift_engineer == e) & (c.shift_index == piece))
    return int(hits[0]) if len(hits) else -1



def frozen_stop(c: Compiled, st: Stop) -> Frozen:
    s, e = c.to_minutes(st.start), c.to_minutes(st.end)
    if isinstance(st, JobStop):
        j = c.job_index[st.job]
        return Frozen(st, StopKind.JOB, j, int(c.job_loc[j]), s, e)
    if isinstance(st, DepotStop):
        d = next(i for i, dp in enumerate(c.problem.depots) if dp.id == st.depot)
        return Frozen(st, StopKind.DEPOT, d, int(c.depot_loc[d]), s, e,
                      pickup={c.parts.index(p): q for p, q in st.pickup.items()},
                      pickup_tools=tuple(c.tools.index(t) for t in st.pickup_tools))
    return Frozen(st, StopKind.BREAK, -1, -1, s, e)


def retime_route(r: WorkRoute, minutes: np.ndarray, pool: list[int], c: Compiled) -> None:
    """Re-time ``r`` keeping its order; drop what no longer fits into ``pool``.

    A break that misses its latest start moves earlier; a job that misses its window, or the
    last job when the route ends too late, leaves; a depot stop that leaves takes the later
    jobs that need parts or tools with it.
    """
    for _ in range(len(r.future) * 4 + 8):
        bad = schedule(r, minutes)
        if bad == -1:
            return
        if bad < len(r.future) and r.future[bad].kind == StopKind.BREAK:
            brk = r.future.pop(bad)
            placed = False
            for p in range(bad - 1, -1, -1):
                r.future.insert(p, brk)
                b2 = schedule(r, minutes)
                if b2 == -1 or b2 > p:
                    placed = True
                    break
                r.future.pop(p)
            if placed:
                continue
            r.future.insert(bad, brk)
            ks = [i for i in range(bad) if r.future[i].kind != StopKind.BREAK]
            if not ks:  # nothing to drop before it: widen its window (problem_after does too)
                brk.windows = np.array([[brk.windows[0, 0], BIG // 2]], dtype=np.int64)
                continue
            k = ks[-1]
        elif bad < len(r.future):
            k = bad
        else:
            ks = [i for i, x in enumerate(r.future) if x.kind != StopKind.BREAK]
            if not ks:
                r.ok = False
                return
            k = ks[-1]
        x = r.future.pop(k)
        if x.kind == StopKind.JOB:
            pool.append(x.ref)
        elif x.kind == StopKind.DEPOT:
            later = [y for y in r.future[k:] if y.kind == StopKind.JOB
                     and (c.job_parts[y.ref].any() or c.job_tools[y.ref].any())]
            for y in later:
                r.future.remove(y)
                pool.append(y.ref)
    schedule(r, minutes)



def stops_by_shift(
    c: Compiled,
    routes: Sequence[tuple[Sequence[int], Sequence[Stop]]],
    skip: Collection[str] = frozenset(),
) -> tuple[dict[int, list[Stop]], list[int]]:
    """Planned stops to the flat shift that holds their start, from each route's candidate
    ``flats``; jobs that fit none go to the pool (returned second, in plan order). Jobs in
    ``skip`` or unknown to ``c`` are left out."""
    home_of: dict[int, list[Stop]] = {}
    pool: list[int] = []
    for flats, stops in routes:
        for st in stops:
            if isinstance(st, JobStop) and (st.job not in c.job_index or st.job in skip):
                continue
            stm = c.to_minutes(st.start)
            home = next((f for f in flats if f >= 0 and c.shift_start[f] <= stm
                         <= c.shift_end[f] + c.shift_max_ot[f]), None)
            if home is not None:
                home_of.setdefault(home, []).append(st)
            elif isinstance(st, JobStop):
                pool.append(c.job_index[st.job])
    return home_of, pool


def planned_items(c: Compiled, s: int, stops: Sequence[Stop], taken: Sequence[int] = ()
                  ) -> list[Item]:
    """Shift ``s``'s planned job and depot stops as future items (each no earlier than planned),
    with its breaks not ``taken`` yet at their planned place, or by their earliest start."""
    items: list[Item] = []
    for st in stops:
        if isinstance(st, JobStop):
            j = c.job_index[st.job]
            stm = c.to_minutes(st.start)
            items.append(Item(StopKind.JOB, j, int(c.job_loc[j]), int(c.job_duration[j]),
                              c.job_windows[j] if c.pinned_start[j] < 0 else np.array(
                                  [[c.pinned_start[j]] * 2], dtype=np.int64), lb=stm))
        elif isinstance(st, DepotStop):
            d = next(i for i, dp in enumerate(c.problem.depots) if dp.id == st.depot)
            stm = c.to_minutes(st.start)
            items.append(Item(
                StopKind.DEPOT, d, int(c.depot_loc[d]), c.to_minutes(st.end) - stm,
                c.depot_open[d].reshape(1, 2), lb=stm,
                pickup={c.parts.index(p): q for p, q in st.pickup.items()},
                pickup_tools=tuple(c.tools.index(t) for t in st.pickup_tools)))
    old_breaks = [st for st in stops if isinstance(st, BreakStop)]
    # breaks still to take, at their planned place when there was one
    for b in break_items(c, s, taken):
        planned_b = [st for st in old_breaks
                     if b.windows[0, 0] <= c.to_minutes(st.start) <= b.windows[0, 1]]
        if planned_b:
            b.lb = c.to_minutes(planned_b[0].start)
        at = b.lb if planned_b else int(b.windows[0, 0])
        k = next((i for i, x in enumerate(items) if x.lb >= at), len(items))
        items.insert(k, b)
    return items


def routes_from_plan(c: Compiled, plan: Plan) -> tuple[list[WorkRoute], list[int]]:
    """``plan``'s routes as working routes before their day starts (no history), re-timed;
    the jobs that no longer fit a shift are returned as the pool (in the order they left)."""
    home_of, pool = stops_by_shift(c, [
        ([piece_of_flat(c, r.engineer, r.shift)] if r.engineer in c.eng_index else [], r.stops)
        for r in plan.routes])
    minutes = c.travel.minutes
    routes = []
    for s in range(c.n_shifts):
        e = int(c.shift_engineer[s])
        home = int(c.eng_start_loc[e])
        r = WorkRoute(eng=e, shift=s, home=home, end_loc=int(c.eng_end_loc[e]),
                      limit=int(c.shift_end[s] + c.shift_max_ot[s]),
                      resume_t=int(c.shift_start[s]), resume_loc=home)
        r.future = planned_items(c, s, home_of.get(s, []))
        retime_route(r, minutes, pool, c)
        routes.append(r)
    return routes, pool


def previous_engineers(c: Compiled, plan: Plan) -> dict[int, int]:
    """Job index -> engineer index of the jobs ``plan`` serves (both known to ``c``)."""
    return {c.job_index[s.job]: c.eng_index[r.engineer] for r in plan.routes for s in r.stops
            if isinstance(s, JobStop) and s.job in c.job_index and r.engineer in c.eng_index}
