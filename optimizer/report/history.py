"""Reading the service history (``history.csv`` / ``.parquet``, shared/contract/MAINTENANCE.md).

One row per job done or closed. Every cell is checked and every problem reported with the file,
the row (1-based data row; the CSV line is row + 1), the job id and the column; nothing is
dropped: a bad row is an error, not a skipped row. Times must carry a UTC offset; the order of
the facts must be possible (responded, arrived and completed not before reported; completed not
before arrived); ``parts_on_time`` is at most ``parts_needed``; ``satisfaction`` is 1-5.
Unknown columns are kept in ``extra`` and otherwise ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import InputError

REQUIRED = ("job", "kind", "priority", "customer", "reported_at")
OPTIONAL = ("responded_at", "arrived_at", "completed_at", "first_time_fix", "parts_needed",
            "parts_on_time", "satisfaction", "asset", "due_date")
PRIORITIES = ("critical", "high", "normal", "low")
MAX_PROBLEMS = 50  # problems listed before "... and N more"


@dataclass(frozen=True)
class ServiceRecord:
    """One job of the history, as recorded (times tz-aware; ``row`` is 1-based)."""

    row: int
    job: str
    kind: str
    priority: str
    customer: str
    reported_at: datetime
    responded_at: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    first_time_fix: bool | None = None
    parts_needed: int | None = None
    parts_on_time: int | None = None
    satisfaction: int | None = None
    asset: str | None = None
    due_date: date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_maintenance(self) -> bool:
        return self.kind == "maintenance"


@dataclass(frozen=True)
class History:
    """The records of one history file, in file order."""

    source: str
    records: tuple[ServiceRecord, ...]

    def first_offset(self) -> tzinfo:
        """The UTC offset of the first row's ``reported_at`` (the report's default zone)."""
        tz = self.records[0].reported_at.tzinfo if self.records else None
        return tz if tz is not None else UTC


def parse_utc_offset(text: str) -> timezone:
    """``+08:00``, ``-05:30``, ``+0800``, ``Z`` or ``UTC`` -> a fixed offset."""
    t = text.strip()
    if t.upper() in ("Z", "UTC"):
        return UTC
    sign = {"+": 1, "-": -1}.get(t[:1])
    digits = t[1:].replace(":", "")
    if sign is None or len(digits) != 4 or not digits.isdigit():
        raise InputError(f"--utc-offset {text!r}: write it as +HH:MM or -HH:MM (e.g. +08:00)")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes >= 60:
        raise InputError(f"--utc-offset {text!r}: not a UTC offset (at most +/-14:00)")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _blank(value: Any) -> bool:
    """An empty cell: None, NaN, NaT, pd.NA (Parquet's nullable types) or blank text."""
    if isinstance(value, str):
        return value.strip() == ""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _time(value: Any) -> datetime:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        t = value
    else:
        text = str(value).strip()
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("not an ISO 8601 time (write e.g. 2026-11-24T08:00:00+08:00)") \
                from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("time has no UTC offset (write e.g. 2026-11-24T08:00:00+08:00)")
    return t


def _date(value: Any) -> date:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a date (write YYYY-MM-DD)") from None


def _count(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("not a whole number of units")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("not a whole number of units") from None
    if not number.is_integer() or number < 0:
        raise ValueError("not a whole number of units >= 0")
    return int(number)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "1.0", "yes"):
        return True
    if text in ("false", "0", "0.0", "no"):
        return False
    raise ValueError("expected true or false")


def _score(value: Any) -> int:
    number = _count(value)
    if not 1 <= number <= 5:
        raise ValueError("a satisfaction score is 1 to 5")
    return number


_PARSERS = {"reported_at": _time, "responded_at": _time, "arrived_at": _time,
            "completed_at": _time, "first_time_fix": _flag, "parts_needed": _count,
            "parts_on_time": _count, "satisfaction": _score, "due_date": _date}


def _frame(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read it: {exc}") from exc
    raise InputError(f"{path}: a history is .csv or .parquet, not {suffix or 'no suffix'!r}")


def _record(i: int, row: Mapping[str, Any], where: str, problems: list[str],
            extra_cols: list[str]) -> ServiceRecord | None:
    label = f"{where} row {i + 1}"
    job = row.get("job")
    if not _blank(job):
        label += f" (job {str(job).strip()!r})"
    values: dict[str, Any] = {}
    bad = False
    for col in REQUIRED:
        if _blank(row.get(col)):
            problems.append(f"{label}: column {col}: empty (required)")
            bad = True
    for col in (*REQUIRED, *OPTIONAL):
        value = row.get(col)
        if _blank(value) or col not in _PARSERS:
            values[col] = None if _blank(value) else str(value).strip()
            continue
        try:
            values[col] = _PARSERS[col](value)
        except ValueError as exc:
            problems.append(f"{label}: column {col}={value!r}: {exc}")
            bad = True
    if values["priority"] is not None and values["priority"] not in PRIORITIES:
        problems.append(f"{label}: column priority={values['priority']!r}: expected one of "
                        f"{', '.join(PRIORITIES)}")
        bad = True
    if bad:
        return None
    rec = ServiceRecord(row=i + 1, **values,
                        extra={c: row[c] for c in extra_cols if not _blank(row.get(c))})
    problems.extend(f"{label}: {p}" for p in _order_problems(rec))
    return rec


def _order_problems(r: ServiceRecord) -> list[str]:
    out = []
    for col in ("responded_at", "arrived_at", "completed_at"):
        t = getattr(r, col)
        if t is not None and t < r.reported_at:
            out.append(f"column {col}={t.isoformat()}: before reported_at "
                       f"{r.reported_at.isoformat()}")
    if r.arrived_at is not None and r.completed_at is not None and r.completed_at < r.arrived_at:
        out.append(f"column completed_at={r.completed_at.isoformat()}: before arrived_at "
                   f"{r.arrived_at.isoformat()}")
    if r.parts_on_time is not None and r.parts_needed is None:
        out.append(f"column parts_on_time={r.parts_on_time}: given without parts_needed")
    if (r.parts_on_time is not None and r.parts_needed is not None
            and r.parts_on_time > r.parts_needed):
        out.append(f"column parts_on_time={r.parts_on_time}: more than parts_needed "
                   f"{r.parts_needed}")
    return out


def read_history(path: str | Path) -> History:
    """Read and check a history file (see module docstring); InputError lists every problem."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    frame = _frame(path)
    where = path.name
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{where}: missing required column(s) {', '.join(missing)} "
                         f"(has {', '.join(map(str, frame.columns)) or 'none'})")
    extra_cols = [str(c) for c in frame.columns if c not in (*REQUIRED, *OPTIONAL)]
    problems: list[str] = []
    records: list[ServiceRecord] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(frame.to_dict("records")):
        rec = _record(i, row, where, problems, extra_cols)
        if rec is None:
            continue
        if rec.job in seen:
            problems.append(f"{where} row {i + 1}: column job={rec.job!r}: duplicate id (also "
                            f"row {seen[rec.job]}); one row per job")
        seen.setdefault(rec.job, i + 1)
        records.append(rec)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise InputError(shown)
    if not records:
        raise InputError(f"{where}: no rows (a history has one row per job done or closed)")
    return History(source=str(path), records=tuple(records))
