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


def _one_slot_day():
    """One engineer whose 08:00-09:10 shift fits one 60-minute job: a low-priority job L and
    a critical job C at the same place, both only for him."""
    from tests.examples import at

    points = [{"id": n, "lat": 10.0 + i / 100, "lon": 20.0} for i, n in enumerate(["H", "X"])]
    x = {"lat": points[1]["lat"], "lon": points[1]["lon"]}
    return {
        "id": "one-slot",
        "travel": {"model": "matrix", "points": points,
                   "duration_min": [[0, 5], [5, 0]], "distance_km": [[0, 2], [2, 0]]},
        "engineers": [{"id": "E1", "start": {"lat": points[0]["lat"], "lon": 20.0},
                       "shifts": [{"start": at("08:00"), "end": at("09:10")}],
                       "skills": {"x": 1}}],
        "jobs": [
            {"id": "L", "location": x, "duration_min": 60, "priority": "low",
             "required_skills": {"x": 1}},
            {"id": "C", "location": x, "duration_min": 60, "priority": "critical",
             "required_skills": {"x": 1}},
        ],
        "depots": [],
    }


def _with_kpis(problem, plan: dict) -> Plan:
    bare = Plan.model_validate({**plan, "kpis": {
        "jobs_total": 0, "jobs_assigned": 0, "jobs_unassigned": 0, "on_time_pct": 0,
        "distance_km": 0, "travel_min": 0, "work_min": 0, "overtime_min": 0,
        "utilisation_pct": 0}})
    return bare.model_copy(update={"kpis": compute_kpis(problem, bare.routes, bare.unassigned)})


def test_fill_lets_an_unassigned_critical_job_take_a_low_priority_jobs_place():
    from optimizer.models import Problem
    from tests.examples import at

    problem = Problem.model_validate(_one_slot_day())
    low_only = _with_kpis(problem, {
        "problem_id": "one-slot",
        "routes": [{"engineer": "E1", "shift": 0, "start_time": at("08:00"),
                    "end_time": at("09:10"), "distance_km": 4.0, "travel_min": 10,
                    "stops": [{"type": "job", "job": "L", "arrival": at("08:05"),
                               "start": at("08:05"), "end": at("09:05")}]}],
        "unassigned": [{"job": "C", "reason": "capacity", "detail": "no time left"}],
        "solver": {"status": "hand-made", "wall_s": 0.0},
    })
    assert validate(problem, low_only) == []
    filled = fill_plan(problem, low_only)
    served = {s.job for r in filled.routes for s in r.stops if s.type == "job"}
    assert served == {"C"}
    assert [u.job for u in filled.unassigned] == ["L"]
    assert validate(problem, filled) == []


def test_insertion_plan_serves_by_priority_and_is_valid():
    from optimizer.dispatch.fill import insertion_plan
    from optimizer.kpis import served_by_tier
    from optimizer.models import Problem

    problem = Problem.model_validate(_one_slot_day())
    plan = insertion_plan(problem)
    assert validate(problem, plan) == []
    assert served_by_tier(problem, plan) == (0, 1, 1, 0, 0, 0)  # C served, L left out
    big = generate_problem(80, 6, seed=4)
    greedy = insertion_plan(big)
    assert validate(big, greedy) == []
    assert greedy.kpis.jobs_assigned + len(greedy.unassigned) == len(big.jobs)
    assert greedy.kpis.jobs_assigned > 0


def test_the_search_accepts_a_cheapest_insertion_plan_as_warm_start():
    # Depot pick-ups of an insertion plan (the fill pass, the dispatcher's repair) may be at
    # a depot the model would not lay out for that job, and several jobs may share one
    # stop's tool: the warm start must still be a solution of the model.
    from optimizer.dispatch.fill import insertion_plan
    from optimizer.kpis import served_by_tier

    problem = generate_problem(120, 10, seed=2)
    greedy = insertion_plan(problem)
    assert any(s.type == "depot" for r in greedy.routes for s in r.stops)
    log: list[str] = []
    again = solve(problem, SolveOptions(max_solutions=3, initial_plan=greedy,
                                        progress=log.append))
    assert not any("warm start rejected" in m for m in log), log
    assert served_by_tier(problem, again) >= served_by_tier(problem, greedy)
    assert validate(problem, again) == []


def test_ruin_and_recreate_serves_jobs_cheapest_insertion_leaves_out():
    from optimizer.compile import compile_problem
    from optimizer.dispatch.diagnose import diagnose
    from optimizer.dispatch.read import read_unassigned
    from optimizer.kpis import served_by_tier

    problem = generate_problem(120, 10, seed=4)
    c = compile_problem(problem)
    unassigned = read_unassigned(c, diagnose(c), None, set())
    empty = Plan(problem_id=problem.id, routes=[], unassigned=unassigned,
                 kpis=compute_kpis(problem, [], unassigned),
                 solver=SolverInfo(status="empty", wall_s=0.0))
    greedy = fill_plan(problem, empty, recreate_rounds=0)
    recreated = fill_plan(problem, empty, recreate_rounds=3000)
    assert validate(problem, greedy) == [] and validate(problem, recreated) == []
    assert served_by_tier(problem, recreated) > served_by_tier(problem, greedy)
    again = fill_plan(problem, empty, recreate_rounds=3000)  # seeded: the same plan again
    assert again.model_dump(exclude={"solver"}) == recreated.model_dump(exclude={"solver"})


def test_fill_brings_a_late_critical_job_to_its_due_before_low_priority_work():
    # One engineer, 08:00-10:10: L (low, must start by 08:30) then C (critical, due 08:30)
    # served late at 09:05. C cannot go first while L stays (L would miss its window), so L
    # gives way: the emergency standard comes before lower-priority work.
    from optimizer.models import Problem
    from tests.examples import at

    day = _one_slot_day()
    day["engineers"][0]["shifts"][0]["end"] = at("10:10")
    day["jobs"][0]["time_windows"] = [{"start": at("08:00"), "end": at("08:30")}]
    day["jobs"][1]["due"] = at("08:30")
    problem = Problem.model_validate(day)
    late = _with_kpis(problem, {
        "problem_id": "one-slot",
        "routes": [{"engineer": "E1", "shift": 0, "start_time": at("08:00"),
                    "end_time": at("10:10"), "distance_km": 4.0, "travel_min": 10,
                    "stops": [{"type": "job", "job": "L", "arrival": at("08:05"),
                               "start": at("08:05"), "end": at("09:05")},
                              {"type": "job", "job": "C", "arrival": at("09:05"),
                               "start": at("09:05"), "end": at("10:05")}]}],
        "unassigned": [],
        "solver": {"status": "hand-made", "wall_s": 0.0},
    })
    assert validate(problem, late) == []
    filled = fill_plan(problem, late)
    starts = {s.job: s.start for r in filled.routes for s in r.stops if s.type == "job"}
    assert list(starts) == ["C"] and starts["C"] <= problem.jobs[1].due
    assert [u.job for u in filled.unassigned] == ["L"]
    assert validate(problem, filled) == []
