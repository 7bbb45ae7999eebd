"""The fill pass places jobs the search left out, never loses one, and keeps plans valid."""

from __future__ import annotations

from optimizer.dispatch import SolveOptions, solve
from optimizer.dispatch.fill import fill_plan
from optimizer.kpis import compute_kpis
from optimizer.models import Plan, SolverInfo
from optimizer.synthetic import generate_problem
from optimizer.validate import validate


def _without(plan: Plan, problem, drop: set[str]) -> Plan:
    """``plan`` with the jobs ``drop`` taken off their routes and reported unassigned."""
    from optimizer.models import JobStop, Unassigned, UnassignedReason

    routes = []
    for r in plan.routes:
        stops = [s for s in r.stops if not (isinstance(s, JobStop) and s.job in drop)]
        routes.append(r.model_copy(update={"stops": stops}))
    unassigned = [*plan.unassigned, *(Unassigned(job=j, reason=UnassignedReason.CAPACITY,
                                                 detail="taken out by the test") for j in drop)]
    out = Plan(problem_id=plan.problem_id, routes=routes, unassigned=unassigned,
               kpis=compute_kpis(problem, routes, unassigned),
               solver=SolverInfo(status="test", wall_s=0.0))
    return out


def test_fill_places_jobs_taken_off_a_plan_and_loses_none():
    problem = generate_problem(40, 5, seed=3)
    plan = solve(problem, SolveOptions(time_limit_s=2, max_solutions=5))
    served = {s.job for r in plan.routes for s in r.stops if s.type == "job"}
    # Take two served jobs off a route: their slots are free again, so they fit back in.
    taken = set(sorted(served)[:2])
    holed = _without(plan, problem, taken)
    filled = fill_plan(problem, holed)
    after = {s.job for r in filled.routes for s in r.stops if s.type == "job"}
    assert validate(problem, filled) == []
    assert served - taken <= after  # nothing the plan served is lost
    assert after & taken  # what was taken off is placed again
    assert filled.solver.model_extra["fill_placed"] == len(after) - len(served - taken)


def test_solver_plans_go_through_the_fill_pass_and_stay_valid():
    problem = generate_problem(120, 8, seed=5)
    plan = solve(problem, SolveOptions(time_limit_s=3, max_solutions=3))
    assert validate(problem, plan) == []
