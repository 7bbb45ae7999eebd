"""solve's orchestration: the problem compiled once; what the solver did, as data."""

from __future__ import annotations

import importlib

import pytest

import optimizer.compile
import optimizer.dispatch.fill as fill
import optimizer.dispatch.single_model as single_model
from optimizer.dispatch import SolveOptions, solve
from optimizer.models import SolverStatus
from optimizer.synthetic import generate_problem
from optimizer.validate import validate


def test_one_solve_compiles_the_problem_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = optimizer.compile.compile_problem

    def counting(problem):
        calls.append(problem.id)
        return real(problem)

    solve_module = importlib.import_module("optimizer.dispatch.solve")  # (the package's
    # ``solve`` attribute is the function)
    for module in (solve_module, single_model, fill):
        monkeypatch.setattr(module, "compile_problem", counting)
    p = generate_problem(n_jobs=40, n_engineers=4, seed=2)
    # the OR-Tools pipeline (the portfolio's other engines compile in their own process)
    plan = solve(p, SolveOptions(max_solutions=20, engine="ortools"))
    assert plan.unassigned or plan.kpis.jobs_assigned == 40
    assert validate(p, plan) == []
    assert calls == [p.id]  # search, fill pass and insertion day share it


def test_the_status_is_a_solver_status() -> None:
    p = generate_problem(n_jobs=20, n_engineers=3, seed=1)
    plan = solve(p, SolveOptions(max_solutions=5))
    assert isinstance(plan.solver.status, SolverStatus)
    assert plan.solver.status in (SolverStatus.SUCCESS, SolverStatus.PARTIAL_SUCCESS,
                                  SolverStatus.OPTIMAL)
    reread = type(plan).model_validate_json(plan.model_dump_json())
    assert reread.solver.status == plan.solver.status
