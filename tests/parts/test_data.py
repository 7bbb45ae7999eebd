"""Reading and validating the parts data directory: every bad row named by file, row, field."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer.errors import InputError
from optimizer.parts.data import Bucket, Criticality, LocationKind, detect_bucket, read_parts_data


def test_reads_typed_models(data_dir) -> None:
    data = read_parts_data(data_dir)
    assert data.bucket == Bucket.DAY
    assert {p.part for p in data.parts} == {"P-0001", "P-0002", "P-0003"}
    p3 = next(p for p in data.parts if p.part == "P-0003")
    assert (p3.pack_size, p3.moq, p3.criticality) == (10, 10, Criticality.LOW)
    assert next(x for x in data.locations if x.location == "D-EAST").kind == LocationKind.DEPOT
    assert str(data.as_of) == "2026-06-30"
    with pytest.raises(ValueError):  # frozen
        data.parts[0].unit_cost = 1.0  # type: ignore[misc]


def test_parquet_is_accepted(make_data_dir) -> None:
    d = make_data_dir()
    demand = pd.read_csv(d / "demand.csv")
    (d / "demand.csv").unlink()
    demand.to_parquet(d / "demand.parquet")
    assert len(read_parts_data(d).demand) == len(demand)


BAD_DEMAND = [
    # (csv row, expected words in the message)
    ("2026-01-01,D-NORTH,P-0001,-2", ["demand.csv row 2", "qty", "negative"]),
    ("2026-01-01,D-NORTH,P-9999,1", ["demand.csv row 2", "part", "P-9999", "unknown"]),
    ("2026-01-01,D-WEST,P-0001,1", ["demand.csv row 2", "location", "D-WEST", "unknown"]),
    ("2026-13-01,D-NORTH,P-0001,1", ["demand.csv row 2", "date", "not a date"]),
    ("2026-01-02,D-NORTH,P-0001,two", ["demand.csv row 2", "qty", "not a number"]),
]


@pytest.mark.parametrize(("row", "words"), BAD_DEMAND)
def test_bad_demand_row_is_named(make_data_dir, row: str, words: list[str]) -> None:
    text = "date,location,part,qty\n2026-01-01,D-NORTH,P-0001,1\n" + row + "\n"
    d = make_data_dir(demand=text)
    with pytest.raises(InputError) as exc:
        read_parts_data(d)
    msg = str(exc.value)
    assert all(w in msg for w in words), msg


def test_all_problems_reported_at_once(make_data_dir) -> None:
    text = "date,location,part,qty\n2026-01-01,D-NORTH,P-0001,-1\n2026-01-01,X,P-0001,1\n"
    with pytest.raises(InputError) as exc:
        read_parts_data(make_data_dir(demand=text))
    assert len(exc.value.problems) == 2


BAD_MASTER = [
    # a bad criticality value
    ({"parts": "part,unit_cost,order_cost,holding_rate,criticality\nP-0001,1,1,0.2,urgent\n"},
     ["parts.csv row 1", "criticality"]),
    # a negative cost
    ({"parts": "part,unit_cost,order_cost,holding_rate,criticality\nP-0001,-1,1,0.2,high\n"},
     ["parts.csv row 1", "unit_cost"]),
    # a missing column
    ({"parts": "part,unit_cost,order_cost,criticality\nP-0001,1,1,high\n"},
     ["parts.csv", "holding_rate"]),
    # supplied by an unknown location
    ({"locations": "location,kind,supplied_by,lead_time_days_mean\nD-NORTH,depot,WH,2\n"},
     ["locations.csv", "supplied_by", "WH"]),
    # a supply loop
    ({"locations": "location,kind,supplied_by,lead_time_days_mean\nA,depot,B,2\nB,depot,A,2\n"},
     ["loops"]),
]


@pytest.mark.parametrize(("files", "words"), BAD_MASTER)
def test_bad_master_data(make_data_dir, files: dict[str, str], words: list[str]) -> None:
    text = "date,location,part,qty\n"
    with pytest.raises(InputError) as exc:
        read_parts_data(make_data_dir(demand=text, **files))
    assert all(w in str(exc.value) for w in words), str(exc.value)


def test_stock_of_unknown_part_is_reported(make_data_dir) -> None:
    stock = "location,part,on_hand\nD-NORTH,P-0404,1\n"
    with pytest.raises(InputError, match=r"stock.csv row 1: field part='P-0404'"):
        read_parts_data(make_data_dir(stock=stock))


@pytest.mark.parametrize(("dates", "bucket"), [
    (["2026-01-01", "2026-02-01", "2026-04-01"], Bucket.MONTH),
    (["2026-01-05", "2026-01-12", "2026-02-02"], Bucket.WEEK),
    (["2026-01-05", "2026-01-06", "2026-01-12"], Bucket.DAY),
])
def test_detect_bucket(dates: list[str], bucket: Bucket) -> None:
    assert detect_bucket(pd.to_datetime(pd.Series(dates))) == bucket
