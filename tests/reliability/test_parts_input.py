"""Spare-parts input: the impossible is refused (rc 2, file, row, column), the suspicious is
warned about (stderr, data_warnings.csv, the summary, the nightly's notes), and no part is
left out without a word."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import parts_cases as pc
import pytest

from optimizer import cli
from optimizer.errors import InputError
from optimizer.parts.data import read_parts_data

TODAY = date(2025, 6, 1)


def _refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], **kw: object) -> str:
    data = pc.write(tmp_path / "data", **kw)  # type: ignore[arg-type]
    rc = cli.main(["parts", "policy", str(data), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("qty", "words"),
    [("inf", "not a finite number"), ("-inf", "not a finite number"),
     ("1e20", "absurd quantity"), ("nan", "not a number")],
)
def test_impossible_demand_quantity_is_rc_2_with_file_row_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], qty: str, words: str
) -> None:
    rows = pc.demand_rows()
    rows[3] = rows[3].rsplit(",", 1)[0] + f",{qty}"
    err = _refused(tmp_path, capsys, rows=rows)
    assert f"demand.csv row 4: field qty='{qty}': {words}" in err


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("parts", pc.PARTS.replace("P2,100,", "P2,inf,"), "parts.csv row 2: field unit_cost"),
        ("locations", pc.LOCATIONS.replace("WH,central,supplier,14", "WH,central,supplier,1e5"),
         "locations.csv row 1: field lead_time_days_mean"),
        ("stock", pc.STOCK.replace("D1,P1,5,", "D1,P1,1e300,"), "stock.csv row 1: field on_hand"),
        ("parts", pc.PARTS.replace("P3,5,20,0.25", "P3,5,20,nan"),
         "parts.csv row 3: field holding_rate"),
    ],
)
def test_impossible_numbers_in_the_small_tables_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, text: str, expected: str
) -> None:
    assert expected in _refused(tmp_path, capsys, **{file: text})


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "empty file"), ("date,location,part,qty\n2025-01-01,D1,P1,1\n".encode("utf-16"),
                           "UTF-16"), (b"\n\n", "no header row"),
     (b"date,location,part,qty\n2025-01-01,D1,\xff\xfe\xfa,1\n", "not UTF-8")],
)
def test_unreadable_demand_files_are_rc_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, words: str
) -> None:
    err = _refused(tmp_path, capsys, demand=content)
    assert "demand.csv" in err and words in err


def test_a_utf8_bom_is_read(tmp_path: Path) -> None:
    text = "\n".join(["date,location,part,qty", *pc.demand_rows()]) + "\n"
    data = pc.write(tmp_path / "d", demand="\ufeff" + text)
    assert len(read_parts_data(data).demand) == len(pc.demand_rows())


def _kinds(data: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for w in read_parts_data(data, today=TODAY).warnings:
        out.setdefault(w.kind, []).append(str(w))
    return out


def test_clean_data_has_no_warning(tmp_path: Path) -> None:
    assert _kinds(pc.write(tmp_path / "d")) == {}


def test_future_and_isolated_dates_are_warned(tmp_path: Path) -> None:
    kinds = _kinds(pc.write(tmp_path / "d", rows=[*pc.demand_rows(), "2031-03-01,D1,P1,1"]))
    assert "dated after today (2025-06-01)" in kinds["future_date"][0]
    assert "2031-03-01" in kinds["future_date"][0]
    assert "days after the one before it" in kinds["date_gap"][0]


def test_duplicated_rows_are_warned(tmp_path: Path) -> None:
    rows = pc.demand_rows()
    kinds = _kinds(pc.write(tmp_path / "d", rows=rows + [rows[10]] * 2000))
    assert "2,000 row(s) repeat an earlier row exactly" in kinds["duplicate_rows"][0]


def test_an_outlier_against_its_own_series_is_warned(tmp_path: Path) -> None:
    rows = pc.demand_rows()
    rows[20] = rows[20].rsplit(",", 1)[0] + ",500"
    kinds = _kinds(pc.write(tmp_path / "d", rows=rows))
    assert len(kinds["outlier"]) == 1 and "qty 500" in kinds["outlier"][0]
    assert "demand.csv row 21" in kinds["outlier"][0]


def test_a_long_lead_time_is_warned(tmp_path: Path) -> None:
    text = pc.LOCATIONS.replace("WH,central,supplier,14", "WH,central,supplier,400")
    kinds = _kinds(pc.write(tmp_path / "d", locations=text))
    assert "locations.csv row 1: lead_time_days_mean=400" in kinds["long_lead_time"][0]


def test_a_part_with_nothing_to_plan_is_named(tmp_path: Path) -> None:
    parts = pc.PARTS + "P4,7,20,0.25,1,1,normal\n"
    kinds = _kinds(pc.write(tmp_path / "d", parts=parts))
    assert "parts.csv row 4: part P4 has no stock row" in kinds["not_planned"][0]


def test_warnings_reach_stderr_the_output_and_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = pc.demand_rows()
    data = pc.write(tmp_path / "d", rows=[*rows, rows[0]],
                    parts=pc.PARTS + "P4,7,20,0.25,1,1,normal\n")
    out = tmp_path / "out"
    assert cli.main(["parts", "policy", str(data), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "warning: demand.csv row" in captured.err and "part P4" in captured.err
    assert "2 data warning(s) (duplicate_rows, not_planned)" in captured.out
    table = pd.read_csv(out / "data_warnings.csv")
    assert sorted(table["kind"]) == ["duplicate_rows", "not_planned"]
    policy = pd.read_csv(out / "policy.csv")
    assert "P4" not in set(policy["part"])  # no policy: said so above, not silently


def test_refusals_count_every_row(tmp_path: Path) -> None:
    rows = [r.rsplit(",", 1)[0] + ",inf" for r in pc.demand_rows()]
    with pytest.raises(InputError) as info:
        read_parts_data(pc.write(tmp_path / "d", rows=rows))
    assert info.value.total == len(rows)
    assert str(info.value).startswith(f"{len(rows)} problems")


def test_nightly_carries_the_data_warnings_in_its_notes(tmp_path: Path) -> None:
    import shutil

    from optimizer.batch.nightly import run_nightly

    demo = Path(__file__).resolve().parents[2] / "scenarios" / "demo"
    data = tmp_path / "demo"
    data.mkdir()
    for name in ("problem.json", "parts.csv", "locations.csv", "lead_times.csv", "stock.csv",
                 "on_order.csv", "demand.csv"):
        shutil.copy(demo / name, data / name)
    lines = (data / "demand.csv").read_text().splitlines()
    (data / "demand.csv").write_text("\n".join([*lines, lines[-1]]) + "\n")
    result = run_nightly(data, time_limit_s=2)
    notes = [n for n in result.notes if "spare-parts data warning" in n]
    assert len(notes) == 1 and "repeat an earlier row exactly" in notes[0]
    assert notes[0] in result.kpis["notes"]
    assert "repeat an earlier row exactly" in result.report_html
