"""Every number in the contract is finite and in a sane range; whitespace-only ids are refused.
The CLI answers rc 2 naming the field (no traceback), the service 422 naming it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from contract_cases import CASES, case_id, example_problem, put
from fastapi.testclient import TestClient

from optimizer.cli import main
from optimizer.service.app import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("svc") / "plans.db"
    with TestClient(create_app(f"sqlite:///{db}")) as c:
        yield c


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cli_refuses_with_rc_2_naming_the_field(
    case: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, value, field, words = case
    src = tmp_path / "problem.json"
    src.write_text(json.dumps(put(example_problem(), path, value)))
    rc = main(["plan", str(src), "-o", str(tmp_path / "plan.json"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert field in err and re.search(words, err), err
    assert "Traceback" not in err
    assert not (tmp_path / "plan.json").exists()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_service_refuses_with_422_naming_the_field(case: Any, client: Any) -> None:
    path, value, field, words = case
    body = json.dumps({"problem": put(example_problem(), path, value), "time_limit_s": 1})
    r = client.post("/plans", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert field in (err["field"] or "") and re.search(words, err["message"]), err


def test_nan_message_is_not_a_range_message(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "problem.json"
    src.write_text(json.dumps(put(example_problem(), ("jobs", 0, "location", "lat"),
                                  float("nan"))))
    assert main(["plan", str(src), "-o", str(tmp_path / "p.json"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "finite" in err and "90" not in err


@pytest.mark.parametrize("where", ["slots", "events"])
def test_absurd_job_in_slots_and_events_is_a_422(client: Any, where: str) -> None:
    job = put(example_problem(), ("jobs", 0, "duration_min"), 1e20)["jobs"][0]
    if where == "slots":
        body: dict[str, Any] = {"job": job}
    else:
        body = {"base_version": 0, "now": "2026-11-24T09:00:00+08:00",
                "events": [{"type": "job_added", "job": job}]}
    r = client.post(f"/plans/nope/{where}", content=json.dumps(body),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert "duration_min" in r.json()["error"]["field"]


def test_speed_and_circuity_at_their_bounds_are_accepted() -> None:
    from optimizer.models import MAX_CIRCUITY, MAX_SPEED_KMH, MIN_SPEED_KMH, Problem

    for speed in (MIN_SPEED_KMH, MAX_SPEED_KMH):
        doc = put(put(example_problem(), ("travel", "speed_kmh"), speed),
                  ("travel", "circuity"), MAX_CIRCUITY)
        Problem.model_validate(doc)
