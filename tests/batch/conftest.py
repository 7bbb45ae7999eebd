"""Fixtures of the nightly batch tests: the contract example, a small parts data set, the
browser and a probe of whether the dispatch solver is there yet."""

from __future__ import annotations

from pathlib import Path

import pytest
from nightly_helpers import CONTRACT, write_parts_dir

from optimizer.models import Plan, Problem


@pytest.fixture(scope="session")
def contract_dir() -> Path:
    if not (CONTRACT / "problem.example.json").exists():
        pytest.skip(f"the contract examples are not at {CONTRACT} (shared/ beside the repo)")
    return CONTRACT


@pytest.fixture(scope="session")
def example(contract_dir: Path) -> tuple[Problem, Plan]:
    problem = Problem.model_validate_json((contract_dir / "problem.example.json").read_text())
    plan = Plan.model_validate_json((contract_dir / "plan.example.json").read_text())
    return problem, plan


@pytest.fixture
def parts_dir(tmp_path: Path) -> Path:
    return write_parts_dir(tmp_path / "parts")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium: installed with apt-get when root, else the test is skipped."""
    from nightly_cdp import install_chromium

    path, why = install_chromium()
    if path is None:
        pytest.skip(f"no headless browser for the report test: {why} "
                    "(install it with: apt-get update && apt-get install -y chromium)")
    return path
