"""Local search on a placed schedule, with exact routes: compliance first, then travel.

``repair_late`` moves each late (or unplaced) visit onto a day by its due date, making room
if needed by moving one visit of that day elsewhere within its own window. ``relocate`` moves
single visits to another engineer-day of their window when that shortens the routes; into
another week only while that week keeps within its share of the PM work, so the load stays
levelled. Every move goes through the schedule's exact checks.
"""

from __future__ import annotations

import time

import numpy as np

from optimizer.maintenance.schedule import Schedule

RUIN_ROUNDS_PER_VISIT = 20  # ruin-and-recreate rounds at most (stops earlier when stalled)
LEVEL_SLACK = 0.25  # a week may take this much more than its share of the PM work


def _removal_gain(s: Schedule, v: int) -> int:
    """Travel minutes saved on its day by taking ``v`` out (others kept in order)."""
    e, d = s.where[v]
    p = s.p
    order = s.days[(e, d)].visits
    k = order.index(v)
    home = int(p.home[e])
    prev = home if k == 0 else p.visits[order[k - 1]].site
    nxt = home if k == len(order) - 1 else p.visits[order[k + 1]].site
    site = p.visits[v].site
    m = p.travel.minutes
    return int(m[prev, site]) + int(m[site, nxt]) - int(m[prev, nxt])


def _latest_ok(s: Schedule, v: int) -> int:
    """The last day ``v`` may move to without becoming (more) late."""
    visit = s.p.visits[v]
    cur = s.where[v][1] if v in s.where else visit.last
    return min(visit.last, max(visit.due, min(cur, visit.last)))


def _move_elsewhere(s: Schedule, u: int, near: list[tuple[int, ...]], avoid: tuple[int, int]
                    ) -> bool:
    """Move ``u`` to another engineer-day within its window (not later than allowed)."""
    visit = s.p.visits[u]
    if visit.fixed_day is not None:
        return False
    for d in range(max(1, visit.lo), _latest_ok(s, u) + 1):
        for e in near[u]:
            if (e, d) == avoid or (e, d) == s.where[u]:
                continue
            if s.insertion(u, e, d) is not None:
                s.remove(u)
                s.add(u, e, d)
                return True
    return False


def repair_late(s: Schedule, near: list[tuple[int, ...]], deadline: float) -> int:
    """Put late or unplaced visits on a day by their due date where possible; moves made."""
    p = s.p
    moved = 0
    late = [v.index for v in p.visits if v.fixed_day is None and v.due >= 1 and (
        v.index not in s.where or s.where[v.index][1] > v.due)]
    for v in sorted(late, key=lambda v: (p.visits[v].due, v)):
        if time.perf_counter() > deadline:
            break
        visit = p.visits[v]
        days = range(max(1, visit.lo), min(visit.due, visit.last) + 1)
        before = s.checkpoint()
        if v in s.where:
            s.remove(v)
        best = s.best_insertion(v, days, p.holders[v]) or _make_room(s, v, days, near)
        if best is None:
            s.restore(before)
            continue
        s.add(v, best[1], best[2])
        moved += 1
    return moved


def _make_room(s: Schedule, v: int, days: range, near: list[tuple[int, ...]]
               ) -> tuple[int, int, int] | None:
    """Free a day for ``v`` by moving one of its visits elsewhere in that visit's window."""
    p = s.p
    for d in days:
        for e in p.holders[v]:
            if not p.qualified(v, e, d) or (e, d) not in s.days:
                continue
            for u in list(s.days[(e, d)].visits):
                if p.visits[u].fixed_day is not None:
                    continue
                before = s.checkpoint()
                if _move_elsewhere(s, u, near, avoid=(e, d)) and s.insertion(v, e, d) is not None:
                    return (0, e, d)
                s.restore(before)
    return None


def _week_loads(s: Schedule, week_of: list[int]) -> tuple[dict[int, float], dict[int, float]]:
    """On-site minutes per week now, and each week's level: its share of all the PM work in
    proportion to the engineers' PM time that week, plus ``LEVEL_SLACK``."""
    p = s.p
    load: dict[int, float] = {}
    for (_, d), day in s.days.items():
        if d >= 1:
            load[week_of[d]] = load.get(week_of[d], 0.0) + day.onsite_min
    cap: dict[int, float] = {}
    for d in range(1, p.horizon + 1):
        cap[week_of[d]] = cap.get(week_of[d], 0.0) + float(
            p.capacity[p.works[:, d]].sum())
    total_cap = sum(cap.values()) or 1.0
    total = sum(load.values())
    level = {w: (1 + LEVEL_SLACK) * total * c / total_cap for w, c in cap.items()}
    return load, level


def relocate(s: Schedule, near: list[tuple[int, ...]], week_of: list[int], deadline: float,
             max_passes: int = 6) -> int:
    """Move single visits to the engineer-day (within their window) that saves the most
    travel; into another week only while that week stays within its level."""
    p = s.p
    load, level = _week_loads(s, week_of)
    moves = 0
    for _ in range(max_passes):
        improved = 0
        for v in sorted(s.where):
            if time.perf_counter() > deadline:
                return moves
            visit = p.visits[v]
            if visit.fixed_day is not None:
                continue
            e0, d0 = s.where[v]
            gain = _removal_gain(s, v)
            if gain <= 0:
                continue
            best = None
            for d in range(max(1, visit.lo), _latest_ok(s, v) + 1):
                w = week_of[d]
                if w != week_of[d0] and load.get(w, 0.0) + visit.duration_min > level[w]:
                    continue
                for e in near[v]:
                    if (e, d) == (e0, d0) or not p.works[e, d]:
                        continue
                    extra = s.insertion(v, e, d)
                    if extra is None:
                        continue
                    delta = extra - visit.duration_min
                    if delta < gain and (best is None or delta < best[0]):
                        best = (delta, e, d)
            if best is not None:
                s.remove(v)
                s.add(v, best[1], best[2])
                load[week_of[d0]] -= visit.duration_min
                load[week_of[best[2]]] = load.get(week_of[best[2]], 0.0) + visit.duration_min
                improved += 1
        moves += improved
        if not improved:
            break
    return moves


def _day_minutes(s: Schedule, keys: list[tuple[int, int]]) -> int:
    return sum(s.days[k].travel_min for k in keys if k in s.days)


def _try_swap(s: Schedule, v: int, u: int) -> bool:
    """Exchange the engineer-days of ``v`` and ``u`` if both fit and the routes get shorter."""
    a, b = s.where[v], s.where[u]
    before = _day_minutes(s, [a, b])
    cp = s.checkpoint()
    s.remove(v)
    s.remove(u)
    if s.insertion(v, *b) is None:
        s.restore(cp)
        return False
    s.add(v, *b)
    if s.insertion(u, *a) is None:
        s.restore(cp)
        return False
    s.add(u, *a)
    if _day_minutes(s, [a, b]) < before:
        return True
    s.restore(cp)
    return False


def swap(s: Schedule, near: list[tuple[int, ...]], week_of: list[int], deadline: float) -> int:
    """Exchange two visits' engineer-days (each within its window, same week) when that
    shortens the routes: relocation cannot, when both days are full."""
    p = s.p
    moves = 0
    for v in sorted(s.where):
        if time.perf_counter() > deadline:
            break
        visit = p.visits[v]
        if visit.fixed_day is not None or v not in s.where:
            continue
        e0, d0 = s.where[v]
        for d in range(max(1, visit.lo), _latest_ok(s, v) + 1):
            if week_of[d] != week_of[d0]:
                continue
            done = False
            for e in near[v]:
                if (e, d) not in s.days or (e, d) == (e0, d0):
                    continue
                for u in list(s.days[(e, d)].visits):
                    other = p.visits[u]
                    if other.fixed_day is not None or not (
                            max(1, other.lo) <= d0 <= _latest_ok(s, u)):
                        continue
                    if e != e0 and p.rt(e, visit.site) + p.rt(e0, other.site) >= p.rt(
                            e0, visit.site) + p.rt(e, other.site):
                        continue
                    if _try_swap(s, v, u):
                        moves += 1
                        done = True
                        break
                if done:
                    break
            if done:
                break
    return moves


def ruin_recreate(s: Schedule, near: list[tuple[int, ...]], week_of: list[int],
                  deadline: float, seed: int = 0, size: int = 6) -> int:
    """Until the deadline (or long without a gain): take out a visit and its nearest placed
    neighbours (3 to ``2 * size`` visits in all), put them back by cheapest insertion (each
    within its window, no later than it was allowed, other weeks within their level), keep the
    result when the routes got shorter. Returns the number of improvements kept."""
    p = s.p
    rng = np.random.default_rng(seed)
    free = [v for v in sorted(s.where) if p.visits[v].fixed_day is None]
    if len(free) < 2:
        return 0
    sites = np.array([p.visits[v].site for v in free])
    km = p.travel.km
    kept = stall = 0
    for _ in range(RUIN_ROUNDS_PER_VISIT * len(free)):
        if time.perf_counter() > deadline or stall > 10 * len(free) + 500:
            break
        stall += 1
        pivot = free[int(rng.integers(len(free)))]
        take = int(rng.integers(3, 2 * size + 1))
        order = np.argsort(km[p.visits[pivot].site, sites], kind="stable")[:take]
        group = [free[i] for i in order]
        home_week = {v: week_of[s.where[v][1]] for v in group}
        latest = {v: _latest_ok(s, v) for v in group}
        touched = {s.where[v] for v in group}
        cp = s.checkpoint()
        load, level = _week_loads(s, week_of)
        for v in group:
            load[home_week[v]] -= p.visits[v].duration_min
            s.remove(v)
        if rng.random() < 0.5:
            group.reverse()
        ok = True
        for v in group:
            visit = p.visits[v]
            best = None
            for d in range(max(1, visit.lo), latest[v] + 1):
                w = week_of[d]
                if w != home_week[v] and load.get(w, 0.0) + visit.duration_min > level[w]:
                    continue
                for e in near[v]:
                    extra = s.insertion(v, e, d)
                    if extra is not None and (best is None or extra < best[0]):
                        best = (extra, e, d)
            if best is None:
                ok = False
                break
            s.add(v, best[1], best[2])
            touched.add((best[1], best[2]))
            load[week_of[best[2]]] = load.get(week_of[best[2]], 0.0) + visit.duration_min
        before = sum(cp[0][k].travel_min for k in touched if k in cp[0])
        if ok and _day_minutes(s, list(touched)) < before:
            kept += 1
            stall = 0
        else:
            s.restore(cp)
    return kept
