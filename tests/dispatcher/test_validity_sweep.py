"""A moderate deterministic validity sweep (``benchmarks/reoptimize_sweep.py``): every event
mix, several times of day (one after most shifts end), repair path: zero invalid plans."""

from __future__ import annotations

import pytest

from benchmarks.reoptimize_sweep import MIXES, run_case


@pytest.mark.parametrize("seed", [0, 4, 5])
def test_sweep_has_no_invalid_plan(seed):
    rows = run_case((seed, "60x8", "greedy", [1.0, 4.5, 8.5], MIXES))
    bad = [f"h={r['hours']} {r['mix']}: {r['first'] or r['rules']}" for r in rows if r["rules"]]
    assert len(rows) == 3 * len(MIXES)
    assert not bad, "\n".join(bad)
