"""Re-optimisation during the day (``shared/contract/EVENTS.md``).

``reoptimize(problem, plan, events)`` returns ``(problem_after, plan_after, diff)``:

1. **History** (before ``now``): per engineer, the stops that ended before ``now``, the stop in
   progress at ``now`` (taken as started at its planned start) and every job reported started or
   finished are *frozen*: emitted exactly as they were and pinned in ``problem_after`` at their
   start, with a single window ``[start, start]`` and ``duration_min`` = end - start (a
   ``job_delayed`` moves the end; a ``job_finished`` sets it). The stop an engineer is travelling
   to at ``now`` is frozen too (travel under way is not undone), unless he became unavailable or
   reported a position, or the reports leave him busy past ``now`` or unable to make its planned
   arrival. A planned stop a report overlaps or leaves no time to reach is not done (re-planned).
2. **Shifts** are cut by ``engineer_unavailable``: a shift overlapping [from, until) keeps
   [start, from] (extended to let frozen work finish and the engineer drive home) and
   [until, end]; breaks are clipped to the piece they fit, those inside the gap dropped.
   A break whose latest start has passed untaken gets ``latest`` = the time work resumes.
3. **Position** (haversine travel): the future of that engineer's route starts at the reported
   point, no earlier than ``now`` and the travel from his last stop. ``problem_after`` cannot
   hold a mid-route position, so the plan carries it in its times; the contract leg is measured
   from the last stop, which by the triangle inequality is never longer.
4. **Repair** (the default engine, designed for < 2 s on 1,000 jobs): every kept route keeps
   its order; stops are re-timed forward (never earlier than planned); a stop that no longer fits
   goes to a pool with cancelled-engineer work and added jobs; the pool is placed by cheapest
   insertion (critical first), paying ``reassign_cost`` to leave the previous engineer. Jobs the
   events do not touch are never moved voluntarily; a pool job that finds no place may displace
   a lower-priority job, which then moves (counted against ``max_moved_jobs``).
5. **Safety net**: the repaired plan is validated; each future job a rule objects to is taken
   out and re-inserted (the evaluator checks time, parts and tools), unassigned in the last
   round. History is never touched; ``problem_after`` describes what happened (a job reported
   by another engineer needs no skills, parts or tools; overtime worked is in the shift).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from optimizer.compile import PRIORITY_TIER, Compiled, compile_problem
from optimizer.dispatcher.events import (
    Diff,
    EngineerPosition,
    EngineerUnavailable,
    Events,
    JobAdded,
    JobCancelled,
    JobDelayed,
    JobFinished,
    JobStarted,
    Reassigned,
    Retimed,
)
from optimizer.errors import InputError
from optimizer.insertion.board import (
    BIG,
    Board,
    Frozen,
    Item,
    WorkRoute,
    board_plan,
    break_items,
    displacement_candidates,
    schedule,
)
from optimizer.models import (
    Break,
    BreakStop,
    DepotStop,
    HaversineTravel,
    JobStop,
    Pin,
    Plan,
    Priority,
    Problem,
    Shift,
    Stop,
    TimeWindow,
)
from optimizer.travel import travel_matrix


@dataclass(frozen=True)
class ReoptimizeOptions:
    """Stability prices and caps of a re-optimisation (travel minutes are the unit of cost).

    ``reassign_cost`` is paid when a job leaves its engineer, ``retime_cost_per_min`` per
    minute a kept job moves (reassignment must stay dearer than any retiming);
    ``max_moved_jobs`` caps how many jobs the events did not touch may move (change engineer
    or lose their place; None: no cap; 0: never displace anything).
    ``displace_for_unassigned`` lets the plan's unassigned jobs displace lower-priority planned
    jobs too (within the same cap), not only the jobs the events put in the pool: the solver's
    fill pass uses it before the day starts, when nothing has been promised yet. Then the
    jobs still left out get up to ``recreate_rounds`` rounds of ruin and recreate around them
    (``_recreate``). Both stop at ``recreate_until`` (a ``time.perf_counter()`` value) if
    given.

    Solver path (after the repair): ``solver_time_s`` (0: repair only) and ``seed`` of one
    ``optimizer.dispatch.solve`` on a sub-problem of the affected engineers, each with up to
    ``neighbours`` nearest others (at most ``max_sub_engineers`` in all), their future jobs and
    up to ``max_sub_pool`` jobs without a place. ``time_budget_s`` (None: no budget) bounds
    the whole call: the solver gets ``solver_time_s`` or what the repair left of the budget
    (less a reserve for merging and the solver's overrun), whichever is less, and is skipped
    when too little is left.
    """

    reassign_cost: float = 240.0
    retime_cost_per_min: float = 0.1
    max_moved_jobs: int | None = 20
    solver_time_s: float = 1.0
    seed: int = 0
    neighbours: int = 3
    max_sub_engineers: int = 10
    max_sub_pool: int = 15
    time_budget_s: float | None = 2.0
    displace_for_unassigned: bool = False
    recreate_until: float | None = None
    recreate_rounds: int = 0


_AFTER_SOLVE_S = 0.3  # merging, validating and comparing after the solver returns
_SOLVER_OVERRUN_S = 0.3  # how far past its time limit solve() may return (reading, cap)
_MIN_SOLVE_S = 0.3  # below this the solver is not worth starting
_DISPLACE_ROUTE_POOL = 5  # a route's nearest lower-priority jobs a left-out job may take out
_CRITICAL_TIER = PRIORITY_TIER[Priority.CRITICAL]
_HIGH_TIER = PRIORITY_TIER[Priority.HIGH]
_LATE_GAIN_MIN = 15  # minutes of critical lateness a move must save to be kept
_EJECT_POOL = 12  # nearby jobs a left-out job may take out to find its place (_eject)
_EJECT_MAX = 3  # at most this many at once
_EJECT_TRIES = 6  # seeded random picks per size, besides the nearest ones
_RECREATE_POOL = 30  # nearby jobs a ruin and recreate round may take out (_recreate)
_RECREATE_MAX = 8  # at most this many at once
_RECREATE_STALL = 400  # rounds without one more job served before giving up
_MIN_OPEN_MIN = 30  # a route with less time than this beside the drive home is left as it is


def _floor(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def _minutes(a: datetime, b: datetime) -> int:
    return round((b - a).total_seconds() / 60.0)


@dataclass
class _Done:
    """A frozen stop before compilation: original or new stop, engineer, times."""

    engineer: str
    stop: Stop
    reported: bool = False


def _check_events(problem: Problem, plan: Plan, events: Events) -> None:
    jobs = {j.id for j in problem.jobs}
    engs = {e.id for e in problem.engineers}
    errors = []
    added: set[str] = set()
    for k, ev in enumerate(events.events):
        where = f"events[{k}] ({ev.type})"
        if isinstance(ev, JobAdded):
            if ev.job.id in jobs or ev.job.id in added:
                errors.append(f"{where}: job {ev.job.id!r} already exists")
            added.add(ev.job.id)
            for e in [*ev.job.excluded_engineers, *ev.job.preferred_engineers]:
                if e not in engs:
                    errors.append(f"{where}: job {ev.job.id!r} names unknown engineer {e!r}")
        elif isinstance(ev, JobCancelled | JobDelayed | JobStarted | JobFinished) and (
            ev.job not in jobs and ev.job not in added
        ):
                errors.append(f"{where}: unknown job {ev.job!r}")
        if isinstance(
            ev, EngineerUnavailable | JobStarted | JobFinished | EngineerPosition
        ) and ev.engineer not in engs:
                errors.append(f"{where}: unknown engineer {ev.engineer!r}")
    if plan.problem_id != problem.id:
        errors.append(f"plan.problem_id {plan.problem_id!r} is not problem.id {problem.id!r}")
    if errors:
        raise InputError(errors)


def _subtract(start: datetime, end: datetime, gaps: list[tuple[datetime, datetime | None]]):
    """[start, end] minus the unavailable intervals: the pieces left (start, end, cut_after)."""
    pieces = [(start, end, False)]
    for a, b in gaps:
        nxt = []
        for s, e, cut in pieces:
            bb = b if b is not None else datetime.max.replace(tzinfo=a.tzinfo)
            if bb <= s or a >= e:
                nxt.append((s, e, cut))
                continue
            if a > s:
                nxt.append((s, a, True))
            if bb < e:
                nxt.append((bb, e, cut))
        pieces = nxt
    return pieces


def reoptimize(
    problem: Problem,
    plan: Plan,
    events: Events,
    *,
    options: ReoptimizeOptions | None = None,
) -> tuple[Problem, Plan, Diff]:
    """Apply ``events`` to the dispatched ``plan``: the problem as it stands, a valid plan for
    it that keeps history and changes little, and what changed (see the module docstring)."""
    t0 = time.perf_counter()
    opt = options or ReoptimizeOptions()
    _check_events(problem, plan, events)
    now = _floor(events.now)
    warnings: list[str] = []

    added_jobs = [ev.job for ev in events.events if isinstance(ev, JobAdded)]
    started = {ev.job: ev for ev in events.events if isinstance(ev, JobStarted)}
    finished = {ev.job: ev for ev in events.events if isinstance(ev, JobFinished)}
    delayed = {ev.job: _floor(ev.expected_end) for ev in events.events
               if isinstance(ev, JobDelayed)}
    cancelled = {ev.job for ev in events.events if isinstance(ev, JobCancelled)}
    unavailable: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for ev in events.events:
        if isinstance(ev, EngineerUnavailable):
            unavailable.setdefault(ev.engineer, []).append(
                (_floor(ev.from_), None if ev.until is None else _floor(ev.until)))
    position: dict[str, EngineerPosition] = {}
    for ev in events.events:
        if isinstance(ev, EngineerPosition) and (
            ev.engineer not in position or ev.at >= position[ev.engineer].at
        ):
            position[ev.engineer] = ev
    if position and not isinstance(problem.travel, HaversineTravel):
        warnings.append("engineer_position ignored: the travel model is a matrix")
        position = {}
    gone_now = {e for e, iv in unavailable.items() if any(a <= now for a, _ in iv)}

    all_jobs = {j.id: j for j in [*problem.jobs, *added_jobs]}
    planned: dict[str, tuple[str, JobStop]] = {}
    for r in plan.routes:
        for s in r.stops:
            if isinstance(s, JobStop):
                planned[s.job] = (r.engineer, s)
    reported = set(started) | set(finished)

    # ---- 1. history
    done: dict[str, list[_Done]] = {}
    future: dict[tuple[str, int], list[Stop]] = {}
    route_start: dict[tuple[str, int], datetime] = {}
    underway: dict[tuple[str, int], datetime] = {}  # route whose next stop may be under way
    for r in plan.routes:
        key = (r.engineer, r.shift)
        fr: list[_Done] = []
        rest: list[Stop] = []
        for s in r.stops:
            if isinstance(s, JobStop) and (s.job in reported or s.job not in all_jobs):
                continue
            if isinstance(s, JobStop) and s.job in delayed and s.start < now:
                s = s.model_copy(update={"end": max(delayed[s.job], s.start)})
            if rest or not (s.end <= now or s.start < now):
                rest.append(s)
            else:
                fr.append(_Done(r.engineer, s))
        # travel under way toward the next stop: decided once reports have settled history
        if rest and not isinstance(rest[0], BreakStop) and r.engineer not in gone_now \
                and r.engineer not in position and r.start_time <= now \
                and not (isinstance(rest[0], JobStop) and rest[0].job in cancelled) \
                and not any(a < rest[0].end and (b is None or b > now)
                            for a, b in unavailable.get(r.engineer, [])):
            underway[key] = r.start_time  # (not if he is away before that stop ends)
        done.setdefault(r.engineer, []).extend(fr)
        future[key] = rest
        if fr:
            route_start[key] = r.start_time
    durations: dict[str, int] = {}
    for jid in reported:
        ev = started.get(jid) or finished[jid]
        eng = ev.engineer
        job = all_jobs[jid]
        if jid in started:
            s = _floor(started[jid].at)
        elif jid in planned and planned[jid][0] == eng and \
                planned[jid][1].start <= finished[jid].at:
            s = planned[jid][1].start
        else:
            s = _floor(finished[jid].at) - timedelta(minutes=job.duration_min)
        if jid in finished:
            e = _floor(finished[jid].at)
        elif jid in delayed:
            e = delayed[jid]
        else:
            e = s + timedelta(minutes=job.duration_min)
        e = max(e, s)
        done.setdefault(eng, []).append(
            _Done(eng, JobStop(job=jid, arrival=s, start=s, end=e), reported=True))
    # reported stops win over planned history they overlap
    not_done: list[str] = []
    for eng, lst in done.items():
        lst.sort(key=lambda d: d.stop.start)
        keep: list[_Done] = []
        for d in lst:
            clash = [k for k in keep if k.stop.start < d.stop.end and d.stop.start < k.stop.end]
            if not clash:
                keep.append(d)
            elif d.reported:
                for k in clash:
                    if not k.reported:
                        keep.remove(k)
                        if isinstance(k.stop, JobStop):
                            not_done.append(k.stop.job)
                        warnings.append(f"{eng}: planned stop at {k.stop.start.isoformat()} "
                                        "clashes with a reported or delayed job: not done")
                keep.append(d)
            else:
                if isinstance(d.stop, JobStop):
                    not_done.append(d.stop.job)
                warnings.append(f"{eng}: planned stop at {d.stop.start.isoformat()} "
                                "clashes with a reported or delayed job: not done")
        done[eng] = sorted(keep, key=lambda d: d.stop.start)
    _fit_history(problem, all_jobs, done, warnings, not_done)
    for key, rt0 in underway.items():
        eid, si = key
        nxt = future[key][0]
        sh = problem.engineer(eid).shifts[si]
        hist = [d.stop for d in done.get(eid, []) if _in_shift(sh, d.stop.start)]
        chain = _Chain(problem, all_jobs, problem.engineer(eid).start, rt0)
        for st in hist:
            chain.add(st)
        kept = {id(d.stop) for d in done.get(eid, [])}
        r0 = next(r for r in plan.routes if (r.engineer, r.shift) == key)
        lost_depot = any(isinstance(st, DepotStop) and id(st) not in kept and st.start < nxt.start
                         for st in r0.stops)
        needs = isinstance(nxt, JobStop) and nxt.job in all_jobs and bool(
            all_jobs[nxt.job].required_parts or all_jobs[nxt.job].required_tools)
        if chain.end_any <= now and nxt.arrival >= chain.need(chain.loc_of(nxt)) and not (
                lost_depot and needs):  # its parts were to come from a depot stop not done
            done.setdefault(eid, []).append(_Done(eid, nxt))
            done[eid].sort(key=lambda d: d.stop.start)
            future[key] = future[key][1:]
            route_start[key] = rt0
    frozen_job = {d.stop.job: (eng, d) for eng, lst in done.items() for d in lst
                  if isinstance(d.stop, JobStop)}
    for jid in cancelled & set(frozen_job):
        warnings.append(f"job {jid!r} cancelled after it started: kept as history")
    cancelled_out = [j for j in cancelled if j not in frozen_job]

    # ---- 2. problem_after: jobs
    had_it = _reported_without_parts(problem, all_jobs, done)
    new_jobs = []
    for jid, job in all_jobs.items():
        if jid in cancelled_out:
            continue
        if jid in frozen_job:
            eng, d = frozen_job[jid]
            s, e = d.stop.start, d.stop.end
            upd = {"pinned": Pin(engineer=eng, start=s),
                   "time_windows": [TimeWindow(start=s, end=s)],
                   "duration_min": _minutes(s, e)}
            if d.reported and (jid not in planned or planned[jid][0] != eng):
                # what happened: that engineer did it, with what he had
                upd |= {"required_parts": {}, "required_tools": [], "required_skills": {},
                        "excluded_engineers": [], "preferred_engineers": []}
            if jid in had_it:  # done with parts or tools the plan did not give him
                upd |= {"required_parts": {}, "required_tools": []}
            job = job.model_copy(update=upd)
        elif jid in delayed and jid in planned:
            ps = planned[jid][1].start
            durations[jid] = max(job.duration_min, _minutes(ps, delayed[jid]))
            job = job.model_copy(update={"duration_min": durations[jid]})
        new_jobs.append(job)

    # ---- 2b. engineers: shifts cut, missed breaks moved to the resume time
    new_engs = []
    piece_of: dict[tuple[str, int], list[int]] = {}
    for eng in problem.engineers:
        hist = done.get(eng.id, [])
        shifts: list[Shift] = []
        for si, sh in enumerate(eng.shifts):
            late = [d.stop.end for d in hist if d.stop.start > sh.start and not any(
                _in_shift(x, d.stop.start) for x in eng.shifts) and not any(
                sh.start < x.start <= d.stop.start for x in eng.shifts)]
            if late:  # reported work after the shift's limit: the shift ran that long
                sh = sh.model_copy(update={"end": max(sh.end, *late)})
            mine = [d.stop for d in hist if sh.start <= d.stop.start <= sh.end
                    + timedelta(minutes=sh.max_overtime_min)]
            pieces = _subtract(sh.start, sh.end, unavailable.get(eng.id, []))
            if mine and not any(a <= mine[-1].end <= b or a <= mine[0].start <= b
                                for a, b, _ in pieces):
                pieces.append((sh.start, mine[-1].end, True))
            piece_of[(eng.id, si)] = []
            for a, b, cut in sorted(pieces):
                lim = b if cut else b + timedelta(minutes=sh.max_overtime_min)
                in_piece = [s for s in mine if a <= s.start <= lim or (s.start < a and s.end > a)]
                if cut and in_piece:
                    b = max(b, max(in_piece[-1].end, now) + timedelta(minutes=_home_minutes(
                        problem, eng, in_piece)))
                    a = min(a, in_piece[0].start)
                home = _home_minutes(problem, eng, in_piece) if cut else 0
                ot = 0 if cut else sh.max_overtime_min
                home_at = None
                if in_piece and not cut:  # frozen work past the limit: the overtime happened
                    home_at = max(s.end for s in in_piece) + timedelta(
                        minutes=_home_minutes(problem, eng, in_piece))
                resume = max(a, now, in_piece[-1].end if in_piece else a)
                if eng.id in position and a <= now <= lim:  # he first drives to the position
                    last = next((_Chain(problem, all_jobs, eng.start, a).loc_of(x)
                                 for x in reversed(in_piece) if not isinstance(x, BreakStop)),
                                eng.start)
                    resume = max(resume, (in_piece[-1].end if in_piece else now) + timedelta(
                        minutes=int(travel_matrix(problem.travel, [
                            last, position[eng.id].location]).minutes[0, 1])))
                breaks = []
                for br in sh.breaks:
                    taken = any(isinstance(s, BreakStop) and br.earliest <= s.start <= br.latest
                                for s in in_piece)
                    lo, hi = max(br.earliest, a), min(br.latest, b - timedelta(
                        minutes=br.duration_min))
                    if taken:
                        breaks.append(br)
                    elif cut and (hi < resume or max(lo, resume) + timedelta(
                            minutes=br.duration_min + home) > b):
                        continue  # missed, and the engineer is leaving: no break to take
                    elif lo <= hi or (not cut and lo <= b):
                        hi = max(hi, lo)
                        if hi < resume and not cut:
                            hi = resume
                        breaks.append(Break(earliest=min(lo, hi), latest=hi,
                                            duration_min=br.duration_min))
                if home_at is not None:  # ... with the breaks still to take
                    owed = [br for br in breaks if not any(
                        isinstance(s, BreakStop) and br.earliest <= s.start <= br.latest
                        for s in in_piece)]
                    if owed:
                        home_at = max(home_at, now + timedelta(minutes=_home_minutes(
                            problem, eng, in_piece))) + timedelta(
                            minutes=sum(br.duration_min for br in owed))
                    ot = max(ot, _minutes(b, home_at))
                piece_of[(eng.id, si)].append(len(shifts))
                shifts.append(Shift(start=a, end=b, max_overtime_min=ot, breaks=breaks))
        new_engs.append(eng.model_copy(update={"shifts": shifts}))
    after = problem.model_copy(update={"jobs": new_jobs, "engineers": new_engs})
    after = Problem.model_validate(after.model_dump())

    # ---- 3. working routes
    c = compile_problem(after)
    extra = [p.location for p in position.values()]
    if extra:
        tm = travel_matrix(after.travel, [*c.locations, *extra])
        minutes, km = tm.minutes, tm.km
    else:
        minutes, km = c.travel.minutes, c.travel.km
    pos_loc = {e: len(c.locations) + k for k, e in enumerate(position)}
    nowm = c.to_minutes(now)
    routes: list[WorkRoute] = []
    pool: list[int] = []
    old_eng: dict[int, int] = {}
    for jid, (e, _) in planned.items():
        if jid in c.job_index:
            old_eng[c.job_index[jid]] = c.eng_index[e]
    home_of: dict[int, list[Stop]] = {}
    for (eid, si), stops in future.items():
        flats = [piece_of_flat(c, eid, p) for p in piece_of.get((eid, si), [])]
        for st in stops:
            if isinstance(st, JobStop) and (st.job not in c.job_index or st.job in frozen_job):
                continue
            stm = c.to_minutes(st.start)
            home = next((f for f in flats if f >= 0 and c.shift_start[f] <= stm
                         <= c.shift_end[f] + c.shift_max_ot[f]), None)
            if home is not None:
                home_of.setdefault(home, []).append(st)
            elif isinstance(st, JobStop):
                pool.append(c.job_index[st.job])
    for s in range(c.n_shifts):
        e = int(c.shift_engineer[s])
        eid = c.eng_ids[e]
        sh = after.engineers[e].shifts[int(c.shift_index[s])]
        lo, hi = sh.start, sh.end + timedelta(minutes=sh.max_overtime_min)
        prefix = [d.stop for d in done.get(eid, []) if lo <= d.stop.start <= hi]
        home = int(c.eng_start_loc[e])
        r = WorkRoute(eng=e, shift=s, home=home, end_loc=int(c.eng_end_loc[e]),
                      limit=int(c.shift_end[s] + c.shift_max_ot[s]),
                      resume_t=max(int(c.shift_start[s]), nowm), resume_loc=home)
        for st in prefix:
            r.prefix.append(_frozen(c, st))
        if r.prefix:
            orig = [k for k in route_start if k[0] == eid and route_start[k] <= prefix[0].start]
            first_loc = next((x for x in r.prefix if x.loc >= 0), None)
            dep = c.shift_start[s]
            if first_loc is not None:
                dep = max(int(c.shift_start[s]),
                          first_loc.start - int(minutes[home, first_loc.loc]))
            orig = [k for k in orig if c.to_minutes(route_start[k]) >= c.shift_start[s]]
            r.start_time = route_start[max(orig, key=lambda k: route_start[k])] if orig else \
                c.to_datetime(int(dep))
            if not orig and isinstance(r.prefix[0].stop, JobStop) and first_loc is r.prefix[0]:
                st0 = r.prefix[0].stop
                r.prefix[0].stop = st0.model_copy(update={
                    "arrival": min(st0.start, c.to_datetime(int(dep) + int(
                        minutes[home, first_loc.loc])))})
            r.resume_t = max(r.resume_t, max(x.end for x in r.prefix))
            r.resume_loc = next((x.loc for x in reversed(r.prefix) if x.loc >= 0), home)
        if eid in position and r.resume_t <= max(nowm, int(c.shift_start[s])) and \
                int(c.shift_start[s]) <= nowm <= r.limit:
            pl = pos_loc[eid]
            r.resume_t = max(nowm, (max(x.end for x in r.prefix) if r.prefix else nowm)
                             + int(minutes[r.resume_loc, pl]))
            r.resume_loc = pl
        taken = [bi for bi, (a, b, d) in enumerate(c.shift_breaks[s])
                 if any(x.kind == "break" and a <= x.start <= b for x in r.prefix)]
        items: list[Item] = []
        for st in home_of.get(s, []):
            if isinstance(st, JobStop):
                j = c.job_index[st.job]
                stm = c.to_minutes(st.start)
                items.append(Item("job", j, int(c.job_loc[j]), int(c.job_duration[j]),
                                  c.job_windows[j] if c.pinned_start[j] < 0 else np.array(
                                      [[c.pinned_start[j]] * 2], dtype=np.int64), lb=stm))
            elif isinstance(st, DepotStop):
                d = next(i for i, dp in enumerate(after.depots) if dp.id == st.depot)
                stm = c.to_minutes(st.start)
                items.append(Item(
                    "depot", d, int(c.depot_loc[d]), c.to_minutes(st.end) - stm,
                    c.depot_open[d].reshape(1, 2), lb=stm,
                    pickup={c.parts.index(p): q for p, q in st.pickup.items()},
                    pickup_tools=tuple(c.tools.index(t) for t in st.pickup_tools)))
        old_breaks = [st for st in home_of.get(s, []) if isinstance(st, BreakStop)]
        # breaks still to take, at their planned place when there was one
        for b in break_items(c, s, taken):
            planned_b = [st for st in old_breaks
                         if b.windows[0, 0] <= c.to_minutes(st.start) <= b.windows[0, 1]]
            if planned_b:
                b.lb = c.to_minutes(planned_b[0].start)
            at = b.lb if planned_b else int(b.windows[0, 0])
            k = next((i for i, x in enumerate(items) if x.lb >= at), len(items))
            items.insert(k, b)
        r.future = items
        _repair(r, minutes, pool, c)
        routes.append(r)

    # ---- 4. place the pool
    board = Board(c, routes, minutes, km)
    pool += [c.job_index[j] for j in not_done if j in c.job_index and j not in frozen_job]
    for jid in [j.id for j in added_jobs]:
        if jid not in frozen_job and jid in c.job_index:
            pool.append(c.job_index[jid])
    prev_un = [c.job_index[u.job] for u in plan.unassigned if u.job in c.job_index
               and u.job not in frozen_job]
    seen: set[int] = set()
    pool = [j for j in pool if not (j in seen or seen.add(j))]
    touched = {c.job_ids[j] for j in pool}
    pool.sort(key=_urgency(c))
    left: list[int] = []
    moved_budget = [BIG if opt.max_moved_jobs is None else opt.max_moved_jobs]
    for j in pool:
        if not _place(board, j, old_eng, opt) and not _displace(
            board, j, old_eng, opt, moved_budget, left
        ):
            left.append(j)
    for j in sorted(prev_un, key=_urgency(c)):
        if j not in seen and not _place(board, j, old_eng, opt) and not (
            opt.displace_for_unassigned
            and not _past(opt)
            and (_displace(board, j, old_eng, opt, moved_budget, left)
                 or _eject(board, j, old_eng, opt, moved_budget))
        ):
            left.append(j)
    if opt.displace_for_unassigned:
        _critical_on_time(board, old_eng, opt, left)
    if opt.displace_for_unassigned and opt.recreate_rounds > 0 and left:
        left = _recreate(board, left, old_eng, opt)
    prev_reason = {u.job: (u.reason.value, u.detail) for u in plan.unassigned}
    reasons = {j: prev_reason[c.job_ids[j]] for j in left if c.job_ids[j] in prev_reason
               and j in prev_un}
    if opt.displace_for_unassigned:  # before the day: what the search placed had a place
        for j in left:
            if j not in reasons and c.pinned_engineer[j] < 0:
                reasons[j] = ("capacity", "its place went to more urgent or more jobs "
                              "when left-out jobs were placed")
    plan_after = _safety_net(after, board, left, old_eng, opt, reasons, t0, warnings)
    diff = compute_diff(plan, plan_after, added=[j.id for j in added_jobs],
                        cancelled=sorted(cancelled_out), warnings=warnings)
    info: dict[str, object] = {"path": "repair"}
    seconds = opt.solver_time_s
    if opt.time_budget_s is not None:
        seconds = min(seconds, opt.time_budget_s - (time.perf_counter() - t0) - _AFTER_SOLVE_S
                      - _SOLVER_OVERRUN_S)
    if opt.solver_time_s > 0 and seconds < _MIN_SOLVE_S:
        info["solver_note"] = "no time left in the budget for the solver"
    elif opt.solver_time_s > 0:
        seeds = set(unavailable) | set(position)
        seeds |= {ev.engineer for ev in events.events if isinstance(ev, JobStarted | JobFinished)}
        seeds |= {planned[j][0] for j in [*delayed, *cancelled] if j in planned}
        ctx = _Repaired(after=after, c=c, board=board, dispatched=plan, repaired=plan_after,
                        diff=diff, touched=touched, seeds=seeds, position=position, opt=opt)
        better, info = _improve(ctx, seconds)
        if better is not None:
            plan_after = better
            diff = compute_diff(plan, plan_after, added=[j.id for j in added_jobs],
                                cancelled=sorted(cancelled_out), warnings=warnings)
    solver = plan_after.solver.model_copy(
        update={"wall_s": round(time.perf_counter() - t0, 3), **info})
    return after, plan_after.model_copy(update={"solver": solver}), diff


def _in_shift(sh: Shift, t: datetime) -> bool:
    return sh.start <= t <= sh.end + timedelta(minutes=sh.max_overtime_min)


class _Chain:
    """An engineer's frozen stops in one shift, in order: when he can be at the next place.

    Mirrors the contract's time rule (``validate``): the next arrival is at least the last
    located stop's end plus the travel plus the breaks taken since, and after those breaks.
    """

    def __init__(self, problem: Problem, jobs: dict, start, t0: datetime) -> None:
        self.problem, self.jobs = problem, jobs
        self.depots = {d.id: d.location for d in problem.depots}
        self.loc, self.end, self.pause, self.end_any = start, t0, timedelta(0), t0
        self._cache: dict[tuple, int] = {}

    def loc_of(self, st: Stop):
        """The place of a job or depot stop (None for a break)."""
        if isinstance(st, JobStop):
            return self.jobs[st.job].location
        return self.depots[st.depot] if isinstance(st, DepotStop) else None

    def need(self, loc) -> datetime:
        """Earliest arrival at ``loc`` after the stops added so far."""
        k = (self.loc.lat, self.loc.lon, loc.lat, loc.lon)
        if k not in self._cache:
            self._cache[k] = int(travel_matrix(self.problem.travel, [self.loc, loc]).minutes[0, 1])
        return max(self.end + timedelta(minutes=self._cache[k]) + self.pause, self.end_any)

    def fits(self, st: Stop) -> bool:
        """Whether ``st`` can follow the stops added so far as it is."""
        loc = self.loc_of(st)
        return st.start >= self.end_any if loc is None else st.arrival >= self.need(loc)

    def add(self, st: Stop) -> None:
        loc = self.loc_of(st)
        if loc is None:
            self.pause += st.end - st.start
        else:
            self.loc, self.end, self.pause = loc, st.end, timedelta(0)
        self.end_any = max(self.end_any, st.end)


def _fit_history(problem: Problem, jobs: dict, done: dict[str, list[_Done]],
                 warnings: list[str], not_done: list[str]) -> None:
    """Make each engineer's frozen stops a chain the travel model can drive, in time order.

    A reported stop the travel model cannot reach in time from the stop before it (or from home
    at the shift start) moves later; a planned stop that cannot follow the (reported) stop
    before it did not happen as planned: it leaves history (``not_done``, re-planned), since a
    report wins over planned history. The contract plan must stay valid.
    """
    for eid, lst in done.items():
        eng = problem.engineer(eid)
        keep: list[_Done] = []
        chain, cur = None, None
        for d in lst:
            st = d.stop
            sh = next((x for x in eng.shifts if _in_shift(x, st.start)), None) or next(
                (x for x in sorted(eng.shifts, key=lambda x: x.start) if st.start < x.start),
                None)  # reported before his shift: it starts at the shift start at the earliest
            if chain is None or sh is not cur:
                chain, cur = _Chain(problem, jobs, eng.start, sh.start if sh else st.start), sh
            if not chain.fits(st):
                if d.reported:
                    need = chain.need(chain.loc_of(st))
                    shift = need - st.start
                    st = st.model_copy(update={"arrival": need, "start": need,
                                               "end": st.end + shift})
                    d = _Done(eid, st, reported=True)
                    warnings.append(f"{eid}: reported {st.job} moved {shift} later: the travel "
                                    "model cannot reach it in time")
                else:
                    if isinstance(st, JobStop):
                        not_done.append(st.job)
                    warnings.append(f"{eid}: planned stop at {st.start.isoformat()} leaves no "
                                    "time to get there after a reported or delayed job: not done")
                    continue
            chain.add(st)
            keep.append(d)
        done[eid] = keep


def _reported_without_parts(problem: Problem, jobs: dict, done: dict[str, list[_Done]]
                            ) -> set[str]:
    """Reported jobs whose parts or tools the engineer's van and history pick-ups could not
    have supplied by then (e.g. done before a planned depot stop): he had them, so
    ``problem_after`` does not ask for them."""
    out: set[str] = set()
    for eid, lst in done.items():
        eng = problem.engineer(eid)
        stock, tools = dict(eng.van_stock), set(eng.tools)
        for d in sorted(lst, key=lambda d: d.stop.start):
            st = d.stop
            if isinstance(st, DepotStop):
                for p, q in st.pickup.items():
                    stock[p] = stock.get(p, 0) + q
                tools |= set(st.pickup_tools)
            elif isinstance(st, JobStop) and st.job in jobs:
                job = jobs[st.job]
                short = any(stock.get(p, 0) < q for p, q in job.required_parts.items()) or \
                    not set(job.required_tools) <= tools
                if d.reported and short:
                    out.add(st.job)
                    continue
                for p, q in job.required_parts.items():
                    stock[p] = stock.get(p, 0) - q
    return out


def piece_of_flat(c: Compiled, eid: str, piece: int) -> int:
    """Flat shift index of engineer ``eid``'s ``piece``-th shift in the compiled problem."""
    e = c.eng_index[eid]
    hits = np.flatnonzero((c.shift_engineer == e) & (c.shift_index == piece))
    return int(hits[0]) if len(hits) else -1


def _home_minutes(problem: Problem, eng, stops: list[Stop]) -> int:
    last = None
    for s in stops:
        if isinstance(s, JobStop):
            last = problem.job(s.job).location if s.job in {j.id for j in problem.jobs} else last
        elif isinstance(s, DepotStop):
            last = next(d.location for d in problem.depots if d.id == s.depot)
    if last is None:
        return 0
    tm = travel_matrix(problem.travel, [last, eng.end_location])
    return int(tm.minutes[0, 1])


def _frozen(c: Compiled, st: Stop) -> Frozen:
    s, e = c.to_minutes(st.start), c.to_minutes(st.end)
    if isinstance(st, JobStop):
        j = c.job_index[st.job]
        return Frozen(st, "job", j, int(c.job_loc[j]), s, e)
    if isinstance(st, DepotStop):
        d = next(i for i, dp in enumerate(c.problem.depots) if dp.id == st.depot)
        return Frozen(st, "depot", d, int(c.depot_loc[d]), s, e,
                      pickup={c.parts.index(p): q for p, q in st.pickup.items()},
                      pickup_tools=tuple(c.tools.index(t) for t in st.pickup_tools))
    return Frozen(st, "break", -1, -1, s, e)


def _repair(r: WorkRoute, minutes: np.ndarray, pool: list[int], c: Compiled) -> None:
    """Re-time ``r`` keeping its order; drop what no longer fits into ``pool``.

    A break that misses its latest start moves earlier; a job that misses its window, or the
    last job when the route ends too late, leaves; a depot stop that leaves takes the later
    jobs that need parts or tools with it.
    """
    for _ in range(len(r.future) * 4 + 8):
        bad = schedule(r, minutes)
        if bad == -1:
            return
        if bad < len(r.future) and r.future[bad].kind == "break":
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
            ks = [i for i in range(bad) if r.future[i].kind != "break"]
            if not ks:  # nothing to drop before it: widen its window (problem_after does too)
                brk.windows = np.array([[brk.windows[0, 0], BIG // 2]], dtype=np.int64)
                continue
            k = ks[-1]
        elif bad < len(r.future):
            k = bad
        else:
            ks = [i for i, x in enumerate(r.future) if x.kind != "break"]
            if not ks:
                r.ok = False
                return
            k = ks[-1]
        x = r.future.pop(k)
        if x.kind == "job":
            pool.append(x.ref)
        elif x.kind == "depot":
            later = [y for y in r.future[k:] if y.kind == "job"
                     and (c.job_parts[y.ref].any() or c.job_tools[y.ref].any())]
            for y in later:
                r.future.remove(y)
                pool.append(y.ref)
    schedule(r, minutes)


def _settle_idle(board: Board) -> None:
    """A route with history and nothing left to do goes home when its history ends (not at
    ``now``, which may be past the shift's limit)."""
    m = board.minutes
    for r in board.routes:
        if r.prefix and not r.future:
            last = max(r.prefix, key=lambda x: x.end)
            loc = next((x.loc for x in reversed(r.prefix) if x.loc >= 0), r.home)
            r.end_time = min(r.end_time, last.end + int(m[loc, r.end_loc]))


def _culprit(board: Board, ri: int, v) -> int | None:
    """The future job of route ``ri`` to take out for violation ``v`` (None: none)."""
    r = board.routes[ri]
    jobs = [k for k, x in enumerate(r.future) if x.kind == "job"]
    if not jobs:
        return None
    if v.stop is not None:
        k = v.stop - len(r.prefix)
        if k >= 0:
            before = [i for i in jobs if i <= k]
            return r.future[before[-1] if before else jobs[0]].ref
    return r.future[jobs[-1]].ref


def _safety_net(after: Problem, board: Board, left: list[int], old_eng: dict[int, int],
                opt: ReoptimizeOptions, reasons: dict, t0: float, warnings: list[str],
                rounds: int = 4) -> Plan:
    """The repaired plan, with every future job the validator objects to taken out and
    re-inserted (left unassigned in the last round); history is never touched."""
    from optimizer.validate import validate

    c = board.c
    route_of = {(c.eng_ids[r.eng], int(c.shift_index[r.shift])): ri
                for ri, r in enumerate(board.routes)}
    for k in range(rounds + 1):
        _settle_idle(board)
        plan = board_plan(board, left, status="reoptimized", wall_s=time.perf_counter() - t0,
                          reasons=reasons)
        bad = validate(after, plan)
        if not bad or k == rounds:
            return plan
        out: list[int] = []
        future = {x.ref for r in board.routes for x in r.future if x.kind == "job"}
        out: dict[int, str] = {}
        for v in bad:
            ri = route_of.get((v.engineer, v.shift))
            if v.job is not None and v.job in c.job_index:
                j = c.job_index[v.job]
                if j not in future:  # a frozen job: history is never touched
                    j = _culprit(board, ri, v) if ri is not None and v.stop is not None \
                        else None
            else:
                j = _culprit(board, ri, v) if ri is not None else None
            if j is not None and j in future and j not in out:
                out[j] = v.rule.value
        if not out:
            return plan
        for j, rule in out.items():
            board.remove_job(j)
            warnings.append(f"{c.job_ids[j]}: its planned place broke a rule ({rule}): "
                            "re-planned")
        for j in out:
            if k == rounds - 1 or not _place(board, j, old_eng, opt):
                left.append(j)
    return plan


def _eng_cost(board: Board, j: int, old_eng: dict[int, int], opt: ReoptimizeOptions):
    c = board.c
    cost = np.zeros(c.n_engineers)
    if j in old_eng:
        cost += opt.reassign_cost
        cost[old_eng[j]] = 0.0
    if c.preferred[j].any():
        cost += np.where(c.preferred[j], 0.0, 30.0)
    return cost


def _place(board: Board, j: int, old_eng: dict[int, int], opt: ReoptimizeOptions,
           windows: np.ndarray | None = None) -> bool:
    """Place ``j`` at its cheapest insertion (to start inside ``windows`` if given, which then
    stay its windows for later insertions)."""
    mv = board.best_insertion(j, windows=windows, eng_cost=_eng_cost(board, j, old_eng, opt),
                              retime_per_min=opt.retime_cost_per_min)
    return mv is not None and board.apply(mv, windows=windows)


def _urgency(c: Compiled):
    """Sort key: higher priority first, then the earlier closing last window."""
    return lambda j: (-int(c.job_tier[j]), int(c.job_windows[j][-1, 1]))


def _past(opt: ReoptimizeOptions) -> bool:
    """Whether the repair's deadline (``recreate_until``) has passed."""
    return opt.recreate_until is not None and time.perf_counter() > opt.recreate_until


def _swap_in(board: Board, j: int, out: list[int], old_eng, opt,
             windows: np.ndarray | None = None):
    """Take ``out`` off their routes, place ``j`` (inside ``windows`` if given), then place
    ``out`` again in that order. Returns the snapshot that undoes it all and the jobs of
    ``out`` left without a place, or None (the board as it was) when ``j`` finds no place."""
    snap = board.snapshot()
    for v in out:
        board.remove_job(v)
    if not _place(board, j, old_eng, opt, windows):
        board.restore(snap)
        return None
    return snap, [v for v in out if not _place(board, v, old_eng, opt)]


def _displace(board: Board, j: int, old_eng, opt, budget: list[int], left: list[int]) -> bool:
    """Place ``j`` by taking out one lower-priority job that the events did not touch (or,
    when ``displace_for_unassigned``, two or three of one route's nearest): each is placed again
    where it fits, else left out for ``j``, which is worth more than all of them."""
    if budget[0] <= 0:
        return False
    near = displacement_candidates(board, j, 8)
    tries = [[v] for v in near]
    if opt.displace_for_unassigned:
        # two or three of one route's nearest (j goes into one route: a slot may need a
        # morning's worth of lower-priority work)
        tries += _route_groups(board, displacement_candidates(board, j, 40), (2, 3))
    for out in tries:
        if _past(opt):
            return False
        if budget[0] < len(out):
            continue
        swapped = _swap_in(board, j, out, old_eng, opt)
        if swapped is not None:
            budget[0] -= len(out)
            left.extend(swapped[1])
            return True
    return False


def _route_groups(board: Board, candidates: list[int], sizes: tuple[int, ...]) -> list[list[int]]:
    """Groups of ``sizes`` jobs of one route each, among the route's first
    ``_DISPLACE_ROUTE_POOL`` of ``candidates`` (in their order), route by route."""
    route_of = {x.ref: ri for ri, r in enumerate(board.routes) for x in r.future
                if x.kind == "job"}
    per_route: dict[int, list[int]] = {}
    for v in candidates:
        per_route.setdefault(route_of[v], []).append(v)
    return [list(x) for k in sizes for vs in per_route.values()
            for x in itertools.combinations(vs[:_DISPLACE_ROUTE_POOL], k)]


def _eject(board: Board, j: int, old_eng, opt, budget: list[int]) -> bool:
    """Place ``j`` by taking out one, two or three nearby jobs of no higher priority and
    placing them again after it: the nearest first, then seeded random picks. Kept only when
    every job taken out finds a place, so one more job is served and none is lost."""
    if budget[0] <= 0:
        return False
    near = displacement_candidates(board, j, _EJECT_POOL, same_tier=True)
    rng = np.random.default_rng(j)
    tries: list[list[int]] = [[v] for v in near[:8]]
    for k in range(2, _EJECT_MAX + 1):
        tries.append(near[:k])
        tries += [[int(x) for x in rng.choice(near, size=k, replace=False)]
                  for _ in range(_EJECT_TRIES) if len(near) >= k]
    for out in tries:
        if _past(opt):
            return False
        swapped = _swap_in(board, j, sorted(out, key=_urgency(board.c)), old_eng, opt)
        if swapped is not None and not swapped[1]:
            budget[0] -= len(out)
            return True
        if swapped is not None:
            board.restore(swapped[0])
    return False


def _recreate(board: Board, left: list[int], old_eng, opt) -> list[int]:
    """Ruin and recreate around the jobs left out (the most urgent first), before the day
    starts: take a few nearby jobs of no higher priority out of their routes, place the
    left-out job, then the others again. Kept when all find a place (one more job served);
    also kept, half of the time, when exactly one job of the same priority is left out
    instead (a sideways step that reshapes the routes for the next round); otherwise undone.
    Runs until ``recreate_until`` when given (the time is the repair's), else stops after
    ``_RECREATE_STALL`` rounds without a job served. Seeded, so a plan is
    reproducible for a given number of rounds. Returns the jobs still left out."""
    c = board.c
    rng = np.random.default_rng(len(left))
    left = list(left)
    tried = [j for j in left if displacement_candidates(board, j, 1, same_tier=True)]
    since = 0  # rounds since a job was last served
    best = (board.snapshot(), list(left), list(tried))
    for _round in range(opt.recreate_rounds):
        if not tried or _past(opt):
            break
        if since >= _RECREATE_STALL:
            if opt.recreate_until is None:
                break
            # a sideways walk that went nowhere: start again from the best board so far
            board.restore(best[0])
            left, tried, since = list(best[1]), list(best[2]), 0
            continue
        since += 1
        top = max(int(c.job_tier[x]) for x in tried)  # the most urgent left-out jobs first
        urgent = [x for x in tried if int(c.job_tier[x]) == top]
        j = urgent[int(rng.integers(len(urgent)))]
        near = displacement_candidates(board, j, _RECREATE_POOL, same_tier=True)
        if not near:
            tried.remove(j)  # nothing it could take the place of any more
            continue
        k = int(rng.integers(1, min(len(near), _RECREATE_MAX) + 1))
        out = [int(v) for v in rng.choice(near, size=k, replace=False)]
        swapped = _swap_in(board, j, sorted(out, key=_urgency(c)), old_eng, opt)
        if swapped is None:
            continue
        snap, lost = swapped
        if not lost:
            left.remove(j)
            tried.remove(j)
            since = 0
            best = (board.snapshot(), list(left), list(tried))
        elif len(lost) == 1 and c.job_tier[lost[0]] == c.job_tier[j] and rng.random() < 0.5:
            left[left.index(j)] = lost[0]
            tried[tried.index(j)] = lost[0]
        else:
            board.restore(snap)
    return left


def _critical_late(board: Board) -> dict[int, int]:
    """Unpinned critical jobs served after their ``due``: job -> minutes late."""
    c = board.c
    return {x.ref: x.start - int(c.job_due[x.ref]) for r in board.routes for x in r.future
            if x.kind == "job" and int(c.job_tier[x.ref]) == _CRITICAL_TIER
            and 0 <= c.job_due[x.ref] < x.start
            and c.pinned_engineer[x.ref] < 0 and c.pinned_start[x.ref] < 0}


def _saves(board: Board, before: int, need: int) -> bool:
    """Whether critical lateness is now ``need`` minutes or more below ``before``."""
    return sum(_critical_late(board).values()) <= before - need


def _critical_on_time(board: Board, old_eng, opt, left: list[int]) -> None:
    """Bring critical jobs served late to their ``due`` (the search by territory can leave an
    emergency hours late while an engineer who could reach it does low-priority work): take
    the job out and place it again to start by its due, else first take one to three
    lower-priority jobs of one qualified route out of its way (placed again elsewhere if they
    fit, else left out: the emergency standard comes before lower-priority work). A job
    placed so keeps its due as a hard window for the rest of the repair. Kept only when the
    critical jobs' total lateness drops by ``_LATE_GAIN_MIN`` or more, or by all of this
    job's lateness."""
    c = board.c
    for j, _late in sorted(_critical_late(board).items(), key=lambda kv: -kv[1]):
        if _past(opt):
            return
        late = _critical_late(board)
        due = int(c.job_due[j])
        wins = c.job_windows[j]
        wins = np.minimum(wins[wins[:, 0] <= due], due)
        if j not in late or not len(wins):
            continue
        before = sum(late.values())
        need = min(_LATE_GAIN_MIN, late[j])  # on time always counts
        snap = board.snapshot()
        board.remove_job(j)
        if _place(board, j, old_eng, opt, wins) and _saves(board, before, need):
            continue
        board.restore(snap)
        board.remove_job(j)
        start = {x.ref: x.start for r in board.routes for x in r.future if x.kind == "job"}
        out_of_way = [v for v in displacement_candidates(board, j, 60)
                      if int(c.job_tier[v]) < _HIGH_TIER and start[v] <= due]
        done = False
        for out in _route_groups(board, out_of_way, (1, 2, 3)):
            if _past(opt):
                break
            swapped = _swap_in(board, j, sorted(out, key=_urgency(c)), old_eng, opt, wins)
            if swapped is None:
                continue
            if _saves(board, before, need):
                left.extend(swapped[1])
                done = True
                break
            board.restore(swapped[0])
        if not done:
            board.restore(snap)


def compute_diff(before: Plan, after: Plan, *, added: list[str] = (), cancelled: list[str] = (),
                 warnings: list[str] = ()) -> Diff:
    """What changed between two plans (job ids; starts compared to the minute)."""
    def index(p: Plan) -> dict[str, tuple[str, datetime]]:
        return {s.job: (r.engineer, s.start) for r in p.routes for s in r.stops
                if isinstance(s, JobStop)}

    b, a = index(before), index(after)
    added_set = set(added)
    reassigned, retimed, unassigned, placed = [], [], [], []
    unchanged = 0
    for jid, (e1, s1) in a.items():
        if jid in added_set:
            continue
        if jid not in b:
            placed.append(jid)
        elif b[jid][0] != e1:
            reassigned.append(Reassigned(job=jid, from_=b[jid][0], to=e1))
        elif abs((b[jid][1] - s1).total_seconds()) >= 60:
            retimed.append(Retimed(job=jid, from_start=b[jid][1], to_start=s1))
        else:
            unchanged += 1
    for jid in b:
        if jid not in a and jid not in set(cancelled):
            unassigned.append(jid)
    unassigned += [j for j in added if j not in a]
    return Diff(reassigned=reassigned, retimed=retimed, added=[j for j in added if j in a],
                unassigned=unassigned, cancelled=list(cancelled), unchanged=unchanged,
                placed=placed or None, warnings=list(warnings) or None)


# ----------------------------------------------------------------------------- solver path


@dataclass(frozen=True)
class _Repaired:
    """What the repair produced, for the solver path to improve on."""

    after: Problem
    c: Compiled
    board: Board
    dispatched: Plan
    repaired: Plan
    diff: Diff
    touched: set[str]  # jobs the events put in the pool (they had to move)
    seeds: set[str]  # engineers the events name
    position: dict[str, EngineerPosition]
    opt: ReoptimizeOptions


def _improve(x: _Repaired, seconds: float) -> tuple[Plan | None, dict[str, object]]:
    """Solve the affected engineers' sub-problem warm-started from the repair; the merged plan
    if it is valid, within the cap and better (see :func:`_score`), else None; and a note."""
    try:
        from optimizer.dispatch import SolveOptions, Stability, solve
    except ImportError as exc:  # pragma: no cover - the solver package is part of the repo
        return None, {"path": "repair", "solver_note": f"solver unavailable: {exc}"}
    c, board, opt = x.c, x.board, x.opt
    routes = _sub_routes(x)
    if not routes:
        return None, {"path": "repair", "solver_note": "no engineer to re-plan"}
    sub_engs = {c.eng_ids[board.routes[ri].eng] for ri in routes}
    jobs = _sub_jobs(x, routes)
    if not jobs:
        return None, {"path": "repair", "solver_note": "no job to re-plan"}
    sub, shift_route = _sub_problem(x, routes, jobs)
    minute = float(np.mean([c.cost_per_hour[c.eng_index[e]] for e in sub_engs])) / 60.0
    minute = minute if minute > 0 else 1.0
    in_ref = {s.job for r in x.dispatched.routes for s in r.stops if isinstance(s, JobStop)}
    forced = len(x.touched & in_ref & {j.id for j in sub.jobs})
    cap = None if opt.max_moved_jobs is None else opt.max_moved_jobs + forced
    warm = _warm_plan(x, sub, shift_route)
    note: dict[str, object] = {"sub_engineers": len(sub_engs), "sub_jobs": len(sub.jobs)}
    said: list[str] = []
    t0 = time.perf_counter()
    try:
        sol = solve(sub, SolveOptions(
            time_limit_s=seconds, seed=opt.seed, initial_plan=warm, progress=said.append,
            stability=Stability(reference=x.dispatched, reassign_cost=opt.reassign_cost * minute,
                                retime_cost_per_min=opt.retime_cost_per_min * minute,
                                max_moved_jobs=cap)))
    except NotImplementedError as exc:
        return None, note | {"path": "repair", "solver_note": f"NotImplementedError: {exc}"}
    except Exception as exc:  # the repair stays valid whatever the solver does
        return None, note | {"path": "repair",
                             "solver_note": f"solver failed: {type(exc).__name__}: {exc}"}
    note["solver_status"] = sol.solver.status
    note["solver_time_s"] = round(seconds, 3)
    note["solver_wall_s"] = round(time.perf_counter() - t0, 3)
    note["solver_assigned"] = f"{sol.kpis.jobs_assigned}/{sol.kpis.jobs_total}"
    note["warm_start"] = "rejected" if any("warm start rejected" in m for m in said) else "used"
    merged = _merge(x, sub, sol, shift_route)
    from optimizer.validate import validate

    bad = validate(x.after, merged)
    if bad:
        return None, note | {"path": "repair", "solver_note": f"solver plan invalid after "
                             f"merging ({len(bad)} violations: {bad[0]})"}
    moved = _moved_untouched(x, merged)
    if opt.max_moved_jobs is not None and moved > opt.max_moved_jobs:
        return None, note | {"path": "repair", "solver_note": f"solver plan moves {moved} "
                             f"untouched jobs, over the cap of {opt.max_moved_jobs}"}
    s_new, s_old = _score(x, merged), _score(x, x.repaired)
    note |= {"objective_solver": round(s_new[1], 1), "objective_repair": round(s_old[1], 1)}
    if s_new <= s_old:
        return None, note | {"path": "repair", "solver_note": "solver plan is not better"}
    return merged, note | {"path": "solver"}


def _open_routes(board: Board) -> dict[int, int]:
    """Engineer -> the one board route still open (engineers with several are left out)."""
    open_: dict[int, list[int]] = {}
    for i, r in enumerate(board.routes):
        if r.limit > r.resume_t + int(board.minutes[r.resume_loc, r.end_loc]) + _MIN_OPEN_MIN:
            open_.setdefault(r.eng, []).append(i)
    return {e: lst[0] for e, lst in open_.items()
            if len(lst) == 1 and board.routes[lst[0]].ok}


def _points(r: WorkRoute) -> list[int]:
    return [r.resume_loc] + [x.loc for x in r.future if x.kind == "job"]


def _sub_routes(x: _Repaired) -> list[int]:
    """Board routes to re-plan: the engineers the events or the repair touched, and for each,
    and for each job still without a place, the nearest others (by travel between stops)."""
    c, board, opt = x.c, x.board, x.opt
    open_ = _open_routes(board)
    if not open_:
        return []
    engs = sorted(open_)
    pts = [np.asarray(_points(board.routes[open_[e]]), dtype=np.int64) for e in engs]
    owner = np.repeat(np.arange(len(engs)), [len(p) for p in pts])
    allp = np.concatenate(pts)
    m = board.minutes
    changed = set(x.seeds)
    changed |= {r.from_ for r in x.diff.reassigned} | {r.to for r in x.diff.reassigned}
    where = {s.job: r.engineer for r in x.repaired.routes for s in r.stops
             if isinstance(s, JobStop)}
    was = {s.job: r.engineer for r in x.dispatched.routes for s in r.stops
           if isinstance(s, JobStop)}
    changed |= {where[t.job] for t in x.diff.retimed if t.job in where}
    changed |= {where[j] for j in x.diff.added if j in where}
    changed |= {was[j] for j in x.diff.unassigned if j in was}
    chosen: list[int] = []

    def near(src: np.ndarray, allowed: np.ndarray | None = None) -> list[int]:
        d = np.full(len(engs), np.inf)
        np.minimum.at(d, owner, np.minimum(m[np.ix_(src, allp)], m[np.ix_(allp, src)].T)
                      .min(axis=0))
        if allowed is not None:
            d[~allowed] = np.inf
        order = [int(k) for k in np.argsort(d, kind="stable") if np.isfinite(d[k])]
        return [engs[k] for k in order if engs[k] not in chosen][: opt.neighbours]

    for eid in sorted(changed):
        e = c.eng_index.get(eid)
        if e in open_ and e not in chosen:
            chosen.append(e)
    lists = [near(pts[engs.index(e)]) for e in list(chosen)]
    for jid in sorted(x.touched - set(where)):
        j = c.job_index.get(jid)
        if j is not None:
            lists.append(near(np.array([c.job_loc[j]]), c.qualified[j][engs]))
    for k in range(max((len(lst) for lst in lists), default=0)):
        for lst in lists:
            if k < len(lst) and lst[k] not in chosen:
                chosen.append(lst[k])
    return [open_[e] for e in chosen[: opt.max_sub_engineers]]


def _sub_jobs(x: _Repaired, routes: list[int]) -> list[int]:
    """The routes' future jobs, then jobs without a place (touched first, critical first,
    nearest first), at most ``max_sub_pool`` of them."""
    c, board = x.c, x.board
    engs = np.array([board.routes[ri].eng for ri in routes])
    jobs = [it.ref for ri in routes for it in board.routes[ri].future if it.kind == "job"]
    jobs = [j for j in jobs if c.pinned_engineer[j] < 0 or c.pinned_engineer[j] in engs]
    pts = np.concatenate([np.asarray(_points(board.routes[ri]), dtype=np.int64)
                          for ri in routes])
    left = []
    for u in x.repaired.unassigned:
        j = c.job_index[u.job]
        if not c.qualified[j][engs].any() or (
                c.pinned_engineer[j] >= 0 and c.pinned_engineer[j] not in engs):
            continue
        d = int(board.minutes[pts, c.job_loc[j]].min())
        left.append((u.job not in x.touched, -int(c.job_tier[j]), d, j))
    left.sort()
    return jobs + [j for *_, j in left[: x.opt.max_sub_pool]]


def _sub_problem(x: _Repaired, routes: list[int], jobs: list[int]) -> tuple[Problem, dict]:
    """The future of the chosen routes as a problem: each engineer starts where and when his
    route resumes, with the van stock, tools and capacity left after his history (and what his
    other shifts need); the depots keep what the other routes and all history do not take."""
    c, board, after = x.c, x.board, x.after
    engs, shift_route = [], {}
    depot_stock = board.depot_left.copy()
    for ri in routes:
        r = board.routes[ri]
        e = after.engineers[r.eng]
        sh = e.shifts[int(c.shift_index[r.shift])]
        start = c.to_datetime(r.resume_t)
        end = max(sh.end, start)
        breaks = []
        for it in r.future:
            if it.kind == "depot":
                for p, q in it.pickup.items():
                    depot_stock[it.ref, p] += q
            if it.kind != "break":
                continue
            lo = max(int(it.windows[0, 0]), r.resume_t)
            hi = max(lo, min(int(it.windows[0, 1]), r.limit - it.dur))
            breaks.append(Break(earliest=c.to_datetime(lo), latest=c.to_datetime(hi),
                                duration_min=it.dur))
        stock = c.van_stock[r.eng].copy() if len(c.parts) else np.zeros(0, dtype=np.int64)
        tools = c.eng_tools[r.eng].copy() if len(c.tools) else np.zeros(0, dtype=bool)
        load = 0
        for o in board.routes:  # the engineer's other shifts keep their parts (pick-ups
            if o is not r and o.eng == r.eng and len(c.parts):  # there are not counted)
                for it in [*o.prefix, *o.future]:
                    if it.kind == "job":
                        stock = stock - c.job_parts[it.ref]
        for f in r.prefix:
            if f.kind == "job":
                stock = stock - c.job_parts[f.ref] if len(c.parts) else stock
                load += int(c.job_load[f.ref])
            elif f.kind == "depot":
                for p, q in f.pickup.items():
                    stock[p] += q
                tools[list(f.pickup_tools)] = True
        here = x.position[e.id].location if r.resume_loc >= len(c.locations) else \
            c.locations[r.resume_loc]
        engs.append(e.model_copy(update={
            "start": here, "end": c.locations[r.end_loc],
            "shifts": [Shift(start=start, end=end, max_overtime_min=max(
                0, r.limit - c.to_minutes(end)), breaks=breaks)],
            "van_stock": {c.parts[p]: int(q) for p, q in enumerate(stock) if q > 0},
            "tools": [c.tools[t] for t in np.flatnonzero(tools)],
            "capacity": None if e.capacity is None else max(0, e.capacity - load)}))
        shift_route[(e.id, 0)] = ri
    ids = {e.id for e in engs}
    sub_jobs = []
    for j in jobs:
        job = after.jobs[j]
        sub_jobs.append(job.model_copy(update={
            "excluded_engineers": [e for e in job.excluded_engineers if e in ids],
            "preferred_engineers": [e for e in job.preferred_engineers if e in ids]}))
    depots = [d.model_copy(update={"stock": {
        c.parts[p]: int(max(0, depot_stock[k, p])) for p in range(len(c.parts))
        if c.parts[p] in d.stock}}) for k, d in enumerate(after.depots)]
    sub = Problem.model_validate({"id": after.id, "travel": after.travel, "engineers": engs,
                                  "jobs": sub_jobs, "depots": depots})
    return sub, shift_route


def _warm_plan(x: _Repaired, sub: Problem, shift_route: dict) -> Plan:
    """The repair's future on the sub-problem's shifts (the solver's warm start)."""
    from optimizer.models import Route, SolverInfo

    c = x.c
    routes = []
    for (eid, k), ri in shift_route.items():
        r = x.board.routes[ri]
        stops = [JobStop(job=c.job_ids[it.ref], arrival=c.to_datetime(it.arr),
                         start=c.to_datetime(it.start), end=c.to_datetime(it.end))
                 for it in r.future if it.kind == "job"]
        routes.append(Route(engineer=eid, shift=k, start_time=c.to_datetime(r.resume_t),
                            end_time=c.to_datetime(r.end_time), distance_km=0.0,
                            travel_min=0.0, stops=stops))
    return Plan(problem_id=sub.id, routes=routes, kpis=x.repaired.kpis,
                solver=SolverInfo(status="repair", wall_s=0.0))


def _merge(x: _Repaired, sub: Problem, sol: Plan, shift_route: dict) -> Plan:
    """The solver's routes after each engineer's history (frozen stops exactly as they were),
    the other routes as the repair left them; totals recomputed on the contract's travel."""
    from dataclasses import replace as dc_replace

    from optimizer.kpis import compute_kpis
    from optimizer.models import Route

    c, board = x.c, x.board
    by_route = {shift_route[(rt.engineer, rt.shift)]: rt for rt in sol.routes}
    depot_idx = {d.id: k for k, d in enumerate(x.after.depots)}
    tm, tk = c.travel.minutes, c.travel.km
    new_routes = []
    for ri in shift_route.values():
        r = board.routes[ri]
        rt = by_route.get(ri)
        if rt is None:  # no work left: only the breaks still to take
            r2 = dc_replace(r, future=[dc_replace(it, lb=-BIG) for it in r.future
                                       if it.kind == "break"])
            schedule(r2, board.minutes)
            if r2.worked():
                new_routes.append(board.emit(r2))
            continue
        stops = [f.stop for f in r.prefix] + list(rt.stops)
        locs = [int(c.eng_start_loc[r.eng])]
        for st in stops:
            if isinstance(st, JobStop):
                locs.append(int(c.job_loc[c.job_index[st.job]]))
            elif isinstance(st, DepotStop):
                locs.append(int(c.depot_loc[depot_idx[st.depot]]))
        locs.append(int(r.end_loc))
        idx = np.asarray(locs, dtype=np.int64)
        new_routes.append(Route(
            engineer=rt.engineer, shift=int(c.shift_index[r.shift]),
            start_time=r.start_time if r.prefix and r.start_time is not None else rt.start_time,
            end_time=rt.end_time, distance_km=round(float(tk[idx[:-1], idx[1:]].sum()), 3),
            travel_min=float(tm[idx[:-1], idx[1:]].sum()), stops=stops))
    replaced = {(c.eng_ids[board.routes[ri].eng], int(c.shift_index[board.routes[ri].shift]))
                for ri in shift_route.values()}
    sub_jobs = {j.id for j in sub.jobs}
    routes = [rt for rt in x.repaired.routes if (rt.engineer, rt.shift) not in replaced]
    routes += new_routes
    routes.sort(key=lambda rt: (rt.engineer, rt.shift))
    un = [u for u in x.repaired.unassigned if u.job not in sub_jobs] + list(sol.unassigned)
    return Plan(problem_id=x.after.id, routes=routes, unassigned=un,
                kpis=compute_kpis(x.after, routes, un),
                solver=x.repaired.solver.model_copy(
                    update={"solver_status": sol.solver.status}))


def _moved_untouched(x: _Repaired, plan: Plan) -> int:
    """Jobs of the dispatched plan the events did not touch that changed engineer or lost
    their place."""
    d = compute_diff(x.dispatched, plan)
    return sum(r.job not in x.touched for r in d.reassigned) + sum(
        j not in x.touched for j in d.unassigned)


def _score(x: _Repaired, plan: Plan) -> tuple[tuple[int, ...], float]:
    """(jobs served per priority tier, critical first; minus the cost), larger is better.

    The cost is the solver's objective in money: each route's span at its engineer's
    ``cost_per_hour`` and distance at ``cost_per_km``, plus, at the engineers' mean price of a
    minute, ``LATE_WEIGHT`` per minute after a due and the stability costs against the
    dispatched plan (``reassign_cost`` per job on another engineer, ``retime_cost_per_min`` per
    minute a job on the same engineer moved)."""
    from optimizer.insertion.board import LATE_WEIGHT

    c, opt = x.c, x.opt
    minute = float(np.mean(c.cost_per_hour)) / 60.0 if c.n_engineers else 0.0
    minute = minute if minute > 0 else 1.0
    ref = {s.job: (r.engineer, s.start) for r in x.dispatched.routes for s in r.stops
           if isinstance(s, JobStop)}
    served = [0] * (int(c.job_tier.max(initial=0)) + 1)
    money = minutes = 0.0
    for r in plan.routes:
        e = c.eng_index[r.engineer]
        span = (r.end_time - r.start_time).total_seconds() / 60.0
        money += float(c.cost_per_hour[e]) / 60.0 * span + float(c.cost_per_km[e]) * r.distance_km
        for s in r.stops:
            if not isinstance(s, JobStop):
                continue
            j = c.job_index[s.job]
            served[int(c.job_tier[j])] += 1
            if c.job_due[j] >= 0:
                minutes += LATE_WEIGHT * max(0, c.to_minutes(s.start) - int(c.job_due[j]))
            if s.job in ref:
                e0, t0 = ref[s.job]
                if e0 != r.engineer:
                    minutes += opt.reassign_cost
                else:
                    minutes += opt.retime_cost_per_min * abs((s.start - t0).total_seconds()) / 60
    return tuple(reversed(served)), -(money + minute * minutes)

__all__ = ["ReoptimizeOptions", "compute_diff", "reoptimize", "replace"]
