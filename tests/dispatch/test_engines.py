"""The engine portfolio: VROOM and PyVRP adapters, realisation, the portfolio's choice.

Generated problems (``tests/strategies.py``: skills, windows, breaks, overtime, pins, parts,
tools, depots with hours, several shifts) go through each engine alone: every plan must pass
the validator, list every job once and give designed-infeasible jobs their reason.
"""

from __future__ import annotations

import contextlib
import os
import time

import pytest
from examples import example_problem
from hypothesis import given, note, settings
from strategies import Generated, problems
from test_property_plans import PROFILE, _check_plan

from optimizer.compile import compile_problem
from optimizer.dispatch import SolveOptions, solve
from optimizer.dispatch.diagnose import diagnose
from optimizer.dispatch.engines import EngineRoutes
from optimizer.dispatch.engines import pyvrp as pyvrp_engine
from optimizer.dispatch.engines import vroom as vroom_engine
from optimizer.dispatch.engines.children import run_in_children
from optimizer.dispatch.engines.portfolio import auto_engines
from optimizer.dispatch.engines.realise import preference_costs, realise
from optimizer.models import JobStop, Problem
from optimizer.synthetic import generate_problem
from optimizer.validate import validate

WORK = {"max_solutions": 10, "seed": 0}


def _engine_plan_is_valid(gen: Generated, engine: str) -> None:
    note(repr(gen))
    plan = solve(gen.problem, SolveOptions(engine=engine, workers=1, **WORK))
    _check_plan(gen.problem, plan, gen.expected, gen.data)


@settings(PROFILE, max_examples=40)
@given(problems())
def test_vroom_plans_are_valid(gen: Generated) -> None:
    _engine_plan_is_valid(gen, "vroom")


@settings(PROFILE, max_examples=40)
@given(problems())
def test_pyvrp_plans_are_valid(gen: Generated) -> None:
    _engine_plan_is_valid(gen, "pyvrp")


@settings(PROFILE, max_examples=25)
@given(problems())
def test_auto_plans_are_valid(gen: Generated) -> None:
    _engine_plan_is_valid(gen, "auto")


def _day(n: int = 80, seed: int = 2, parts: bool = False) -> Problem:
    return generate_problem(n_jobs=n, n_engineers=n // 10, seed=seed, parts=parts, tools=parts)


@pytest.mark.parametrize("engine", ["vroom", "pyvrp"])
def test_engine_routes_keep_their_order_when_realised(engine: str) -> None:
    """The realised routes visit the engine's jobs in the engine's order."""
    p = _day()
    c = compile_problem(p)
    d = diagnose(c)
    mod = vroom_engine if engine == "vroom" else pyvrp_engine
    found = mod.solve(c, d, time_limit_s=None, **({} if engine == "vroom" else
                                                   {"max_iterations": 300}))
    assert found.routes, "the engine planned nothing on an easy day"
    plan = realise(c, d, found)
    assert validate(p, plan) == []
    moved = set(preference_costs(c, {}))  # put back at their cheapest place afterwards
    for s, jobs in found.routes.items():
        eng, shift = c.eng_ids[int(c.shift_engineer[s])], int(c.shift_index[s])
        route = next((r for r in plan.routes if (r.engineer, r.shift) == (eng, shift)), None)
        done = [st.job for st in route.stops if isinstance(st, JobStop)] if route else []
        done = [jid for jid in done if c.job_index[jid] not in moved]
        wanted = [c.job_ids[j] for j in jobs if c.job_ids[j] in done]
        assert done == wanted
    # nearly everything the engine planned survives the exact schedule
    assert plan.kpis.jobs_assigned >= 0.9 * sum(len(v) for v in found.routes.values())


def test_realise_adds_depot_detours_for_parts_the_van_lacks() -> None:
    """VROOM knows no parts; the realised plan fetches them at a depot and stays valid."""
    p = _day(60, seed=4, parts=True)
    c = compile_problem(p)
    d = diagnose(c)
    found = vroom_engine.solve(c, d, time_limit_s=None)
    plan = realise(c, d, found)
    assert validate(p, plan) == []
    assert any(st.type == "depot" for r in plan.routes for st in r.stops)


def test_realise_drops_a_job_the_exact_schedule_cannot_take() -> None:
    """An engine order that cannot hold (one job twice, a job no shift may do) loses only
    those jobs; the plan stays valid and lists every job once."""
    p = Problem.model_validate(example_problem())
    c = compile_problem(p)
    d = diagnose(c)
    every = list(range(c.n_jobs))
    found = EngineRoutes(engine="test", routes={0: every + every})
    plan = realise(c, d, found)
    assert validate(p, plan) == []
    listed = [st.job for r in plan.routes for st in r.stops if isinstance(st, JobStop)]
    assert len(listed) == len(set(listed))
    assert sorted(listed + [u.job for u in plan.unassigned]) == sorted(c.job_ids)


@pytest.mark.parametrize("engine", ["vroom", "pyvrp", "auto"])
def test_same_plan_under_a_work_limit(engine: str) -> None:
    p = _day(70, seed=5)
    a, b = (solve(p, SolveOptions(engine=engine, max_solutions=20, seed=3)) for _ in range(2))
    assert a.model_dump(exclude={"solver"}) == b.model_dump(exclude={"solver"})


def test_portfolio_runs_the_engines_in_processes_and_keeps_the_best() -> None:
    p = _day(70, seed=6)
    plan = solve(p, SolveOptions(time_limit_s=6, seed=0))
    assert validate(p, plan) == []
    tried = plan.solver.model_extra["engines"]
    assert [t["engine"] for t in tried] == list(auto_engines(p))
    assert all("error" not in t for t in tried), tried
    best = max(t["assigned"] for t in tried)
    assert plan.kpis.jobs_assigned >= best


def test_auto_keeps_ortools_where_parts_matter() -> None:
    assert "ortools" in auto_engines(_day(20, parts=True))
    assert auto_engines(_day(20)) == ("vroom", "pyvrp")


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine 'gurobi'"):
        solve(_day(10), SolveOptions(engine="gurobi"))


def test_preferred_engineer_kept_by_an_external_engine() -> None:
    data = example_problem()
    for j in data["jobs"]:
        j["preferred_engineers"] = ["E02"]
        j.pop("excluded_engineers", None)
    p = Problem.model_validate(data)
    plan = solve(p, SolveOptions(engine="vroom", **WORK))
    assert validate(p, plan) == []
    on = {st.job: r.engineer for r in plan.routes for st in r.stops if isinstance(st, JobStop)}
    qualified = {j.id for j in p.jobs
                 if all(p.engineers[1].skills.get(s, 0) >= lv
                        for s, lv in j.required_skills.items())}
    assert on and all(e == "E02" for jid, e in on.items() if jid in qualified)


def test_children_return_results_and_are_killed_at_the_deadline() -> None:
    out = run_in_children([(_sleep_and_report, (0.0,)), (_sleep_and_report, (300.0,))],
                          deadline=time.perf_counter() + 30.0)
    assert isinstance(out[0].value, int) and out[0].value != os.getpid()
    assert out[1].value is None and out[1].error == "timed out"


def test_an_engine_failure_is_an_outcome() -> None:
    out = run_in_children([(_sleep_and_report, (0.0,)), (int, ("not a number",))])
    assert isinstance(out[0].value, int)
    assert out[1].error is not None and out[1].error.startswith("ValueError")


def test_an_engine_process_holds_no_socket_of_its_parent() -> None:
    """A listening socket of the parent (a service's) is not open in the engine process."""
    import socket

    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        out = run_in_children([(_open_sockets, ())])
    assert out[0].error is None and out[0].value == 0


def _open_sockets() -> int:
    n = 0
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            n += os.readlink(f"/proc/self/fd/{name}").startswith("socket:")
    return n


def _sleep_and_report(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()
