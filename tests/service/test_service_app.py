"""The dispatch service app, run for real (TestClient; uvicorn on loopback for concurrency).

Tests that need the engine (solve, reoptimize, slots, explain) run it for real and skip, saying
why, while it is not built. The service's own logic (errors, auth, body limit, versions,
background solves, restarts) is tested with the engine's functions wrapped, never replaced by
made-up plans.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service tests need the 'service' extra (fastapi)")
pytest.importorskip("uvicorn", reason="the service tests need the 'service' extra (uvicorn)")

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from service_helpers import example_plan, wait_for

from optimizer.dispatcher.events import Diff
from optimizer.models import Plan, Problem
from optimizer.service.app import create_app
from optimizer.service.engine import Engine
from optimizer.service.store import PlanStatus, PlanStore

KEY = "test-key-1"
AUTH = {"X-API-Key": KEY}
NOW = "2026-11-24T11:05:00+08:00"


def real_solve() -> Any:
    from optimizer.dispatch import solve

    return solve


class GatedSolve:
    """The real solver, held at a gate until the test opens it; counts its calls."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.calls = 0

    def __call__(self, problem: Problem, options: Any) -> Plan:
        self.calls += 1
        self.entered.set()
        assert self.gate.wait(60), "the test never opened the gate"
        return real_solve()(problem, options)  # type: ignore[no-any-return]


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_url, api_key=KEY, max_body_bytes=64_000)) as c:
        yield c


def seed_done(store: PlanStore, problem: dict[str, Any], plan: dict[str, Any]) -> str:
    """A plan resource whose solve is done, holding the contract's example plan (a valid plan)."""
    stored = store.create(json.dumps(problem), {"time_limit_s": 1.0, "seed": 0}, owner="seed",
                          lease_s=30)
    assert store.claim(stored.id, "seed", 30)
    assert store.finish(stored.id, "seed", plan_json=json.dumps(plan))
    return str(stored.id)


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code, body
    assert set(body["error"]) >= {"code", "message", "field"}
    return dict(body["error"])


def poll_finished(client: TestClient, plan_id: str, timeout: float = 60) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        body = client.get(f"/plans/{plan_id}", headers=AUTH).json()
        return body if body["status"] in ("done", "failed") else None

    return dict(wait_for(finished, timeout, f"plan {plan_id} to finish"))


# --------------------------------------------------------------------------- health, auth, limits


def test_health_is_open(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "store": "sqlite"}


@pytest.mark.parametrize(
    ("headers", "what"),
    [
        ({}, "missing"),  # no header at all
        ({"X-API-Key": "wrong"}, "wrong"),  # a wrong key
        ({"X-API-Key": ""}, "wrong"),  # an empty key is a wrong key
    ],
)
def test_api_key_required(client: TestClient, headers: dict[str, str], what: str) -> None:
    for method, path in [("GET", "/plans/x"), ("POST", "/plans"), ("GET", "/plans/x/explain")]:
        err = error_of(client.request(method, path, headers=headers, json={}), 401,
                       "unauthorized")
        assert err["field"] == "X-API-Key"
        assert what in err["message"]


def test_right_key_passes_and_docs_are_open(client: TestClient) -> None:
    error_of(client.get("/plans/x", headers=AUTH), 404, "not_found")
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
    assert doc["paths"]["/plans"]["post"]["security"] == [{"ApiKey": []}]
    assert "security" not in doc["paths"]["/health"]["get"]


def test_no_key_configured_means_open(sqlite_url: str) -> None:
    with TestClient(create_app(sqlite_url)) as c:
        error_of(c.get("/plans/x"), 404, "not_found")
        assert "securitySchemes" not in c.get("/openapi.json").json().get("components", {})


def test_oversized_body_is_refused(client: TestClient, problem_json: dict) -> None:
    big = dict(problem_json, id="x" * 70_000)
    error_of(client.post("/plans", json={"problem": big}, headers=AUTH), 413,
             "payload_too_large")


def test_oversized_chunked_body_is_refused(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"problem": {"id": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}}'

    r = client.post("/plans", content=chunks(), headers={**AUTH, "Content-Type":
                                                          "application/json"})
    error_of(r, 413, "payload_too_large")


def test_unknown_route_and_method(client: TestClient) -> None:
    error_of(client.get("/nowhere", headers=AUTH), 404, "not_found")
    error_of(client.delete("/plans/x", headers=AUTH), 405, "method_not_allowed")


# --------------------------------------------------------------------------- bad requests


def test_invalid_json(client: TestClient) -> None:
    r = client.post("/plans", content=b'{"problem": ', headers={**AUTH, "Content-Type":
                                                               "application/json"})
    assert error_of(r, 400, "invalid_json")["field"] == "body"


def _bad(problem: dict[str, Any], change: str) -> dict[str, Any]:
    p = copy.deepcopy(problem)
    if change == "negative duration":
        p["jobs"][1]["duration_min"] = -5
    elif change == "no offset":
        p["jobs"][2]["time_windows"] = [{"start": "2026-11-24T09:00:00", "end":
                                         "2026-11-24T12:00:00+08:00"}]
    elif change == "typo":
        p["engineers"][1]["skils"] = {"hvac": 1}
    elif change == "unknown engineer":
        p["jobs"][0]["excluded_engineers"] = ["E99"]
    return p


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        # a value out of range, named by the job's id
        ("negative duration", "problem.jobs[1] (id 'J002').duration_min", "greater than or equal"),
        # a time without UTC offset: the contract's own hint
        ("no offset", "problem.jobs[2] (id 'J003').time_windows[0].start", "no UTC offset"),
        # an unknown field is an error, not ignored
        ("typo", "problem.engineers[1] (id 'E02').skils", "Extra inputs"),
        # a reference to no engineer: a rule of the whole problem, its message names the job
        ("unknown engineer", "problem", "job 'J001'.excluded_engineers: unknown engineer 'E99'"),
    ],
)
def test_validation_errors_name_the_field(
    client: TestClient, problem_json: dict, change: str, field: str, words: str
) -> None:
    r = client.post("/plans", json={"problem": _bad(problem_json, change)}, headers=AUTH)
    err = error_of(r, 422, "validation_error")
    assert err["field"] == field
    assert words in err["message"]
    assert err["message"].startswith(field)


def test_every_problem_is_listed(client: TestClient, problem_json: dict) -> None:
    p = _bad(_bad(problem_json, "negative duration"), "typo")
    err = error_of(client.post("/plans", json={"problem": p, "seed": -1}, headers=AUTH), 422,
                   "validation_error")
    fields = {d["field"] for d in err["details"]}
    assert fields == {
        "problem.jobs[1] (id 'J002').duration_min",
        "problem.engineers[1] (id 'E02').skils",
        "seed",
    }
    assert err["message"].startswith("3 problems")


def test_event_errors_name_the_event(client: TestClient) -> None:
    body = {
        "base_version": 0,
        "now": NOW,
        "events": [
            {"type": "job_cancelled", "job": "J001"},
            {"type": "job_added", "job": {"id": "J9", "location": {"lat": 1, "lon": 1},
                                          "duration_min": "long"}},
        ],
    }
    err = error_of(client.post("/plans/x/events", json=body, headers=AUTH), 422,
                   "validation_error")
    assert err["field"] == "events[1].job.duration_min"
    body["events"] = [{"type": "job_exploded", "job": "J1"}]
    err = error_of(client.post("/plans/x/events", json=body, headers=AUTH), 422,
                   "validation_error")
    assert err["field"] == "events[0]"
    assert "job_exploded" in err["message"]


def test_events_need_a_version(client: TestClient) -> None:
    body = {"now": NOW, "events": []}
    err = error_of(client.post("/plans/x/events", json=body, headers=AUTH), 428,
                   "precondition_required")
    assert err["field"] == "base_version"
    both = client.post("/plans/x/events", json={**body, "base_version": 1},
                       headers={**AUTH, "If-Match": '"2"'})
    assert error_of(both, 422, "validation_error")["field"] == "base_version"
    bad = client.post("/plans/x/events", json=body, headers={**AUTH, "If-Match": "soon"})
    assert error_of(bad, 422, "validation_error")["field"] == "If-Match"
    # a version in If-Match alone is enough to get as far as the plan lookup
    missing = client.post("/plans/x/events", json=body, headers={**AUTH, "If-Match": '"0"'})
    error_of(missing, 404, "not_found")


# --------------------------------------------------------------------------- background solves


def test_solve_in_the_background(sqlite_url: str, problem_json: dict) -> None:
    gated = GatedSolve()
    app = create_app(sqlite_url, api_key=KEY, engine=Engine(solve=gated))
    with TestClient(app) as c:
        r = c.post("/plans", json={"problem": problem_json, "time_limit_s": 2}, headers=AUTH)
        assert r.status_code == 202
        assert r.headers["Location"] == f"/plans/{r.json()['id']}"
        assert r.headers["Retry-After"] == "1"
        assert r.json()["status"] in ("queued", "solving")
        assert gated.entered.wait(30)
        resource = c.get(r.headers["Location"], headers=AUTH).json()
        assert resource["status"] == "solving"
        assert "plan" not in resource
        # events against a plan that is not solved yet
        err = error_of(
            c.post(f"{r.headers['Location']}/events", headers=AUTH,
                   json={"base_version": 0, "now": NOW, "events": []}),
            409, "plan_not_ready",
        )
        assert "solving" in err["message"]
        error_of(c.get(f"{r.headers['Location']}/explain", headers=AUTH), 409, "plan_not_ready")
        gated.gate.set()
        resource = poll_finished(c, r.json()["id"])
    assert resource["status"] == "done", resource.get("error")
    plan = Plan.model_validate(resource["plan"])
    from optimizer.validate import validate

    assert validate(Problem.model_validate(problem_json), plan) == []
    assert resource["version"] == 0 and resource["history"] == []


def test_wait_true_solves_inline(client: TestClient, problem_json: dict) -> None:
    r = client.post("/plans?wait=true", headers=AUTH,
                    json={"problem": problem_json, "time_limit_s": 2, "max_solutions": 50})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "done"
    assert r.json()["plan"]["problem_id"] == problem_json["id"]
    assert r.headers["ETag"] == '"0"'


def test_a_solver_error_fails_the_plan(sqlite_url: str, problem_json: dict) -> None:
    from optimizer.errors import InfeasibleError

    def infeasible(problem: Problem, options: Any) -> Plan:
        raise InfeasibleError(f"problem {problem.id!r}: a pinned job cannot be placed")

    with TestClient(create_app(sqlite_url, engine=Engine(solve=infeasible))) as c:
        r = c.post("/plans?wait=true", json={"problem": problem_json})
        assert r.status_code == 201
        assert r.json()["status"] == "failed"
        assert r.json()["error"]["code"] == "infeasible"
        assert "pinned job" in r.json()["error"]["message"]


def test_restart_loses_nothing(store_url: str, problem_json: dict) -> None:
    with TestClient(create_app(store_url, api_key=KEY)) as c:
        plan_id = seed_done(c.app.state.store, problem_json, example_plan())  # type: ignore[attr-defined]
        before = c.get(f"/plans/{plan_id}", headers=AUTH).json()
    with TestClient(create_app(store_url, api_key=KEY)) as c:
        after = c.get(f"/plans/{plan_id}", headers=AUTH)
    assert after.status_code == 200
    assert after.json() == before


def test_an_interrupted_solve_is_requeued(sqlite_url: str, problem_json: dict) -> None:
    """A solve left 'solving' by a process that died is solved again after a restart."""
    from optimizer.service.store import open_store

    clock = [1_000_000.0]
    store = open_store(sqlite_url, lambda: clock[0])
    dead = store.create(json.dumps(problem_json), {"time_limit_s": 2.0, "seed": 0,
                                                   "max_solutions": 50},
                        owner="dead-process", lease_s=30)
    assert store.claim(dead.id, "dead-process", 30)  # ... and then that process died
    clock[0] += 31  # its lease ran out
    gated = GatedSolve()
    gated.gate.set()
    app = create_app(sqlite_url, api_key=KEY, engine=Engine(solve=gated), clock=lambda: clock[0])
    with TestClient(app) as c:
        resource = poll_finished(c, dead.id)
    assert gated.calls == 1
    assert store.get(dead.id).attempts == 2
    assert resource["status"] == "done"


# --------------------------------------------------------------------------- events: versions


def identity_reoptimize(barrier: threading.Barrier | None = None) -> Any:
    """A stand-in for re-optimisation that changes nothing (tests the service's versioning only).

    With a barrier, every caller waits until all are inside, so their commits race.
    """

    def reoptimize(problem: Problem, plan: Plan, events: Any, options: Any = None) -> Any:
        if barrier is not None:
            barrier.wait(timeout=30)
        jobs = sum(1 for r in plan.routes for s in r.stops if s.type == "job")
        return problem, plan, Diff(unchanged=jobs)

    return reoptimize


def test_versions_and_if_match(store_url: str, problem_json: dict) -> None:
    app = create_app(store_url, api_key=KEY, engine=Engine(reoptimize=identity_reoptimize()))
    with TestClient(app) as c:
        plan_id = seed_done(c.app.state.store, problem_json, example_plan())  # type: ignore[attr-defined]
        url = f"/plans/{plan_id}/events"
        events = [{"type": "engineer_position", "engineer": "E01", "at": NOW,
                   "location": {"lat": 31.23, "lon": 121.47}}]
        r = c.post(url, json={"base_version": 0, "now": NOW, "events": events}, headers=AUTH)
        assert r.status_code == 200, r.text
        assert (r.json()["version"], r.headers["ETag"]) == (1, '"1"')
        r = c.post(url, json={"now": NOW, "events": []}, headers={**AUTH, "If-Match": '"1"'})
        assert r.json()["version"] == 2
        stale = c.post(url, json={"base_version": 1, "now": NOW, "events": []}, headers=AUTH)
        err = error_of(stale, 409, "version_conflict")
        assert err["field"] == "base_version"
        assert "version 2, not 1" in err["message"]
        assert stale.headers["ETag"] == '"2"'
        resource = c.get(f"/plans/{plan_id}", headers=AUTH)
        assert resource.headers["ETag"] == '"2"'
        history = resource.json()["history"]
        assert [h["version"] for h in history] == [1, 2]
        assert history[0]["events"][0]["location"] == {"lat": 31.23, "lon": 121.47}
        no_history = c.get(f"/plans/{plan_id}?history=false", headers=AUTH).json()
        assert no_history["history"] == [] and no_history["version"] == 2


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[str, FastAPI, threading.Barrier]]:
    """The app under uvicorn on loopback, its re-optimisation held at a two-party barrier."""
    barrier = threading.Barrier(2)
    app = create_app(sqlite_url, api_key=KEY,
                     engine=Engine(reoptimize=identity_reoptimize(barrier)))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 30, "uvicorn to start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", app, barrier
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_two_dispatchers_at_once_one_wins(
    served: tuple[str, FastAPI, threading.Barrier], problem_json: dict
) -> None:
    base, app, _ = served
    plan_id = seed_done(app.state.store, problem_json, example_plan())
    results: list[int] = []
    lock = threading.Lock()

    def dispatcher(i: int) -> None:
        body = {"base_version": 0, "now": NOW,
                "events": [{"type": "job_cancelled", "job": f"J00{i}"}]}
        r = httpx.post(f"{base}/plans/{plan_id}/events", json=body, headers=AUTH, timeout=60)
        with lock:
            results.append(r.status_code)

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [200, 409]
    resource = httpx.get(f"{base}/plans/{plan_id}", headers=AUTH).json()
    assert resource["version"] == 1
    assert len(resource["history"]) == 1


# --------------------------------------------------------------------------- the real engine


def test_events_reoptimise_for_real(client: TestClient, problem_json: dict) -> None:
    plan_id = seed_done(client.app.state.store, problem_json, example_plan())  # type: ignore[attr-defined]
    body = {"base_version": 0, "now": NOW,
            "events": [{"type": "job_cancelled", "job": "J002"}]}
    r = client.post(f"/plans/{plan_id}/events", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    assert "J002" in r.json()["diff"]["cancelled"]
    resource = client.get(f"/plans/{plan_id}", headers=AUTH).json()
    assert "J002" not in [j["id"] for j in resource["problem"]["jobs"]]
    from optimizer.validate import validate

    assert validate(Problem.model_validate(resource["problem"]),
                    Plan.model_validate(resource["plan"])) == []
    stale = client.post(f"/plans/{plan_id}/events", json=body, headers=AUTH)
    error_of(stale, 409, "version_conflict")


def test_events_the_engine_refuses_name_the_event(client: TestClient, problem_json: dict) -> None:
    plan_id = seed_done(client.app.state.store, problem_json, example_plan())  # type: ignore[attr-defined]
    body = {"base_version": 0, "now": NOW, "events": [
        {"type": "job_cancelled", "job": "J001"},
        {"type": "job_cancelled", "job": "J404"},
    ]}
    err = error_of(client.post(f"/plans/{plan_id}/events", json=body, headers=AUTH), 422,
                   "invalid_input")
    assert err["field"] == "events[1]"
    assert "J404" in err["message"]
    assert client.get(f"/plans/{plan_id}", headers=AUTH).json()["version"] == 0


def test_explain_for_real(client: TestClient, problem_json: dict) -> None:
    plan_id = seed_done(client.app.state.store, problem_json, example_plan())  # type: ignore[attr-defined]
    r = client.get(f"/plans/{plan_id}/explain", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["plan"]["problem_id"] == problem_json["id"]
    assert isinstance(r.json()["objective"], dict)


def test_slots_for_real(client: TestClient, problem_json: dict) -> None:
    plan_id = seed_done(client.app.state.store, problem_json, example_plan())  # type: ignore[attr-defined]
    job = {"id": "NEW1", "location": {"lat": 31.21, "lon": 121.48}, "duration_min": 45}
    r = client.post(f"/plans/{plan_id}/slots", json={"job": job, "days": 1}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 0
    assert isinstance(r.json()["offers"], list)
    for offer in r.json()["offers"]:
        assert offer["start"] < offer["end"]
    taken = dict(job, id="J001")  # an id the problem already has
    err = error_of(client.post(f"/plans/{plan_id}/slots", json={"job": taken}, headers=AUTH),
                   422, "invalid_input")
    assert err["field"] == "job" and "J001" in err["message"]


def test_status_values_match_the_store() -> None:
    from optimizer.service.schemas import PlanStatus as Documented

    assert [s.value for s in Documented] == [s.value for s in PlanStatus]
