"""The service bounds its work: problem size limits (413 naming the limit), a memory estimate
before solving, a hard time limit on every solve, a dead or runaway solve fails its plan, a stop
ends the solves at once and hands their plans back, and no plan is stored that cannot be read
back."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import proc_helpers as h
import pytest
from contract_cases import example_problem
from fastapi.testclient import TestClient

from optimizer.limits import BASE_BYTES, Limits
from optimizer.models import Plan
from optimizer.service.app import create_app
from optimizer.service.engine import Engine
from optimizer.workers import pids

DEMO = h.REPO / "scenarios" / "demo" / "problem.json"
JSON = {"Content-Type": "application/json"}


def _post(client: TestClient, body: dict[str, Any], path: str = "/plans") -> Any:
    return client.post(path, content=json.dumps(body), headers=JSON)


def _wait(client: TestClient, plan_id: str, statuses: set[str], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/plans/{plan_id}").json()
        if body["status"] in statuses:
            return body
        time.sleep(0.1)
    raise AssertionError(f"plan {plan_id} never reached {statuses}")


@pytest.mark.parametrize(
    ("limits", "field", "words"),
    [
        (Limits(max_jobs=3), "problem.jobs", "5 is over the limit of 3 (--max-jobs)"),
        (Limits(max_engineers=1), "problem.engineers", "over the limit of 1 (--max-engineers)"),
        (Limits(max_memory_bytes=BASE_BYTES + 1000), "problem.jobs", "--max-memory-mb"),
    ],
)
def test_oversize_problems_are_413_naming_the_limit(
    tmp_path: Path, limits: Limits, field: str, words: str
) -> None:
    with TestClient(create_app(f"sqlite:///{tmp_path / 'p.db'}", limits=limits)) as c:
        r = _post(c, {"problem": example_problem()})
    assert r.status_code == 413, r.text
    err = r.json()["error"]
    assert err["code"] == "problem_too_large" and err["field"] == field
    assert words in err["message"]


def test_matrix_points_and_event_batches_have_limits(tmp_path: Path) -> None:
    points = [{"id": f"p{i}", "lat": 0.0, "lon": i / 1000} for i in range(5)]
    problem = {"id": "m", "travel": {"model": "matrix", "points": points,
                                     "duration_min": [[0] * 5] * 5, "distance_km": [[0] * 5] * 5}}
    limits = Limits(max_matrix_points=4, max_jobs=2)
    with TestClient(create_app(f"sqlite:///{tmp_path / 'p.db'}", limits=limits)) as c:
        r = _post(c, {"problem": problem})
        assert r.status_code == 413 and r.json()["error"]["field"] == "problem.travel.points"
        events = [{"type": "job_cancelled", "job": f"J{i}"} for i in range(3)]
        r = _post(c, {"base_version": 0, "now": "2026-11-24T09:00:00+08:00", "events": events},
                  "/plans/x/events")
        assert r.status_code == 413 and "(--max-jobs)" in r.json()["error"]["message"]


def test_a_time_limit_over_the_services_is_refused(tmp_path: Path) -> None:
    with TestClient(create_app(f"sqlite:///{tmp_path / 'p.db'}", max_solve_s=60)) as c:
        r = _post(c, {"problem": example_problem(), "time_limit_s": 61})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "time_limit_s" and "--max-solve-s" in r.text


def _solve_tree(app: Any, at_least: int = 1, timeout: float = 60) -> list[int]:
    """The processes of the app's running solves (each solve's process and its territory
    workers), once there are ``at_least`` of them."""
    deadline = time.monotonic() + timeout
    found: list[int] = []
    while time.monotonic() < deadline:
        pools = list(app.state.runner._processes.values())
        found = [q for pool in pools for p in pids(pool) for q in [p, *h.descendants(p)]]
        if len(found) >= at_least:
            return found
        time.sleep(0.05)
    raise AssertionError(f"only {len(found)} solve processes after {timeout} s")


def test_a_runaway_solve_is_stopped_and_fails_its_plan(tmp_path: Path) -> None:
    demo = json.loads(DEMO.read_text())
    app = create_app(f"sqlite:///{tmp_path / 'p.db'}", max_solve_s=3)
    with TestClient(app) as c:
        r = _post(c, {"problem": demo, "max_solutions": 1_000_000, "time_limit_s": 1})
        assert r.status_code == 202
        procs = _solve_tree(app)
        body = _wait(c, r.json()["id"], {"done", "failed"})
        assert body["status"] == "failed", body.get("plan", {}).get("kpis")
        assert body["error"]["code"] == "solve_timeout" and "3 s" in body["error"]["message"]
        assert h.gone_within(procs, 10) == []


def test_a_killed_solve_process_fails_its_plan_instead_of_hanging(tmp_path: Path) -> None:
    demo = json.loads(DEMO.read_text())
    app = create_app(f"sqlite:///{tmp_path / 'p.db'}")
    with TestClient(app) as c:
        plan_id = _post(c, {"problem": demo, "time_limit_s": 120}).json()["id"]
        runner = app.state.runner
        deadline = time.monotonic() + 60
        while not runner._processes and time.monotonic() < deadline:
            time.sleep(0.05)
        (pool,) = list(runner._processes.values())
        h.kill_all(pids(pool))  # as the OOM killer would
        body = _wait(c, plan_id, {"done", "failed"}, timeout=60)
    assert body["status"] == "failed" and body["error"]["code"] == "solver_error"
    assert "died before finishing" in body["error"]["message"]


def test_stopping_the_service_ends_solves_at_once_and_a_restart_finishes_them(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    demo = json.loads(DEMO.read_text())
    app = create_app(url)
    with TestClient(app) as c:
        plan_id = _post(c, {"problem": demo, "time_limit_s": 6}).json()["id"]
        workers = _solve_tree(app, at_least=3)  # the solve's process and its territory workers
    assert h.gone_within(workers, 10) == []
    with closing(sqlite3.connect(tmp_path / "p.db")) as con:  # stopped, not waited for:
        (status,) = con.execute("SELECT status FROM plans").fetchone()
    assert status == "queued"  # handed back
    with TestClient(create_app(url)) as c:  # handed back queued: taken over at once
        body = _wait(c, plan_id, {"done", "failed"}, timeout=120)
    assert body["status"] == "done"
    assert Plan.model_validate(body["plan"]).kpis.jobs_assigned > 0


def test_a_plan_that_would_not_read_back_is_never_stored(tmp_path: Path) -> None:
    from optimizer.dispatch import SolveOptions, solve

    def broken(problem: Any, options: SolveOptions) -> Plan:
        plan = solve(problem, SolveOptions(time_limit_s=1, max_solutions=1))
        kpis = plan.kpis.model_copy(update={"distance_km": float("inf")})
        return plan.model_copy(update={"kpis": kpis})

    with TestClient(create_app(f"sqlite:///{tmp_path / 'p.db'}",
                               engine=Engine(solve=broken))) as c:
        plan_id = _post(c, {"problem": example_problem()}).json()["id"]
        body = _wait(c, plan_id, {"done", "failed"})
        assert body["status"] == "failed" and "not valid contract JSON" in body["error"]["message"]
        assert c.get(f"/plans/{plan_id}").status_code == 200
