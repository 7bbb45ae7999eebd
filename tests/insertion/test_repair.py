"""The repair operators on a board: place, displace by priority, the validator's safety net."""

from __future__ import annotations

from optimizer.compile import compile_problem
from optimizer.insertion.board import Board, empty_routes, greedy_plan_routes
from optimizer.insertion.repair import (
    RepairOptions,
    left_reasons,
    place,
    place_pool,
    safety_net,
)
from optimizer.kpis import served_by_tier
from optimizer.models import Plan
from optimizer.synthetic import generate_problem
from optimizer.validate import validate
from tests.dispatch.helpers import engineer, job, problem


def test_place_pays_to_leave_the_previous_engineer():
    p = problem([engineer("E1"), engineer("E2")], [job("A", km=10)])
    c = compile_problem(p)
    for old, cost in ((0, 240.0), (1, 240.0), (0, 0.0)):
        board = Board(c, empty_routes(c))
        assert place(board, 0, {0: old}, RepairOptions(reassign_cost_min=cost))
        eng = next(r.eng for r in board.routes if r.jobs())
        if cost:
            assert eng == old  # both are as near: the previous engineer keeps it


def test_a_critical_job_displaces_lower_priority_work_when_asked():
    # one engineer, one hour: a low-priority job fills it, a critical one comes after
    p = problem([engineer("E1", shifts=[{"start": "2026-11-24T08:00:00+01:00",
                                          "end": "2026-11-24T09:30:00+01:00"}])],
                [job("L", km=10, dur=60, priority="low"),
                 job("C", km=10, dur=60, priority="critical")])
    c = compile_problem(p)
    board, left = greedy_plan_routes(c, order=[c.job_index["L"], c.job_index["C"]])
    assert left == [c.job_index["C"]]
    for displace, served in ((False, "L"), (True, "C")):
        board, _ = greedy_plan_routes(c, order=[c.job_index["L"]])
        opt = RepairOptions(max_moved_jobs=None if displace else 0,
                            displace_for_unassigned=displace)
        out = place_pool(board, [], [c.job_index["C"]], {}, opt)
        assert [c.job_ids[j] for j in board.routes[0].jobs()] == [served]
        assert [c.job_ids[j] for j in out] == ["L" if served == "C" else "C"]


def test_pool_placement_keeps_the_plan_valid_and_serves_more_by_priority():
    problem_ = generate_problem(n_jobs=60, n_engineers=5, seed=4)
    c = compile_problem(problem_)
    board, left = greedy_plan_routes(c)
    before = safety_net(problem_, board, list(left), {}, RepairOptions(), {}, 0.0, [])
    order = sorted(range(c.n_jobs), key=lambda j: j % 7)  # a worse order: more left out
    board, left = greedy_plan_routes(c, order=order[: c.n_jobs // 2])
    opt = RepairOptions(max_moved_jobs=None, displace_for_unassigned=True, recreate_rounds=50)
    rest = place_pool(board, [], [*left, *order[c.n_jobs // 2:]], {}, opt)
    warnings: list[str] = []
    plan: Plan = safety_net(problem_, board, rest, {}, opt,
                            left_reasons(c, rest, before, rest, opt), 0.0, warnings)
    assert validate(problem_, plan) == []
    assert plan.kpis.jobs_assigned + len(plan.unassigned) == c.n_jobs
    assert served_by_tier(problem_, plan)[:2] >= served_by_tier(problem_, before)[:2]
