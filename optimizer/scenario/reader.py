"""Read scenario files: TOML (``.toml``) or YAML (``.yaml`` / ``.yml``).

``name`` defaults to the file name without extension; ``base`` is a data directory relative to
the file (or absolute) and comes back resolved.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError
from optimizer.io import parse_model, read_text
from optimizer.scenario.models import Scenario

SUFFIXES = (".toml", ".yaml", ".yml")


def parse_scenario_text(text: str, fmt: str, source: str = "scenario") -> dict[str, Any]:
    """The raw mapping of a scenario file's text (``fmt``: ``toml`` or ``yaml``)."""
    if fmt == "toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{source}: not valid TOML ({exc})") from None
    elif fmt == "yaml":
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{source}: not valid YAML ({exc})") from None
    else:
        raise ValueError(f"fmt must be 'toml' or 'yaml', got {fmt!r}")
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping at the top level")
    return data


def read_scenario(path: str | Path) -> Scenario:
    """A validated scenario from a TOML or YAML file, with ``base`` resolved."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise InputError(f"{p}: a scenario file ends in .toml, .yaml or .yml")
    text = read_text(p)
    data = parse_scenario_text(text, "toml" if p.suffix.lower() == ".toml" else "yaml", str(p))
    data.setdefault("name", p.stem)
    scenario = parse_model(Scenario, data, source=str(p))
    base = Path(scenario.base)
    if not base.is_absolute():
        base = (p.parent / base).resolve()
    return scenario.model_copy(update={"base": str(base)})
