"""Engineer-days and their routes: the exact capacity check of every placement.

A day's route is home -> visits -> home under the contract's travel model (whole minutes per
leg); morning-slot visits come first and afternoon-slot ones last. Short days are ordered
exactly (every order tried), longer ones by nearest neighbour and 2-opt within each slot
block. A placement is accepted only when time on site plus the route fits the engineer's PM
time, so every schedule built here is valid by construction.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from optimizer.maintenance.visits import PmProblem

EXACT_UP_TO = 6  # stops ordered by trying every order


@dataclass
class Day:
    """The visits of one engineer-day, in route order, with their minutes."""

    visits: list[int]
    onsite_min: int = 0
    travel_min: int = 0

    @property
    def used_min(self) -> int:
        return self.onsite_min + self.travel_min


def route_minutes(minutes: np.ndarray, home: int, sites: list[int]) -> int:
    prev, total = home, 0
    for s in sites:
        total += int(minutes[prev, s])
        prev = s
    return total + int(minutes[prev, home])


def _two_opt(minutes: np.ndarray, home: int, sites: list[int], ranks: list[int]) -> list[int]:
    """Reverse segments inside one slot block while that shortens the route."""
    best = list(sites)
    improved = True
    while improved:
        improved = False
        path = [home, *best, home]
        for i in range(1, len(path) - 2):
            for j in range(i + 1, len(path) - 1):
                if ranks[i - 1] != ranks[j - 1]:
                    break
                a, b, c, d = path[i - 1], path[i], path[j], path[j + 1]
                delta = (minutes[a, c] + minutes[b, d]) - (minutes[a, b] + minutes[c, d])
                if delta < 0:
                    best[i - 1:j] = reversed(best[i - 1:j])
                    path = [home, *best, home]
                    improved = True
    return best


def order_stops(minutes: np.ndarray, home: int, stops: list[tuple[int, int, int]]
                ) -> list[tuple[int, int, int]]:
    """Best order of ``stops`` (visit, site, slot rank) with ranks non-decreasing."""
    if len(stops) <= 1:
        return list(stops)
    if len(stops) <= EXACT_UP_TO:
        best, best_cost = None, None
        for perm in itertools.permutations(stops):
            if any(perm[k][2] > perm[k + 1][2] for k in range(len(perm) - 1)):
                continue
            cost = route_minutes(minutes, home, [p[1] for p in perm])
            if best_cost is None or cost < best_cost:
                best, best_cost = list(perm), cost
        assert best is not None
        return best
    ordered: list[tuple[int, int, int]] = []
    prev = home
    for rank in sorted({s[2] for s in stops}):
        block = [s for s in stops if s[2] == rank]
        while block:
            k = min(range(len(block)), key=lambda i: (minutes[prev, block[i][1]], block[i][0]))
            ordered.append(block.pop(k))
            prev = ordered[-1][1]
    by_site = _two_opt(minutes, home, [s[1] for s in ordered], [s[2] for s in ordered])
    # re-attach visits to the sites in their new order (sites may repeat: take in turn)
    pool: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for s in ordered:
        pool.setdefault((s[1], s[2]), []).append(s)
    ranks = [s[2] for s in ordered]
    return [pool[(site, rank)].pop(0) for site, rank in zip(by_site, ranks, strict=True)]


class Schedule:
    """Mutable engineer-day schedules over a :class:`PmProblem`; every change is checked."""

    def __init__(self, problem: PmProblem):
        self.p = problem
        self.days: dict[tuple[int, int], Day] = {}
        self.where: dict[int, tuple[int, int]] = {}  # visit -> (engineer, day)

    def day(self, e: int, d: int) -> Day:
        return self.days.get((e, d)) or Day([])

    def _stops(self, visits: list[int]) -> list[tuple[int, int, int]]:
        vs = self.p.visits
        return [(v, vs[v].site, vs[v].slot.rank) for v in visits]

    def evaluate(self, e: int, visits: list[int]) -> tuple[list[int], int, int]:
        """(order, on-site minutes, travel minutes) of engineer ``e`` doing ``visits``."""
        home = int(self.p.home[e])
        order = order_stops(self.p.travel.minutes, home, self._stops(visits))
        seq = [s[0] for s in order]
        onsite = sum(self.p.visits[v].duration_min for v in seq)
        travel = route_minutes(self.p.travel.minutes, home, [s[1] for s in order])
        return seq, onsite, travel

    def insertion(self, v: int, e: int, d: int) -> int | None:
        """Extra minutes (travel and on site) of adding ``v`` to (e, d), None if it cannot."""
        if not self.p.qualified(v, e, d):
            return None
        cur = self.day(e, d)
        visit = self.p.visits[v]
        cap = int(self.p.capacity[e])
        if cur.used_min + visit.duration_min > cap:
            return None
        if cur.used_min == 0:
            extra = self.p.rt(e, visit.site)
            return extra + visit.duration_min if extra + visit.duration_min <= cap else None
        # cheapest insertion respecting slot order, then the exact re-order if it is tight
        minutes, home = self.p.travel.minutes, int(self.p.home[e])
        sites = [self.p.visits[u].site for u in cur.visits]
        ranks = [self.p.visits[u].slot.rank for u in cur.visits]
        path = [home, *sites, home]
        best = None
        for k in range(len(path) - 1):
            if (k > 0 and ranks[k - 1] > visit.slot.rank) or (
                    k < len(ranks) and ranks[k] < visit.slot.rank):
                continue
            delta = (int(minutes[path[k], visit.site]) + int(minutes[visit.site, path[k + 1]])
                     - int(minutes[path[k], path[k + 1]]))
            if best is None or delta < best:
                best = delta
        if best is not None and cur.used_min + visit.duration_min + best <= cap:
            return visit.duration_min + best
        if len(cur.visits) + 1 > 8:
            return None
        _, onsite, travel = self.evaluate(e, [*cur.visits, v])
        if onsite + travel > cap:
            return None
        return onsite + travel - cur.used_min

    def _set(self, e: int, d: int, candidates: list[list[int]]) -> None:
        """Keep the shortest of the given orders (and the re-ordered one) for (e, d)."""
        if not candidates[0]:
            self.days.pop((e, d), None)
            return
        minutes, home = self.p.travel.minutes, int(self.p.home[e])
        reordered, onsite, travel = self.evaluate(e, candidates[0])
        best = (travel, reordered)
        for seq in candidates:
            t = route_minutes(minutes, home, [self.p.visits[u].site for u in seq])
            if t < best[0]:
                best = (t, seq)
        self.days[(e, d)] = Day(list(best[1]), onsite, best[0])

    def _inserted(self, v: int, e: int, d: int) -> list[int]:
        """The day's order with ``v`` at its cheapest slot-respecting position."""
        cur = self.day(e, d).visits
        minutes, home = self.p.travel.minutes, int(self.p.home[e])
        visit = self.p.visits[v]
        best: tuple[int, int] | None = None
        path = [home, *(self.p.visits[u].site for u in cur), home]
        for k in range(len(cur) + 1):
            if (k > 0 and self.p.visits[cur[k - 1]].slot.rank > visit.slot.rank) or (
                    k < len(cur) and self.p.visits[cur[k]].slot.rank < visit.slot.rank):
                continue
            delta = (int(minutes[path[k], visit.site]) + int(minutes[visit.site, path[k + 1]])
                     - int(minutes[path[k], path[k + 1]]))
            if best is None or delta < best[0]:
                best = (delta, k)
        k = best[1] if best is not None else len(cur)
        return [*cur[:k], v, *cur[k:]]

    def add(self, v: int, e: int, d: int) -> None:
        self._set(e, d, [self._inserted(v, e, d)])
        self.where[v] = (e, d)

    def remove(self, v: int) -> None:
        e, d = self.where.pop(v)
        self._set(e, d, [[u for u in self.days[(e, d)].visits if u != v]])

    def checkpoint(self) -> tuple[dict, dict]:
        """A copy to go back to (days are replaced, never changed in place)."""
        return dict(self.days), dict(self.where)

    def restore(self, checkpoint: tuple[dict, dict]) -> None:
        self.days, self.where = dict(checkpoint[0]), dict(checkpoint[1])

    def fits(self, e: int, d: int) -> bool:
        day = self.day(e, d)
        return day.used_min <= int(self.p.capacity[e])

    def best_insertion(self, v: int, days: range | list[int], engineers: tuple[int, ...]
                       ) -> tuple[int, int, int] | None:
        """(extra minutes, engineer, day) of the cheapest placement on the first day with any."""
        for d in days:
            best = None
            for e in engineers:
                extra = self.insertion(v, e, d)
                if extra is not None and (best is None or extra < best[0]):
                    best = (extra, e, d)
            if best is not None:
                return best
        return None

    def travel_km(self) -> float:
        km, total = self.p.travel.km, 0.0
        for (e, _), day in self.days.items():
            home = int(self.p.home[e])
            prev = home
            for v in day.visits:
                s = self.p.visits[v].site
                total += float(km[prev, s])
                prev = s
            total += float(km[prev, home])
        return total
