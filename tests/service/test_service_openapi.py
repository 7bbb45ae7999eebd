"""Schemathesis against the service's own OpenAPI document, on the real app (ASGI, in process).

Generated requests must never cause a 5xx, and every answer must match the document (status
code, content type, headers, body schema). Two of schemathesis's checks are left out, for
reasons of the contract rather than of the service:

- ``positive_data_acceptance``: JSON Schema cannot say the contract's cross-field rules (ids
  that must name an existing engineer, ends after starts, a matrix as long as its points), so
  schema-valid data may rightly get 422;
- ``negative_data_rejection``: the contract models coerce like pydantic does (``false`` -> 0,
  ``"5"`` -> 5), so some schema-invalid data is rightly accepted.

Solves the generated problems start run the real solver, with their time limit cut to a second
so that the test stays short.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service tests need the 'service' extra (fastapi)")
pytest.importorskip("schemathesis", reason="the OpenAPI tests need schemathesis (test extra)")

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from service_helpers import example_plan, example_problem

from optimizer.service.app import create_app
from optimizer.service.engine import Engine

KEY = "schemathesis-key"


def capped_solve(problem: Any, options: Any) -> Any:
    """The real solver with at most one second to spend."""
    from optimizer.dispatch import solve

    return solve(problem, dataclasses.replace(options, time_limit_s=min(options.time_limit_s,
                                                                          0.5)))


_DIR = Path(tempfile.mkdtemp(prefix="optimizer-schemathesis-"))
APP = create_app(f"sqlite:///{_DIR / 'plans.db'}", api_key=KEY, max_body_bytes=256_000,
                 engine=Engine(solve=capped_solve), max_wait_s=0.2)
# The coverage phase would add hundreds of boundary cases per operation on the nested problem
# schema (a minute of run time); generation with a fixed budget is kept.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    APP,
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)

EXCLUDED = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.negative_data_rejection,
]


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
def test_generated_requests(case: Any) -> None:
    case.call_and_validate(headers={"X-API-Key": KEY}, excluded_checks=EXCLUDED)


@schema.include(path="/plans").parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
def test_generated_requests_without_a_key(case: Any) -> None:
    response = case.call()
    assert response.status_code == 401
    case.validate_response(response, excluded_checks=EXCLUDED)


def test_the_document_describes_real_answers() -> None:
    """Answers to meaningful requests (a real plan, a stale version) match the document."""
    with TestClient(APP) as client:
        headers = {"X-API-Key": KEY}
        store = APP.state.store
        import json

        stored = store.create(json.dumps(example_problem()), {"time_limit_s": 1.0, "seed": 0},
                              owner="seed", lease_s=30)
        store.claim(stored.id, "seed", 30)
        store.finish(stored.id, "seed", plan_json=json.dumps(example_plan()))
        answers = [
            ("/plans/{plan_id}", "GET", client.get(f"/plans/{stored.id}", headers=headers)),
            ("/plans", "POST", client.post("/plans", headers=headers,
                                           json={"problem": example_problem(), "seed": 1})),
            ("/plans", "POST", client.post("/plans", headers=headers, json={"problem": {}})),
            ("/plans/{plan_id}/events", "POST", client.post(
                f"/plans/{stored.id}/events", headers=headers,
                json={"base_version": 7, "now": "2026-11-24T11:05:00+08:00", "events": []})),
            ("/plans/{plan_id}/explain", "GET",
             client.get(f"/plans/{stored.id}/explain", headers=headers)),
            ("/plans/{plan_id}/slots", "POST", client.post(
                f"/plans/{stored.id}/slots", headers=headers,
                json={"job": {"id": "NEW", "location": {"lat": 31.21, "lon": 121.48},
                              "duration_min": 30}, "days": 1})),
            ("/plans/{plan_id}/events", "POST", client.post(
                f"/plans/{stored.id}/events", headers=headers,
                json={"base_version": 0, "now": "2026-11-24T11:05:00+08:00",
                      "events": [{"type": "job_cancelled", "job": "J002"}]})),
            ("/plans/{plan_id}", "GET", client.get(f"/plans/{stored.id}", headers=headers)),
            ("/health", "GET", client.get("/health")),
        ]
        for path, method, response in answers:
            assert response.status_code < 500, response.text
            schema[path][method].validate_response(response)
