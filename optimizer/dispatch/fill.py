"""The fill pass: place jobs the search left out into the gaps of its routes.

The routing search stalls early on large days (guided local search stops finding
improvements long before its time limit), leaving jobs unassigned that still fit between the
planned visits. A cheapest-insertion pass (the dispatcher's repair in
``optimizer.dispatcher.reoptimize``, run with no events, before the day starts) places them
in a fraction of a second: on a
1,000-job day it adds about 7 % more jobs.

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
from datetime import timedelta

from optimizer.models import JobStop, Plan, Priority, Problem, SolverInfo

TIERS = (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW)


def served_by_tier(problem: Problem, plan: Plan) -> tuple[int, ...]:
    """Jobs served, compared in order: pinned, critical, critical by their ``due`` (the
    emergency standard comes before lower-priority work), then high, normal, low."""
    start = {s.job: s.start for r in plan.routes for s in r.stops if isinstance(s, JobStop)}
    jobs = [j for j in problem.jobs if j.id in start]
    pinned = sum(1 for j in jobs if j.pinned is not None)
    critical = [j for j in jobs if j.priority == Priority.CRITICAL]
    on_time = sum(1 for j in critical if j.due is None or start[j.id] <= j.due)
    return (pinned, len(critical), on_time,
            *(sum(1 for j in jobs if j.priority == t) for t in TIERS[1:]))


RECREATE_ROUNDS = 3000  # ruin and recreate rounds at most (a few ms each on a 1,000-job day)


def fill_plan(
    problem: Problem,
    plan: Plan,
    *,
    recreate_until: float | None = None,
    recreate_rounds: int = RECREATE_ROUNDS,
) -> Plan:
    """``plan`` with the unassigned jobs that fit inserted and late critical jobs brought to
    their due where lower-priority work can give way, or ``plan`` itself if nothing improves.

    Jobs that still find no place get up to ``recreate_rounds`` rounds of ruin and recreate
    around them, until ``recreate_until`` (a ``time.perf_counter()`` value) if given."""
    tiers = served_by_tier(problem, plan)
    if not (plan.unassigned or tiers[1] > tiers[2]) or not problem.engineers:
        return plan  # nothing left out, no critical job late
    starts = [sh.start for e in problem.engineers for sh in e.shifts]
    if not starts:
        return plan
    # Local imports: reoptimize itself calls the solver.
    from optimizer.dispatcher.events import Events
    from optimizer.dispatcher.reoptimize import ReoptimizeOptions, reoptimize
    from optimizer.validate import validate

    t0 = time.perf_counter()
    before = min(starts) - timedelta(minutes=1)
    options = ReoptimizeOptions(solver_time_s=0, max_moved_jobs=None, time_budget_s=None,
                                displace_for_unassigned=True, recreate_until=recreate_until,
                                recreate_rounds=recreate_rounds)
    after, filled, _diff = reoptimize(problem, plan, Events(now=before, events=[]),
                                      options=options)
    placed = filled.kpis.jobs_assigned - plan.kpis.jobs_assigned
    if after != problem or served_by_tier(problem, filled) <= tiers:
        return plan
    if validate(problem, filled):
        return plan
    info = plan.solver.model_dump()
    info["wall_s"] = round(plan.solver.wall_s + time.perf_counter() - t0, 3)
    info["fill_placed"] = placed
    return filled.model_copy(update={"solver": SolverInfo(**info)})


def insertion_plan(
    problem: Problem, *, recreate_rounds: int = RECREATE_ROUNDS, until: float | None = None
) -> Plan:
    """A whole day by cheapest insertion alone (the fill pass from an empty plan), in well
    under a second on 400 jobs (without ruin and recreate: ``recreate_rounds=0``; the
    displacements stop at ``until``, a ``time.perf_counter()`` value). ``solve`` repairs it
    instead of the search's plan when it serves more by priority (on a 400-job day with
    parts, depots and breaks, one routing model for the whole day can stall below it)."""
    from optimizer.compile import compile_problem
    from optimizer.dispatch.diagnose import diagnose
    from optimizer.dispatch.read import read_unassigned
    from optimizer.kpis import compute_kpis

    c = compile_problem(problem)
    unassigned = read_unassigned(c, diagnose(c), None, set())  # the reasons if left out
    empty = Plan(problem_id=problem.id, routes=[], unassigned=unassigned,
                 kpis=compute_kpis(problem, [], unassigned),
                 solver=SolverInfo(status="empty", wall_s=0.0))
    return fill_plan(problem, empty, recreate_rounds=recreate_rounds, recreate_until=until)

