"""Planning the PM programme: announced visits first, then CP-SAT week by week, then repair.

:func:`plan_maintenance` is the whole planner (data in, :class:`PmPlan` out, no files);
:func:`plan_greedy` is the earliest-due-first baseline the benchmark compares it with. Both
place visits through :class:`~optimizer.maintenance.schedule.Schedule`, which accepts a
placement only when the engineer is qualified (skills and certificates on the day), works that
day and the day's route plus time on site fits ``pm_share`` of the shift.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from optimizer.maintenance.assign import (
    WeekInput,
    build_week,
    make_cells,
    nearest_holders,
    solve_week,
)
from optimizer.maintenance.data import MaintenanceData
from optimizer.maintenance.improve import relocate, repair_late, ruin_recreate, swap
from optimizer.maintenance.schedule import Day, Schedule
from optimizer.maintenance.visits import PlanOptions, PmProblem, compile_problem

Progress = Callable[[str], None]
LOOKAHEAD_DAYS = 14  # a week's model may bring forward visits due up to this much later
LOCAL_ROUNDS = 8  # swap + relocate rounds at most (each until nothing improves)
SOLVE_SHARE = 0.6  # of the time limit for the week models; the local search has the rest


@dataclass(frozen=True)
class PmPlan:
    """A plan: where each visit goes, in route order, and why the others do not."""

    problem: PmProblem
    days: dict[tuple[int, int], Day]  # (engineer, day) -> the day's visits in route order
    where: dict[int, tuple[int, int]]  # visit -> (engineer, day)
    reasons: dict[int, str]  # visit -> why unplanned, or what happened to it (re-assigned)
    method: str
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)


def weeks(problem: PmProblem) -> list[tuple[int, ...]]:
    """Day numbers 1..horizon cut at Mondays (ISO weeks)."""
    out: list[list[int]] = []
    for d in range(1, problem.horizon + 1):
        if not out or problem.date(d).weekday() == 0:
            out.append([])
        out[-1].append(d)
    return [tuple(w) for w in out]


def place_announced(s: Schedule) -> dict[int, str]:
    """Put announced visits on their day; re-assign those whose engineer cannot do it."""
    p = s.p
    reasons: dict[int, str] = {}
    fixed = [v for v in p.visits if v.fixed_day is not None]
    later = []
    for v in fixed:
        e, d = v.fixed_engineer, v.fixed_day
        assert d is not None
        if e is not None and s.insertion(v.index, e, d) is not None:
            s.add(v.index, e, d)
        else:
            later.append(v)
    for v in later:
        d = v.fixed_day
        assert d is not None
        best = s.best_insertion(v.index, [d], p.holders[v.index])
        date = p.date(d)
        if v.fixed_engineer is None:
            why = ""
        else:
            name = p.engineers[v.fixed_engineer].engineer
            if not p.works[v.fixed_engineer, d]:
                why = f"{name} is not available on {date}"
            elif p.expiry.get((v.index, v.fixed_engineer), -1) < d:
                why = f"{name} is not qualified (certified) for it on {date}"
            else:
                why = f"{name}'s PM time on {date} is full"
        if best is None:
            reasons[v.index] = ("announced for " + str(date) + (f", but {why}" if why else "")
                                + "; nobody qualified is free then: agree a new date with "
                                "the customer")
            continue
        s.add(v.index, best[1], best[2])
        if why:
            reasons[v.index] = f"re-assigned to {p.engineers[best[1]].engineer}: {why}"
    return reasons


def _unplaced_reason(p: PmProblem, v: int) -> str:
    visit = p.visits[v]
    last = p.date(visit.last)
    if visit.last < p.horizon:
        return f"no capacity before {last} (contract end)"
    return f"no capacity in the horizon (to {last}) for a qualified engineer"


def _finish(p: PmProblem, s: Schedule, reasons: dict[int, str], method: str, t0: float,
            notes: list[str]) -> PmPlan:
    for v in p.visits:
        if v.index not in s.where and v.index not in reasons:
            reasons[v.index] = _unplaced_reason(p, v.index)
    return PmPlan(problem=p, days=dict(s.days), where=dict(s.where), reasons=reasons,
                  method=method, seconds=time.perf_counter() - t0,
                  notes=tuple(p.notes) + tuple(notes))


def _place_late(s: Schedule, order: list[int]) -> None:
    """Visits still open: the earliest day with room up to their last allowed day."""
    p = s.p
    for v in order:
        if v in s.where:
            continue
        visit = p.visits[v]
        best = s.best_insertion(v, range(max(1, visit.lo), visit.last + 1), p.holders[v])
        if best is not None:
            s.add(v, best[1], best[2])


def _edd(p: PmProblem) -> list[int]:
    free = [v for v in p.visits if v.fixed_day is None]
    return [v.index for v in sorted(free, key=lambda v: (v.due, v.lo, v.index))]


def _place_tight(s: Schedule, order: list[int], most_days: int = 2) -> None:
    """Visits with at most ``most_days`` working days by their due date go first, earliest
    due first: they have no choice, the others do."""
    p = s.p
    for v in order:
        visit = p.visits[v]
        days = range(max(1, visit.lo), min(visit.due, visit.last) + 1)
        open_days = [d for d in days if p.works[list(p.holders[v]), d].any()]
        if 0 < len(open_days) <= most_days:
            best = s.best_insertion(v, open_days, p.holders[v])
            if best is not None:
                s.add(v, best[1], best[2])


def plan_greedy(problem: PmProblem) -> PmPlan:
    """Baseline: earliest due first, each visit on the first day with a qualified engineer with
    room (the cheapest insertion among them), from the earliest day its notice allows."""
    t0 = time.perf_counter()
    s = Schedule(problem)
    reasons = place_announced(s)
    _place_late(s, _edd(problem))
    return _finish(problem, s, reasons, "greedy", t0, [])


def _week_input(p: PmProblem, s: Schedule, days: tuple[int, ...], remaining: list[int],
                capacity_ahead: float) -> WeekInput:
    end = days[-1]
    cands = [v for v in remaining if p.visits[v].lo <= end and p.visits[v].last >= days[0]
             and p.visits[v].due <= end + LOOKAHEAD_DAYS]
    must = frozenset(v for v in cands if p.visits[v].due <= end)
    cap_week = sum(int(p.capacity[e]) for e in range(len(p.engineers)) for d in days
                   if p.works[e, d])
    open_work = sum(p.visits[v].duration_min for v in remaining)
    fixed_here = sum(day.onsite_min for (_, d), day in s.days.items() if d in days)
    fixed_ahead = sum(day.onsite_min for (_, d), day in s.days.items() if d >= days[0])
    share = cap_week / capacity_ahead if capacity_ahead > 0 else 1.0
    target = (open_work + fixed_ahead) * share
    must_work = sum(p.visits[v].duration_min for v in must)
    return WeekInput(days=days, candidates=tuple(cands), must=must,
                     optional_budget_min=int(target - fixed_here - must_work))


def plan_cpsat(problem: PmProblem, progress: Progress | None = None) -> PmPlan:
    """Announced visits, then one CP-SAT model per week (levelled, grouped by cells), each
    week's must-visits repaired by exact insertion, then the rest placed late if at all."""
    t0 = time.perf_counter()
    p, opt = problem, problem.options
    s = Schedule(p)
    reasons = place_announced(s)
    _place_tight(s, _edd(p))
    cells = make_cells(p, opt.seed)
    near = nearest_holders(p)
    blocks = weeks(p)
    cap_by_day = [sum(int(p.capacity[e]) for e in range(len(p.engineers)) if p.works[e, d])
                  for d in range(p.horizon + 1)]
    order = _edd(p)
    # the whole run keeps to time_limit_s: 60 % for the week models (building included),
    # the rest for the local search
    deadline = t0 + opt.time_limit_s
    weeks_until = t0 + SOLVE_SHARE * opt.time_limit_s
    for k, days in enumerate(blocks):
        remaining = [v for v in order if v not in s.where]
        if not remaining:
            break
        ahead = float(sum(cap_by_day[days[0]:]))
        week = _week_input(p, s, days, remaining, ahead)
        model = build_week(p, s, cells, near, week)
        limit = (weeks_until - time.perf_counter()) / (len(blocks) - k)
        t1 = time.perf_counter()
        chosen, status = solve_week(model, limit, opt.workers, opt.seed)
        for v, e, d in chosen:
            if s.insertion(v, e, d) is not None:
                s.add(v, e, d)
        must_open = [v for v in order if v in week.must and v not in s.where]
        _place_late(s, must_open)
        if progress is not None:
            placed = sum(1 for v, _, _ in chosen)
            progress(f"[maintenance] week {k + 1}/{len(blocks)} from {p.date(days[0])}: "
                     f"{len(week.candidates)} candidate visits, {placed} placed by CP-SAT, "
                     f"{len(model.x)} variables, {status}, {time.perf_counter() - t1:.1f} s")
    _place_late(s, order)
    # compliance comes first: the late visits get their repair whatever the time left
    repaired = repair_late(s, near, float("inf"))
    deadline = max(deadline, time.perf_counter() + 1.0)
    week_of = [0] * (p.horizon + 1)
    for k, days in enumerate(blocks):
        for d in days:
            week_of[d] = k
    moved = relocate(s, near, week_of, deadline)
    for _ in range(LOCAL_ROUNDS):
        more = swap(s, near, week_of, deadline)
        more += relocate(s, near, week_of, deadline)
        moved += more
        if not more or time.perf_counter() > deadline:
            break
    moved += ruin_recreate(s, near, week_of, deadline, seed=opt.seed)
    if progress is not None:
        progress(f"[maintenance] local search: {repaired} late visits brought forward, "
                 f"{moved} moves that shorten routes")
    return _finish(p, s, reasons, "cpsat", t0, [])


def plan_maintenance(data: MaintenanceData, today: dt.date, options: PlanOptions | None = None,
                     method: str = "cpsat", progress: Progress | None = None) -> PmPlan:
    """The PM plan for ``today`` (the planning date) over ``options.horizon_days``."""
    options = options or PlanOptions()
    problem = compile_problem(data, today, options)
    if method == "greedy":
        return plan_greedy(problem)
    if method != "cpsat":
        raise ValueError(f"method {method!r}: expected cpsat or greedy")
    return plan_cpsat(problem, progress)
