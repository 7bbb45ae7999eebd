"""The dispatcher's day up to ``now``: events read, history frozen, the problem as it stands.

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
``problem_after`` describes what happened: a job reported by another engineer needs no skills,
parts or tools; overtime worked is in the shift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from optimizer.dispatcher.events import (
    EngineerPosition,
    EngineerUnavailable,
    Events,
    JobAdded,
    JobCancelled,
    JobDelayed,
    JobFinished,
    JobStarted,
)
from optimizer.errors import InputError
from optimizer.models import (
    Break,
    BreakStop,
    DepotStop,
    HaversineTravel,
    Job,
    JobStop,
    Pin,
    Plan,
    Problem,
    Shift,
    Stop,
    TimeWindow,
)
from optimizer.travel import travel_matrix

Gap = tuple[datetime, datetime | None]  # an engineer away from .. until (None: the day)


def _floor(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def _minutes(a: datetime, b: datetime) -> int:
    return round((b - a).total_seconds() / 60.0)


@dataclass
class DoneStop:
    """A frozen stop before compilation: original or new stop, engineer, times."""

    engineer: str
    stop: Stop
    reported: bool = False


def check_events(problem: Problem, plan: Plan, events: Events) -> None:
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


@dataclass
class DayEvents:
    """The events by kind, times floored to the minute (``now`` too)."""

    now: datetime
    added_jobs: list[Job]
    started: dict[str, JobStarted]
    finished: dict[str, JobFinished]
    delayed: dict[str, datetime]  # job -> expected end
    cancelled: set[str]
    unavailable: dict[str, list[Gap]]  # engineer -> when away
    position: dict[str, EngineerPosition]  # engineer -> latest reported position
    warnings: list[str] = field(default_factory=list)

    @property
    def gone_now(self) -> set[str]:
        """Engineers away at ``now``."""
        return {e for e, iv in self.unavailable.items() if any(a <= self.now for a, _ in iv)}


def read_events(problem: Problem, events: Events) -> DayEvents:
    """``events`` by kind (checked against ``problem`` by :func:`check_events`)."""
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
    return DayEvents(now=_floor(events.now), added_jobs=added_jobs, started=started,
                     finished=finished, delayed=delayed, cancelled=cancelled,
                     unavailable=unavailable, position=position, warnings=warnings)


@dataclass
class History:
    """The day before ``now``: what is frozen per engineer and what is still to do."""

    all_jobs: dict[str, Job]  # the problem's jobs and the added ones
    planned: dict[str, tuple[str, JobStop]]  # job -> (engineer, stop) in the dispatched plan
    done: dict[str, list[DoneStop]]  # engineer -> frozen stops, in time order
    future: dict[tuple[str, int], list[Stop]]  # (engineer, shift) -> stops still to do
    route_start: dict[tuple[str, int], datetime]  # routes with history: their start time
    not_done: list[str]  # planned history a report contradicts: re-planned
    frozen_job: dict[str, tuple[str, DoneStop]]  # job -> (engineer, frozen stop)
    cancelled_out: list[str]  # cancelled jobs that had not started


def freeze_history(problem: Problem, plan: Plan, ev: DayEvents) -> History:
    """Split the dispatched plan at ``now`` (see the module docstring, step 1)."""
    all_jobs = {j.id: j for j in [*problem.jobs, *ev.added_jobs]}
    planned: dict[str, tuple[str, JobStop]] = {}
    for r in plan.routes:
        for s in r.stops:
            if isinstance(s, JobStop):
                planned[s.job] = (r.engineer, s)
    done, future, route_start, underway = _split_routes(plan, ev, all_jobs)
    _add_reported(ev, all_jobs, planned, done)
    not_done = _reports_win(done, ev.warnings)
    _fit_history(problem, all_jobs, done, ev.warnings, not_done)
    _freeze_underway(problem, plan, ev.now, all_jobs, done, future, route_start, underway)
    frozen_job = {d.stop.job: (eng, d) for eng, lst in done.items() for d in lst
                  if isinstance(d.stop, JobStop)}
    for jid in ev.cancelled & set(frozen_job):
        ev.warnings.append(f"job {jid!r} cancelled after it started: kept as history")
    cancelled_out = [j for j in ev.cancelled if j not in frozen_job]
    return History(all_jobs=all_jobs, planned=planned, done=done, future=future,
                   route_start=route_start, not_done=not_done, frozen_job=frozen_job,
                   cancelled_out=cancelled_out)


def _split_routes(plan: Plan, ev: DayEvents, all_jobs: dict[str, Job]):
    """Each route's stops before ``now`` (frozen) and after (future); the routes whose next stop
    may be under way (decided once reports have settled history)."""
    now, delayed, cancelled = ev.now, ev.delayed, ev.cancelled
    reported = set(ev.started) | set(ev.finished)
    gone_now = ev.gone_now
    done: dict[str, list[DoneStop]] = {}
    future: dict[tuple[str, int], list[Stop]] = {}
    route_start: dict[tuple[str, int], datetime] = {}
    underway: dict[tuple[str, int], datetime] = {}  # route whose next stop may be under way
    for r in plan.routes:
        key = (r.engineer, r.shift)
        fr: list[DoneStop] = []
        rest: list[Stop] = []
        for s in r.stops:
            if isinstance(s, JobStop) and (s.job in reported or s.job not in all_jobs):
                continue
            if isinstance(s, JobStop) and s.job in delayed and s.start < now:
                s = s.model_copy(update={"end": max(delayed[s.job], s.start)})
            if rest or not (s.end <= now or s.start < now):
                rest.append(s)
            else:
                fr.append(DoneStop(r.engineer, s))
        # travel under way toward the next stop: decided once reports have settled history
        if rest and not isinstance(rest[0], BreakStop) and r.engineer not in gone_now \
                and r.engineer not in ev.position and r.start_time <= now \
                and not (isinstance(rest[0], JobStop) and rest[0].job in cancelled) \
                and not any(a < rest[0].end and (b is None or b > now)
                            for a, b in ev.unavailable.get(r.engineer, [])):
            underway[key] = r.start_time  # (not if he is away before that stop ends)
        done.setdefault(r.engineer, []).extend(fr)
        future[key] = rest
        if fr:
            route_start[key] = r.start_time
    return done, future, route_start, underway


def _add_reported(ev: DayEvents, all_jobs: dict[str, Job],
                  planned: dict[str, tuple[str, JobStop]], done: dict[str, list[DoneStop]]) -> None:
    """Jobs reported started or finished, as frozen stops of the engineer who reported them."""
    started, finished, delayed = ev.started, ev.finished, ev.delayed
    for jid in set(started) | set(finished):
        report = started.get(jid) or finished[jid]
        eng = report.engineer
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
            DoneStop(eng, JobStop(job=jid, arrival=s, start=s, end=e), reported=True))


def _reports_win(done: dict[str, list[DoneStop]], warnings: list[str]) -> list[str]:
    """Reported stops win over planned history they overlap; the planned jobs that lose are
    returned (not done: re-planned)."""
    not_done: list[str] = []
    for eng, lst in done.items():
        lst.sort(key=lambda d: d.stop.start)
        keep: list[DoneStop] = []
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
    return not_done


def _freeze_underway(problem: Problem, plan: Plan, now: datetime, all_jobs: dict[str, Job],
                     done: dict[str, list[DoneStop]], future: dict[tuple[str, int], list[Stop]],
                     route_start: dict[tuple[str, int], datetime],
                     underway: dict[tuple[str, int], datetime]) -> None:
    """The stop an engineer is driving to at ``now`` joins history when his frozen stops let
    him make its planned arrival (and its parts did not depend on a depot stop not done)."""
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
            done.setdefault(eid, []).append(DoneStop(eid, nxt))
            done[eid].sort(key=lambda d: d.stop.start)
            future[key] = future[key][1:]
            route_start[key] = rt0


# ----------------------------------------------------------------------------- problem after


def problem_after(problem: Problem, ev: DayEvents, h: History
                  ) -> tuple[Problem, dict[tuple[str, int], list[int]]]:
    """The problem as it stands at ``now`` (module docstring, step 2), and for each shift
    (engineer, index) of ``problem`` the indices of its pieces in ``problem_after``."""
    new_jobs = _jobs_after(problem, ev, h)
    new_engs = []
    piece_of: dict[tuple[str, int], list[int]] = {}
    for eng in problem.engineers:
        shifts: list[Shift] = []
        for si, sh in enumerate(eng.shifts):
            piece_of[(eng.id, si)] = []
            for piece in _shift_pieces(problem, eng, sh, ev, h):
                piece_of[(eng.id, si)].append(len(shifts))
                shifts.append(piece)
        new_engs.append(eng.model_copy(update={"shifts": shifts}))
    after = problem.model_copy(update={"jobs": new_jobs, "engineers": new_engs})
    return Problem.model_validate(after.model_dump()), piece_of


def _jobs_after(problem: Problem, ev: DayEvents, h: History) -> list[Job]:
    """Jobs as they stand: cancelled ones gone, frozen ones pinned where they happened (with
    what the engineer had), delayed ones as long as they now take."""
    planned, frozen_job = h.planned, h.frozen_job
    had_it = _reported_without_parts(problem, h.all_jobs, h.done)
    new_jobs = []
    for jid, job in h.all_jobs.items():
        if jid in h.cancelled_out:
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
        elif jid in ev.delayed and jid in planned:
            ps = planned[jid][1].start
            job = job.model_copy(update={
                "duration_min": max(job.duration_min, _minutes(ps, ev.delayed[jid]))})
        new_jobs.append(job)
    return new_jobs


def _shift_pieces(problem: Problem, eng, sh: Shift, ev: DayEvents, h: History) -> list[Shift]:
    """One shift as it stands: cut by the engineer's absences (each piece keeps the frozen
    work in it, and time to drive home), missed breaks moved to when work resumes."""
    now, position = ev.now, ev.position
    hist = h.done.get(eng.id, [])
    late = [d.stop.end for d in hist if d.stop.start > sh.start and not any(
        _in_shift(x, d.stop.start) for x in eng.shifts) and not any(
        sh.start < x.start <= d.stop.start for x in eng.shifts)]
    if late:  # reported work after the shift's limit: the shift ran that long
        sh = sh.model_copy(update={"end": max(sh.end, *late)})
    mine = [d.stop for d in hist if sh.start <= d.stop.start <= sh.end
            + timedelta(minutes=sh.max_overtime_min)]
    pieces = _subtract(sh.start, sh.end, ev.unavailable.get(eng.id, []))
    if mine and not any(a <= mine[-1].end <= b or a <= mine[0].start <= b
                        for a, b, _ in pieces):
        pieces.append((sh.start, mine[-1].end, True))
    out: list[Shift] = []
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
            last = next((_Chain(problem, h.all_jobs, eng.start, a).loc_of(x)
                         for x in reversed(in_piece) if not isinstance(x, BreakStop)),
                        eng.start)
            resume = max(resume, (in_piece[-1].end if in_piece else now) + timedelta(
                minutes=int(travel_matrix(problem.travel, [
                    last, position[eng.id].location]).minutes[0, 1])))
        breaks = _breaks_in_piece(sh, a, b, cut, resume, home, in_piece)
        if home_at is not None:  # ... with the breaks still to take
            owed = [br for br in breaks if not any(
                isinstance(s, BreakStop) and br.earliest <= s.start <= br.latest
                for s in in_piece)]
            if owed:
                home_at = max(home_at, now + timedelta(minutes=_home_minutes(
                    problem, eng, in_piece))) + timedelta(
                    minutes=sum(br.duration_min for br in owed))
            ot = max(ot, _minutes(b, home_at))
        out.append(Shift(start=a, end=b, max_overtime_min=ot, breaks=breaks))
    return out


def _breaks_in_piece(sh: Shift, a: datetime, b: datetime, cut: bool, resume: datetime,
                     home: int, in_piece: list[Stop]) -> list[Break]:
    """The shift's breaks in the piece [a, b]: taken ones kept, missed ones dropped when the
    engineer is leaving (``cut``) or moved to ``resume``, the others clipped to the piece."""
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
    return breaks


# ----------------------------------------------------------------------------- history helpers


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


def _fit_history(problem: Problem, jobs: dict, done: dict[str, list[DoneStop]],
                 warnings: list[str], not_done: list[str]) -> None:
    """Make each engineer's frozen stops a chain the travel model can drive, in time order.

    A reported stop the travel model cannot reach in time from the stop before it (or from home
    at the shift start) moves later; a planned stop that cannot follow the (reported) stop
    before it did not happen as planned: it leaves history (``not_done``, re-planned), since a
    report wins over planned history. The contract plan must stay valid.
    """
    for eid, lst in done.items():
        eng = problem.engineer(eid)
        keep: list[DoneStop] = []
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
                    d = DoneStop(eid, st, reported=True)
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


def _reported_without_parts(problem: Problem, jobs: dict, done: dict[str, list[DoneStop]]
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

