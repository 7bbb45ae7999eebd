"""The VROOM adapter (pyvroom): the only module that imports ``vroom``.

Built the way pyvroom's own examples build a problem: one ``vroom.Input`` with a durations
and a distances matrix, one ``Vehicle`` per engineer shift, one ``Job`` per job; solved with
``Input.solve``; the routes read back from the solution's route table.

Expressed natively:
- travel: our compiled travel matrix (seconds = minutes x 60, metres), so VROOM's schedule
  uses the very leg times the validator checks;
- who may do a job (skills at their levels, certificates on the day, exclusions, pins to an
  engineer): one skill id per distinct set of shifts allowed, held by exactly those shifts;
- the job's time windows (several), a pinned start (a window of one minute), service times;
- shifts as vehicle time windows, the maximum overtime included; breaks with their windows and
  durations; capacity and load; each engineer's cost per km, and a tenth of his cost per hour
  (``HOUR_WEIGHT``: the plan is judged on km per job);
- priorities (critical 100, high 50, normal 25, low 12, pinned 100: the ratio of the
  benchmarks' priority weights), VROOM serving the most priority first;
- a critical job's ``due``: its windows end at the due (when some window opens by then), so
  the emergency standard is planned as VROOM's hard window.

Relaxed (made right afterwards by ``realise`` and the repair): parts and tools (no van stock,
depot pick-ups or depot stock: the realised route gets its depot detours), soft ``due`` of the
other tiers and lateness, overtime cost, preferred engineers, several shifts of one engineer
sharing one van stock. Under a work limit (``timeout=None``) VROOM is deterministic for one
thread; its timeout bounds the local search, not the construction.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
import vroom

from optimizer.compile import Compiled
from optimizer.dispatch.diagnose import Diagnosis
from optimizer.dispatch.engines import EngineRoutes

PRIORITY = (12, 25, 50, 100)  # low, normal, high, critical (compile.PRIORITY_TIER order)
PINNED_PRIORITY = 100
NO_CAPACITY = 10**9
HOUR_WEIGHT = 0.1  # share of the cost per hour VROOM sees: km count in full (measured:
# 300-job day, 8 s: km per job 6.89 at 1.0, 6.58 at 0.1, same jobs)


def build_input(c: Compiled, d: Diagnosis) -> vroom.Input:
    """The VROOM model of ``c`` (jobs the diagnosis rules out are left out)."""
    inp = vroom.Input()
    minutes = np.asarray(c.travel.minutes, dtype=np.int64)
    inp.set_durations_matrix("car", (minutes * 60).astype(np.uint32))
    inp.set_distances_matrix("car", np.rint(np.asarray(c.travel.km) * 1000).astype(np.uint32))
    capacitated = bool((c.eng_capacity >= 0).any() or c.job_load.any())
    shift_skills, job_skills = skill_ids(c)
    for s in range(c.n_shifts):
        e = int(c.shift_engineer[s])
        breaks = [
            vroom.Break(b, time_windows=[vroom.TimeWindow(60 * max(0, int(a)),
                                                          60 * max(0, int(z)))],
                        service=60 * int(dur))
            for b, (a, z, dur) in enumerate(c.shift_breaks[s])
        ]
        cap = int(c.eng_capacity[e]) if c.eng_capacity[e] >= 0 else NO_CAPACITY
        inp.add_vehicle(vroom.Vehicle(
            s,
            start=int(c.eng_start_loc[e]),
            end=int(c.eng_end_loc[e]),
            capacity=[cap] if capacitated else (),
            skills=shift_skills[s],
            time_window=vroom.TimeWindow(60 * int(c.shift_start[s]),
                                         60 * int(c.shift_end[s] + c.shift_max_ot[s])),
            breaks=breaks,
            costs=vroom.VehicleCosts(
                per_hour=round(HOUR_WEIGHT * 100 * float(c.cost_per_hour[e])),
                per_km=round(100 * float(c.cost_per_km[e]))),
        ))
    jobs = []
    for j in range(c.n_jobs):
        if j in d.reasons:
            continue
        wins = job_windows(c, j)
        if not wins:
            continue
        jobs.append(vroom.Job(
            j,
            location=int(c.job_loc[j]),
            default_service=60 * int(c.job_duration[j]),
            delivery=[int(c.job_load[j])] if capacitated else vroom.Amount([]),
            skills=job_skills[j],
            priority=PINNED_PRIORITY if c.pinned_engineer[j] >= 0 else PRIORITY[c.job_tier[j]],
            time_windows=[vroom.TimeWindow(60 * a, 60 * b) for a, b in wins],
        ))
    if jobs:
        inp.add_job(jobs)
    return inp


def job_windows(c: Compiled, j: int) -> list[tuple[int, int]]:
    """Job ``j``'s start windows in minutes >= 0: a pinned start as a window of its own, a
    critical job's windows cut at its due when some of them opens by then."""
    if c.has_pinned_start[j]:
        ps = int(c.pinned_start[j])
        return [(ps, ps)] if ps >= 0 else []
    wins = [(max(0, int(a)), int(b)) for a, b in c.job_windows[j] if b >= 0]
    due = int(c.job_due[j])
    if c.job_tier[j] == 3 and due >= 0:
        cut = [(a, min(b, due)) for a, b in wins if a <= due]
        if cut:
            wins = cut
    return wins


def allowed_shifts(c: Compiled) -> np.ndarray:
    """(J, S): the shift may do the job (skills at level, certified on the day, not excluded,
    the pinned engineer's shifts only)."""
    ok = c.qualified_shift.copy()
    pinned = np.flatnonzero(c.pinned_engineer >= 0)
    ok[pinned] &= c.shift_engineer[None, :] == c.pinned_engineer[pinned, None]
    return ok


def skill_ids(c: Compiled) -> tuple[list[set[int]], list[set[int]]]:
    """VROOM skills per shift (vehicle) and per job: one id per distinct set of shifts that may
    do a job (:func:`allowed_shifts`), held by exactly those shifts: set inclusion is exact."""
    ids: dict[bytes, int] = {}
    shifts: list[set[int]] = [set() for _ in range(c.n_shifts)]
    jobs: list[set[int]] = []
    allowed = allowed_shifts(c)
    for j in range(c.n_jobs):
        key = allowed[j].tobytes()
        if key not in ids:
            ids[key] = len(ids)
            for s in np.flatnonzero(allowed[j]):
                shifts[int(s)].add(ids[key])
        jobs.append({ids[key]})
    return shifts, jobs


def solve(c: Compiled, d: Diagnosis, *, time_limit_s: float | None,
          exploration_level: int = 5, threads: int = 1) -> EngineRoutes:
    """VROOM's routes for ``c``: under ``time_limit_s``, or to the end of its search (None:
    reproducible). One thread when the portfolio gives each engine a core, more when VROOM
    runs alone."""
    t0 = time.perf_counter()
    inp = build_input(c, d)
    built = time.perf_counter() - t0
    if not inp.jobs:  # VROOM refuses a problem without tasks
        return EngineRoutes(engine="vroom", info={"build_s": round(built, 3)})
    timeout = None if time_limit_s is None else timedelta(seconds=max(0.1, time_limit_s - built))
    sol = inp.solve(exploration_level=exploration_level, nb_threads=threads, timeout=timeout)
    return read_routes(sol, info={"build_s": round(built, 3),
                                  "engine_wall_s": round(time.perf_counter() - t0, 3),
                                  "exploration_level": exploration_level, "threads": threads})


def read_routes(sol: vroom.Solution, info: dict[str, object]) -> EngineRoutes:
    """Job indices per shift, in visiting order, from VROOM's route table."""
    table = sol.routes
    routes: dict[int, list[int]] = {}
    breaks: dict[int, list[int]] = {}
    if len(table) and "id" in table.columns:  # no columns at all when no route is used
        seen: dict[int, int] = {}
        for v, kind, j in zip(table["vehicle_id"], table["type"], table["id"], strict=True):
            v = int(v)
            if kind == "break":
                seen[v] = seen.get(v, 0) + 1
            elif kind == "job":
                routes.setdefault(v, []).append(int(j))
                breaks.setdefault(v, []).append(seen.get(v, 0))
    info = dict(info, engine_cost=int(sol.summary.cost) if hasattr(sol, "summary") else None)
    return EngineRoutes(engine="vroom", routes=routes, breaks_before=breaks, info=info)
