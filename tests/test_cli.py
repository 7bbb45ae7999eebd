"""The CLI: every registered command parses; bad input exits 2 with a named error, no output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer import cli

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXAMPLE_PROBLEM = SHARED / "contract" / "problem.example.json"
EXAMPLE_PLAN = SHARED / "contract" / "plan.example.json"
needs_contract = pytest.mark.skipif(
    not EXAMPLE_PROBLEM.exists(), reason=f"contract examples not found under {SHARED}"
)


def test_every_registered_command_module_imports_and_registers():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"plan", "validate", "schema"} <= set(sub.choices)


@pytest.mark.parametrize(
    "mutate, expected",
    [
        # latitude out of range, named with the job id and the field
        (lambda d: d["jobs"][0]["location"].update(lat=95), "jobs[0] (id 'J001').location.lat"),
        # negative duration
        (lambda d: d["jobs"][1].update(duration_min=-5), "(id 'J002').duration_min"),
        # a time without UTC offset
        (lambda d: d["jobs"][1]["time_windows"][0].update(start="2026-11-24T13:00:00"),
         "no UTC offset"),
        # window end before start
        (lambda d: d["jobs"][3]["time_windows"][0].update(end="2026-11-24T08:00:00+08:00"),
         "end is before start"),
        # duplicate engineer ids
        (lambda d: d["engineers"][1].update(id="E01"), "duplicate id 'E01'"),
        # pinned to an engineer that does not exist
        (lambda d: d["jobs"][0].update(pinned={"engineer": "E99"}), "unknown engineer 'E99'"),
        # negative van stock
        (lambda d: d["engineers"][0]["van_stock"].update({"P-1001": -1}), "van_stock"),
    ],
)
@needs_contract
def test_plan_refuses_bad_input_with_named_error(tmp_path, capsys, mutate, expected):
    data = json.loads(EXAMPLE_PROBLEM.read_text())
    mutate(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    out = tmp_path / "plan.json"
    rc = cli.main(["plan", str(bad), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert rc == 2
    assert expected in err
    assert "Traceback" not in err
    assert not out.exists()


def test_plan_reports_unreadable_files(tmp_path, capsys):
    rc = cli.main(["plan", str(tmp_path / "missing.json"), "-o", str(tmp_path / "p.json")])
    assert rc == 2 and "no such file" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    rc = cli.main(["plan", str(broken), "-o", str(tmp_path / "p.json")])
    assert rc == 2 and "not valid JSON (line 1" in capsys.readouterr().err


@needs_contract
def test_validate_accepts_the_contract_example_and_rejects_a_broken_plan(tmp_path, capsys):
    assert cli.main(["validate", str(EXAMPLE_PROBLEM), str(EXAMPLE_PLAN)]) == 0
    plan = json.loads(EXAMPLE_PLAN.read_text())
    plan["unassigned"] = []  # J005 is now lost
    broken = tmp_path / "plan.json"
    broken.write_text(json.dumps(plan))
    capsys.readouterr()
    assert cli.main(["validate", str(EXAMPLE_PROBLEM), str(broken)]) == 1
    assert "J005" in capsys.readouterr().out


def test_schema_describes_problem_and_plan(tmp_path, capsys):
    assert cli.main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"problem", "plan"} == set(schema)
    assert "engineers" in schema["problem"]["properties"]
    assert "unassigned" in schema["plan"]["properties"]
    assert cli.main(["schema", "-o", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "plan.schema.json").read_text())["title"] == "Plan"
