"""Reading scenario files: TOML and YAML, defaults, and every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_helpers import REPO

from optimizer.errors import InputError
from optimizer.scenario import read_scenario
from optimizer.scenario.models import AddEngineers, ScaleJobs

TOML = """
description = "more work in the east"
base = "data"

[[changes]]
type = "add_engineers"
template = "E001"
count = 2

[[changes]]
type = "scale_jobs"
factor = 1.5
jobs.region = { lat = 31.2, lon = 121.5, radius_km = 5 }
"""

YAML = """
description: more work in the east
base: data
changes:
  - type: add_engineers
    template: E001
    count: 2
  - type: scale_jobs
    factor: 1.5
    jobs:
      region: {lat: 31.2, lon: 121.5, radius_km: 5}
"""


@pytest.mark.parametrize(("name", "text"), [("east.toml", TOML), ("east.yaml", YAML)])
def test_toml_and_yaml_read_the_same(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    s = read_scenario(path)
    assert s.name == "east"  # the file name without extension
    assert Path(s.base) == (tmp_path / "data").resolve()
    assert isinstance(s.changes[0], AddEngineers) and s.changes[0].count == 2
    assert isinstance(s.changes[1], ScaleJobs)
    assert s.changes[1].jobs.region is not None and s.changes[1].jobs.region.shape == "circle"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[changes]]\ntype = "hire"\n', "hire"),  # unknown change type
        ('[[changes]]\ntype = "add_engineers"\ntemplat = "E1"\n', "templat"),  # typo
        ('[[changes]]\ntype = "remove_engineers"\nids = ["E1"]\ncount = 1\n', "ids or count"),
        ('[[changes]]\ntype = "scale_jobs"\nfactor = 2\njobs.region = { lat = 1.0 }\n',
         "region"),  # incomplete circle
        ('[[changes]]\ntype = "change_stock_budget"\n', "exactly one"),  # neither
        ('[[changes]]\ntype = "scale_jobs"\nfactor = -1\n', "factor"),  # negative
    ],
)
def test_bad_scenarios_are_named(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('base = "data"\n' + body)
    with pytest.raises(InputError, match=message):
        read_scenario(path)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_scenario(tmp_path / "missing.toml")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match=r"\.toml"):
        read_scenario(tmp_path / "x.json")
    (tmp_path / "broken.toml").write_text("base = ")
    with pytest.raises(InputError, match="TOML"):
        read_scenario(tmp_path / "broken.toml")
    (tmp_path / "broken.yaml").write_text("- [")
    with pytest.raises(InputError, match="YAML"):
        read_scenario(tmp_path / "broken.yaml")


EXAMPLES = sorted([*REPO.glob("scenarios/*.toml"), *REPO.glob("scenarios/*.yaml")])


def test_at_least_four_examples_ship() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_apply_to_the_demo(path: Path) -> None:
    from optimizer.scenario import apply_changes

    s = read_scenario(path)
    if not (Path(s.base) / "problem.json").exists():
        pytest.skip(f"demo data not generated yet ({s.base}/problem.json)")
    base = _demo(s.base)
    data = apply_changes(base, s.changes)
    changed = (data.problem != base.problem or dict(data.settings) != dict(base.settings)
               or any(not data.tables[n].equals(base.tables[n]) for n in base.tables))
    assert changed, "the scenario changes nothing"


_DEMO: dict[str, object] = {}


def _demo(path: str):
    from optimizer.scenario import load_base

    if path not in _DEMO:
        _DEMO[path] = load_base(path)
    return _DEMO[path]
