"""Reading a nightly data directory: the dispatch problem and the spare-parts files.

The problem is either ``problem.json`` (the contract JSON) or tables that build the same
:class:`~optimizer.models.Problem`: ``engineers``, ``jobs`` and ``depots`` as ``.csv`` or
``.parquet``, with an optional ``travel.json`` (the contract's ``travel`` object; default
haversine at 30 km/h, circuity 1.3) and optional ``problem_id.txt``.

Table layout (one row per engineer, job or depot; column names follow the contract fields):

- locations are flat columns ``<field>_lat`` / ``<field>_lon`` (``start_lat``, ``end_lat``,
  ``location_lat`` ...);
- maps (``skills``, ``van_stock``, ``stock``, ``required_skills``, ``required_parts``) are a JSON
  object or the short form ``hvac:2;electrical:1``; ``certified_until`` likewise, with dates:
  ``gas:2026-12-31;hvac:2027-03-01``;
- lists (``tools``, ``required_tools``, ``excluded_engineers``, ``preferred_engineers``) are a
  JSON array or ``a;b``;
- nested lists (``shifts``, ``time_windows``) are a JSON array of contract objects, or, for the
  common single case, the flat columns ``shift_start``, ``shift_end``, ``max_overtime_min``,
  ``break_earliest``, ``break_latest``, ``break_duration_min`` and ``tw_start``, ``tw_end``;
- ``pinned`` is a JSON object or the flat ``pinned_engineer`` / ``pinned_start``; depot
  ``open`` is JSON or ``open_start`` / ``open_end``.

Parquet cells may hold native lists and maps instead of JSON text.
The spare-parts files (``shared/contract/PARTS.md``) sit beside the problem or in ``parts/``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from optimizer.errors import InputError
from optimizer.io import table_path
from optimizer.models import Problem, describe_validation_error, parse_certificates

DEFAULT_TRAVEL = {"model": "haversine", "speed_kmh": 30.0, "circuity": 1.3}
TABLES = ("engineers", "jobs", "depots")
PARTS_MARKER = "parts"  # parts.csv / parts.parquet marks a parts data directory

_MAPS = {"skills", "van_stock", "stock", "required_skills", "required_parts"}
_LISTS = {"tools", "required_tools", "excluded_engineers", "preferred_engineers"}
_NESTED = {"shifts", "time_windows", "breaks", "pinned", "open", "end", "start", "location"}
_LOCATIONS = {"engineers": ("start", "end"), "jobs": ("location",), "depots": ("location",)}
_INTS = {"duration_min", "load", "capacity", "max_overtime_min", "pickup_min",
         "break_duration_min"}


@dataclass(frozen=True)
class DataDir:
    """Where the pieces of a nightly data directory are."""

    root: Path
    problem_source: str  # "problem.json" or "tables (engineers.csv, ...)"
    parts_dir: Path | None  # None when the directory has no spare-parts files


def locate(data_dir: str | Path) -> DataDir:
    """Find the problem and the parts files of ``data_dir`` (raises InputError if unusable)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    if (root / "problem.json").exists():
        source = "problem.json"
    else:
        found = {t: table_path(root, t) for t in TABLES}
        missing = [t for t, p in found.items() if p is None]
        if missing:
            raise InputError(
                f"{root}: no problem.json, and no table(s) {', '.join(missing)} "
                "(.csv or .parquet) to build the problem from"
            )
        source = "tables (" + ", ".join(p.name for p in found.values() if p) + ")"
    parts_dir = None
    for candidate in (root, root / "parts"):
        if table_path(candidate, PARTS_MARKER) is not None:
            parts_dir = candidate
            break
    return DataDir(root=root, problem_source=source, parts_dir=parts_dir)


def read_data_dir_problem(data_dir: str | Path) -> Problem:
    """The problem of ``data_dir``: ``problem.json`` or the engineers/jobs/depots tables."""
    root = Path(data_dir)
    path = root / "problem.json"
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not readable JSON ({exc})") from exc
        return _validate(data, str(path))
    return _validate(problem_data_from_tables(root), f"{root} tables")


def _validate(data: Any, where: str) -> Problem:
    try:
        return Problem.model_validate(data)
    except ValidationError as exc:
        raise InputError([f"{where}: {m}" for m in describe_validation_error(exc, data)]) from exc


def _read_table(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        frame = pd.read_parquet(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.astype(object).to_dict("records")


def problem_data_from_tables(root: Path) -> dict[str, Any]:
    """The contract JSON object that the tables of ``root`` describe (not yet validated)."""
    travel_path = root / "travel.json"
    travel = json.loads(travel_path.read_text()) if travel_path.exists() else DEFAULT_TRAVEL
    id_path = root / "problem_id.txt"
    problem_id = id_path.read_text().strip() if id_path.exists() else root.resolve().name
    out: dict[str, Any] = {"id": problem_id, "travel": travel}
    problems: list[str] = []
    for table in TABLES:
        path = table_path(root, table)
        assert path is not None
        rows = []
        for i, raw in enumerate(_read_table(path)):
            try:
                rows.append(_row_object(table, raw))
            except ValueError as exc:
                ident = raw.get("id")
                problems.append(f"{path.name} row {i + 1} (id {ident!r}): {exc}")
        out[table] = rows
    if problems:
        raise InputError(problems)
    return out


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _native(value: Any) -> Any:
    """Parquet cells may be numpy arrays or lists of (key, value) pairs: make plain Python."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, list):
        return [_native(v) for v in value]
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    return value


def _parse_certificates(field: str, value: Any) -> dict[str, str]:
    value = _native(value)
    if isinstance(value, list):
        value = dict(value)
    if isinstance(value, str) and not value.strip().startswith("{"):
        try:
            return {k: d.isoformat() for k, d in parse_certificates(value).items()}
        except ValueError as exc:
            raise ValueError(f"field {field}={value!r}: {exc}") from None
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError(f"field {field}={value!r}: expected 'skill:YYYY-MM-DD;...' or a map")
    return {str(k): str(v) for k, v in value.items()}


def _parse_map(field: str, value: Any) -> dict[str, int]:
    value = _native(value)
    if isinstance(value, list):  # pyarrow map type reads as [(key, value), ...]
        value = dict(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            value = {}
            for item in text.split(";"):
                if not item.strip():
                    continue
                key, sep, qty = item.partition(":")
                if not sep:
                    raise ValueError(f"field {field}={text!r}: expected 'name:qty;name:qty'")
                value[key.strip()] = qty.strip()
    if not isinstance(value, dict):
        raise ValueError(f"field {field}={value!r}: expected a map")
    return {str(k): _int(field, v) for k, v in value.items()}


def _parse_list(field: str, value: Any) -> list[Any]:
    value = _native(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
        else:
            value = [x.strip() for x in text.split(";") if x.strip()]
    if not isinstance(value, list):
        raise ValueError(f"field {field}={value!r}: expected a list")
    return value


def _parse_json(field: str, value: Any) -> Any:
    value = _native(value)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"field {field}={value!r}: not JSON ({exc.msg})") from exc
    return value


def _int(field: str, value: Any) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"field {field}={value!r}: not a number") from exc
    if not number.is_integer():
        raise ValueError(f"field {field}={value!r}: not a whole number")
    return int(number)


def _number(field: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"field {field}={value!r}: not a number") from exc


def _take(row: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {n: row.pop(n) for n in list(names) if n in row}


def _row_object(table: str, raw: dict[str, Any]) -> dict[str, Any]:
    """One table row -> one contract object (engineer, job or depot)."""
    row = {str(k): _native(v) for k, v in raw.items() if not _empty(v)}
    obj: dict[str, Any] = {}
    for loc in _LOCATIONS[table]:
        flat = _take(row, (f"{loc}_lat", f"{loc}_lon"))
        if flat:
            if len(flat) != 2:
                raise ValueError(f"{loc}: give both {loc}_lat and {loc}_lon")
            obj[loc] = {"lat": _number(f"{loc}_lat", flat[f"{loc}_lat"]),
                        "lon": _number(f"{loc}_lon", flat[f"{loc}_lon"])}
    if table == "engineers":
        shift = _take(row, ("shift_start", "shift_end", "max_overtime_min"))
        brk = _take(row, ("break_earliest", "break_latest", "break_duration_min"))
        if shift and "shifts" not in row:
            one: dict[str, Any] = {"start": shift.get("shift_start"), "end": shift.get("shift_end")}
            if "max_overtime_min" in shift:
                one["max_overtime_min"] = _int("max_overtime_min", shift["max_overtime_min"])
            if brk:
                one["breaks"] = [{
                    "earliest": brk.get("break_earliest"), "latest": brk.get("break_latest"),
                    "duration_min": _int("break_duration_min", brk.get("break_duration_min")),
                }]
            obj["shifts"] = [one]
        elif shift or brk:
            raise ValueError("give either a shifts column or shift_start/shift_end, not both")
    if table == "jobs":
        tw = _take(row, ("tw_start", "tw_end"))
        if tw and "time_windows" not in row:
            obj["time_windows"] = [{"start": tw.get("tw_start"), "end": tw.get("tw_end")}]
        pin = _take(row, ("pinned_engineer", "pinned_start"))
        if pin and "pinned" not in row:
            obj["pinned"] = {"engineer": pin.get("pinned_engineer")}
            if "pinned_start" in pin:
                obj["pinned"]["start"] = pin["pinned_start"]
    if table == "depots":
        hours = _take(row, ("open_start", "open_end"))
        if hours and "open" not in row:
            obj["open"] = {"start": hours.get("open_start"), "end": hours.get("open_end")}
    parsers: dict[str, Callable[[str, Any], Any]] = {}
    parsers.update(dict.fromkeys(_MAPS, _parse_map))
    parsers.update(dict.fromkeys(_LISTS, _parse_list))
    parsers.update(dict.fromkeys(_NESTED, _parse_json))
    parsers["certified_until"] = _parse_certificates
    for key, value in row.items():
        if key in parsers:
            obj[key] = parsers[key](key, value)
        elif key in _INTS:
            obj[key] = _int(key, value)
        elif key in ("cost_per_hour", "cost_per_km"):
            obj[key] = _number(key, value)
        else:
            obj[key] = value
    return obj


# --------------------------------------------------------------------------- writing tables


def problem_tables(problem: Problem) -> dict[str, pd.DataFrame]:
    """The engineers/jobs/depots tables (JSON cells for nested values) that build ``problem``."""
    def row(obj: Any, table: str) -> dict[str, Any]:
        data = obj.model_dump(mode="json", exclude_none=True)
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in _LOCATIONS[table] and isinstance(value, dict):
                out[f"{key}_lat"], out[f"{key}_lon"] = value["lat"], value["lon"]
            elif isinstance(value, dict | list):
                out[key] = json.dumps(value, sort_keys=True)
            else:
                out[key] = value
        return out

    return {
        "engineers": pd.DataFrame([row(e, "engineers") for e in problem.engineers]),
        "jobs": pd.DataFrame([row(j, "jobs") for j in problem.jobs]),
        "depots": pd.DataFrame([row(d, "depots") for d in problem.depots]),
    }


def write_problem_tables(problem: Problem, directory: str | Path, fmt: str = "csv") -> None:
    """Write ``problem`` as tables (``fmt`` 'csv' or 'parquet') plus travel.json/problem_id.txt."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in problem_tables(problem).items():
        if fmt == "csv":
            frame.to_csv(directory / f"{name}.csv", index=False)
        else:
            frame.to_parquet(directory / f"{name}.parquet", index=False)
    (directory / "travel.json").write_text(problem.travel.model_dump_json())
    (directory / "problem_id.txt").write_text(problem.id + "\n")
