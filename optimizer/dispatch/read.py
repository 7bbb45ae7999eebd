"""From the plain solution of ``model.py`` to contract routes, stops and unassigned jobs.

Times come from the solver's cumul values (service starts) and break starts; arrivals are
recomputed from the travel matrix. Each break is written as a stop of its own in the gap
between the two stops (or route start/end) where the solver placed it; within its gap it is
moved as early as its window allows so that the travel comes after it (``arrival`` = break end
+ travel), which satisfies both readings of the contract's break rule. Consecutive pick-ups
at one depot become one depot stop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.compile import Compiled
from optimizer.dispatch.diagnose import Diagnosis
from optimizer.dispatch.layout import Layout, NodeKind
from optimizer.dispatch.model import RawRoute, RawSolution
from optimizer.models import (
    BreakStop,
    DepotStop,
    JobStop,
    Route,
    Stop,
    Unassigned,
    UnassignedReason,
)


@dataclass
class _Item:
    """A located stop: a job or a (merged) depot pick-up."""

    loc: int
    start: int
    end: int
    job: int = -1
    depot: int = -1
    pickup: dict[str, int] | None = None
    tools: set[str] | None = None


def _items(c: Compiled, layout: Layout, r: RawRoute, eng: int) -> list[_Item]:
    items: list[_Item] = []
    for n, t in zip(r.nodes, r.starts, strict=True):
        j = int(layout.job[n])
        if layout.kind[n] == NodeKind.PICKUP:
            dp = int(layout.depot[n])
            bundle = {c.parts[k]: int(q) for k, q in enumerate(c.job_parts[j]) if q > 0}
            tools = {
                c.tools[k]
                for k in np.flatnonzero(c.job_tools[j] & ~c.eng_tools[eng] & c.depot_tools[dp])
            }
            prev = items[-1] if items else None
            if prev is not None and prev.depot == dp and not _break_between(r, prev.end, t):
                assert prev.pickup is not None and prev.tools is not None
                for p, q in bundle.items():
                    prev.pickup[p] = prev.pickup.get(p, 0) + q
                prev.tools |= tools
                continue
            items.append(
                _Item(int(c.depot_loc[dp]), t, t + int(c.depot_pickup[dp]), -1, dp, bundle, tools)
            )
        else:
            items.append(_Item(int(c.job_loc[j]), t, t + int(c.job_duration[j]), j))
    return items


def _break_between(r: RawRoute, a: int, b: int) -> bool:
    return any(a <= s and s + d <= b for s, d in r.breaks)


def read_routes(c: Compiled, layout: Layout, raw: RawSolution) -> list[Route]:
    """Contract routes of the solution, in vehicle order."""
    routes = []
    mins, km = c.travel.minutes, c.travel.km
    for r in raw.routes:
        s = int(layout.vehicles[r.vehicle])
        e = int(c.shift_engineer[s])
        items = _items(c, layout, r, e)
        hi = int(c.shift_end[s] + c.shift_max_ot[s])
        brk_windows = [(int(a), int(b), int(d)) for a, b, d in c.shift_breaks[s].tolist()]
        # match each solver break (start, dur) to its window, by order of start
        placed = sorted(r.breaks)
        wins = sorted(brk_windows)
        breaks = [(st, d, w) for (st, d), w in zip(placed, _match(placed, wins), strict=True)]

        locs = [int(c.eng_start_loc[e]), *(it.loc for it in items), int(c.eng_end_loc[e])]
        start_time = r.start_time
        stops: list[Stop] = []
        prev_end = start_time
        dist = 0.0
        travel = 0
        end_time = start_time
        for k in range(len(items) + 1):
            a, b = locs[k], locs[k + 1]
            leg_t, leg_km = int(mins[a, b]), float(km[a, b])
            dist += leg_km
            travel += leg_t
            nxt = items[k].start if k < len(items) else hi
            in_gap = [x for x in breaks if prev_end <= x[0] and x[0] + x[1] <= nxt]
            if k == len(items):
                in_gap = [x for x in breaks if x[0] >= prev_end]
            gap_breaks, arrival = _place(prev_end, leg_t, in_gap, nxt)
            for bs, d in gap_breaks:
                stops.append(BreakStop(start=c.to_datetime(bs), end=c.to_datetime(bs + d)))
            if k < len(items):
                it = items[k]
                if it.job >= 0:
                    stops.append(
                        JobStop(
                            job=c.job_ids[it.job],
                            arrival=c.to_datetime(arrival),
                            start=c.to_datetime(it.start),
                            end=c.to_datetime(it.end),
                        )
                    )
                else:
                    stops.append(
                        DepotStop(
                            depot=c.problem.depots[it.depot].id,
                            arrival=c.to_datetime(arrival),
                            start=c.to_datetime(it.start),
                            end=c.to_datetime(it.end),
                            pickup=dict(sorted((it.pickup or {}).items())),
                            pickup_tools=sorted(it.tools or ()),
                        )
                    )
                prev_end = it.end
            else:
                end_time = arrival
        routes.append(
            Route(
                engineer=c.eng_ids[e],
                shift=int(c.shift_index[s]),
                start_time=c.to_datetime(start_time),
                end_time=c.to_datetime(end_time),
                distance_km=round(dist, 3),
                travel_min=float(travel),
                stops=stops,
            )
        )
    return routes


def _match(placed: list[tuple[int, int]], wins: list[tuple[int, int, int]]) -> list:
    """Pair solver breaks with their (earliest, latest, duration) windows."""
    left = list(wins)
    out = []
    for st, d in placed:
        for i, (a, b, dd) in enumerate(left):
            if dd == d and a <= st <= b:
                out.append(left.pop(i))
                break
        else:
            out.append((st, st, d))
    return out


def _place(
    prev_end: int, leg: int, gap: list[tuple[int, int, tuple[int, int, int]]], nxt: int
) -> tuple[list[tuple[int, int]], int]:
    """Breaks of one gap (moved early when possible) and the arrival after them."""
    if not gap:
        return [], prev_end + leg
    total = sum(d for _, d, _ in gap)
    t = prev_end
    early = []
    ok = True
    for _st, d, (a, b, _) in sorted(gap):
        bs = max(t, a)
        if bs > b:
            ok = False
            break
        early.append((bs, d))
        t = bs + d
    if ok and t + leg <= nxt:
        return early, max(prev_end + leg + total, t + leg)
    solver_pos = [(st, d) for st, d, _ in sorted(gap)]
    last = solver_pos[-1][0] + solver_pos[-1][1]
    return solver_pos, max(prev_end + leg + total, last)


def read_unassigned(
    c: Compiled, d: Diagnosis, layout: Layout | None, served: set[int]
) -> list[Unassigned]:
    """Every job not served: pre-solve reasons, else ``capacity`` with the engineers named
    (``layout`` None: no routing model, so no job was left out of one)."""
    out = []
    modelled = set(layout.job_nodes) if layout is not None else set(range(c.n_jobs))
    for j in range(c.n_jobs):
        if j in served:
            continue
        if j in d.reasons:
            reason, detail = d.reasons[j]
        elif j not in modelled and c.job_parts[j].any():
            reason = UnassignedReason.PARTS_UNAVAILABLE
            detail = (
                "no qualified van holds its parts, and the depot stock that could was "
                "reserved for more urgent jobs (or the depot is not open in time)"
            )
        else:
            reason = UnassignedReason.CAPACITY
            shifts = np.flatnonzero(d.candidates[j])
            names = sorted({c.eng_ids[int(c.shift_engineer[s])] for s in shifts})
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            detail = (
                f"{len(names)} qualified engineer(s) ({shown}) had no time left for it "
                "around higher-value work"
            )
            if c.pinned_engineer[j] >= 0:
                detail = f"pinned to {c.eng_ids[int(c.pinned_engineer[j])]}, who cannot fit it"
        if c.pinned_engineer[j] >= 0 and reason != UnassignedReason.PINNED_INFEASIBLE:
            # contract rule 6: a pinned job left out is pinned_infeasible, whatever the cause
            detail = f"{reason.value}: {detail}"
            reason = UnassignedReason.PINNED_INFEASIBLE
        out.append(Unassigned(job=c.job_ids[j], reason=reason, detail=detail))
    return out
