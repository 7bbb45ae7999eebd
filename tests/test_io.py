"""Files at the edge: problems and plans read with every bad field named; atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.io import read_json, read_plan, read_problem, to_json, write_text_atomic
from tests.examples import build, example_plan, example_problem


def test_problem_and_plan_round_trip(tmp_path: Path):
    problem, plan = build(example_problem(), example_plan())
    write_text_atomic(tmp_path / "problem.json", to_json(problem))
    write_text_atomic(tmp_path / "plan.json", to_json(plan))
    assert read_problem(tmp_path / "problem.json") == problem
    assert read_plan(tmp_path / "plan.json") == plan


def test_bad_fields_are_named_with_the_file(tmp_path: Path):
    data = example_problem()
    data["jobs"][0]["duration_min"] = -5
    data["jobs"][0]["location"]["lat"] = 95
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        read_problem(tmp_path / "bad.json")
    text = str(err.value)
    job_id = data["jobs"][0]["id"]
    assert "bad.json: jobs[0]" in text and f"(id '{job_id}')" in text
    assert "duration_min" in text and "location.lat" in text


def test_unreadable_files_say_why(tmp_path: Path):
    with pytest.raises(InputError, match=r"missing\.json"):
        read_json(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match=r"broken\.json"):
        read_json(tmp_path / "broken.json")


def test_atomic_write_replaces_the_whole_file(tmp_path: Path):
    path = tmp_path / "sub" / "out.txt"
    write_text_atomic(path, "first\n")
    write_text_atomic(path, "second\n")
    assert path.read_text() == "second\n"
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]  # no temporary file left
