"""The benchmark protocol reproduces the shared probe's measured baselines on carparts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "parts.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_parts", BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_parts"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    if not (mod.shared_dir() / "data" / "carparts" / "carparts.csv").exists():
        pytest.skip("shared data not found (../shared/data or $OPTIMIZER_SHARED_DIR)")
    return mod


def test_carparts_baselines_match_probe(bench) -> None:
    ds = bench.load_carparts(bench.shared_dir() / "data")
    assert len(ds.Y) == 2324  # probe: 2324 eligible series
    classes = np.zeros(len(ds.Y))
    normal = bench.metrics(ds, bench.rolling(ds, bench.normal_csl99), classes)
    oracle = bench.metrics(ds, bench.oracle(ds), classes)
    # probe: normal fills 90.8% of units; oracle holds 5.2 months of supply
    assert normal["stockout_rate"] == pytest.approx(1 - 0.908, abs=0.01)
    assert oracle["stockout_rate"] <= 0.01
    assert oracle["months_of_supply"] == pytest.approx(5.22, rel=0.05)
