"""The solver path of re-optimisation: valid plans, history kept, the cap honoured, fallback.

Whether the solver's plan beats the repair depends on how much search a time limit buys, so
the tests that check the merged plan make every valid solver plan "better" (``_score``
patched): the path taken is then decided by validity and the cap alone, not by the clock.
"""

from __future__ import annotations

import numpy as np
import pytest

import optimizer.dispatcher.solver_path as solver_path
from optimizer.compile import compile_problem
from optimizer.dispatcher.reoptimize import ReoptimizeOptions, reoptimize
from optimizer.insertion.board import greedy_plan_routes
from optimizer.synthetic import synthetic_events
from optimizer.validate import format_violations, validate

from .test_reoptimize import _floor, _history, day  # noqa: F401 (fixture)

FAST = {"solver_time_s": 0.5, "time_budget_s": None}


@pytest.fixture
def solver_wins(monkeypatch):
    """Every valid solver plan within the cap counts as better than the repair."""
    monkeypatch.setattr(solver_path, "score",
                        lambda x, plan: ((0,), 0.0) if plan is x.repaired else ((1,), 0.0))


def _reported(events) -> set[str]:
    return {e.job for e in events.events if e.type in ("job_started", "job_finished",
                                                        "job_delayed")}


@pytest.mark.parametrize("mix", ["cancelled", "unavailable", "delayed+position",
                                 "started+finished+unavailable_later+added"])
def test_solver_plan_is_valid_and_keeps_history(day, solver_wins, mix):  # noqa: F811
    problem, plan = day
    events = synthetic_events(problem, plan, mix, 2.5)
    after, new_plan, diff = reoptimize(
        problem, plan, events, options=ReoptimizeOptions(max_moved_jobs=None, **FAST))
    info = new_plan.solver.model_dump()
    assert info["path"] == "solver", info
    assert info["sub_engineers"] >= 1
    violations = validate(after, new_plan)
    assert not violations, format_violations(violations)
    if not any("not done" in w for w in diff.warnings or []):
        now = _floor(events.now)
        assert _history(plan, now, _reported(events)) <= _history(new_plan, now,
                                                                   _reported(events))


@pytest.mark.parametrize("cap", [0, 1])
def test_solver_path_honours_the_cap(day, solver_wins, cap):  # noqa: F811
    problem, plan = day
    events = synthetic_events(problem, plan, "cancelled", 2.5)  # touches no job that stays
    after, new_plan, diff = reoptimize(
        problem, plan, events, options=ReoptimizeOptions(max_moved_jobs=cap, **FAST))
    assert not validate(after, new_plan)
    assert len(diff.reassigned) + len(diff.unassigned) <= cap
    note = str(new_plan.solver.model_dump().get("solver_note", ""))
    assert new_plan.solver.model_dump()["path"] == "solver" or "over the cap" in note, note


def test_a_solver_that_fails_leaves_the_repair(day, monkeypatch):  # noqa: F811
    problem, plan = day

    def failing(*_a, **_k):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(solver_path, "solve", failing)
    events = synthetic_events(problem, plan, "unavailable+added", 2.5)
    after, new_plan, _ = reoptimize(problem, plan, events, options=ReoptimizeOptions(**FAST))
    info = new_plan.solver.model_dump()
    assert info["path"] == "repair" and "RuntimeError: out of memory" in info["solver_note"]
    assert not validate(after, new_plan)
    repaired = reoptimize(problem, plan, events,
                          options=ReoptimizeOptions(solver_time_s=0.0))[1]
    assert [r.model_dump() for r in repaired.routes] == [r.model_dump() for r in new_plan.routes]


def test_solver_time_zero_is_repair_only(day, monkeypatch):  # noqa: F811
    problem, plan = day

    def called(*_a, **_k):
        raise AssertionError("the solver was called")

    monkeypatch.setattr(solver_path, "solve", called)
    events = synthetic_events(problem, plan, "cancelled", 2.5)
    _, new_plan, _ = reoptimize(problem, plan, events,
                                options=ReoptimizeOptions(solver_time_s=0.0))
    assert new_plan.solver.model_dump()["path"] == "repair"


def test_retime_cost_is_paid_per_minute_pushed_per_later_job(day):  # noqa: F811
    c = compile_problem(day[0])
    board, _ = greedy_plan_routes(c)
    g = board.gaps
    wide = {"windows": np.array([[-10**6, 10**6]]), "ignore_parts": True,
            "qualified": np.ones(c.n_engineers, dtype=bool)}
    pushed = 0
    for j in range(c.n_jobs):
        free = board.evaluate(j, **wide)
        paid = board.evaluate(j, **wide, retime_per_min=2.5)
        ok = free.ok & (free.delay > 0) & (g.n_after > 0)
        pushed += int(ok.sum())
        np.testing.assert_allclose(paid.cost[ok] - free.cost[ok],
                                   2.5 * free.delay[ok] * g.n_after[ok])
        same = free.ok & ((free.delay == 0) | (g.n_after == 0))
        np.testing.assert_allclose(paid.cost[same], free.cost[same])
    assert pushed, "no insertion pushed a later job: the test shows nothing"


def test_cli_says_which_path_won(day, tmp_path, capsys):  # noqa: F811
    import json

    from optimizer.cli import main

    problem, plan = day
    ev = synthetic_events(problem, plan, "cancelled", 3.0)
    (tmp_path / "p.json").write_text(problem.model_dump_json(exclude_none=True))
    (tmp_path / "plan.json").write_text(plan.model_dump_json(exclude_none=True))
    (tmp_path / "e.json").write_text(json.dumps(ev.dump()))
    rc = main(["reoptimize", str(tmp_path / "p.json"), str(tmp_path / "plan.json"),
               str(tmp_path / "e.json"), "-o", str(tmp_path / "out"), "--solver-time", "0"])
    assert rc == 0
    assert "plan from the repair" in capsys.readouterr().out
    saved = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert saved["solver"]["path"] == "repair"
