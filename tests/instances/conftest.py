"""Shared data for the instance-reader tests: skipped with a clear message when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    """``../shared`` beside the repository, or ``$OPTIMIZER_SHARED_DIR``."""
    env = os.environ.get("OPTIMIZER_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def solomon_dir() -> Path:
    d = shared_dir() / "data" / "solomon"
    if not (d / "instances").is_dir():
        pytest.skip(f"Solomon data not found at {d} (set OPTIMIZER_SHARED_DIR)")
    return d


@pytest.fixture(scope="session")
def pillac_dir() -> Path:
    d = shared_dir() / "data" / "trsp-pillac"
    if not (d / "instances_txt").is_dir():
        pytest.skip(f"Pillac TRSP data not found at {d} (set OPTIMIZER_SHARED_DIR)")
    return d
