"""The data directory: problem.json, or engineers/jobs/depots tables that build the same problem."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from optimizer.batch.inputs import locate, read_data_dir_problem, write_problem_tables
from optimizer.errors import InputError
from optimizer.synthetic import generate_problem


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tables_build_the_same_problem(example, tmp_path, fmt):
    problem, _ = example
    write_problem_tables(problem, tmp_path, fmt)
    assert locate(tmp_path).problem_source.startswith("tables")
    assert read_data_dir_problem(tmp_path) == problem


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tables_of_a_generated_day(tmp_path, fmt):
    # pins, preferred engineers, tools, several windows: every nested field survives
    problem = generate_problem(n_jobs=60, n_engineers=8, seed=3)
    write_problem_tables(problem, tmp_path, fmt)
    assert read_data_dir_problem(tmp_path) == problem


def test_problem_json_wins_and_parts_files_are_found(example, tmp_path, parts_dir):
    problem, _ = example
    (parts_dir / "problem.json").write_text(problem.model_dump_json())
    where = locate(parts_dir)
    assert where.problem_source == "problem.json" and where.parts_dir == parts_dir
    assert read_data_dir_problem(parts_dir) == problem


def test_short_form_columns(tmp_path):
    pd.DataFrame([{
        "id": "E1", "start_lat": 31.2, "start_lon": 121.4, "skills": "hvac:2;gas:1",
        "van_stock": "P-1:2", "tools": "ladder;meter", "shift_start": "2026-11-24T08:00:00+08:00",
        "shift_end": "2026-11-24T17:00:00+08:00", "max_overtime_min": 30,
        "break_earliest": "2026-11-24T12:00:00+08:00", "break_latest": "2026-11-24T13:00:00+08:00",
        "break_duration_min": 30,
    }]).to_csv(tmp_path / "engineers.csv", index=False)
    pd.DataFrame([{
        "id": "J1", "location_lat": 31.21, "location_lon": 121.41, "duration_min": 45,
        "tw_start": "2026-11-24T09:00:00+08:00", "tw_end": "2026-11-24T12:00:00+08:00",
        "priority": "high", "required_skills": "hvac:1", "required_parts": '{"P-1": 1}',
        "pinned_engineer": "E1", "kind": "repair",
    }, {"id": "J2", "location_lat": 31.22, "location_lon": 121.42, "duration_min": 30}]
    ).to_csv(tmp_path / "jobs.csv", index=False)
    pd.DataFrame([{"id": "D1", "location_lat": 31.23, "location_lon": 121.43, "stock": "P-1:4",
                   "open_start": "2026-11-24T07:00:00+08:00",
                   "open_end": "2026-11-24T19:00:00+08:00"}]).to_csv(tmp_path / "depots.csv",
                                                                      index=False)
    (tmp_path / "travel.json").write_text(json.dumps({"model": "haversine", "speed_kmh": 25}))
    p = read_data_dir_problem(tmp_path)
    e, j, d = p.engineers[0], p.jobs[0], p.depots[0]
    assert e.skills == {"hvac": 2, "gas": 1} and e.tools == ["ladder", "meter"]
    assert e.shifts[0].max_overtime_min == 30 and e.shifts[0].breaks[0].duration_min == 30
    assert j.time_windows[0].end.hour == 12 and j.pinned.engineer == "E1"
    assert j.required_parts == {"P-1": 1} and p.jobs[1].priority.value == "normal"
    assert d.stock == {"P-1": 4} and d.open.start.hour == 7
    assert p.travel.speed_kmh == 25 and p.id == tmp_path.name


@pytest.mark.parametrize(
    "column, value, message",
    [
        # a map cell that is neither JSON nor name:qty
        ("required_parts", "P-1", "field required_parts='P-1': expected 'name:qty;name:qty'"),
        # a duration that is not a whole number
        ("duration_min", "4.5", "field duration_min='4.5': not a whole number"),
        # a latitude out of range is the contract model's message, with the id
        ("location_lat", "95", "jobs[0] (id 'J1').location.lat"),
    ],
)
def test_bad_cells_name_file_row_id_and_field(example, tmp_path, column, value, message):
    problem, _ = example
    write_problem_tables(problem, tmp_path, "csv")
    jobs = pd.read_csv(tmp_path / "jobs.csv", dtype=str)
    jobs.loc[0, "id"] = "J1"
    jobs.loc[0, column] = value
    jobs.to_csv(tmp_path / "jobs.csv", index=False)
    with pytest.raises(InputError) as err:
        read_data_dir_problem(tmp_path)
    assert message in str(err.value)


def test_missing_pieces(tmp_path):
    with pytest.raises(InputError, match="not a directory"):
        locate(tmp_path / "nowhere")
    (tmp_path / "engineers.csv").write_text("id\n")
    with pytest.raises(InputError, match=r"no problem\.json, and no table"):
        locate(tmp_path)
