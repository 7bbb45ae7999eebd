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
    """The envelope's ``normal`` peer at the probe's k (CSL 99 %) fills as the probe measured."""
    from scipy import stats

    from benchmarks.parts_peers import normal_levels

    ds = bench.load_carparts(bench.shared_dir() / "data")
    assert len(ds.Y) == 2324  # probe: 2324 eligible series
    z = stats.norm.ppf(0.99)

    def normal_csl99(H, inp):
        S = normal_levels(H, inp, k=np.array([z]))[0]
        return bench._base(S)

    normal = bench.point(ds, bench.rolling(ds, normal_csl99))
    oracle = bench.point(ds, bench.oracle(ds))
    # probe: normal fills 90.8% of units; oracle holds 5.2 months of supply
    assert normal["stockout"] == pytest.approx(1 - 0.908, abs=0.01)
    assert oracle["stockout"] <= 0.01
    assert oracle["months_of_supply"] == pytest.approx(5.22, rel=0.05)
