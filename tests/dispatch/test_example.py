"""The contract example solves to a valid plan."""

from __future__ import annotations

from pathlib import Path

from optimizer.dispatch import SolveOptions, solve
from optimizer.models import Problem
from optimizer.validate import validate

CONTRACT = Path("/work/shared/contract")


def test_contract_example_valid() -> None:
    p = Problem.model_validate_json((CONTRACT / "problem.example.json").read_text())
    msgs: list[str] = []
    plan = solve(p, SolveOptions(max_solutions=100, progress=msgs.append))
    assert validate(p, plan) == []
    assert {u.job: u.reason.value for u in plan.unassigned} == {"J005": "no_qualified_engineer"}
    assert plan.unassigned[0].detail == "needs gas level 1; no engineer has it"
    assert plan.kpis.jobs_assigned == 4
    assert msgs and all("\n" not in m for m in msgs)
    assert plan.solver.status in ("success", "optimal", "partial_success")
