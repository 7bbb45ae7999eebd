"""The spare-parts data directory: typed, frozen models and a validating reader.

Follows ``shared/contract/PARTS.md``: ``parts``, ``locations``, optional ``lead_times``,
``stock``, optional ``on_order`` and ``demand``, each as CSV (UTF-8) or Parquet. Every bad row
is reported with its file, row (1-based data row; CSV line = row + 1) and field; nothing is
dropped silently. Numbers must be finite and in sane ranges (``MAX_QTY``,
``MAX_LEAD_TIME_DAYS``, ...): beyond them a value is a mistake that would break the planning
arithmetic. What is possible but suspicious — demand dated after today or far beyond the rest,
rows repeated exactly, quantities far above their own series' history, lead times over a year,
parts nothing is planned for — becomes a :class:`DataWarning` on ``PartsData.warnings``. Demand
stays a validated DataFrame (it can hold millions of rows); the small tables become tuples of
pydantic models.
"""

from __future__ import annotations

import csv
import datetime as dt
import warnings
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optimizer.errors import InputError

MAX_REPORTED = 25  # problems listed per error; the count says how many more there were

# Sane ranges (docs/reliability.md): beyond them a value is refused, naming file, row, column.
MAX_QTY = 1e9  # units in one demand row, stock position or open order
MAX_LEAD_TIME_DAYS = 3650.0  # ten years
MAX_REVIEW_DAYS = 3650
MAX_COST = 1e9  # unit and order cost, in currency units
MAX_HOLDING_RATE = 10.0  # per year (1000 %)
MAX_PACK = 10**9
# Suspicious, warned about: a lead time over a year; a quantity over OUTLIER_FACTOR times its
# series' 95th percentile of non-zero quantities (and at least OUTLIER_MIN_QTY), for a series
# with at least OUTLIER_MIN_ROWS non-zero rows; the last demand date more than
# DATE_GAP_BUCKETS buckets after the one before it.
WARN_LEAD_TIME_DAYS = 365.0
OUTLIER_FACTOR = 10.0
OUTLIER_MIN_QTY = 10.0
OUTLIER_MIN_ROWS = 8
DATE_GAP_BUCKETS = 60
WARNINGS_PER_KIND = 10  # examples listed per kind of warning


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
    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)


class DataWarning(BaseModel):
    """Something possible but suspicious in the data: planned as given, said out loud."""

    model_config = ConfigDict(frozen=True)

    kind: str  # future_date, date_gap, duplicate_rows, outlier, long_lead_time, not_planned
    file: str
    message: str
    row: int | None = None  # 1-based data row, as in errors
    location: str | None = None
    part: str | None = None

    def __str__(self) -> str:
        where = f"{self.file} row {self.row}" if self.row is not None else self.file
        return f"{where}: {self.message}"


class Part(_Frozen):
    """One row of ``parts.csv``; costs in currency units, ``holding_rate`` per year."""

    part: str = Field(min_length=1)
    unit_cost: float = Field(ge=0, le=MAX_COST)
    order_cost: float = Field(ge=0, le=MAX_COST)
    holding_rate: float = Field(ge=0, le=MAX_HOLDING_RATE)
    pack_size: int = Field(default=1, ge=1, le=MAX_PACK)
    moq: int = Field(default=1, ge=1, le=MAX_PACK)
    criticality: Criticality = Criticality.NORMAL
    name: str | None = None
    skill: str | None = None


class Location(_Frozen):
    """One row of ``locations.csv``: who resupplies this location and how fast."""

    location: str = Field(min_length=1)
    kind: LocationKind
    supplied_by: str = Field(min_length=1)
    lead_time_days_mean: float = Field(ge=0, le=MAX_LEAD_TIME_DAYS)
    lead_time_days_std: float = Field(default=0.0, ge=0, le=MAX_LEAD_TIME_DAYS)
    review_days: int = Field(default=1, ge=1, le=MAX_REVIEW_DAYS)

    @model_validator(mode="after")
    def _not_self_supplied(self) -> Location:
        if self.supplied_by == self.location:
            raise ValueError("supplied_by must differ from location")
        return self


class LeadTime(_Frozen):
    """One row of ``lead_times.csv``: a per-part override of the location's lead time."""

    location: str
    part: str
    lead_time_days_mean: float = Field(ge=0, le=MAX_LEAD_TIME_DAYS)
    lead_time_days_std: float = Field(default=0.0, ge=0, le=MAX_LEAD_TIME_DAYS)


class StockPosition(_Frozen):
    """Today's position of one part at one location."""

    location: str
    part: str
    on_hand: float = Field(ge=0, le=MAX_QTY)
    on_order: float = Field(default=0.0, ge=0, le=MAX_QTY)
    backorders: float = Field(default=0.0, ge=0, le=MAX_QTY)


class OpenOrder(_Frozen):
    location: str
    part: str
    qty: float = Field(gt=0, le=MAX_QTY)
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
    warnings: tuple[DataWarning, ...] = ()

    def part_table(self) -> pd.DataFrame:
        return pd.DataFrame([p.model_dump() for p in self.parts]).set_index("part")

    def location_table(self) -> pd.DataFrame:
        return pd.DataFrame([loc.model_dump() for loc in self.locations]).set_index("location")

    @property
    def as_of(self) -> dt.date:
        """The last demand date: 'today' for policies and orders."""
        return pd.Timestamp(self.demand["date"].max()).date()


# --------------------------------------------------------------------------- reading


def _text_problem(path: Path) -> str | None:
    """Why ``path`` is not UTF-8 CSV text, from its first bytes (None: it may well be)."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        return "empty file (0 bytes): expected a header row"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head.count(b"\x00") > len(head) // 4:
        return "UTF-16 text: save it as UTF-8 (e.g. 'CSV UTF-8' in a spreadsheet)"
    return None


def _ragged_row(path: Path) -> str:
    """The first row with another number of fields than the header, in words."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        for i, fields in enumerate(rows):
            if fields and len(fields) != len(header):
                return (f"row {i + 1} (line {rows.line_num}) has {len(fields)} fields, the "
                        f"header {len(header)} (a comma inside a value?)")
    return "rows do not match the header"


def _read_csv(path: Path) -> pd.DataFrame:
    problem = _text_problem(path)
    if problem is not None:
        raise InputError(f"{path.name}: {problem}")
    try:
        with warnings.catch_warnings():
            # pandas would take a first row with one field too many as an index column and
            # shift every column by one: an error here, never a silent re-reading
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                               encoding="utf-8-sig", index_col=False)
    except (pd.errors.ParserWarning, pd.errors.ParserError):
        raise InputError(f"{path.name} {_ragged_row(path)}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: not UTF-8 text (byte {exc.start}): save it as "
                         "UTF-8") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path.name}: no header row (the file is blank)") from None


def _read_table(directory: Path, name: str, required: bool) -> tuple[pd.DataFrame | None, str]:
    for suffix in (".csv", ".parquet"):
        path = directory / f"{name}{suffix}"
        if path.exists():
            if suffix == ".csv":
                frame = _read_csv(path)
            else:
                try:
                    frame = pd.read_parquet(path)
                except Exception as exc:  # pyarrow raises many kinds for a bad file
                    raise InputError(f"{path.name}: not a readable Parquet file "
                                     f"({type(exc).__name__}: {exc})") from None
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
            shown.append(f"... and {len(problems) - MAX_REPORTED:,} more")
        raise InputError(shown, total=len(problems))


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


_US_DATE = r"^\s*\d{1,2}/\d{1,2}/\d{4}\s*$"


def _demand_problems(
    frame: pd.DataFrame, parts: set[str], locations: set[str], file: str
) -> tuple[list[str], pd.Series, pd.Series]:
    """Every problem of the demand table (all of them: the caller caps what it shows), with
    the parsed dates and quantities."""
    _check_columns(frame, file, ["date", "location", "part", "qty"])
    problems: list[str] = []
    text = frame["date"].astype(str)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = dates.isna().to_numpy()
    us = text.str.match(_US_DATE).to_numpy()
    for i in np.flatnonzero(bad):
        hint = ", not MM/DD/YYYY" if us[i] else ""
        problems.append(f"{_row_label(file, i)}: field date={frame.at[i, 'date']!r}: not a date "
                        f"(expected YYYY-MM-DD{hint})")
    qty = pd.to_numeric(frame["qty"], errors="coerce")
    for i in np.flatnonzero(qty.isna().to_numpy()):
        problems.append(f"{_row_label(file, i)}: field qty={frame.at[i, 'qty']!r}: not a number")
    for i in np.flatnonzero(np.isinf(qty.to_numpy(dtype=float))):
        problems.append(f"{_row_label(file, i)}: field qty={frame.at[i, 'qty']!r}: not a finite "
                        "number")
    for i in np.flatnonzero((qty < 0).to_numpy()):
        problems.append(f"{_row_label(file, i)}: field qty={frame.at[i, 'qty']!r}: negative "
                        "quantity (returns are not demand)")
    for i in np.flatnonzero(((qty > MAX_QTY) & np.isfinite(qty)).to_numpy()):
        problems.append(f"{_row_label(file, i)}: field qty={frame.at[i, 'qty']!r}: absurd "
                        f"quantity (more than {MAX_QTY:,.0f} units in one row)")
    problems += _unknown(frame, file, "part", parts)
    problems += _unknown(frame, file, "location", locations)
    return problems, dates, qty


def validate_demand(
    frame: pd.DataFrame, parts: set[str], locations: set[str], file: str = "demand.csv"
) -> pd.DataFrame:
    """Vectorised checks of the demand table; returns typed columns or raises InputError."""
    problems, dates, qty = _demand_problems(frame, parts, locations, file)
    _raise(problems)
    return _typed_demand(frame, dates, qty)


def _typed_demand(frame: pd.DataFrame, dates: pd.Series, qty: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "date": dates.to_numpy(dtype="datetime64[ns]"),
        "location": frame["location"].astype(str).to_numpy(),
        "part": frame["part"].astype(str).to_numpy(),
        "qty": qty.to_numpy(dtype=float),
    })


# --------------------------------------------------------------------------- warnings


def _examples(rows: np.ndarray, demand: pd.DataFrame) -> str:
    shown = [f"row {i + 1} ({pd.Timestamp(demand.at[i, 'date']).date()}, "
             f"{demand.at[i, 'location']}/{demand.at[i, 'part']}, qty {demand.at[i, 'qty']:g})"
             for i in rows[:3]]
    return "; ".join(shown) + (f"; ... {len(rows) - 3:,} more" if len(rows) > 3 else "")


def _date_warnings(demand: pd.DataFrame, file: str, bucket: Bucket,
                   today: dt.date) -> list[DataWarning]:
    out = []
    dates = demand["date"]
    future = np.flatnonzero((dates > pd.Timestamp(today)).to_numpy())
    if len(future):
        out.append(DataWarning(
            kind="future_date", file=file, row=int(future[0]) + 1,
            message=f"{len(future):,} demand row(s) dated after today ({today}): "
                    f"{_examples(future, demand)}; demand history cannot lie in the future, "
                    f"and 'today' for policies and orders becomes {dates.max().date()}"))
    unique = np.sort(pd.unique(dates.to_numpy()))
    if len(unique) >= 3:
        gap_days = (unique[-1] - unique[-2]) / np.timedelta64(1, "D")
        if gap_days > DATE_GAP_BUCKETS * bucket.days:
            late = np.flatnonzero((dates == unique[-1]).to_numpy())
            out.append(DataWarning(
                kind="date_gap", file=file, row=int(late[0]) + 1,
                message=f"the last demand date {pd.Timestamp(unique[-1]).date()} is "
                        f"{gap_days:,.0f} days after the one before it: "
                        f"{_examples(late, demand)}; the history is read as {gap_days:,.0f} "
                        "days without demand"))
    return out


def _duplicate_warnings(demand: pd.DataFrame, file: str) -> list[DataWarning]:
    dup = np.flatnonzero(demand.duplicated(keep="first").to_numpy())
    if not len(dup):
        return []
    return [DataWarning(
        kind="duplicate_rows", file=file, row=int(dup[0]) + 1,
        message=f"{len(dup):,} row(s) repeat an earlier row exactly (date, location, part, qty): "
                f"{_examples(dup, demand)}; they are counted as separate demand")]


def _outlier_warnings(demand: pd.DataFrame, file: str) -> list[DataWarning]:
    nz = demand[demand["qty"] > 0]
    if nz.empty:
        return []
    groups = nz.groupby(["location", "part"])["qty"]
    n = groups.transform("size")
    p95 = groups.transform(lambda q: q.quantile(0.95))
    limit = np.maximum(OUTLIER_FACTOR * p95, OUTLIER_MIN_QTY)
    hit = nz[(n >= OUTLIER_MIN_ROWS) & (nz["qty"] > limit)]
    out = []
    for i in hit.index[:WARNINGS_PER_KIND]:
        loc, part, qty = demand.at[i, "location"], demand.at[i, "part"], demand.at[i, "qty"]
        out.append(DataWarning(
            kind="outlier", file=file, row=int(i) + 1, location=loc, part=part,
            message=f"qty {qty:g} on {pd.Timestamp(demand.at[i, 'date']).date()} at "
                    f"{loc}/{part} is over {OUTLIER_FACTOR:g} times that series' 95th "
                    f"percentile ({p95[i]:g}); planned as given"))
    if len(hit) > WARNINGS_PER_KIND:
        out.append(DataWarning(kind="outlier", file=file,
                               message=f"... {len(hit) - WARNINGS_PER_KIND:,} more outliers"))
    return out


def _lead_time_warnings(rows: list[tuple[str, int, str, str | None, float]]) -> list[DataWarning]:
    return [
        DataWarning(kind="long_lead_time", file=file, row=i + 1, location=loc, part=part,
                    message=f"lead_time_days_mean={days:g} at {loc}"
                            + (f" for {part}" if part else "")
                            + f": over {WARN_LEAD_TIME_DAYS:g} days (check the unit: days); "
                              "its stock covers the whole lead time")
        for file, i, loc, part, days in rows if days > WARN_LEAD_TIME_DAYS
    ][:WARNINGS_PER_KIND]


def _unplanned_warnings(parts: list[Part], file: str, demand: pd.DataFrame,
                        stock: list[StockPosition], on_order: list[OpenOrder]) -> list[DataWarning]:
    seen = set(demand["part"]) | {s.part for s in stock} | {o.part for o in on_order}
    missing = [(i, p.part) for i, p in enumerate(parts) if p.part not in seen]
    out = [DataWarning(kind="not_planned", file=file, row=i + 1, part=part,
                       message=f"part {part} has no stock row, no demand and no open order at "
                               "any location: no policy is planned for it (add a stock row, "
                               "on_hand 0, where it should be stocked)")
           for i, part in missing[:WARNINGS_PER_KIND]]
    if len(missing) > WARNINGS_PER_KIND:
        out.append(DataWarning(
            kind="not_planned", file=file,
            message=f"... {len(missing) - WARNINGS_PER_KIND:,} more parts with nothing to plan"))
    return out


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


def read_parts_data(directory: str | Path, bucket: Bucket | str | None = None, *,
                    today: dt.date | None = None) -> PartsData:
    """Read and validate a parts data directory (CSV or Parquet per the contract).

    ``bucket`` says how demand is bucketed; ``None`` detects it from the demand dates.
    ``today`` (default: the system date) is what demand dated later is warned about.
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
    files: dict[str, str] = {}
    for name, model, cols in (
        ("lead_times", LeadTime, ["location", "part", "lead_time_days_mean"]),
        ("stock", StockPosition, ["location", "part", "on_hand"]),
        ("on_order", OpenOrder, ["location", "part", "qty", "due"]),
    ):
        frame, file = _read_table(directory, name, name == "stock")
        files[name] = file
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
    p, dates, qty = _demand_problems(demand_df, part_ids, loc_ids, demand_file)
    _raise(problems + p)
    demand = _typed_demand(demand_df, dates, qty)
    if demand.empty:
        raise InputError(f"{demand_file}: no demand rows")
    chosen = Bucket(bucket) if bucket is not None else detect_bucket(demand["date"])
    lead_rows = [(loc_file, i, x.location, None, x.lead_time_days_mean)
                 for i, x in enumerate(locations)]
    lead_rows += [(files["lead_times"], i, x.location, x.part, x.lead_time_days_mean)
                  for i, x in enumerate(tables["lead_times"])]
    warnings = [
        *_date_warnings(demand, demand_file, chosen, today or dt.date.today()),
        *_duplicate_warnings(demand, demand_file),
        *_outlier_warnings(demand, demand_file),
        *_lead_time_warnings(lead_rows),
        *_unplanned_warnings(parts, parts_file, demand, tables["stock"], tables["on_order"]),
    ]
    return PartsData(
        parts=tuple(parts), locations=tuple(locations), lead_times=tuple(tables["lead_times"]),
        stock=tuple(tables["stock"]), on_order=tuple(tables["on_order"]),
        demand=demand, bucket=chosen, warnings=tuple(warnings),
    )
