"""A fast cheapest-insertion evaluator over routes in compiled (integer-minute) form.

Shared by re-optimisation (repair: re-time what is kept, insert what must move), ``explain``
(the cheapest relaxation that places an unassigned job) and ``slots`` (what can be promised).

Model. A :class:`WorkRoute` is one engineer shift: a frozen ``prefix`` (history, emitted exactly
as it was) and a ``future`` sequence of items (jobs, depot pick-ups, breaks) scheduled forward
from ``resume_t`` at ``resume_loc``. A break has no location: the travel after it starts from
the last located stop, as the validator reads the contract. Each future item keeps a lower bound
on its start (its planned start), so re-timing only ever pushes stops later; ``maxdelay[i]`` is
how far item ``i`` may start later without breaking anything after it (Savelsbergh's forward
slack). An insertion gap lies before each future item and before the route end; evaluating a
job over *all* gaps of all routes at once is a handful of numpy operations (``evaluate``).

Conservative by design: a stop is only pushed inside the window that holds its planned start,
and a gap just before two consecutive breaks is not used; a feasible answer here is feasible
for the validator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from optimizer.compile import NO_CERT_LIMIT, Compiled
from optimizer.kpis import plan_of
from optimizer.models import (
    BreakStop,
    DepotStop,
    JobStop,
    Plan,
    Route,
    SolverInfo,
    SolverStatus,
    Stop,
    Unassigned,
)

BIG = 10**9
LATE_WEIGHT = 2.0  # cost per minute a job starts after its due (travel minutes are 1)


class StopKind(StrEnum):
    """What a working route's stop is."""

    JOB = "job"
    DEPOT = "depot"
    BREAK = "break"


@dataclass
class Item:
    """One future stop: ``kind`` job/depot/break, ``ref`` its job, depot or break index."""

    kind: StopKind
    ref: int
    loc: int  # -1 for a break
    dur: int
    windows: np.ndarray  # (k, 2) allowed starts
    lb: int = -BIG  # never start before (the planned start)
    pickup: dict[int, int] = field(default_factory=dict)  # part index -> qty (depot)
    pickup_tools: tuple[int, ...] = ()
    arr: int = 0
    start: int = 0
    end: int = 0


@dataclass
class Frozen:
    """A stop of history: kept exactly; minutes for scheduling, the original stop to emit."""

    stop: Stop
    kind: StopKind
    ref: int
    loc: int
    start: int
    end: int
    pickup: dict[int, int] = field(default_factory=dict)
    pickup_tools: tuple[int, ...] = ()


@dataclass
class WorkRoute:
    """One engineer shift being (re)planned. ``shift`` is the flat index in ``Compiled``."""

    eng: int
    shift: int
    home: int
    end_loc: int
    limit: int  # shift end + max overtime: latest arrival at the end location
    resume_t: int  # the future starts here ...
    resume_loc: int  # ... from here
    prefix: list[Frozen] = field(default_factory=list)
    future: list[Item] = field(default_factory=list)
    start_time: object | None = None  # the route's original start_time when it has a prefix
    end_time: int = 0
    ok: bool = True
    maxdelay: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def jobs(self) -> list[int]:
        return [x.ref for x in self.prefix if x.kind == StopKind.JOB] + [
            x.ref for x in self.future if x.kind == StopKind.JOB
        ]

    def worked(self) -> bool:
        return bool(self.prefix) or any(x.kind != StopKind.BREAK for x in self.future)

    def last_loc(self) -> int:
        for x in reversed(self.future):
            if x.loc >= 0:
                return x.loc
        return self.resume_loc


def window_end_at(windows: np.ndarray, t: int) -> int:
    """End of the window holding start ``t`` (``t`` itself if none does)."""
    for a, b in windows:
        if a <= t <= b:
            return int(b)
    return t


def first_start(windows: np.ndarray, t: int) -> int:
    """Earliest start >= ``t`` inside a window, or BIG."""
    for a, b in windows:
        if b >= t:
            return int(max(a, t))
    return BIG


def schedule(route: WorkRoute, minutes: np.ndarray) -> int:
    """Forward pass over ``route.future``; returns the index of the first item that cannot
    start in time (``len(future)`` if the end location is reached too late), or -1 if all fit.
    Fills times, ``end_time`` and ``maxdelay`` (per future item, then the route end)."""
    t, loc = route.resume_t, route.resume_loc
    fut = route.future
    travelled = False  # the travel to the next located stop was made before a break
    for i, x in enumerate(fut):
        if x.kind == StopKind.BREAK:
            x.arr = t
            s = first_start(x.windows, max(t, x.lb))
            nxt = fut[i + 1] if i + 1 < len(fut) else None
            to = route.end_loc if nxt is None else nxt.loc
            if s > t and to >= 0 and not travelled:
                # The break would wait for its window: travel on first and take it on
                # arrival (the contract only asks the gap to hold both).
                tau = int(minutes[loc, to])
                s2 = first_start(x.windows, max(t + tau, x.lb))
                if s2 < BIG and s2 < s + tau:
                    x.arr, s, travelled = t + tau, s2, True
        else:
            x.arr = t if travelled else t + int(minutes[loc, x.loc])
            travelled = False
            s = first_start(x.windows, max(x.arr, x.lb))
        if s >= BIG:
            route.ok = False
            return i
        x.start, x.end = s, s + x.dur
        t = x.end
        if x.loc >= 0:
            loc = x.loc
    route.end_time = t if travelled else t + int(minutes[loc, route.end_loc])
    if route.end_time > route.limit:
        route.ok = False
        return len(fut)
    md = np.zeros(len(fut) + 1, dtype=np.int64)
    md[-1] = route.limit - route.end_time
    for i in range(len(fut) - 1, -1, -1):
        x = fut[i]
        nxt_wait = (fut[i + 1].start - fut[i + 1].arr) if i + 1 < len(fut) else 0
        md[i] = min(window_end_at(x.windows, x.start) - x.start, nxt_wait + md[i + 1])
    route.maxdelay = md
    route.ok = True
    return -1


# ----------------------------------------------------------------------------- gap table


@dataclass
class Gaps:
    """Every insertion gap of every route, as parallel arrays (see module docstring)."""

    route: np.ndarray
    pos: np.ndarray
    eng: np.ndarray
    prev_end: np.ndarray
    prev_loc: np.ndarray
    q_loc: np.ndarray  # the next located point (after a break), or the end location
    b_s: np.ndarray  # next is a break: its planned start, latest start and duration
    b_latest: np.ndarray
    b_dur: np.ndarray
    chk_s: np.ndarray  # the first located item (or end) after the gap: start and maxdelay
    chk_md: np.ndarray
    old_leg: np.ndarray
    n_after: np.ndarray  # jobs from the gap on (an insertion's delay may retime each of them)
    load: np.ndarray  # load of the route so far (all of it)
    cap: np.ndarray
    parts: np.ndarray  # (G, P) parts the route can still give at the gap (van)
    tools: np.ndarray  # (G, T) tools on board at the gap

    @property
    def size(self) -> int:
        return len(self.route)


class Board:
    """Working routes over a compiled problem, with insertion evaluation and moves."""

    def __init__(
        self,
        c: Compiled,
        routes: list[WorkRoute],
        minutes: np.ndarray | None = None,
        km: np.ndarray | None = None,
    ):
        self.c = c
        self.routes = routes
        self.minutes = c.travel.minutes if minutes is None else minutes
        self.km = c.travel.km if km is None else km
        self.depot_left = c.depot_stock.copy()
        for r in routes:
            for x in [*r.prefix, *r.future]:
                if x.kind == StopKind.DEPOT:
                    for p, q in x.pickup.items():
                        self.depot_left[x.ref, p] -= q
        self._by_eng: dict[int, list[int]] = {}
        for i, r in enumerate(routes):
            self._by_eng.setdefault(r.eng, []).append(i)
        for lst in self._by_eng.values():
            lst.sort(key=lambda i: int(c.shift_start[routes[i].shift]))
        self._rows: dict[int, dict[str, np.ndarray]] = {}
        self._gaps: Gaps | None = None
        for e in self._by_eng:
            self._rebuild_engineer(e)

    # ---------------------------------------------------------------- per-route gap rows
    def _rebuild_engineer(self, e: int) -> None:
        c = self.c
        n_p, n_t = len(c.parts), len(c.tools)
        stock = c.van_stock[e].copy() if n_p else np.zeros(0, dtype=np.int64)
        tools = c.eng_tools[e].copy() if n_t else np.zeros(0, dtype=bool)
        per_route = []
        for ri in self._by_eng[e]:
            r = self.routes[ri]
            for x in r.prefix:
                stock, tools = self._consume(x, stock, tools)
            # stock/tools before each future item (gap k) and after the last (gap n)
            before = []
            for x in r.future:
                before.append((stock.copy(), tools.copy()))
                stock, tools = self._consume(x, stock, tools)
            before.append((stock.copy(), tools.copy()))
            per_route.append((ri, before))
        # parts a gap can give = min of the running stock from there on (all later routes)
        suffix_min = stock.copy()
        for ri, before in reversed(per_route):
            n = len(before)
            avail = np.zeros((n, n_p), dtype=np.int64)
            for k in range(n - 1, -1, -1):
                suffix_min = np.minimum(suffix_min, before[k][0])
                avail[k] = suffix_min
            self._rows[ri] = self._route_rows(ri, avail, np.array([b[1] for b in before]))
        self._gaps = None

    def _consume(self, x, stock: np.ndarray, tools: np.ndarray):
        c = self.c
        if x.kind == StopKind.JOB and len(c.parts):
            stock = stock - c.job_parts[x.ref]
        elif x.kind == StopKind.DEPOT:
            stock = stock.copy()
            for p, q in x.pickup.items():
                stock[p] += q
            if x.pickup_tools:
                tools = tools.copy()
                tools[list(x.pickup_tools)] = True
        return stock, tools

    def _route_rows(self, ri: int, avail: np.ndarray, tools: np.ndarray) -> dict[str, np.ndarray]:
        r = self.routes[ri]
        c = self.c
        fut = r.future
        n = len(fut)
        m = self.minutes
        rows: dict[str, list] = {k: [] for k in (
            "pos", "prev_end", "prev_loc", "q_loc", "b_s", "b_latest", "b_dur", "chk_s",
            "chk_md", "old_leg", "n_after")}
        if not r.ok or len(r.maxdelay) != n + 1:
            return {k: np.zeros(0, dtype=np.int64) for k in rows} | {
                "parts": np.zeros((0, len(c.parts)), dtype=np.int64),
                "tools": np.zeros((0, len(c.tools)), dtype=bool),
            }
        prev_end, prev_loc = r.resume_t, r.resume_loc
        keep = []
        jobs_after = [*np.cumsum([x.kind == StopKind.JOB for x in reversed(fut)])[::-1].tolist(), 0]
        for k in range(n + 1):
            nxt = fut[k] if k < n else None
            if nxt is not None and nxt.kind == StopKind.BREAK:
                after = fut[k + 1] if k + 1 < n else None
                ok = not (after is not None and after.kind == StopKind.BREAK)
                q_loc = after.loc if after is not None else r.end_loc
                chk_s = after.start if after is not None else r.end_time
                chk_md = r.maxdelay[k + 1]
                b = (nxt.start, window_end_at(nxt.windows, nxt.start), nxt.dur)
            else:
                ok = True
                q_loc = nxt.loc if nxt is not None else r.end_loc
                chk_s = nxt.start if nxt is not None else r.end_time
                chk_md = r.maxdelay[k]
                b = (-BIG, BIG, 0)
            if ok and q_loc >= 0:
                keep.append(k)
                rows["pos"].append(k)
                rows["prev_end"].append(prev_end)
                rows["prev_loc"].append(prev_loc)
                rows["q_loc"].append(q_loc)
                rows["b_s"].append(b[0])
                rows["b_latest"].append(b[1])
                rows["b_dur"].append(b[2])
                rows["chk_s"].append(chk_s)
                rows["chk_md"].append(chk_md)
                rows["old_leg"].append(int(m[prev_loc, q_loc]))
                rows["n_after"].append(jobs_after[k])
            if nxt is not None:
                prev_end = nxt.end
                if nxt.loc >= 0:
                    prev_loc = nxt.loc
        out = {k: np.asarray(v, dtype=np.int64) for k, v in rows.items()}
        out["parts"] = avail[keep].reshape(len(keep), len(c.parts))
        out["tools"] = tools[keep].reshape(len(keep), len(c.tools))
        return out

    @property
    def gaps(self) -> Gaps:
        if self._gaps is None:
            c = self.c
            order = sorted(self._rows)
            cat = {
                k: np.concatenate([self._rows[i][k] for i in order]) if order else np.zeros(0)
                for k in ("pos", "prev_end", "prev_loc", "q_loc", "b_s", "b_latest", "b_dur",
                          "chk_s", "chk_md", "old_leg", "n_after")
            }
            sizes = [len(self._rows[i]["pos"]) for i in order]
            route = np.repeat(np.array(order, dtype=np.int64), sizes)
            eng = np.array([r.eng for r in self.routes], dtype=np.int64)[route]
            loads = np.array(
                [sum(int(c.job_load[j]) for j in r.jobs()) for r in self.routes], dtype=np.int64
            )
            cap = c.eng_capacity[eng]
            parts = (
                np.concatenate([self._rows[i]["parts"] for i in order])
                if order else np.zeros((0, len(c.parts)), dtype=np.int64)
            )
            tools = (
                np.concatenate([self._rows[i]["tools"] for i in order])
                if order else np.zeros((0, len(c.tools)), dtype=bool)
            )
            self._gaps = Gaps(
                route=route, eng=eng, load=loads[route] if len(route) else route, cap=cap,
                parts=parts, tools=tools, **{k: v.astype(np.int64) for k, v in cat.items()},
            )
        return self._gaps

    # ---------------------------------------------------------------- evaluation
    def evaluate(
        self,
        j: int,
        *,
        windows: np.ndarray | None = None,
        qualified: np.ndarray | None = None,
        extra_limit: np.ndarray | None = None,
        ignore_parts: bool = False,
        eng_cost: np.ndarray | None = None,
        route_mask: np.ndarray | None = None,
        retime_per_min: float = 0.0,
        cert_limit: np.ndarray | None = None,
    ) -> Evaluation:
        """Insert job ``j`` in every gap at once (direct, without a depot detour).

        ``windows`` replaces the job's windows (slots, relaxations); ``qualified`` (E,) the
        engineers allowed; ``extra_limit`` (routes,) more minutes at the route end (overtime
        relaxation); ``eng_cost`` (E,) a cost added per engineer (stability, affinity);
        ``retime_per_min`` is paid per minute the insertion pushes each later job (an upper
        bound: the push of the next stop, times the jobs from there on); ``cert_limit`` (E,)
        replaces the minute from which each engineer's certificates no longer cover the job.
        """
        c, g, m = self.c, self.gaps, self.minutes
        jl = int(c.job_loc[j])
        wins = c.job_windows[j] if windows is None else windows
        d = int(c.job_duration[j])
        t_pj = m[g.prev_loc, jl]
        t_jq = m[jl, g.q_loc]
        arr = g.prev_end + t_pj
        start = np.full(g.size, BIG, dtype=np.int64)
        for a, b in wins:
            s = np.maximum(arr, a)
            take = (start >= BIG) & (s <= b)
            start = np.where(take, s, start)
        ok = start < BIG
        if c.pinned_start[j] >= 0:
            ok &= start <= c.pinned_start[j]
            start = np.where(ok, c.pinned_start[j], start)
        end = start + d
        bstart = np.maximum(end, g.b_s)
        ok &= bstart <= g.b_latest
        t_end = np.where(g.b_s > -BIG, bstart + g.b_dur, end)
        delay = np.maximum(0, t_end + t_jq - g.chk_s)
        md = g.chk_md
        if extra_limit is not None:
            md = md + extra_limit[g.route]
        ok &= delay <= md
        ok &= self._static_ok(j, qualified, ignore_parts)
        ok &= start < (c.cert_limit[j] if cert_limit is None else cert_limit)[g.eng]
        if route_mask is not None:
            ok &= route_mask[g.route]
        cost = (t_pj + t_jq - g.old_leg).astype(np.float64)
        if c.job_due[j] >= 0:
            cost += LATE_WEIGHT * np.maximum(0, start - c.job_due[j])
        if eng_cost is not None:
            cost += eng_cost[g.eng]
        if retime_per_min:
            cost += retime_per_min * delay * g.n_after
        return Evaluation(ok=ok, cost=np.where(ok, cost, np.inf), start=start, delay=delay)

    def _static_ok(self, j: int, qualified: np.ndarray | None, ignore_parts: bool) -> np.ndarray:
        c, g = self.c, self.gaps
        q = c.qualified[j] if qualified is None else qualified
        ok = q[g.eng].copy()
        if c.pinned_engineer[j] >= 0:
            ok &= g.eng == c.pinned_engineer[j]
        ok &= (g.cap < 0) | (g.load + c.job_load[j] <= g.cap)
        if not ignore_parts:
            need = c.job_parts[j]
            if need.any():
                ok &= (g.parts >= need).all(axis=1)
            tneed = c.job_tools[j]
            if tneed.any():
                ok &= g.tools[:, tneed].all(axis=1)
        return ok

    def evaluate_with_depot(self, j: int, **kw) -> tuple[Evaluation, np.ndarray, np.ndarray]:
        """Insert ``depot -> job`` in every gap (the depot fetches what the van lacks).

        Returns the best evaluation over depots and the depot chosen per gap (-1: none).
        """
        c, g, m = self.c, self.gaps, self.minutes
        need, tneed = c.job_parts[j], c.job_tools[j]
        best = Evaluation.empty(g.size)
        best_d = np.full(g.size, -1, dtype=np.int64)
        jl = int(c.job_loc[j])
        d = int(c.job_duration[j])
        wins = kw.get("windows")
        wins = c.job_windows[j] if wins is None else wins
        static = self._static_ok(j, kw.get("qualified"), True)
        for dep in range(len(c.depot_loc)):
            if (self.depot_left[dep] < need).any():
                continue
            if tneed.any() and not c.depot_tools[dep][tneed].all():
                continue
            dl = int(c.depot_loc[dep])
            o_s, o_e = (int(v) for v in c.depot_open[dep])
            pk = int(c.depot_pickup[dep])
            arr_d = g.prev_end + m[g.prev_loc, dl]
            s_d = np.maximum(arr_d, o_s)
            ok = static & (s_d <= o_e)
            arr = s_d + pk + m[dl, jl]
            start = np.full(g.size, BIG, dtype=np.int64)
            for a, b in wins:
                s = np.maximum(arr, a)
                take = (start >= BIG) & (s <= b)
                start = np.where(take, s, start)
            ok &= start < BIG
            lim = kw.get("cert_limit")
            ok &= start < (c.cert_limit[j] if lim is None else lim)[g.eng]
            end = start + d
            bstart = np.maximum(end, g.b_s)
            ok &= bstart <= g.b_latest
            t_end = np.where(g.b_s > -BIG, bstart + g.b_dur, end)
            delay = np.maximum(0, t_end + m[jl, g.q_loc] - g.chk_s)
            md = g.chk_md
            if kw.get("extra_limit") is not None:
                md = md + kw["extra_limit"][g.route]
            ok &= delay <= md
            cost = (m[g.prev_loc, dl] + pk + m[dl, jl] + m[jl, g.q_loc] - g.old_leg).astype(float)
            if c.job_due[j] >= 0:
                cost += LATE_WEIGHT * np.maximum(0, start - c.job_due[j])
            ec = kw.get("eng_cost")
            if ec is not None:
                cost += ec[g.eng]
            if kw.get("retime_per_min"):
                cost += kw["retime_per_min"] * delay * g.n_after
            cost = np.where(ok, cost, np.inf)
            better = cost < best.cost
            best = Evaluation(
                ok=best.ok | ok,
                cost=np.where(better, cost, best.cost),
                start=np.where(better, start, best.start),
                delay=np.where(better, delay, best.delay),
            )
            best_d = np.where(better, dep, best_d)
        return best, best_d, need

    def evaluate_any(self, j: int, **kw) -> Evaluation:
        """``evaluate``, or with a depot detour where that is cheaper (parts and tools)."""
        ev = self.evaluate(j, **kw)
        c = self.c
        if kw.get("ignore_parts") or not len(c.depot_loc) or not (
            c.job_parts[j].any() or c.job_tools[j].any()
        ):
            return ev
        kw2 = {k: v for k, v in kw.items()
               if k in ("windows", "qualified", "eng_cost", "extra_limit", "retime_per_min",
                        "cert_limit")}
        evd, _, _ = self.evaluate_with_depot(j, **kw2)
        better = evd.cost < ev.cost
        return Evaluation(ok=ev.ok | evd.ok, cost=np.where(better, evd.cost, ev.cost),
                          start=np.where(better, evd.start, ev.start),
                          delay=np.where(better, evd.delay, ev.delay))

    # ---------------------------------------------------------------- moves
    def best_insertion(self, j: int, *, allow_depot: bool = True, **kw) -> Move | None:
        """The cheapest feasible insertion of ``j`` (direct, or with a depot detour)."""
        ev = self.evaluate(j, **kw)
        best: Move | None = None
        if ev.ok.any():
            k = int(np.argmin(ev.cost))
            best = Move(j, int(self.gaps.route[k]), int(self.gaps.pos[k]), float(ev.cost[k]),
                        int(ev.start[k]))
        if allow_depot and len(self.c.depot_loc) and (
            self.c.job_parts[j].any() or self.c.job_tools[j].any()
        ):
            kw2 = {k: v for k, v in kw.items()
                   if k in ("windows", "qualified", "eng_cost", "extra_limit", "retime_per_min",
                        "cert_limit")}
            evd, dep, _ = self.evaluate_with_depot(j, **kw2)
            if evd.ok.any():
                k = int(np.argmin(evd.cost))
                if best is None or evd.cost[k] < best.cost:
                    best = Move(j, int(self.gaps.route[k]), int(self.gaps.pos[k]),
                                float(evd.cost[k]), int(evd.start[k]), depot=int(dep[k]))
        return best

    def apply(self, mv: Move, *, windows: np.ndarray | None = None) -> bool:
        """Insert as ``mv`` says; False (and nothing changed) if the schedule fails."""
        c = self.c
        r = self.routes[mv.route]
        j = mv.job
        items = [self.job_item(j, windows)]
        if mv.depot is not None and mv.depot >= 0:
            dep = mv.depot
            need = c.job_parts[j]
            pick = {int(p): int(q) for p, q in enumerate(need) if q > 0}
            tneed = tuple(int(t) for t in np.flatnonzero(c.job_tools[j]))
            items.insert(0, Item(StopKind.DEPOT, dep, int(c.depot_loc[dep]),
                                 int(c.depot_pickup[dep]), c.depot_open[dep].reshape(1, 2),
                                 pickup=pick, pickup_tools=tneed))
        old = list(r.future)
        r.future[mv.pos:mv.pos] = items
        if schedule(r, self.minutes) != -1:
            r.future = old
            schedule(r, self.minutes)
            return False
        if mv.depot is not None and mv.depot >= 0:
            for p, q in items[0].pickup.items():
                self.depot_left[mv.depot, p] -= q
        self._rebuild_engineer(r.eng)
        return True

    def job_item(self, j: int, windows: np.ndarray | None = None) -> Item:
        c = self.c
        w = c.job_windows[j] if windows is None else windows
        if c.pinned_start[j] >= 0:
            ps = int(c.pinned_start[j])
            w = np.array([[ps, ps]], dtype=np.int64)
        return Item(StopKind.JOB, j, int(c.job_loc[j]), int(c.job_duration[j]), w)

    def remove_job(self, j: int) -> tuple[int, int]:
        """Take job ``j`` out of the future of its route; returns (route index, position).

        Depot pick-ups earlier in the route that no job needs any more go too (the whole stop,
        or the parts and tools ``j`` needed), and their stock returns to the depot: a removed
        job leaves no detour behind, so ruin and recreate does not fill the day with them."""
        for ri, r in enumerate(self.routes):
            for k, x in enumerate(r.future):
                if x.kind == StopKind.JOB and x.ref == j:
                    del r.future[k]
                    self._drop_unneeded_pickups(r, k, j)
                    schedule(r, self.minutes)
                    self._rebuild_engineer(r.eng)
                    return ri, k
        raise KeyError(j)

    def _drop_unneeded_pickups(self, r: WorkRoute, k: int, j: int) -> None:
        """Remove or shrink the depot stops before position ``k`` that the engineer's day no
        longer needs once job ``j`` is gone (items are replaced, never changed in place, so
        snapshots stay valid)."""
        c = self.c
        need = c.job_parts[j] if len(c.parts) else np.zeros(0, dtype=np.int64)
        tneed = set(np.flatnonzero(c.job_tools[j]).tolist()) if len(c.tools) else set()
        for i in range(min(k, len(r.future)) - 1, -1, -1):
            x = r.future[i]
            if x.kind != StopKind.DEPOT:
                continue
            shrunk = dict(x.pickup)
            for p in list(shrunk):
                if p < len(need) and need[p] > 0:
                    shrunk[p] -= min(shrunk[p], int(need[p]))
                    if shrunk[p] == 0:
                        del shrunk[p]
            tools = tuple(t for t in x.pickup_tools if t not in tneed)
            options: list[Item | None] = [None]  # the whole stop, else what j needed
            if shrunk != x.pickup or tools != x.pickup_tools:
                options.append(replace(x, pickup=shrunk, pickup_tools=tools))
            if shrunk != x.pickup and tools != x.pickup_tools:
                options.append(replace(x, pickup=shrunk))  # its tools serve later jobs
            for new in options:
                if new is not None and not new.pickup and not new.pickup_tools:
                    new = None
                if new is None:
                    del r.future[i]
                else:
                    r.future[i] = new
                if self._supplied(r.eng) and schedule(r, self.minutes) == -1:
                    for p, q in x.pickup.items():
                        self.depot_left[x.ref, p] += q - (new.pickup.get(p, 0) if new else 0)
                    break
                if new is None:
                    r.future.insert(i, x)
                else:
                    r.future[i] = x
            schedule(r, self.minutes)

    def _supplied(self, e: int) -> bool:
        """Whether every job of engineer ``e``'s day has its parts and tools when it starts."""
        c = self.c
        stock = c.van_stock[e].copy() if len(c.parts) else np.zeros(0, dtype=np.int64)
        tools = c.eng_tools[e].copy() if len(c.tools) else np.zeros(0, dtype=bool)
        for ri in self._by_eng[e]:
            r = self.routes[ri]
            for x in [*r.prefix, *r.future]:
                stock, tools = self._consume(x, stock, tools)
                if x.kind == StopKind.JOB and (
                    (len(stock) and (stock < 0).any())
                    or (len(tools) and not tools[c.job_tools[x.ref]].all())
                ):
                    return False
        return True

    def snapshot(self) -> tuple[list[list[Item]], np.ndarray]:
        """The routes' future items and the depot stock left, for :meth:`restore`."""
        return [list(r.future) for r in self.routes], self.depot_left.copy()

    def restore(self, snap: tuple[list[list[Item]], np.ndarray]) -> None:
        """Undo every move since ``snap`` was taken."""
        futures, left = snap
        changed = set()
        for r, f in zip(self.routes, futures, strict=True):
            if len(r.future) != len(f) or any(a is not b for a, b in zip(r.future, f, strict=True)):
                r.future = list(f)
                schedule(r, self.minutes)
                changed.add(r.eng)
        self.depot_left = left.copy()
        for e in changed:
            self._rebuild_engineer(e)

    # ---------------------------------------------------------------- output
    def to_routes(self) -> list[Route]:
        """Contract routes of every worked shift (frozen stops exactly as they were)."""
        out = []
        for r in self.routes:
            if r.worked():
                out.append(self.emit(r))
        out.sort(key=lambda rt: (rt.engineer, rt.shift))
        return out

    def emit(self, r: WorkRoute) -> Route:
        c, m, km = self.c, self.minutes, self.km
        stops: list[Stop] = [x.stop for x in r.prefix]
        located = [r.home] + [x.loc for x in r.prefix if x.loc >= 0]
        first_arr = None
        for x in r.future:
            if x.kind == StopKind.JOB:
                stops.append(JobStop(job=c.job_ids[x.ref], arrival=c.to_datetime(x.arr),
                                     start=c.to_datetime(x.start), end=c.to_datetime(x.end)))
            elif x.kind == StopKind.DEPOT:
                stops.append(DepotStop(
                    depot=c.problem.depots[x.ref].id, arrival=c.to_datetime(x.arr),
                    start=c.to_datetime(x.start), end=c.to_datetime(x.end),
                    pickup={c.parts[p]: q for p, q in x.pickup.items() if q > 0},
                    pickup_tools=[c.tools[t] for t in x.pickup_tools]))
            else:
                stops.append(BreakStop(start=c.to_datetime(x.start), end=c.to_datetime(x.end)))
            if x.loc >= 0:
                located.append(x.loc)
        located.append(r.end_loc)
        if r.start_time is not None:
            start_time = r.start_time
        else:
            # leave home as late as the first stop allows (never before the resume time)
            first = r.future[0] if r.future else None
            dep = r.resume_t
            if first is not None and first.loc >= 0:
                dep = max(dep, first.start - int(m[r.home, first.loc]))
                first_arr = dep + int(m[r.home, first.loc])
            start_time = c.to_datetime(dep)
            if first_arr is not None:
                s0 = stops[len(r.prefix)]
                stops[len(r.prefix)] = s0.model_copy(update={"arrival": c.to_datetime(first_arr)})
        idx = np.asarray(located, dtype=np.int64)
        travel = int(m[idx[:-1], idx[1:]].sum())
        dist = float(km[idx[:-1], idx[1:]].sum())
        return Route(engineer=c.eng_ids[r.eng], shift=int(c.shift_index[r.shift]),
                     start_time=start_time, end_time=c.to_datetime(r.end_time),
                     distance_km=round(dist, 3), travel_min=float(travel), stops=stops)


@dataclass(frozen=True)
class Evaluation:
    ok: np.ndarray
    cost: np.ndarray
    start: np.ndarray
    delay: np.ndarray

    @staticmethod
    def empty(n: int) -> Evaluation:
        return Evaluation(np.zeros(n, dtype=bool), np.full(n, np.inf),
                          np.full(n, BIG, dtype=np.int64), np.zeros(n, dtype=np.int64))


@dataclass(frozen=True)
class Move:
    """Insert ``job`` into route ``route`` before future item ``pos`` (with a depot first)."""

    job: int
    route: int
    pos: int
    cost: float
    start: int
    depot: int | None = None


# ----------------------------------------------------------------------------- building


def displacement_candidates(
    board: Board, j: int, limit: int, *, same_tier: bool = False
) -> list[int]:
    """Planned lower-priority (with ``same_tier``: not higher-priority), unpinned jobs that job
    ``j``'s qualified engineers could drop for it, nearest to ``j`` first (at most ``limit``)."""
    c = board.c
    tier = int(c.job_tier[j]) + (1 if same_tier else 0)
    jl = int(c.job_loc[j])
    win = [(int(a), int(b)) for a, b in c.job_windows[j]]
    cands = []
    for r in board.routes:
        if not c.qualified[j, r.eng]:
            continue
        for x in r.future:
            if x.kind == StopKind.JOB and int(c.job_tier[x.ref]) < tier \
                    and c.pinned_engineer[x.ref] < 0:
                # near in space and in time: travel plus how far its start is from j's windows
                off = min(max(0, a - x.start, x.start - b) for a, b in win)
                cands.append((int(board.minutes[x.loc, jl]) + off, x.ref))
    return [ref for _, ref in sorted(cands)[:limit]]


def break_items(c: Compiled, shift: int, skip: Iterable[int] = ()) -> list[Item]:
    """The shift's breaks (except ``skip``) as future items, by earliest start."""
    skip = set(skip)
    out = []
    for bi, (a, b, d) in enumerate(c.shift_breaks[shift]):
        if bi not in skip:
            out.append(Item(StopKind.BREAK, bi, -1, int(d), np.array([[a, b]], dtype=np.int64)))
    out.sort(key=lambda x: int(x.windows[0, 0]))
    return out


def empty_routes(c: Compiled, *, not_before: int = -BIG) -> list[WorkRoute]:
    """One empty working route per shift that still ends after ``not_before``."""
    out = []
    for s in range(c.n_shifts):
        e = int(c.shift_engineer[s])
        limit = int(c.shift_end[s] + c.shift_max_ot[s])
        if limit <= not_before:
            continue
        r = WorkRoute(eng=e, shift=s, home=int(c.eng_start_loc[e]), end_loc=int(c.eng_end_loc[e]),
                      limit=limit, resume_t=max(int(c.shift_start[s]), not_before),
                      resume_loc=int(c.eng_start_loc[e]), future=break_items(c, s))
        place_breaks(r, np.asarray(c.travel.minutes))
        out.append(r)
    return out


def place_breaks(r: WorkRoute, minutes: np.ndarray) -> None:
    """Re-schedule; while a break misses its latest start, move it one stop earlier."""
    for _ in range(4 * len(r.future) + 4):
        bad = schedule(r, minutes)
        if bad == -1 or bad >= len(r.future):
            return
        x = r.future[bad]
        if x.kind != StopKind.BREAK or bad == 0:
            return
        r.future[bad - 1], r.future[bad] = r.future[bad], r.future[bad - 1]


def greedy_plan_routes(c: Compiled, order: Sequence[int] | None = None,
                       eng_cost: Mapping[int, np.ndarray] | None = None) -> tuple[Board, list[int]]:
    """Cheapest insertion of every job into empty shifts (a baseline and a test fixture).

    Jobs go by priority (critical first), then earliest window end. Returns the board and
    the jobs left out.
    """
    board = Board(c, empty_routes(c))
    if order is None:
        wend = np.array([int(w[0, 1]) for w in c.job_windows])
        order = sorted(range(c.n_jobs), key=lambda j: (-int(c.job_tier[j]), int(wend[j])))
    left = []
    for j in order:
        mv = board.best_insertion(j, eng_cost=None if eng_cost is None else eng_cost.get(j))
        if mv is None or not board.apply(mv):
            left.append(j)
    return board, left


def unassigned_reason(board: Board, j: int) -> str:
    """Why job ``j`` has no place on ``board`` (a contract ``UnassignedReason`` value)."""
    c = board.c
    if c.pinned_engineer[j] >= 0:
        return "pinned_infeasible"
    if not c.qualified[j].any():
        return "no_qualified_engineer"
    placeable = board.evaluate(j, ignore_parts=True).ok.any()
    if not placeable and (c.cert_limit[j] < NO_CERT_LIMIT).any():
        lifted = np.full(c.n_engineers, NO_CERT_LIMIT, dtype=np.int64)
        if board.evaluate(j, ignore_parts=True, cert_limit=lifted).ok.any():
            return "no_qualified_engineer"  # it fits only where a certificate has lapsed
    if placeable:
        return "parts_unavailable"
    horizon = np.array([[-BIG // 2, BIG // 2]], dtype=np.int64)
    if board.evaluate(j, windows=horizon, ignore_parts=True).ok.any():
        return "no_time_window_fit"
    return "capacity"


def board_plan(board: Board, left: Iterable[int], *, status: SolverStatus | str, wall_s: float,
               reasons: Mapping[int, tuple[str, str]] | None = None) -> Plan:
    """A contract plan of the board's routes, ``left`` jobs unassigned (with their reasons)."""
    c = board.c
    routes = board.to_routes()
    un = []
    for j in left:
        reason, detail = (reasons or {}).get(j) or (unassigned_reason(board, j), "")
        un.append(Unassigned(job=c.job_ids[j], reason=reason, detail=detail))
    return plan_of(c.problem, routes, un, SolverInfo(status=status, wall_s=round(wall_s, 3)))
