"""Large problems solved by territory: the plan does not depend on the number of processes."""

from __future__ import annotations

import pytest

import optimizer.dispatch.decompose as decompose
import optimizer.dispatch.territories as territories
from optimizer.dispatch import SolveOptions, solve
from optimizer.kpis import served_by_tier
from optimizer.synthetic import generate_problem
from optimizer.validate import validate


@pytest.fixture
def small_territories(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decompose a 60-job day into 3 territories of about 20 jobs."""
    monkeypatch.setattr(territories, "DECOMPOSE_JOBS", 30)
    monkeypatch.setattr(territories, "PART_JOBS", 20)


@pytest.mark.usefixtures("small_territories")
def test_same_plan_with_one_or_two_processes_under_a_work_limit() -> None:
    p = generate_problem(n_jobs=60, n_engineers=6, seed=3)
    plans = [
        solve(p, SolveOptions(max_solutions=30, seed=1, workers=w, engine="ortools"))
        for w in (1, 2)
    ]
    for plan in plans:
        assert plan.solver.decomposed  # type: ignore[attr-defined]
        assert validate(p, plan) == []
    one, two = (pl.model_dump(exclude={"solver"}) for pl in plans)
    assert one == two


def test_workers_default_and_cap() -> None:
    assert decompose.n_workers(SolveOptions(workers=4), n_parts=3) == 3
    assert decompose.n_workers(SolveOptions(workers=1), n_parts=3) == 1
    assert 1 <= decompose.n_workers(SolveOptions(), n_parts=10) <= decompose.MAX_WORKERS


def test_warm_start_from_a_plan_with_depot_pickups_is_accepted() -> None:
    # A guard, not a regression case: border passes (reserved stock, >60 jobs) were the ones
    # rejected when pick-ups went just before their job; no small case reproduces it today.
    p = generate_problem(n_jobs=60, n_engineers=6, seed=1)
    first = solve(p, SolveOptions(max_solutions=30))
    assert any(s.type == "depot" for r in first.routes for s in r.stops)
    log: list[str] = []
    again = solve(p, SolveOptions(max_solutions=5, initial_plan=first, progress=log.append))
    assert not any("warm start rejected" in m for m in log)
    assert again.kpis.jobs_assigned >= first.kpis.jobs_assigned
    assert validate(p, again) == []


def test_a_warm_start_the_model_cannot_complete_falls_back_to_a_fresh_search() -> None:
    # Warm starts go in as next-variables only; one that breaks the windows (a route run
    # backwards) must make the search find nothing from it, not a plan built on it.
    p = generate_problem(n_jobs=60, n_engineers=6, seed=1)
    first = solve(p, SolveOptions(max_solutions=30))
    routes = list(first.routes)
    k = max(range(len(routes)), key=lambda i: len(routes[i].stops))
    routes[k] = routes[k].model_copy(update={"stops": list(reversed(routes[k].stops))})
    backwards = first.model_copy(update={"routes": routes})
    assert validate(p, backwards) != []
    log: list[str] = []
    again = solve(p, SolveOptions(max_solutions=5, initial_plan=backwards, progress=log.append))
    assert any("warm start rejected" in m for m in log), log
    assert again.solver.model_extra.get("warm_start_rejected") is True  # said as data too
    assert again.solver.model_extra.get("warm_start") is False
    assert validate(p, again) == []
    assert again.kpis.jobs_assigned >= first.kpis.jobs_assigned - 2


def test_warm_start_keeps_jobs_served_with_a_tool_picked_up_for_another() -> None:
    # The insertion day picks tool t up once (for A) and B uses it too; the model has one
    # pick-up per job, so B gets its own at the same depot stop, not left out of the warm start.
    from optimizer.compile import compile_problem
    from optimizer.dispatch.fill import insertion_plan
    from optimizer.dispatch.single_model import _warm_pickups
    from tests.dispatch.helpers import east, engineer, job, problem

    depot = {"id": "D", "location": east(2), "tools": ["t"], "pickup_min": 5}
    p = problem([engineer("E1")], [job("A", km=10, dur=30, required_tools=["t"]),
                                   job("B", km=12, dur=30, required_tools=["t"])], [depot])
    day = insertion_plan(p)
    stops = [s for r in day.routes for s in r.stops]
    assert [s.type for s in stops] == ["depot", "job", "job"]
    c = compile_problem(p)
    assert _warm_pickups(c, day) == {c.job_index["A"]: (0, 0), c.job_index["B"]: (0, 0)}
    log: list[str] = []
    again = solve(p, SolveOptions(max_solutions=1, initial_plan=day, progress=log.append))
    assert not any("warm start rejected" in m for m in log)
    assert again.kpis.jobs_assigned == 2 and validate(p, again) == []


def test_border_pass_keeps_its_first_plan_when_worse() -> None:
    p = generate_problem(n_jobs=30, n_engineers=3, seed=2)
    first = solve(p, SolveOptions(max_solutions=20))
    kept = territories.keep_first_plan(p, first)
    assert validate(p, kept) == []
    assert served_by_tier(p, kept) == served_by_tier(p, first)
    assert {u.job for u in kept.unassigned} == {u.job for u in first.unassigned}
