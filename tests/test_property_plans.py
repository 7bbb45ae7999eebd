"""Property tests: for generated problems, every plan the solver returns is valid.

The solver tests skip, saying why, while ``optimizer.dispatch.solve`` raises
NotImplementedError (checked at run time). Problems that once broke the solver are kept as
``tests/data/solver-*.json`` and replayed. Run more examples with
``HYPOTHESIS_PROFILE=plans-thorough``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from examples import DATA, tiny_problem
from hypothesis import given, settings
from strategies import INFEASIBLE_KINDS, SKILLS, TOOLS, Generated, problems

from optimizer.dispatch import SolveOptions, solve
from optimizer.kpis import compute_kpis
from optimizer.models import JobStop, Plan, Problem, Unassigned, UnassignedReason
from optimizer.validate import format_violations, validate

PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "plans-fast"))
if PROFILE.deadline is not None:  # a global profile was named: keep our deadline rule
    PROFILE = settings(PROFILE, deadline=None)
OPTIONS = SolveOptions(time_limit_s=2.0, max_solutions=10, seed=0)
FIXTURES = sorted(DATA.glob("solver-*.json"))


@cache
def _solver_missing() -> str | None:
    """Why the solver cannot be tested yet, or None once ``solve`` is implemented."""
    try:
        solve(Problem.model_validate(tiny_problem()), SolveOptions(time_limit_s=1.0))
    except NotImplementedError as exc:
        return f"optimizer.dispatch.solve is not implemented yet ({exc})"
    return None


def _require_solver() -> None:
    reason = _solver_missing()
    if reason is not None:
        pytest.skip(reason)


def _check_plan(problem: Problem, plan: Plan, expected: dict[str, Any], data: Any) -> None:
    """The plan is valid, has every job once, and gives designed-infeasible jobs their reason."""
    dump = json.dumps(data, sort_keys=True)
    violations = validate(problem, plan)
    assert not violations, f"{format_violations(violations)}\nproblem: {dump}"
    placed = [s.job for r in plan.routes for s in r.stops if isinstance(s, JobStop)]
    listed = placed + [u.job for u in plan.unassigned]
    assert sorted(listed) == sorted(j.id for j in problem.jobs), dump
    reasons = {u.job: u.reason for u in plan.unassigned}
    for job_id, reason in expected.items():
        assert reasons.get(job_id) == reason, (
            f"job {job_id!r}: expected unassigned as {reason.value!r}, got "
            f"{reasons[job_id].value if job_id in reasons else 'assigned'}\nproblem: {dump}"
        )


# ---------------------------------------------------------------- without the solver


@settings(PROFILE, max_examples=40)
@given(problems())
def test_generated_problems_are_contract_problems(gen: Generated) -> None:
    """The generator's JSON round-trips, and designed-infeasible jobs are what they claim."""
    again = Problem.model_validate_json(gen.problem.model_dump_json(exclude_none=True))
    assert again == gen.problem
    have_skills = {s for e in gen.problem.engineers for s in e.skills}
    have_tools = {t for e in gen.problem.engineers for t in e.tools}
    have_tools |= {t for d in gen.problem.depots for t in d.tools}
    assert have_skills <= set(SKILLS) and have_tools <= set(TOOLS)
    for job_id in gen.expected:
        kind = job_id.split("-", 1)[1]
        assert gen.expected[job_id] == INFEASIBLE_KINDS[kind]
        job = gen.problem.job(job_id)
        if kind == "skill":
            assert not set(job.required_skills) & have_skills
        if kind == "tool":
            assert not set(job.required_tools) & have_tools


@settings(PROFILE, max_examples=40)
@given(problems())
def test_the_empty_plan_is_valid(gen: Generated) -> None:
    """Everything unassigned (pinned jobs as pinned_infeasible) breaks no rule."""
    unassigned = [
        Unassigned(
            job=j.id,
            reason=UnassignedReason.PINNED_INFEASIBLE
            if j.pinned is not None
            else UnassignedReason.CAPACITY,
        )
        for j in gen.problem.jobs
    ]
    kpis = compute_kpis(gen.problem, [], unassigned)
    plan = Plan(
        problem_id=gen.problem.id,
        unassigned=unassigned,
        kpis=kpis,
        solver={"status": "empty", "wall_s": 0.0},  # type: ignore[arg-type]
    )
    assert validate(gen.problem, plan) == []
    assert kpis.jobs_assigned == 0 and kpis.jobs_unassigned == len(gen.problem.jobs)
    assert kpis.work_min == 0 and kpis.utilisation_pct == 0


# ---------------------------------------------------------------- with the solver


@settings(PROFILE)
@given(problems())
def _solver_plans_are_valid(gen: Generated) -> None:
    plan = solve(gen.problem, OPTIONS)
    _check_plan(gen.problem, plan, gen.expected, gen.data)


def test_solver_plans_are_valid() -> None:
    """For generated problems the solver's plan is valid and nothing is lost."""
    _require_solver()
    _solver_plans_are_valid()


def test_solver_plan_of_the_contract_example_is_valid() -> None:
    _require_solver()
    from examples import example_problem

    data = example_problem()
    problem = Problem.model_validate(data)
    plan = solve(problem, OPTIONS)
    _check_plan(problem, plan, {"J005": UnassignedReason.NO_QUALIFIED_ENGINEER}, data)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_solver_regression_fixtures(path: Path) -> None:
    """Problems that once broke the solver: ``{"problem", "expected", "note"}``."""
    _require_solver()
    fixture = json.loads(path.read_text())
    problem = Problem.model_validate(fixture["problem"])
    expected = {k: UnassignedReason(v) for k, v in fixture.get("expected", {}).items()}
    _check_plan(problem, solve(problem, OPTIONS), expected, fixture["problem"])
