"""The insertion board: a job taken off its route takes its depot detour with it."""

from __future__ import annotations

from optimizer.compile import compile_problem
from optimizer.insertion.board import greedy_plan_routes
from tests.dispatch.helpers import east, engineer, job, problem


def _day(b_needs_tool: bool):
    """One engineer with an empty van; job A needs part p and tool t (so a depot pick-up at
    2 km), job B just beyond it needs tool t or nothing."""
    depot = {"id": "D", "location": east(2), "stock": {"p": 3}, "tools": ["t"], "pickup_min": 5}
    jobs = [job("A", km=10, dur=30, required_parts={"p": 1}, required_tools=["t"]),
            job("B", km=12, dur=30, required_tools=["t"] if b_needs_tool else [])]
    return compile_problem(problem([engineer("E1")], jobs, [depot]))


def _kinds(board):
    return [(x.kind, x.ref) for r in board.routes for x in r.future if x.kind != "break"]


def test_removing_a_job_drops_the_depot_stop_nobody_else_needs():
    c = _day(b_needs_tool=False)
    board, left = greedy_plan_routes(c)
    assert left == []
    assert ("depot", 0) in _kinds(board) and board.depot_left[0, c.parts.index("p")] == 2
    before = [dict(x.__dict__) for x in board.routes[0].future]
    snap = board.snapshot()
    board.remove_job(c.job_index["A"])
    assert _kinds(board) == [("job", c.job_index["B"])]  # no detour left behind
    assert board.depot_left[0, c.parts.index("p")] == 3  # the part is back at the depot
    board.restore(snap)  # undoes the detour's removal too
    after = [dict(x.__dict__) for x in board.routes[0].future]
    assert [(x["kind"], x["ref"], x["pickup"]) for x in after] == \
        [(x["kind"], x["ref"], x["pickup"]) for x in before]
    assert board.depot_left[0, c.parts.index("p")] == 2


def test_a_depot_stop_whose_tool_a_later_job_uses_stays_without_the_part():
    c = _day(b_needs_tool=True)
    board, left = greedy_plan_routes(c)
    assert left == []
    kinds = _kinds(board)
    assert kinds.count(("depot", 0)) == 1  # B uses the tool picked up for A
    board.remove_job(c.job_index["A"])
    depot = next(x for x in board.routes[0].future if x.kind == "depot")
    assert depot.pickup == {} and depot.pickup_tools == (c.tools.index("t"),)
    assert board.depot_left[0, c.parts.index("p")] == 3
    assert board._supplied(board.routes[0].eng)
