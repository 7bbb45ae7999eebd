"""Reading a maintenance data directory: every bad cell named by file, row and column."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pm_helpers import asset, day, engineer, write_dir

from optimizer.errors import InputError
from optimizer.maintenance.data import parse_workdays, read_maintenance_data
from optimizer.models import parse_certificates, parse_skill_levels


def test_parsers():
    assert parse_skill_levels("hvac:2; electrical:1") == {"hvac": 2, "electrical": 1}
    assert parse_certificates("gas:2027-01-31") == {"gas": dt.date(2027, 1, 31)}
    assert parse_workdays("Mon-Fri") == frozenset(range(5))
    assert parse_workdays("Mon,Wed,Fri") == frozenset({0, 2, 4})
    assert parse_workdays("Fri-Mon") == frozenset({4, 5, 6, 0})
    for bad, parse in [("hvac:x", parse_skill_levels), ("hvac:0", parse_skill_levels),
                       ("gas", parse_certificates), ("gas:31/01/2027", parse_certificates),
                       ("Mon-Fry", parse_workdays)]:
        with pytest.raises(ValueError):
            parse(bad)


def test_reads_a_valid_directory_csv_and_parquet(tmp_path):
    d = write_dir(tmp_path / "csv", [asset("A1", due_in=40), asset("A2", last="")],
                  [engineer("E1", certified_until="hvac:2027-01-31", workdays="Mon,Wed")],
                  absences=[{"engineer": "E1", "date_from": day(3), "date_to": day(5)}],
                  holidays=[day(10)])
    data = read_maintenance_data(d)
    assert [a.asset for a in data.assets] == ["A1", "A2"]
    assert data.assets[1].last_pm_date is None
    eng = data.engineers[0]
    assert eng.workdays == frozenset({0, 2}) and eng.pm_minutes == 270
    assert eng.level_on("hvac", dt.date(2027, 1, 31)) == 2
    assert eng.level_on("hvac", dt.date(2027, 2, 1)) == 0
    assert len(data.absent()["E1"]) == 3
    pq = tmp_path / "pq"
    pq.mkdir()
    for name in ("assets", "engineers", "absences", "holidays"):
        pd.read_csv(d / f"{name}.csv", dtype=str, keep_default_na=False).to_parquet(
            pq / f"{name}.parquet")
    assert read_maintenance_data(pq) == data


def test_maintenance_subfolder_is_found(tmp_path):
    write_dir(tmp_path / "maintenance", [asset("A1", due_in=40)], [engineer("E1")])
    (tmp_path / "engineers.csv").write_text("id\nnot-a-pm-table\n")  # the dispatch's table
    assert read_maintenance_data(tmp_path).engineers[0].engineer == "E1"


@pytest.mark.parametrize(("assets", "engineers", "extra", "expected"), [
    # a bad number: file, row, column
    ([asset("A1") | {"lat": "north"}], [engineer("E1")], {},
     "assets.csv row 1, column lat: 'north' is not a number"),
    # a bad criticality names the choices
    ([asset("A1"), asset("A2") | {"criticality": "urgent"}], [engineer("E1")], {},
     "assets.csv row 2, column criticality: 'urgent' is not one of critical, general"),
    # a required cell left empty
    ([asset("A1") | {"required_skills": ""}], [engineer("E1")], {},
     "assets.csv row 1, column required_skills: required, but empty"),
    # duplicate ids
    ([asset("A1"), asset("A1")], [engineer("E1")], {},
     "assets.csv row 2, column asset: 'A1' repeats row 1"),
    # an expired-certificate column naming a skill the engineer does not hold
    ([asset("A1")], [engineer("E1", certified_until="gas:2027-01-01")], {},
     "engineers.csv row 1, column certified_until: skill(s) gas not among"),
    ([asset("A1")], [engineer("E1", workdays="Mon-Fry")], {},
     "engineers.csv row 1, column workdays: 'fry' is not a weekday"),
    ([asset("A1")], [engineer("E1", pm_share=1.5)], {},
     "engineers.csv row 1, column pm_share: '1.5' must be in (0, 1]"),
    ([asset("A1")], [engineer("E1", shift_end="07:00")], {},
     "engineers.csv row 1, column shift_end: 07:00 is not after shift_start 08:00"),
    # unknown references
    ([asset("A1")], [engineer("E1")],
     {"absences": [{"engineer": "E9", "date_from": day(1), "date_to": day(2)}]},
     "absences.csv row 1, column engineer: unknown engineer 'E9'"),
    ([asset("A1")], [engineer("E1")],
     {"notices": [{"customer": "C1", "asset": "A7", "visit_date": day(5), "slot": "any",
                   "engineer": "E1"}]},
     "notices.csv row 1, column asset: unknown asset 'A7'"),
    ([asset("A1")], [engineer("E1")],
     {"notices": [{"customer": "C2", "asset": "A1", "visit_date": day(5), "slot": "any",
                   "engineer": "E1"}]},
     "notices.csv row 1, column customer: 'C2' but asset A1 belongs to 'C1'"),
    ([asset("A1")], [engineer("E1")],
     {"absences": [{"engineer": "E1", "date_from": day(5), "date_to": day(2)}]},
     "absences.csv row 1, column date_to"),
])
def test_bad_input_names_file_row_and_column(tmp_path, assets, engineers, extra, expected):
    d = write_dir(tmp_path, assets, engineers, **extra)
    with pytest.raises(InputError) as exc:
        read_maintenance_data(d)
    assert expected in str(exc.value)


def test_all_problems_reported_at_once(tmp_path):
    d = write_dir(tmp_path, [asset("A1") | {"lat": "x"}, asset("A2") | {"pm_duration_min": "-5"}],
                  [engineer("E1")])
    with pytest.raises(InputError) as exc:
        read_maintenance_data(d)
    assert len(exc.value.problems) == 2


def test_missing_column_and_missing_file(tmp_path):
    d = write_dir(tmp_path / "a", [asset("A1")], [engineer("E1")])
    pd.read_csv(d / "assets.csv").drop(columns=["customer"]).to_csv(d / "assets.csv",
                                                                     index=False)
    with pytest.raises(InputError, match=r"assets\.csv: missing required column"):
        read_maintenance_data(d)
    (tmp_path / "b").mkdir()
    with pytest.raises(InputError, match=r"no assets\.csv"):
        read_maintenance_data(tmp_path / "b")
