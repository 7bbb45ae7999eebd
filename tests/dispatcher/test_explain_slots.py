"""Explanations (relaxations found by re-insertion) and slot offers."""

from __future__ import annotations

import pytest

from optimizer.compile import compile_problem
from optimizer.dispatcher.explain import explain_plan, objective_breakdown
from optimizer.dispatcher.slots import offer_slots
from optimizer.insertion.board import board_plan, greedy_plan_routes
from optimizer.synthetic import generate_problem


@pytest.fixture(scope="module")
def busy():
    problem = generate_problem(n_jobs=90, n_engineers=8, seed=5)
    board, left = greedy_plan_routes(compile_problem(problem))
    return problem, board_plan(board, left, status="greedy", wall_s=0.0)


def test_relaxations_are_ranked_and_named(busy):
    problem, plan = busy
    out = explain_plan(problem, plan)
    assert [u.job for u in out.unassigned] == [u.job for u in plan.unassigned]
    found = [u for u in out.unassigned if u.relaxations]
    assert found, "a busy day has jobs that one relaxation would place"
    for u in found:
        costs = [r.cost for r in u.relaxations]
        assert costs == sorted(costs)
        assert u.relaxations[0].description in u.detail
        for r in u.relaxations:
            assert r.kind in {"window", "overtime", "skill", "part", "displace"}
            if r.kind == "overtime":
                assert r.minutes > 0 and r.engineer


def test_breakdown_counts_every_job(busy):
    problem, plan = busy
    b = objective_breakdown(problem, plan)
    assert sum(t.jobs for t in b.tiers) == len(problem.jobs)
    assert sum(t.unserved for t in b.tiers) == len(plan.unassigned)


def test_slots_start_inside_their_slot_and_are_ranked():
    problem = generate_problem(n_jobs=30, n_engineers=6, seed=2)
    board, left = greedy_plan_routes(compile_problem(problem))
    plan = board_plan(board, left, status="greedy", wall_s=0.0)
    served = plan.routes[0].stops[0].job  # a job somebody is qualified for
    job = problem.job(served).model_copy(update={"id": "CALL-1", "required_parts": {},
                                             "required_tools": [], "time_windows": []})
    offers = offer_slots(problem, plan, job, days=2, slot_min=120)
    assert offers
    for o in offers:
        assert o.start <= o.planned_start < o.end
        assert 0.0 <= o.risk <= 1.0
    # shifts cover one day only: nothing is offered on the second
    assert len({o.start.date() for o in offers}) == 1
    keys = [(round(o.risk * 10 + 0.4999), o.marginal_cost) for o in offers]
    assert keys == sorted(keys)
