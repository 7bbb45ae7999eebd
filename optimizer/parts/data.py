"""The spare-parts data directory: typed, frozen models and a validating reader.

Follows ``shared/contract/PARTS.md``: ``parts``, ``locations``, optional ``lead_times``,
``stock``, optional ``on_order`` and ``demand``, each as CSV or Parquet. Every bad row is
reported with its file, row (1-based data row; CSV line = row + 1) and field; nothing is
dropped silently. Demand stays a validated DataFrame (it can hold millions of rows); the
small tables become tuples of pydantic models.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optimizer.errors import InputError

MAX_REPORTED = 25  # problems listed per error; the count says how many more there were


class Criticality(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


#: Default weight of one unit short by criticality, used by the system view.
CRITICALITY_WEIGHT: dict[Criticality, float] = {
    Criticality.CRITICAL: 10.0,
    Criticality.HIGH: 3.0,
    Criticality.NORMAL: 1.0,
    Criticality.LOW: 0.5,
}


class LocationKind(StrEnum):
    CENTRAL = "central"
    DEPOT = "depot"
    VAN = "van"


class Bucket(StrEnum):
    """Time bucket the demand is recorded and planned in."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def days(self) -> float:
        return {"day": 1.0, "week": 7.0, "month": 365.25 / 12}[self.value]

    @property
    def pandas_freq(self) -> str:
        return {"day": "D", "week": "W-SUN", "month": "M"}[self.value]


SUPPLIER = "supplier"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Part(_Frozen):
    """One row of ``parts.csv``; costs in currency units, ``holding_rate`` per year."""

    part: str = Field(min_length=1)
    unit_cost: float = Field(ge=0)
    order_cost: float = Field(ge=0)
    holding_rate: float = Field(ge=0)
    pack_size: int = Field(default=1, ge=1)
    moq: int = Field(default=1, ge=1)
    criticality: Criticality = Criticality.NORMAL
    name: str | None = None
    skill: str | None = None


class Location(_Frozen):
    """One row of ``locations.csv``: who resupplies this location and how fast."""

    location: str = Field(min_length=1)
    kind: LocationKind
    supplied_by: str = Field(min_length=1)
    lead_time_days_mean: float = Field(ge=0)
    lead_time_days_std: float = Field(default=0.0, ge=0)
    review_days: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _not_self_supplied(self) -> Location:
        if self.supplied_by == self.location:
            raise ValueError("supplied_by must differ from location")
        return self


class LeadTime(_Frozen):
    """One row of ``lead_times.csv``: a per-part override of the location's lead time."""

    location: str
    part: str
    lead_time_days_mean: float = Field(ge=0)
    lead_time_days_std: float = Field(default=0.0, ge=0)


class StockPosition(_Frozen):
    """Today's position of one part at one location."""

    location: str
    part: str
    on_hand: float = Field(ge=0)
    on_order: float = Field(default=0.0, ge=0)
    backorders: float = Field(default=0.0, ge=0)


class OpenOrder(_Frozen):
    location: str
    part: str
    qty: float = Field(gt=0)
    due: dt.date


class PartsData(BaseModel):
    """A whole validated data directory; ``demand`` has columns date, location, part, qty."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    parts: tuple[Part, ...]
    locations: tuple[Location, ...]
    lead_times: tuple[LeadTime, ...] = ()
    stock: tuple[StockPosition, ...] = ()
    on_order: tuple[OpenOrder, ...] = ()
    demand: pd.DataFrame
    bucket: Bucket

    def part_table(self) -> pd.DataFrame:
        return pd.DataFrame([p.model_dump() for p in self.parts]).set_index("part")

    def location_table(self) -> pd.DataFrame:
        return pd.DataFrame([loc.model_dump() for loc in self.locations]).set_index("location")

    @property
    def as_of(self) -> dt.date:
        """The last demand date: 'today' for policies and orders."""
        return pd.Timestamp(self.demand["date"].max()).date()


# --------------------------------------------------------------------------- reading


def _read_table(directory: Path, name: str, required: bool) -> tuple[pd.DataFrame | None, str]:
    for suffix in (".csv", ".parquet"):
        path = directory / f"{name}{suffix}"
        if path.exists():
            if suffix == ".csv":
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
            else:
                frame = pd.read_parquet(path)
            frame.columns = [str(c).strip() for c in frame.columns]
            return frame.reset_index(drop=True), path.name
    if required:
        raise InputError(f"{directory}: missing {name}.csv (or {name}.parquet)")
    return None, f"{name}.csv"


def _check_columns(frame: pd.DataFrame, file: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{file}: missing column(s) {', '.join(missing)}")


def _row_label(file: str, index: int) -> str:
    return f"{file} row {index + 1}"


def _raise(problems: list[str]) -> None:
    if problems:
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            shown.append(f"... and {len(problems) - MAX_REPORTED} more")
        raise InputError(shown)


def _models(frame: pd.DataFrame, file: str, model: type[_Frozen]) -> tuple[list, list[str]]:
    """Validate each row of a small table into ``model``; collect every problem."""
    out, problems = [], []
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for i, rec in enumerate(records):
        rec = {k: v for k, v in rec.items() if v is not None and v != ""}
        try:
            out.append(model.model_validate(rec))
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            errors = getattr(exc, "errors", None)
            if callable(errors):
                for err in errors():
                    field = ".".join(str(x) for x in err["loc"]) or "row"
                    value = rec.get(field)
                    problems.append(f"{_row_label(file, i)}: field {field}={value!r}: {err['msg']}")
            else:
                problems.append(f"{_row_label(file, i)}: {exc}")
    return out, problems


def _duplicates(frame: pd.DataFrame, file: str, keys: list[str]) -> list[str]:
    dup = frame.duplicated(subset=keys, keep="first")
    return [
        f"{_row_label(file, i)}: duplicate {'/'.join(keys)} "
        f"{'/'.join(str(frame.at[i, k]) for k in keys)}"
        for i in np.flatnonzero(dup.to_numpy())
    ]


def _unknown(frame: pd.DataFrame, file: str, column: str, known: set[str]) -> list[str]:
    bad = ~frame[column].astype(str).isin(known)
    return [
        f"{_row_label(file, i)}: field {column}={frame.at[i, column]!r}: unknown {column}"
        for i in np.flatnonzero(bad.to_numpy())
    ]


def validate_demand(
    frame: pd.DataFrame, parts: set[str], locations: set[str], file: str = "demand.csv"
) -> pd.DataFrame:
    """Vectorised checks of the demand table; returns typed columns or raises InputError."""
    _check_columns(frame, file, ["date", "location", "part", "qty"])
    problems: list[str] = []
    dates = pd.to_datetime(frame["date"].astype(str), format="%Y-%m-%d", errors="coerce")
    for i in np.flatnonzero(dates.isna().to_numpy()):
        problems.append(f"{_row_label(file, i)}: field date={frame.at[i, 'date']!r}: not a date "
                        "(expected YYYY-MM-DD)")
    qty = pd.to_numeric(frame["qty"], errors="coerce")
    for i in np.flatnonzero(qty.isna().to_numpy()):
        problems.append(f"{_row_label(file, i)}: field qty={frame.at[i, 'qty']!r}: not a number")
    for i in np.flatnonzero((qty < 0).to_numpy()):
        problems.append(f"{_row_label(file, i)}: field qty={frame.at[i, 'qty']!r}: negative "
                        "quantity (returns are not demand)")
    problems += _unknown(frame, file, "part", parts)
    problems += _unknown(frame, file, "location", locations)
    _raise(problems)
    return pd.DataFrame({
        "date": dates.to_numpy(dtype="datetime64[ns]"),
        "location": frame["location"].astype(str).to_numpy(),
        "part": frame["part"].astype(str).to_numpy(),
        "qty": qty.to_numpy(dtype=float),
    })


def detect_bucket(dates: pd.Series | pd.DatetimeIndex) -> Bucket:
    """Monthly if every date is a 1st of month, weekly if all share a weekday, else daily."""
    unique = pd.DatetimeIndex(pd.unique(pd.DatetimeIndex(dates))).sort_values()
    if len(unique) < 2:
        return Bucket.DAY
    gaps = np.diff(unique.to_numpy().astype("datetime64[D]").astype(np.int64))
    if (unique.day == 1).all() and gaps.min() >= 28:
        return Bucket.MONTH
    if len(set(unique.day_of_week)) == 1 and gaps.min() >= 7:
        return Bucket.WEEK
    return Bucket.DAY


def _check_supply_graph(locations: list[Location], file: str) -> list[str]:
    ids = {loc.location for loc in locations}
    problems = [
        f"{file}: location {loc.location}: field supplied_by={loc.supplied_by!r}: unknown location"
        for loc in locations if loc.supplied_by != SUPPLIER and loc.supplied_by not in ids
    ]
    parent = {loc.location: loc.supplied_by for loc in locations}
    for start in ids:
        seen, node = set(), start
        while node in parent and node not in seen:
            seen.add(node)
            node = parent[node]
        if node in seen and node == start:
            problems.append(f"{file}: location {start}: supply chain loops back to itself")
    return problems


def read_parts_data(directory: str | Path, bucket: Bucket | str | None = None) -> PartsData:
    """Read and validate a parts data directory (CSV or Parquet per the contract).

    ``bucket`` says how demand is bucketed; ``None`` detects it from the demand dates.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    problems: list[str] = []

    parts_df, parts_file = _read_table(directory, "parts", True)
    _check_columns(parts_df, parts_file,
                   ["part", "unit_cost", "order_cost", "holding_rate", "criticality"])
    parts, p = _models(parts_df, parts_file, Part)
    problems += p + _duplicates(parts_df, parts_file, ["part"])

    loc_df, loc_file = _read_table(directory, "locations", True)
    _check_columns(loc_df, loc_file, ["location", "kind", "supplied_by", "lead_time_days_mean"])
    locations, p = _models(loc_df, loc_file, Location)
    problems += p + _duplicates(loc_df, loc_file, ["location"])
    problems += _check_supply_graph(locations, loc_file)
    _raise(problems)

    part_ids = {x.part for x in parts}
    loc_ids = {x.location for x in locations}

    tables: dict[str, list] = {}
    for name, model, cols in (
        ("lead_times", LeadTime, ["location", "part", "lead_time_days_mean"]),
        ("stock", StockPosition, ["location", "part", "on_hand"]),
        ("on_order", OpenOrder, ["location", "part", "qty", "due"]),
    ):
        frame, file = _read_table(directory, name, name == "stock")
        if frame is None:
            tables[name] = []
            continue
        _check_columns(frame, file, cols)
        rows, p = _models(frame, file, model)
        problems += p + _unknown(frame, file, "part", part_ids)
        problems += _unknown(frame, file, "location", loc_ids)
        if name != "on_order":
            problems += _duplicates(frame, file, ["location", "part"])
        tables[name] = rows

    demand_df, demand_file = _read_table(directory, "demand", True)
    try:
        demand = validate_demand(demand_df, part_ids, loc_ids, demand_file)
    except InputError as exc:
        problems += exc.problems
        demand = None
    _raise(problems)
    assert demand is not None
    if demand.empty:
        raise InputError(f"{demand_file}: no demand rows")
    chosen = Bucket(bucket) if bucket is not None else detect_bucket(demand["date"])
    return PartsData(
        parts=tuple(parts), locations=tuple(locations), lead_times=tuple(tables["lead_times"]),
        stock=tuple(tables["stock"]), on_order=tuple(tables["on_order"]),
        demand=demand, bucket=chosen,
    )
