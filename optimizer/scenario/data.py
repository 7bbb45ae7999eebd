"""The data a scenario changes: the dispatch problem, the parts tables and run settings.

Parts tables stay as read (every column kept, unknown files too), so a scenario's data
directory is the base directory with only the changes applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from optimizer.batch.inputs import locate, read_data_dir_problem
from optimizer.errors import InputError
from optimizer.io import to_json, write_text_atomic
from optimizer.models import Problem

#: Problem tables a data directory may hold instead of problem.json (not parts tables).
PROBLEM_TABLES = frozenset({"engineers", "jobs", "depots"})


@dataclass(frozen=True)
class ScenarioData:
    """A problem, the parts tables by name (``parts``, ``locations``, ``stock`` ...) and
    settings of the run (``stock_budget``, ``stock_budget_factor``).

    Treat it as immutable: functions that change it return a new one with new tables.
    """

    problem: Problem
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    def with_(self, **changes: Any) -> ScenarioData:
        """A copy with some fields replaced."""
        values = {"problem": self.problem, "tables": dict(self.tables),
                  "settings": dict(self.settings)}
        values.update(changes)
        return ScenarioData(**values)

    def table(self, name: str) -> pd.DataFrame | None:
        """A copy of one parts table, or None when the base has none."""
        frame = self.tables.get(name)
        return None if frame is None else frame.copy()


def _read_frame(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def load_base(data_dir: str | Path) -> ScenarioData:
    """Read a nightly data directory: the problem and every parts table beside it."""
    found = locate(data_dir)
    problem = read_data_dir_problem(found.root)
    tables: dict[str, pd.DataFrame] = {}
    if found.parts_dir is not None:
        for path in sorted(found.parts_dir.iterdir()):
            if path.suffix not in (".csv", ".parquet") or path.stem in PROBLEM_TABLES:
                continue
            if path.stem in tables:  # CSV first, as the readers do
                continue
            try:
                tables[path.stem] = _read_frame(path)
            except (OSError, ValueError) as exc:
                raise InputError(f"{path}: not readable ({exc})") from exc
    return ScenarioData(problem=problem, tables=tables)


def write_data(data: ScenarioData, directory: str | Path) -> Path:
    """Write ``problem.json`` and the parts tables as CSV into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "problem.json", to_json(data.problem))
    for name, frame in data.tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    return out
