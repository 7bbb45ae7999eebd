"""The maintenance data directory (``shared/contract/MAINTENANCE.md``): typed models and a reader.

Files: ``assets``, ``engineers`` (required), ``absences``, ``holidays``, ``notices`` (optional),
each as ``.csv`` or ``.parquet``, and an optional ``travel.json``. A directory that holds the
dispatch tables too may keep these files in a ``maintenance/`` sub-folder instead (the bundled
demo does), so ``engineers.csv`` of the two contracts never meet.

Every bad cell is reported with its file, row (1-based data row; CSV line = row + 1), column and
what is wrong; all problems of a file are collected before raising; nothing is dropped. The
``skill:level`` and ``skill:YYYY-MM-DD`` cells are read by the dispatch contract's own parsers
(``optimizer.models.parse_skill_levels`` / ``parse_certificates``), so both contracts read
them alike.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from optimizer.errors import InputError
from optimizer.io import table_path
from optimizer.models import (
    HaversineTravel,
    MatrixTravel,
    Travel,
    describe_validation_error,
    parse_certificates,
    parse_skill_levels,
)

SUBFOLDER = "maintenance"
MARKER = "assets"  # assets.csv / assets.parquet marks a maintenance data directory
DEFAULT_TRAVEL = HaversineTravel(speed_kmh=30.0, circuity=1.3)
CYCLE_DAYS = {"critical": 91, "general": 182}
MAX_REPORTED = 30
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Criticality(StrEnum):
    CRITICAL = "critical"
    GENERAL = "general"


class Slot(StrEnum):
    """The part of the day a customer agreed to: ``am`` 08-12, ``pm`` 13-17, ``any``."""

    AM = "am"
    PM = "pm"
    ANY = "any"

    @property
    def rank(self) -> int:
        """Order within a day's route: morning visits first, afternoon ones last."""
        return {"am": 0, "any": 1, "pm": 2}[self.value]


SLOT_HOURS = {Slot.AM: (dt.time(8, 0), dt.time(12, 0)), Slot.PM: (dt.time(13, 0), dt.time(17, 0))}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Asset(_Frozen):
    """One row of ``assets.csv``: a piece of equipment under a maintenance contract."""

    asset: str
    customer: str
    lat: float
    lon: float
    criticality: Criticality
    required_skills: dict[str, int]
    pm_duration_min: int
    equipment_type: str | None = None
    cycle_days: int | None = None
    last_pm_date: dt.date | None = None
    slot: Slot = Slot.ANY
    contract_end: dt.date | None = None

    @property
    def cycle(self) -> int:
        """Days between visits: ``cycle_days`` or 91 (critical) / 182 (general)."""
        return self.cycle_days if self.cycle_days is not None else CYCLE_DAYS[self.criticality]


class PmEngineer(_Frozen):
    """One row of ``engineers.csv``: who can do PM work, when, and how much of a shift."""

    engineer: str
    lat: float
    lon: float
    skills: dict[str, int]
    certified_until: dict[str, dt.date] = {}
    workdays: frozenset[int] = frozenset(range(5))  # 0 = Monday
    shift_start: dt.time = dt.time(8, 0)
    shift_end: dt.time = dt.time(17, 0)
    pm_share: float = 0.5

    @property
    def pm_minutes(self) -> int:
        """PM time of one day, travel included: ``pm_share`` x the shift, whole minutes down."""
        shift = (self.shift_end.hour * 60 + self.shift_end.minute) - (
            self.shift_start.hour * 60 + self.shift_start.minute
        )
        return int(self.pm_share * shift + 1e-9)

    def level_on(self, skill: str, day: dt.date) -> int:
        """The skill's level on ``day``: 0 when not held or its certificate has expired."""
        until = self.certified_until.get(skill)
        if until is not None and day > until:
            return 0
        return self.skills.get(skill, 0)

    def qualified_on(self, required: dict[str, int], day: dt.date) -> bool:
        return all(self.level_on(s, day) >= lvl for s, lvl in required.items())

    def holds(self, required: dict[str, int]) -> bool:
        """Holds every skill at the level, certificates aside."""
        return all(self.skills.get(s, 0) >= lvl for s, lvl in required.items())


class Absence(_Frozen):
    engineer: str
    date_from: dt.date
    date_to: dt.date


class Notice(_Frozen):
    """A visit already announced to the customer: fixed date and slot."""

    customer: str
    asset: str
    visit_date: dt.date
    slot: Slot
    engineer: str | None = None


class MaintenanceData(BaseModel):
    """A whole validated maintenance data directory."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    assets: tuple[Asset, ...]
    engineers: tuple[PmEngineer, ...]
    absences: tuple[Absence, ...] = ()
    holidays: frozenset[dt.date] = frozenset()
    travel: HaversineTravel | MatrixTravel = DEFAULT_TRAVEL
    notices: tuple[Notice, ...] = ()

    def absent(self) -> dict[str, set[dt.date]]:
        """Engineer -> the dates they are away."""
        out: dict[str, set[dt.date]] = {}
        for a in self.absences:
            days = (a.date_to - a.date_from).days
            out.setdefault(a.engineer, set()).update(
                a.date_from + dt.timedelta(days=k) for k in range(days + 1)
            )
        return out


# --------------------------------------------------------------------------- cell parsers


def parse_date(text: Any) -> dt.date:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_workdays(text: str) -> frozenset[int]:
    """``Mon-Fri``, ``Mon,Wed,Fri`` or ``Mon-Wed,Sat`` -> weekday numbers (Monday 0)."""
    days: set[int] = set()
    for part in str(text).replace(";", ",").split(","):
        part = part.strip().lower()
        if not part:
            continue
        first, sep, last = part.partition("-")
        a, b = _weekday(first), _weekday(last) if sep else None
        if b is None:
            days.add(a)
        else:
            k = a
            while True:
                days.add(k)
                if k == b:
                    break
                k = (k + 1) % 7
    if not days:
        raise ValueError(f"{text!r} names no weekday")
    return frozenset(days)


def _weekday(text: str) -> int:
    key = text.strip().lower()[:3]
    if key not in WEEKDAYS:
        raise ValueError(f"{text!r} is not a weekday (Mon ... Sun)")
    return WEEKDAYS.index(key)


def parse_clock(text: Any) -> dt.time:
    try:
        return dt.time.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a local time HH:MM") from None


def _number(text: Any) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a number") from None
    if value != value:  # NaN
        raise ValueError("not a number")
    return value


def _whole(low: int) -> Callable[[Any], int]:
    def parse(text: Any) -> int:
        value = _number(text)
        if value != int(value):
            raise ValueError(f"{text!r} is not a whole number")
        if value < low:
            raise ValueError(f"{text!r} must be at least {low}")
        return int(value)

    return parse


def _bounded(low: float, high: float) -> Callable[[Any], float]:
    def parse(text: Any) -> float:
        value = _number(text)
        if not low <= value <= high:
            raise ValueError(f"{text!r} must be between {low:g} and {high:g}")
        return value

    return parse


def _share(text: Any) -> float:
    value = _number(text)
    if not 0 < value <= 1:
        raise ValueError(f"{text!r} must be in (0, 1]")
    return value


def _choice(kind: type[StrEnum]) -> Callable[[Any], StrEnum]:
    def parse(text: Any) -> StrEnum:
        try:
            return kind(str(text).strip().lower())
        except ValueError:
            options = ", ".join(k.value for k in kind)
            raise ValueError(f"{text!r} is not one of {options}") from None

    return parse


def _text(text: Any) -> str:
    value = str(text).strip()
    if not value:
        raise ValueError("empty")
    return value


_LAT, _LON = _bounded(-90, 90), _bounded(-180, 180)

# column -> (parser, required)
_ASSET_COLUMNS: dict[str, tuple[Callable[[Any], Any], bool]] = {
    "asset": (_text, True), "customer": (_text, True), "lat": (_LAT, True), "lon": (_LON, True),
    "criticality": (_choice(Criticality), True), "required_skills": (parse_skill_levels, True),
    "pm_duration_min": (_whole(1), True), "equipment_type": (str, False),
    "cycle_days": (_whole(1), False), "last_pm_date": (parse_date, False),
    "slot": (_choice(Slot), False), "contract_end": (parse_date, False),
}
_ENGINEER_COLUMNS: dict[str, tuple[Callable[[Any], Any], bool]] = {
    "engineer": (_text, True), "lat": (_LAT, True), "lon": (_LON, True),
    "skills": (parse_skill_levels, True), "certified_until": (parse_certificates, False),
    "workdays": (parse_workdays, False), "shift_start": (parse_clock, False),
    "shift_end": (parse_clock, False), "pm_share": (_share, False),
}
_ABSENCE_COLUMNS: dict[str, tuple[Callable[[Any], Any], bool]] = {
    "engineer": (_text, True), "date_from": (parse_date, True), "date_to": (parse_date, True),
}
_NOTICE_COLUMNS: dict[str, tuple[Callable[[Any], Any], bool]] = {
    "customer": (_text, True), "asset": (_text, True), "visit_date": (parse_date, True),
    "slot": (_choice(Slot), False), "engineer": (_text, False),
}


# --------------------------------------------------------------------------- tables


class _Problems(list[str]):
    def raise_if_any(self) -> None:
        if self:
            shown = list(self[:MAX_REPORTED])
            if len(self) > MAX_REPORTED:
                shown.append(f"... and {len(self) - MAX_REPORTED} more")
            raise InputError(shown)


def find_data_dir(data_dir: str | Path) -> Path:
    """The folder holding ``assets``: ``data_dir`` itself or its ``maintenance/`` sub-folder."""
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    for candidate in (root, root / SUBFOLDER):
        if table_path(candidate, MARKER) is not None:
            return candidate
    raise InputError(f"{root}: no assets.csv (or .parquet), here or in {SUBFOLDER}/; "
                     "see the maintenance data contract")


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV (all text, empty cells empty) or Parquet file, column names stripped."""
    try:
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_parquet(path)
    except Exception as exc:  # pandas raises many kinds for unreadable files
        raise InputError(f"{path.name}: not readable ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.astype(object).to_dict("records")


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _parse_rows(
    rows: list[dict[str, Any]],
    file: str,
    columns: dict[str, tuple[Callable[[Any], Any], bool]],
    problems: _Problems,
) -> list[dict[str, Any] | None]:
    """Parse each row's known columns; a row with a problem becomes ``None`` (reported)."""
    present = set(rows[0]) if rows else set()
    missing = [c for c, (_, req) in columns.items() if req and c not in present]
    if missing and rows:
        problems.append(f"{file}: missing required column(s) {', '.join(missing)}")
        return [None] * len(rows)
    out: list[dict[str, Any] | None] = []
    for i, row in enumerate(rows, start=1):
        parsed: dict[str, Any] = {}
        ok = True
        for col, (parse, required) in columns.items():
            value = row.get(col)
            if _empty(value):
                if required:
                    problems.append(f"{file} row {i}, column {col}: required, but empty")
                    ok = False
                continue
            try:
                parsed[col] = parse(value)
            except ValueError as exc:
                problems.append(f"{file} row {i}, column {col}: {exc}")
                ok = False
        out.append(parsed if ok else None)
    return out


def _unique(values: Iterable[str | None], file: str, column: str, problems: _Problems) -> None:
    seen: dict[str, int] = {}
    for i, v in enumerate(values, start=1):
        if v is None:
            continue
        if v in seen:
            problems.append(f"{file} row {i}, column {column}: {v!r} repeats row {seen[v]}")
        else:
            seen[v] = i


def _load(directory: Path, name: str, required: bool) -> tuple[list[dict[str, Any]], str] | None:
    path = table_path(directory, name)
    if path is None:
        if required:
            raise InputError(f"{directory}: missing {name}.csv (or {name}.parquet)")
        return None
    return read_table(path), path.name


def _read_assets(directory: Path, problems: _Problems) -> tuple[Asset, ...]:
    rows, file = _load(directory, "assets", True)  # type: ignore[misc]
    parsed = _parse_rows(rows, file, _ASSET_COLUMNS, problems)
    _unique(((p or {}).get("asset") for p in parsed), file, "asset", problems)
    return tuple(Asset(**p) for p in parsed if p is not None)


def _read_engineers(directory: Path, problems: _Problems) -> tuple[PmEngineer, ...]:
    rows, file = _load(directory, "engineers", True)  # type: ignore[misc]
    parsed = _parse_rows(rows, file, _ENGINEER_COLUMNS, problems)
    _unique(((p or {}).get("engineer") for p in parsed), file, "engineer", problems)
    out = []
    for i, p in enumerate(parsed, start=1):
        if p is None:
            continue
        start, end = p.get("shift_start", dt.time(8)), p.get("shift_end", dt.time(17))
        if end <= start:
            problems.append(f"{file} row {i}, column shift_end: {end:%H:%M} is not after "
                            f"shift_start {start:%H:%M}")
            continue
        unknown = sorted(set(p.get("certified_until", {})) - set(p["skills"]))
        if unknown:
            problems.append(f"{file} row {i}, column certified_until: skill(s) "
                            f"{', '.join(unknown)} not among the engineer's skills")
            continue
        out.append(PmEngineer(**p))
    return tuple(out)


def _read_absences(directory: Path, engineers: set[str], problems: _Problems
                   ) -> tuple[Absence, ...]:
    loaded = _load(directory, "absences", False)
    if loaded is None:
        return ()
    rows, file = loaded
    out = []
    for i, p in enumerate(_parse_rows(rows, file, _ABSENCE_COLUMNS, problems), start=1):
        if p is None:
            continue
        if p["engineer"] not in engineers:
            problems.append(f"{file} row {i}, column engineer: unknown engineer "
                            f"{p['engineer']!r} (not in engineers)")
        elif p["date_to"] < p["date_from"]:
            problems.append(f"{file} row {i}, column date_to: {p['date_to']} is before "
                            f"date_from {p['date_from']}")
        else:
            out.append(Absence(**p))
    return tuple(out)


def _read_holidays(directory: Path, problems: _Problems) -> frozenset[dt.date]:
    loaded = _load(directory, "holidays", False)
    if loaded is None:
        return frozenset()
    rows, file = loaded
    parsed = _parse_rows(rows, file, {"date": (parse_date, True)}, problems)
    return frozenset(p["date"] for p in parsed if p is not None)


def _notice_rows(rows: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Notice rows in the input form; the output form (``assets`` = ``a;b``) is split per asset.

    The planner's own ``notices.csv`` (one row per customer, date and slot, with ``assets``
    and an ``engineer`` column of one id, or one per asset) is accepted as is, so the next
    day's run can take the previous output's notices as its input.
    """
    out: list[tuple[int, dict[str, Any]]] = []
    for i, row in enumerate(rows, start=1):
        if "asset" in row or "assets" not in row:
            out.append((i, row))
            continue
        assets = [a.strip() for a in str(row.get("assets") or "").split(";") if a.strip()]
        engineers = [e.strip() for e in str(row.get("engineer") or "").split(";")]
        for k, asset in enumerate(assets or [""]):
            eng = engineers[k] if len(engineers) == len(assets) else engineers[0]
            out.append((i, {**row, "asset": asset, "engineer": eng}))
    return out


def _read_notices(
    directory: Path, assets: dict[str, Asset], engineers: set[str], problems: _Problems,
    path: Path | None = None,
) -> tuple[Notice, ...]:
    if path is None:
        found = table_path(directory, "notices")
        if found is None:
            return ()
        path = found
    file = path.name
    numbered = _notice_rows(read_table(path))
    parsed = _parse_rows([r for _, r in numbered], file, _NOTICE_COLUMNS, problems)
    out: list[Notice] = []
    seen: dict[str, int] = {}
    for (i, _), p in zip(numbered, parsed, strict=True):
        if p is None:
            continue
        asset = assets.get(p["asset"])
        where = f"{file} row {i}"
        if asset is None:
            problems.append(f"{where}, column asset: unknown asset {p['asset']!r}")
            continue
        if asset.customer != p["customer"]:
            problems.append(f"{where}, column customer: {p['customer']!r} but asset "
                            f"{asset.asset} belongs to {asset.customer!r}")
            continue
        if p.get("engineer") is not None and p["engineer"] not in engineers:
            problems.append(f"{where}, column engineer: unknown engineer {p['engineer']!r}")
            continue
        slot = p.get("slot", asset.slot)
        if asset.slot != Slot.ANY and slot != asset.slot:
            problems.append(f"{where}, column slot: {slot} but asset {asset.asset} takes "
                            f"visits in the {asset.slot} slot only")
            continue
        if asset.asset in seen:
            problems.append(f"{where}, column asset: {asset.asset} already announced in row "
                            f"{seen[asset.asset]}")
            continue
        seen[asset.asset] = i
        out.append(Notice(customer=p["customer"], asset=p["asset"], visit_date=p["visit_date"],
                          slot=slot, engineer=p.get("engineer")))
    return tuple(out)


def _read_travel(directory: Path) -> HaversineTravel | MatrixTravel:
    path = directory / "travel.json"
    if not path.exists():
        return DEFAULT_TRAVEL
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path.name}: not readable JSON ({exc})") from exc
    try:
        return TypeAdapter(Travel).validate_python(data)
    except ValidationError as exc:
        raise InputError([f"{path.name}: {m}" for m in describe_validation_error(exc, data)]
                         ) from exc


def read_maintenance_data(data_dir: str | Path, notices: str | Path | None = None
                          ) -> MaintenanceData:
    """Read and validate a maintenance data directory (or its ``maintenance/`` sub-folder).

    ``notices`` names an announced-visits file to use instead of the directory's own
    ``notices.csv`` (e.g. the previous run's output).
    """
    directory = find_data_dir(data_dir)
    problems = _Problems()
    assets = _read_assets(directory, problems)
    engineers = _read_engineers(directory, problems)
    problems.raise_if_any()
    names = {e.engineer for e in engineers}
    absences = _read_absences(directory, names, problems)
    holidays = _read_holidays(directory, problems)
    by_id = {a.asset: a for a in assets}
    if notices is not None and not Path(notices).exists():
        raise InputError(f"{notices}: no such notices file")
    announced = _read_notices(directory, by_id, names, problems,
                              Path(notices) if notices is not None else None)
    problems.raise_if_any()
    return MaintenanceData(assets=assets, engineers=engineers, absences=absences,
                           holidays=holidays, travel=_read_travel(directory), notices=announced)
