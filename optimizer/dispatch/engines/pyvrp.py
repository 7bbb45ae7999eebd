"""The PyVRP adapter (PyVRP 0.14): the only module that imports ``pyvrp``.

Built as PyVRP's own examples build ``ProblemData`` directly (locations, depots, clients,
vehicle types, one distance and one duration matrix per routing profile, client groups),
solved with ``pyvrp.solve`` (seeded; ``MaxRuntime`` or ``MaxIterations``), read back from the
best solution's routes.

Expressed natively:
- travel: our compiled travel matrix (whole minutes, metres); every job has a location of its
  own, the engineers' homes are the depots;
- the job's windows: one optional client per window, several windows of a job as a mutually
  exclusive client group; a pinned start as a window of one minute; service times; load;
- priorities as prizes (low 1, normal 2, high 4, critical 8 x 1,000 km; pinned 100,000 km),
  the objective being distance minus prizes, so the most priority is served first;
- a critical job's ``due`` cuts its windows (as for VROOM);
- shifts as vehicle types (start and end depot, time window, capacity), the maximum overtime
  as PyVRP's overtime beyond the nominal shift, at a cost;
- who may do a job (skills, certificates on the day, exclusions, pins): one routing profile
  per distinct set of jobs a shift may do, in which the other jobs cannot be reached (memory
  grows with the profiles: the adapter declines when their matrices would pass
  ``MAX_MATRIX_MB``).

Relaxed (made right afterwards by ``realise`` and the repair): breaks (their durations are
taken off the shift, their placement is ours), parts, tools, depot pick-ups and stock, soft
``due`` of the other tiers, preferred engineers, per-engineer costs (distance only, as the
km-per-job target asks), van stock over several shifts.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime

from optimizer.compile import Compiled
from optimizer.dispatch.diagnose import Diagnosis
from optimizer.dispatch.engines import EngineDeclined, EngineRoutes
from optimizer.dispatch.engines.vroom import allowed_shifts, job_windows

PRIZE_UNIT = 1_000_000  # metres: a low-priority job is worth 1,000 km of travel
TIER_WEIGHT = (1, 2, 4, 8)  # low, normal, high, critical
PINNED_PRIZE = 100 * PRIZE_UNIT
UNREACHABLE = 10**10  # distance and duration into a job the profile's engineers may not do
OVERTIME_COST = 100  # per minute of overtime, in metres
NO_CAPACITY = 10**9
MAX_MATRIX_MB = 800.0  # a 1,000-job day of 78 skill sets would take 1.4 GB


def matrix_mb(n_profiles: int, n_locations: int) -> float:
    """MB of PyVRP's distance and duration matrices (int64) for that many profiles."""
    return n_profiles * n_locations * n_locations * 16 / 2**20


def build_data(c: Compiled, d: Diagnosis) -> tuple[pyvrp.ProblemData, list[int], list[list[int]]]:
    """PyVRP's problem for ``c``, the job of each client, the shifts of each vehicle type."""
    jobs = [j for j in range(c.n_jobs) if j not in d.reasons and job_windows(c, j)]
    allowed = allowed_shifts(c)[jobs]  # (jobs, shifts)
    homes = sorted({int(x) for x in c.eng_start_loc} | {int(x) for x in c.eng_end_loc})
    depot_of = {loc: k for k, loc in enumerate(homes)}
    where = np.array(homes + [int(c.job_loc[j]) for j in jobs], dtype=np.int64)
    n_loc = len(where)
    keys = {allowed[:, s].tobytes(): None for s in range(c.n_shifts)}
    profile_of_key = {k: i for i, k in enumerate(keys)}
    mb = matrix_mb(len(profile_of_key), n_loc)
    if mb > MAX_MATRIX_MB:
        raise EngineDeclined(f"{len(profile_of_key)} distinct skill sets over {n_loc} "
                             f"locations need {mb:.0f} MB of matrices (limit {MAX_MATRIX_MB:.0f})")
    minutes = np.asarray(c.travel.minutes, dtype=np.int64)[np.ix_(where, where)]
    metres = np.rint(np.asarray(c.travel.km)[np.ix_(where, where)] * 1000).astype(np.int64)
    dist_m, dur_m = [], []
    for key in profile_of_key:
        ok = np.frombuffer(key, dtype=bool)
        cols = len(homes) + np.flatnonzero(~ok)
        dm, tm = metres.copy(), minutes.copy()
        dm[:, cols] = UNREACHABLE
        tm[:, cols] = UNREACHABLE
        np.fill_diagonal(dm, 0)
        np.fill_diagonal(tm, 0)
        dist_m.append(dm)
        dur_m.append(tm)
    locations = [pyvrp.Location(x=0, y=0) for _ in range(n_loc)]
    depots = [pyvrp.Depot(location=k) for k in range(len(homes))]
    capacitated = bool((c.eng_capacity >= 0).any() or c.job_load.any())
    clients, client_job, groups = [], [], []
    for i, j in enumerate(jobs):
        wins = job_windows(c, j)
        prize = PINNED_PRIZE if c.pinned_engineer[j] >= 0 else \
            TIER_WEIGHT[int(c.job_tier[j])] * PRIZE_UNIT
        group = len(groups) if len(wins) > 1 else None
        members = []
        for a, b in wins:
            members.append(len(clients))
            clients.append(pyvrp.Client(
                location=len(homes) + i,
                delivery=[int(c.job_load[j])] if capacitated else [],
                service_duration=int(c.job_duration[j]),
                tw_early=a, tw_late=b, prize=prize, required=False, group=group,
            ))
            client_job.append(j)
        if group is not None:
            groups.append(pyvrp.ClientGroup(members, required=False))
    vtypes, type_shifts = _vehicle_types(c, allowed, profile_of_key, depot_of, capacitated)
    data = pyvrp.ProblemData(locations, clients, depots, vtypes, dist_m, dur_m, groups)
    return data, client_job, type_shifts


def _vehicle_types(c: Compiled, allowed: np.ndarray, profile_of_key: dict[bytes, int],
                   depot_of: dict[int, int], capacitated: bool
                   ) -> tuple[list[pyvrp.VehicleType], list[list[int]]]:
    """One vehicle type per distinct (homes, shift times, capacity, profile), shifts in order."""
    by_key: dict[tuple[int, ...], list[int]] = {}
    for s in range(c.n_shifts):
        e = int(c.shift_engineer[s])
        brk = int(c.shift_breaks[s][:, 2].sum()) if len(c.shift_breaks[s]) else 0
        start, end, ot = int(c.shift_start[s]), int(c.shift_end[s]), int(c.shift_max_ot[s])
        key = (depot_of[int(c.eng_start_loc[e])], depot_of[int(c.eng_end_loc[e])],
               int(c.eng_capacity[e]), start, end - brk, ot,
               profile_of_key[allowed[:, s].tobytes()])
        by_key.setdefault(key, []).append(s)
    out = []
    for (a, b, cap, start, end, ot, prof), shifts in by_key.items():
        out.append(pyvrp.VehicleType(
            num_available=len(shifts),
            capacity=[cap if cap >= 0 else NO_CAPACITY] if capacitated else [],
            start_depot=a, end_depot=b,
            tw_early=start, tw_late=max(start, end + ot),
            shift_duration=max(0, end - start), max_overtime=ot,
            unit_overtime_cost=OVERTIME_COST,
            unit_distance_cost=1, unit_duration_cost=0, profile=prof,
        ))
    return out, list(by_key.values())


def solve(c: Compiled, d: Diagnosis, *, time_limit_s: float | None, seed: int = 0,
          max_iterations: int | None = None) -> EngineRoutes:
    """PyVRP's routes for ``c``: under ``time_limit_s``, or ``max_iterations`` of its
    iterated local search (reproducible with the seed)."""
    t0 = time.perf_counter()
    data, client_job, type_shifts = build_data(c, d)
    built = time.perf_counter() - t0
    if not data.num_clients:
        return EngineRoutes(engine="pyvrp", info={"build_s": round(built, 3)})
    if max_iterations is not None:
        stop = MaxIterations(max_iterations)
    else:
        stop = MaxRuntime(max(0.1, (time_limit_s or 1.0) - built))
    with warnings.catch_warnings():  # a penalty at its bound only says some jobs do not fit
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        res = pyvrp.solve(data, stop=stop, seed=seed, collect_stats=False, display=False)
    routes: dict[int, list[int]] = {}
    free = [list(s) for s in type_shifts]
    for route in res.best.routes():
        s = free[route.vehicle_type()].pop(0)
        routes[s] = [client_job[a.idx] for a in route if a.is_client()]
    return EngineRoutes(engine="pyvrp", routes=routes, info={
        "build_s": round(built, 3), "engine_wall_s": round(time.perf_counter() - t0, 3),
        "iterations": res.num_iterations, "engine_feasible": bool(res.is_feasible()),
        "profiles": len(data.distance_matrices()) if hasattr(data, "distance_matrices") else None,
    })
