"""The fill pass: place jobs the search left out into the gaps of its routes.

The routing search stalls early on large days (guided local search stops finding
improvements long before its time limit), leaving jobs unassigned that still fit between the
planned visits. A cheapest-insertion pass (the repair operators of ``optimizer.insertion``,
on the problem the solver compiled, before the day starts) places them in a fraction of a
second: on a 1,000-job day it adds about 7 % more jobs.

A job that finds no gap may take the place of one lower-priority job (which is then placed
elsewhere if it fits): the search across territories can leave a critical job out while its
only qualified engineer serves low-priority work, and the priority rule says that must not
stand. Jobs still left out then get rounds of ruin and recreate around them (take a few
nearby jobs out, place the left-out one, place the others again), which serves the last
requests the routing search leaves out on tight instances (Pillac's R101). The result is
kept only if it passes the validator and serves a better set by priority (more pinned jobs,
then more critical, then more high, ...), so no job is lost for a lower-priority one.
"""

from __future__ import annotations

import time

from optimizer.compile import Compiled, compile_problem
from optimizer.dispatch.diagnose import diagnose
from optimizer.dispatch.read import read_unassigned
from optimizer.insertion.board import Board
from optimizer.insertion.repair import RepairOptions, left_reasons, place_pool, safety_net
from optimizer.insertion.routes import previous_engineers, routes_from_plan
from optimizer.kpis import plan_of, served_by_tier
from optimizer.models import Plan, Problem, SolverInfo, SolverStatus
from optimizer.validate import validate

RECREATE_ROUNDS = 3000  # ruin and recreate rounds at most (a few ms each on a 1,000-job day)
UNBOUNDED_ROUNDS = 10**9  # ruin and recreate rounds when a deadline bounds them instead


def fill_plan(
    problem: Problem,
    plan: Plan,
    *,
    compiled: Compiled | None = None,
    recreate_until: float | None = None,
    recreate_rounds: int = RECREATE_ROUNDS,
) -> Plan:
    """``plan`` with the unassigned jobs that fit inserted and late critical jobs brought to
    their due where lower-priority work can give way, or ``plan`` itself if nothing improves.

    Jobs that still find no place get up to ``recreate_rounds`` rounds of ruin and recreate
    around them, until ``recreate_until`` (a ``time.perf_counter()`` value) if given.
    ``compiled``: ``problem`` already compiled (the solver's own), else it is compiled here."""
    tiers = served_by_tier(problem, plan)
    if not (plan.unassigned or tiers[1] > tiers[2]) or not problem.engineers:
        return plan  # nothing left out, no critical job late
    if not any(e.shifts for e in problem.engineers):
        return plan
    t0 = time.perf_counter()
    c = compiled if compiled is not None else compile_problem(problem)
    routes, pool = routes_from_plan(c, plan)
    board = Board(c, routes)
    was_left = [c.job_index[u.job] for u in plan.unassigned if u.job in c.job_index]
    old_eng = previous_engineers(c, plan)
    opt = RepairOptions(max_moved_jobs=None, displace_for_unassigned=True,
                        recreate_until=recreate_until, recreate_rounds=recreate_rounds)
    left = place_pool(board, pool, was_left, old_eng, opt)
    reasons = left_reasons(c, left, plan, was_left, opt)
    filled = safety_net(problem, board, left, old_eng, opt, reasons, t0, [])
    if served_by_tier(problem, filled) <= tiers or validate(problem, filled):
        return plan
    info = plan.solver.model_dump()
    info["wall_s"] = round(plan.solver.wall_s + time.perf_counter() - t0, 3)
    info["fill_placed"] = filled.kpis.jobs_assigned - plan.kpis.jobs_assigned
    return filled.model_copy(update={"solver": SolverInfo(**info)})


def insertion_plan(
    problem: Problem,
    *,
    compiled: Compiled | None = None,
    recreate_rounds: int = RECREATE_ROUNDS,
    until: float | None = None,
) -> Plan:
    """A whole day by cheapest insertion alone (the fill pass from an empty plan), in well
    under a second on 400 jobs (without ruin and recreate: ``recreate_rounds=0``; the
    displacements stop at ``until``, a ``time.perf_counter()`` value). ``solve`` repairs it
    instead of the search's plan when it serves more by priority (on a 400-job day with
    parts, depots and breaks, one routing model for the whole day can stall below it)."""
    c = compiled if compiled is not None else compile_problem(problem)
    unassigned = read_unassigned(c, diagnose(c), None, set())  # the reasons if left out
    empty = plan_of(problem, [], unassigned, SolverInfo(status=SolverStatus.EMPTY, wall_s=0.0))
    return fill_plan(problem, empty, compiled=c, recreate_rounds=recreate_rounds,
                     recreate_until=until)
