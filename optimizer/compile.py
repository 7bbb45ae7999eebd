"""Compile a contract ``Problem`` once into the compact numeric form the solvers use.

Times become whole minutes from a time origin (the earliest shift start, floored to the
minute); locations become indices into one travel matrix; skills, parts and tools become
boolean / integer matrices. ``Compiled.to_datetime`` turns minutes back into tz-aware times in
the problem's own UTC offset. Nothing here knows about OR-Tools.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from typing import Any

import numpy as np

from optimizer.certificates import certified_through, end_of_day, first_time
from optimizer.models import Location, Priority, Problem
from optimizer.travel import TravelMatrix, travel_matrix

#: Priority tiers as integers, low = 0 ... critical = 3.
PRIORITY_TIER: dict[Priority, int] = {
    Priority.LOW: 0,
    Priority.NORMAL: 1,
    Priority.HIGH: 2,
    Priority.CRITICAL: 3,
}
DEFAULT_COST_PER_HOUR = 30.0
DEFAULT_COST_PER_KM = 0.5
NO_CERT_LIMIT = 10**12  # cert_limit where no certificate ends


@dataclass(frozen=True)
class Compiled:
    """A problem in integer minutes and index form (see module docstring).

    Location indices: ``eng_start_loc``/``eng_end_loc`` (per engineer), ``job_loc``,
    ``depot_loc`` index ``locations``; ``travel`` is the matrix between them.
    Shifts are flattened: shift ``s`` belongs to engineer ``shift_engineer[s]`` and is that
    engineer's ``shift_index[s]``-th shift.
    """

    problem: Problem
    origin: datetime
    tz: tzinfo
    locations: tuple[Location, ...]
    eng_start_loc: np.ndarray
    eng_end_loc: np.ndarray
    job_loc: np.ndarray
    depot_loc: np.ndarray
    # jobs
    job_ids: tuple[str, ...]
    job_duration: np.ndarray
    job_windows: tuple[np.ndarray, ...]  # per job: (k, 2) [start, end] of service start; k >= 1
    job_has_windows: np.ndarray
    job_due: np.ndarray  # -1: none
    job_tier: np.ndarray
    job_load: np.ndarray
    skill_ok: np.ndarray  # (J, E) has every required skill at level
    excluded: np.ndarray  # (J, E)
    cert_limit: np.ndarray  # (J, E) a start from this minute on is past a certificate's date
    certified: np.ndarray  # (J, S) every start the job can have in the shift is certified
    preferred: np.ndarray  # (J, E)
    pinned_engineer: np.ndarray  # -1: not pinned
    pinned_start: np.ndarray  # minutes (may be < 0); valid where has_pinned_start
    has_pinned_start: np.ndarray
    # parts and tools
    parts: tuple[str, ...]
    job_parts: np.ndarray  # (J, P)
    van_stock: np.ndarray  # (E, P)
    depot_stock: np.ndarray  # (D, P)
    tools: tuple[str, ...]
    job_tools: np.ndarray  # (J, T) bool
    eng_tools: np.ndarray  # (E, T) bool
    depot_tools: np.ndarray  # (D, T) bool
    depot_open: np.ndarray  # (D, 2) minutes
    depot_pickup: np.ndarray  # (D,)
    # engineers
    eng_ids: tuple[str, ...]
    eng_capacity: np.ndarray  # -1: unlimited
    cost_per_hour: np.ndarray
    cost_per_km: np.ndarray
    # shifts
    shift_engineer: np.ndarray
    shift_index: np.ndarray
    shift_start: np.ndarray
    shift_end: np.ndarray
    shift_max_ot: np.ndarray
    shift_breaks: tuple[np.ndarray, ...]  # per shift: (k, 3) earliest, latest, duration
    horizon: int
    job_index: dict[str, int] = field(default_factory=dict)
    eng_index: dict[str, int] = field(default_factory=dict)

    @property
    def n_jobs(self) -> int:
        return len(self.job_ids)

    @property
    def n_engineers(self) -> int:
        return len(self.eng_ids)

    @property
    def n_shifts(self) -> int:
        return len(self.shift_engineer)

    @cached_property
    def travel(self) -> TravelMatrix:
        """Travel between all ``locations`` (computed on first use)."""
        return travel_matrix(self.problem.travel, list(self.locations))

    @cached_property
    def qualified(self) -> np.ndarray:
        """(J, E): skills at level and not excluded (certificates: see ``certified``)."""
        return self.skill_ok & ~self.excluded

    @cached_property
    def qualified_shift(self) -> np.ndarray:
        """(J, S): the shift's engineer is qualified and certified for the job in that shift."""
        return self.qualified[:, self.shift_engineer] & self.certified

    def to_minutes(self, t: datetime, *, up: bool = False) -> int:
        """Minutes from the origin (floored, or ceiled with ``up``)."""
        s = (t - self.origin).total_seconds() / 60.0
        return math.ceil(s - 1e-9) if up else math.floor(s + 1e-9)

    def to_datetime(self, minutes: int) -> datetime:
        """The tz-aware time ``minutes`` after the origin, in the problem's offset."""
        return (self.origin + timedelta(minutes=int(minutes))).astimezone(self.tz)


def compile_problem(problem: Problem) -> Compiled:
    """Compile ``problem`` (see :class:`Compiled`)."""
    first = first_time(problem)
    if first is None:
        first = datetime(2000, 1, 1).astimezone()
    tz = first.tzinfo
    assert tz is not None
    origin = first.replace(second=0, microsecond=0)

    def mins(t: datetime, up: bool = False) -> int:
        s = (t - origin).total_seconds() / 60.0
        return math.ceil(s - 1e-9) if up else math.floor(s + 1e-9)

    engs, jobs, depots = problem.engineers, problem.jobs, problem.depots
    locs, (eng_start_loc, eng_end_loc, job_loc, depot_loc) = _locations(problem)
    eng_index = {e.id: i for i, e in enumerate(engs)}
    job_index = {j.id: i for i, j in enumerate(jobs)}
    shifts = _shifts(problem, mins)
    horizon = int((shifts["shift_end"] + shifts["shift_max_ot"]).max()) \
        if len(shifts["shift_end"]) else 0
    horizon = max(horizon, 0)
    times = _job_times(problem, mins, horizon, eng_index)
    cert_limit, certified = _certificates(
        problem, tz, mins, list(times["job_windows"]), shifts["shift_engineer"].tolist(),
        shifts["shift_end"].tolist(), shifts["shift_max_ot"].tolist())
    return Compiled(
        problem=problem,
        origin=origin,
        tz=tz,
        locations=tuple(locs),
        eng_start_loc=eng_start_loc,
        eng_end_loc=eng_end_loc,
        job_loc=job_loc,
        depot_loc=depot_loc,
        job_ids=tuple(j.id for j in jobs),
        job_duration=np.array([j.duration_min for j in jobs], dtype=np.int64),
        job_tier=np.array([PRIORITY_TIER[j.priority] for j in jobs], dtype=np.int64),
        job_load=np.array([j.load for j in jobs], dtype=np.int64),
        **times,
        **_eligibility(problem, eng_index),
        cert_limit=cert_limit,
        certified=certified,
        **_parts_and_tools(problem),
        depot_open=_depot_open(problem, mins),
        depot_pickup=np.array([d.pickup_min for d in depots], dtype=np.int64),
        eng_ids=tuple(e.id for e in engs),
        eng_capacity=np.array(
            [-1 if e.capacity is None else e.capacity for e in engs], dtype=np.int64
        ),
        cost_per_hour=np.array(
            [DEFAULT_COST_PER_HOUR if e.cost_per_hour is None else e.cost_per_hour for e in engs],
            dtype=np.float64,
        ),
        cost_per_km=np.array(
            [DEFAULT_COST_PER_KM if e.cost_per_km is None else e.cost_per_km for e in engs],
            dtype=np.float64,
        ),
        **shifts,
        horizon=horizon,
        job_index=job_index,
        eng_index=eng_index,
    )


Minutes = Callable[..., int]  # a time -> minutes from the origin (``up``: rounded up)


def _locations(problem: Problem) -> tuple[list[Location], tuple[np.ndarray, ...]]:
    """Locations deduplicated so that equal points share one matrix row; the index of each
    engineer's start and end, job and depot."""
    locs: list[Location] = []
    seen: dict[tuple[float, float], int] = {}

    def loc_index(loc: Location) -> int:
        key = (loc.lat, loc.lon)
        if key not in seen:
            seen[key] = len(locs)
            locs.append(loc)
        return seen[key]

    engs, jobs, depots = problem.engineers, problem.jobs, problem.depots
    eng_start_loc = np.array([loc_index(e.start) for e in engs], dtype=np.int64)
    eng_end_loc = np.array([loc_index(e.end_location) for e in engs], dtype=np.int64)
    job_loc = np.array([loc_index(j.location) for j in jobs], dtype=np.int64)
    depot_loc = np.array([loc_index(d.location) for d in depots], dtype=np.int64)
    return locs, (eng_start_loc, eng_end_loc, job_loc, depot_loc)


def _shifts(problem: Problem, mins: Minutes) -> dict[str, Any]:
    """Every engineer's shifts, flat: engineer, index, start, end, overtime, breaks."""
    s_eng, s_idx, s_start, s_end, s_ot, s_breaks = [], [], [], [], [], []
    for ei, e in enumerate(problem.engineers):
        for si, sh in enumerate(e.shifts):
            s_eng.append(ei)
            s_idx.append(si)
            s_start.append(mins(sh.start, up=True))
            s_end.append(mins(sh.end))
            s_ot.append(sh.max_overtime_min)
            s_breaks.append(
                np.array(
                    [
                        [mins(b.earliest, up=True), mins(b.latest), b.duration_min]
                        for b in sh.breaks
                    ],
                    dtype=np.int64,
                ).reshape(-1, 3)
            )
    return {
        "shift_engineer": np.array(s_eng, dtype=np.int64),
        "shift_index": np.array(s_idx, dtype=np.int64),
        "shift_start": np.array(s_start, dtype=np.int64),
        "shift_end": np.array(s_end, dtype=np.int64),
        "shift_max_ot": np.array(s_ot, dtype=np.int64),
        "shift_breaks": tuple(s_breaks),
    }


def _job_times(problem: Problem, mins: Minutes, horizon: int,
               eng_index: dict[str, int]) -> dict[str, Any]:
    """Each job's windows (overlapping ones merged; the horizon when it has none), due and
    pin."""
    jobs = problem.jobs
    n_j = len(jobs)
    windows: list[np.ndarray] = []
    has_w = np.zeros(n_j, dtype=bool)
    due = np.full(n_j, -1, dtype=np.int64)
    pin_e = np.full(n_j, -1, dtype=np.int64)
    pin_s = np.full(n_j, -1, dtype=np.int64)
    has_pin_s = np.zeros(n_j, dtype=bool)
    for i, j in enumerate(jobs):
        if j.time_windows:
            has_w[i] = True
            w = np.array(
                sorted((mins(tw.start, up=True), mins(tw.end)) for tw in j.time_windows),
                dtype=np.int64,
            )
            w = w[w[:, 1] >= w[:, 0]].reshape(-1, 2)
            # Merge overlapping windows so the gaps between them are real gaps.
            merged: list[list[int]] = []
            for a, b in w.tolist():
                if merged and a <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            windows.append(np.array(merged, dtype=np.int64).reshape(-1, 2))
        else:
            windows.append(np.array([[0, horizon]], dtype=np.int64))
        if j.due is not None:
            due[i] = max(0, mins(j.due))
        if j.pinned is not None:
            pin_e[i] = eng_index[j.pinned.engineer]
            if j.pinned.start is not None:
                pin_s[i] = mins(j.pinned.start)
                has_pin_s[i] = True
    return {"job_windows": tuple(windows), "job_has_windows": has_w, "job_due": due,
            "pinned_engineer": pin_e, "pinned_start": pin_s, "has_pinned_start": has_pin_s}


def _eligibility(problem: Problem, eng_index: dict[str, int]) -> dict[str, np.ndarray]:
    """Job x engineer: skills at their levels, exclusions, preferences."""
    jobs, engs = problem.jobs, problem.engineers
    n_j, n_e = len(jobs), len(engs)
    skill_ok = np.ones((n_j, n_e), dtype=bool)
    excluded = np.zeros((n_j, n_e), dtype=bool)
    preferred = np.zeros((n_j, n_e), dtype=bool)
    for i, j in enumerate(jobs):
        for sk, lvl in j.required_skills.items():
            for ei, e in enumerate(engs):
                if e.skills.get(sk, 0) < lvl:
                    skill_ok[i, ei] = False
        for x in j.excluded_engineers:
            excluded[i, eng_index[x]] = True
        for x in j.preferred_engineers:
            preferred[i, eng_index[x]] = True
    return {"skill_ok": skill_ok, "excluded": excluded, "preferred": preferred}


def _parts_and_tools(problem: Problem) -> dict[str, Any]:
    """Parts (sorted ids) needed by jobs, on vans and at depots; tools likewise."""
    engs, jobs, depots = problem.engineers, problem.jobs, problem.depots
    parts = tuple(
        sorted(
            {p for j in jobs for p in j.required_parts}
            | {p for e in engs for p in e.van_stock}
            | {p for d in depots for p in d.stock}
        )
    )
    p_index = {p: k for k, p in enumerate(parts)}

    def quantities(items: list[Mapping[str, int]]) -> np.ndarray:
        m = np.zeros((len(items), len(parts)), dtype=np.int64)
        for i, qs in enumerate(items):
            for p, q in qs.items():
                m[i, p_index[p]] = q
        return m

    tools = tuple(
        sorted(
            {t for j in jobs for t in j.required_tools}
            | {t for e in engs for t in e.tools}
            | {t for d in depots for t in d.tools}
        )
    )
    t_index = {t: k for k, t in enumerate(tools)}

    def tool_matrix(items: list[list[str]]) -> np.ndarray:
        m = np.zeros((len(items), len(tools)), dtype=bool)
        for i, ts in enumerate(items):
            for t in ts:
                m[i, t_index[t]] = True
        return m

    return {
        "parts": parts,
        "job_parts": quantities([j.required_parts for j in jobs]),
        "van_stock": quantities([e.van_stock for e in engs]),
        "depot_stock": quantities([d.stock for d in depots]),
        "tools": tools,
        "job_tools": tool_matrix([j.required_tools for j in jobs]),
        "eng_tools": tool_matrix([e.tools for e in engs]),
        "depot_tools": tool_matrix([d.tools for d in depots]),
    }


def _depot_open(problem: Problem, mins: Minutes) -> np.ndarray:
    """Each depot's opening hours in minutes (always open when it gives none)."""
    d_open = np.zeros((len(problem.depots), 2), dtype=np.int64)
    for i, d in enumerate(problem.depots):
        if d.open is None:
            d_open[i] = (-(10**9), 10**9)
        else:
            d_open[i] = (mins(d.open.start, up=True), mins(d.open.end))
    return d_open


def _certificates(
    problem: Problem,
    tz: tzinfo,
    mins: Callable[[datetime], int],
    windows: list[np.ndarray],
    s_eng: list[int],
    s_end: list[int],
    s_ot: list[int],
) -> tuple[np.ndarray, np.ndarray]:
    """``cert_limit`` (J, E): the first minute at which one of the job's skills no longer
    counts for the engineer (midnight after its ``certified_until``, local); ``certified``
    (J, S): the latest start the job can have in the shift is before that limit. A shift
    running past the limit with the job still possible after it is not certified: the
    routing model cannot give a job a deadline per engineer (conservative, documented)."""
    jobs, engs = problem.jobs, problem.engineers
    limit = np.full((len(jobs), len(engs)), NO_CERT_LIMIT, dtype=np.int64)
    for ei, e in enumerate(engs):
        if not e.certified_until:
            continue
        for ji, j in enumerate(jobs):
            first = certified_through(e, j.required_skills)
            if first is not None:
                limit[ji, ei] = mins(end_of_day(first[1], tz))
    if not (limit < NO_CERT_LIMIT).any():
        return limit, np.ones((len(jobs), len(s_eng)), dtype=bool)
    eng = np.array(s_eng, dtype=np.int64)
    last_start = (np.array(s_end, dtype=np.int64) + np.array(s_ot, dtype=np.int64))[None, :] - (
        np.array([j.duration_min for j in jobs], dtype=np.int64)[:, None]
    )
    window_end = np.array([int(w[:, 1].max()) if len(w) else -1 for w in windows], np.int64)
    last_start = np.minimum(last_start, window_end[:, None])
    return limit, last_start < limit[:, eng]
