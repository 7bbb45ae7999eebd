"""Working routes from a plan: stops keep their order and planned starts as lower bounds."""

from __future__ import annotations

from optimizer.compile import compile_problem
from optimizer.insertion.board import StopKind, board_plan, greedy_plan_routes
from optimizer.insertion.routes import previous_engineers, routes_from_plan
from optimizer.models import JobStop
from optimizer.synthetic import generate_problem


def _greedy_day(seed: int = 2):
    problem = generate_problem(n_jobs=40, n_engineers=5, seed=seed)
    c = compile_problem(problem)
    board, left = greedy_plan_routes(c)
    return c, board_plan(board, left, status="greedy", wall_s=0.0)


def test_a_plan_becomes_its_routes_again_unchanged():
    c, plan = _greedy_day()
    routes, pool = routes_from_plan(c, plan)
    assert pool == []  # a valid plan's stops all fit where they are
    by_shift = {(c.eng_ids[r.eng], int(c.shift_index[r.shift])): r for r in routes}
    for route in plan.routes:
        work = by_shift[(route.engineer, route.shift)]
        jobs = [c.job_ids[x.ref] for x in work.future if x.kind == StopKind.JOB]
        assert jobs == [s.job for s in route.stops if isinstance(s, JobStop)]
        starts = {c.job_ids[x.ref]: x.start for x in work.future if x.kind == StopKind.JOB}
        for s in route.stops:
            if isinstance(s, JobStop):  # re-timed forward only, never earlier than planned
                assert starts[s.job] >= c.to_minutes(s.start)


def test_a_stop_that_no_longer_fits_goes_to_the_pool():
    c, plan = _greedy_day()
    route = max(plan.routes, key=lambda r: len(r.stops))
    first = next(s for s in route.stops if isinstance(s, JobStop))
    # the first job now starts at the shift's last minute: the jobs after it cannot follow
    late = first.model_copy(update={"start": route.end_time, "arrival": route.end_time,
                                    "end": route.end_time})
    stops = [late if s is first else s for s in route.stops]
    moved = plan.model_copy(update={"routes": [
        r.model_copy(update={"stops": stops}) if r is route else r for r in plan.routes]})
    _routes, pool = routes_from_plan(c, moved)
    assert pool  # something left its route
    assert all(c.job_ids[j] in {s.job for s in route.stops if isinstance(s, JobStop)}
               for j in pool)


def test_previous_engineers_index_the_plan():
    c, plan = _greedy_day()
    old = previous_engineers(c, plan)
    for r in plan.routes:
        for s in r.stops:
            if isinstance(s, JobStop):
                assert old[c.job_index[s.job]] == c.eng_index[r.engineer]
