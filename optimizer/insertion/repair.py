"""Repair operators on a board: place, displace, eject, ruin and recreate, critical on time.

They work on the compiled problem the caller already holds (a ``Board``), so the solver's
fill pass and the dispatcher's re-optimisation share them without building or compiling a
problem again:

- :func:`place`: cheapest insertion, paying ``reassign_cost_min`` to leave the job's previous
  engineer (and a little to leave its preferred ones);
- :func:`displace`: take out one lower-priority job (or, before the day, two or three of one
  route's nearest) to make room; :func:`eject`: take out up to three jobs of no higher priority
  and place them again after it, kept only when every one finds a place;
- :func:`recreate`: rounds of ruin and recreate around the jobs still left out (seeded);
- :func:`critical_on_time`: bring critical jobs served after their ``due`` back to it;
- :func:`place_pool`: the whole sequence over a pool of jobs to place;
- :func:`safety_net`: the contract validator over the result; each future job a rule objects to
  is taken out and placed again (left unassigned in the last round). History is never touched.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.compile import PRIORITY_TIER, Compiled
from optimizer.insertion.board import BIG, Board, StopKind, board_plan, displacement_candidates
from optimizer.models import Plan, Priority, Problem, SolverStatus
from optimizer.validate import validate


@dataclass(frozen=True)
class RepairOptions:
    """Prices and limits of a repair (travel minutes are the unit of cost).

    ``reassign_cost_min`` is paid when a job leaves the engineer it had (``old_eng``),
    ``retime_cost_per_min`` per minute a kept job moves; ``max_moved_jobs`` caps how many jobs
    may be taken out for others (None: no cap; 0: never displace anything).
    ``displace_for_unassigned`` lets jobs that were already unassigned displace and eject too
    (before the day, when nothing has been promised), and enables ``critical_on_time`` and
    up to ``recreate_rounds`` rounds of ruin and recreate. All stop at ``recreate_until`` (a
    ``time.perf_counter()`` value) if given.
    """

    reassign_cost_min: float = 240.0
    retime_cost_per_min: float = 0.1
    max_moved_jobs: int | None = 20
    displace_for_unassigned: bool = False
    recreate_until: float | None = None
    recreate_rounds: int = 0


CRITICAL_TIER = PRIORITY_TIER[Priority.CRITICAL]
HIGH_TIER = PRIORITY_TIER[Priority.HIGH]
PREFERRED_MISS_MIN = 30.0  # travel minutes paid to leave a job's preferred engineers
DISPLACE_ROUTE_POOL = 5  # a route's nearest lower-priority jobs a left-out job may take out
_LATE_GAIN_MIN = 15  # minutes of critical lateness a move must save to be kept
_EJECT_POOL = 12  # nearby jobs a left-out job may take out to find its place (_eject)
_EJECT_MAX = 3  # at most this many at once
_EJECT_TRIES = 6  # seeded random picks per size, besides the nearest ones
_RECREATE_POOL = 30  # nearby jobs a ruin and recreate round may take out (_recreate)
_RECREATE_MAX = 8  # at most this many at once
_RECREATE_STALL = 400  # rounds without one more job served before giving up


def settle_idle(board: Board) -> None:
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
    jobs = [k for k, x in enumerate(r.future) if x.kind == StopKind.JOB]
    if not jobs:
        return None
    if v.stop is not None:
        k = v.stop - len(r.prefix)
        if k >= 0:
            before = [i for i in jobs if i <= k]
            return r.future[before[-1] if before else jobs[0]].ref
    return r.future[jobs[-1]].ref


def safety_net(after: Problem, board: Board, left: list[int], old_eng: dict[int, int],
                opt: RepairOptions, reasons: dict, t0: float, warnings: list[str],
                rounds: int = 4) -> Plan:
    """The repaired plan, with every future job the validator objects to taken out and
    re-inserted (left unassigned in the last round); history is never touched."""
    c = board.c
    route_of = {(c.eng_ids[r.eng], int(c.shift_index[r.shift])): ri
                for ri, r in enumerate(board.routes)}
    for k in range(rounds + 1):
        settle_idle(board)
        plan = board_plan(board, left, status=SolverStatus.REOPTIMIZED,
                          wall_s=time.perf_counter() - t0, reasons=reasons)
        bad = validate(after, plan)
        if not bad or k == rounds:
            return plan
        out: list[int] = []
        future = {x.ref for r in board.routes for x in r.future if x.kind == StopKind.JOB}
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
            if k == rounds - 1 or not place(board, j, old_eng, opt):
                left.append(j)
    return plan


def engineer_cost(board: Board, j: int, old_eng: dict[int, int], opt: RepairOptions):
    c = board.c
    cost = np.zeros(c.n_engineers)
    if j in old_eng:
        cost += opt.reassign_cost_min
        cost[old_eng[j]] = 0.0
    if c.preferred[j].any():
        cost += np.where(c.preferred[j], 0.0, PREFERRED_MISS_MIN)
    return cost


def place(board: Board, j: int, old_eng: dict[int, int], opt: RepairOptions,
           windows: np.ndarray | None = None) -> bool:
    """Place ``j`` at its cheapest insertion (to start inside ``windows`` if given, which then
    stay its windows for later insertions)."""
    mv = board.best_insertion(j, windows=windows, eng_cost=engineer_cost(board, j, old_eng, opt),
                              retime_per_min=opt.retime_cost_per_min)
    return mv is not None and board.apply(mv, windows=windows)


def urgency(c: Compiled):
    """Sort key: higher priority first, then the earlier closing last window."""
    return lambda j: (-int(c.job_tier[j]), int(c.job_windows[j][-1, 1]))


def past_deadline(opt: RepairOptions) -> bool:
    """Whether the repair's deadline (``recreate_until``) has passed."""
    return opt.recreate_until is not None and time.perf_counter() > opt.recreate_until


def swap_in(board: Board, j: int, out: list[int], old_eng, opt,
             windows: np.ndarray | None = None):
    """Take ``out`` off their routes, place ``j`` (inside ``windows`` if given), then place
    ``out`` again in that order. Returns the snapshot that undoes it all and the jobs of
    ``out`` left without a place, or None (the board as it was) when ``j`` finds no place."""
    snap = board.snapshot()
    for v in out:
        board.remove_job(v)
    if not place(board, j, old_eng, opt, windows):
        board.restore(snap)
        return None
    return snap, [v for v in out if not place(board, v, old_eng, opt)]


def displace(board: Board, j: int, old_eng, opt, budget: list[int], left: list[int]) -> bool:
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
        tries += route_groups(board, displacement_candidates(board, j, 40), (2, 3))
    for out in tries:
        if past_deadline(opt):
            return False
        if budget[0] < len(out):
            continue
        swapped = swap_in(board, j, out, old_eng, opt)
        if swapped is not None:
            budget[0] -= len(out)
            left.extend(swapped[1])
            return True
    return False


def route_groups(board: Board, candidates: list[int], sizes: tuple[int, ...]) -> list[list[int]]:
    """Groups of ``sizes`` jobs of one route each, among the route's first
    ``DISPLACE_ROUTE_POOL`` of ``candidates`` (in their order), route by route."""
    route_of = {x.ref: ri for ri, r in enumerate(board.routes) for x in r.future
                if x.kind == StopKind.JOB}
    per_route: dict[int, list[int]] = {}
    for v in candidates:
        per_route.setdefault(route_of[v], []).append(v)
    return [list(x) for k in sizes for vs in per_route.values()
            for x in itertools.combinations(vs[:DISPLACE_ROUTE_POOL], k)]


def eject(board: Board, j: int, old_eng, opt, budget: list[int]) -> bool:
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
        if past_deadline(opt):
            return False
        swapped = swap_in(board, j, sorted(out, key=urgency(board.c)), old_eng, opt)
        if swapped is not None and not swapped[1]:
            budget[0] -= len(out)
            return True
        if swapped is not None:
            board.restore(swapped[0])
    return False


def recreate(board: Board, left: list[int], old_eng, opt) -> list[int]:
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
        if not tried or past_deadline(opt):
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
        swapped = swap_in(board, j, sorted(out, key=urgency(c)), old_eng, opt)
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


def critical_late(board: Board) -> dict[int, int]:
    """Unpinned critical jobs served after their ``due``: job -> minutes late."""
    c = board.c
    return {x.ref: x.start - int(c.job_due[x.ref]) for r in board.routes for x in r.future
            if x.kind == StopKind.JOB and int(c.job_tier[x.ref]) == CRITICAL_TIER
            and 0 <= c.job_due[x.ref] < x.start
            and c.pinned_engineer[x.ref] < 0 and c.pinned_start[x.ref] < 0}


def _saves(board: Board, before: int, need: int) -> bool:
    """Whether critical lateness is now ``need`` minutes or more below ``before``."""
    return sum(critical_late(board).values()) <= before - need


def critical_on_time(board: Board, old_eng, opt, left: list[int]) -> None:
    """Bring critical jobs served late to their ``due`` (the search by territory can leave an
    emergency hours late while an engineer who could reach it does low-priority work): take
    the job out and place it again to start by its due, else first take one to three
    lower-priority jobs of one qualified route out of its way (placed again elsewhere if they
    fit, else left out: the emergency standard comes before lower-priority work). A job
    placed so keeps its due as a hard window for the rest of the repair. Kept only when the
    critical jobs' total lateness drops by ``_LATE_GAIN_MIN`` or more, or by all of this
    job's lateness."""
    c = board.c
    for j, _late in sorted(critical_late(board).items(), key=lambda kv: -kv[1]):
        if past_deadline(opt):
            return
        late = critical_late(board)
        due = int(c.job_due[j])
        wins = c.job_windows[j]
        wins = np.minimum(wins[wins[:, 0] <= due], due)
        if j not in late or not len(wins):
            continue
        before = sum(late.values())
        need = min(_LATE_GAIN_MIN, late[j])  # on time always counts
        snap = board.snapshot()
        board.remove_job(j)
        if place(board, j, old_eng, opt, wins) and _saves(board, before, need):
            continue
        board.restore(snap)
        board.remove_job(j)
        start = {x.ref: x.start for r in board.routes for x in r.future if x.kind == StopKind.JOB}
        out_of_way = [v for v in displacement_candidates(board, j, 60)
                      if int(c.job_tier[v]) < HIGH_TIER and start[v] <= due]
        done = False
        for out in route_groups(board, out_of_way, (1, 2, 3)):
            if past_deadline(opt):
                break
            swapped = swap_in(board, j, sorted(out, key=urgency(c)), old_eng, opt, wins)
            if swapped is None:
                continue
            if _saves(board, before, need):
                left.extend(swapped[1])
                done = True
                break
            board.restore(swapped[0])
        if not done:
            board.restore(snap)


def place_pool(board: Board, pool: Sequence[int], unassigned: Sequence[int],
               old_eng: dict[int, int], opt: RepairOptions) -> list[int]:
    """Place ``pool`` (jobs that must find a new place), the most urgent first, each at its
    cheapest insertion or by displacing a lower-priority job; then try the jobs already
    ``unassigned`` (with ``displace_for_unassigned`` also by displacing and ejecting, then
    critical jobs brought on time and ruin and recreate). Returns the jobs left out."""
    c = board.c
    seen: set[int] = set()
    pool = [j for j in pool if not (j in seen or seen.add(j))]
    pool.sort(key=urgency(c))
    left: list[int] = []
    moved_budget = [BIG if opt.max_moved_jobs is None else opt.max_moved_jobs]
    for j in pool:
        if not place(board, j, old_eng, opt) and not displace(
            board, j, old_eng, opt, moved_budget, left
        ):
            left.append(j)
    for j in sorted(unassigned, key=urgency(c)):
        if j not in seen and not place(board, j, old_eng, opt) and not (
            opt.displace_for_unassigned
            and not past_deadline(opt)
            and (displace(board, j, old_eng, opt, moved_budget, left)
                 or eject(board, j, old_eng, opt, moved_budget))
        ):
            left.append(j)
    if opt.displace_for_unassigned:
        critical_on_time(board, old_eng, opt, left)
    if opt.displace_for_unassigned and opt.recreate_rounds > 0 and left:
        left = recreate(board, left, old_eng, opt)
    return left


def left_reasons(c: Compiled, left: Sequence[int], before: Plan, unassigned: Sequence[int],
                 opt: RepairOptions) -> dict[int, tuple[str, str]]:
    """Why each job left out is unassigned, where known: the reason ``before`` gave for a job
    it already left out; before the day (``displace_for_unassigned``), a job the search had
    placed lost its place to more urgent or more jobs. Others get theirs from the board."""
    prev_reason = {u.job: (u.reason.value, u.detail) for u in before.unassigned}
    reasons = {j: prev_reason[c.job_ids[j]] for j in left if c.job_ids[j] in prev_reason
               and j in unassigned}
    if opt.displace_for_unassigned:  # before the day: what the search placed had a place
        for j in left:
            if j not in reasons and c.pinned_engineer[j] < 0:
                reasons[j] = ("capacity", "its place went to more urgent or more jobs "
                              "when left-out jobs were placed")
    return reasons
