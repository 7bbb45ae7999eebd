"""Fault injection on the command line: ``kill -9`` and SIGTERM of ``optimizer nightly`` and
``optimizer plan`` at several stages leave no process behind (within 10 s), no one holding
the caller's pipes, and outputs intact: the previous night's OUT_DIR untouched, no plan file
half-written."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import proc_helpers as h
import pytest

from optimizer.batch.outputs import verify, write_atomic_dir

DEMO = h.REPO / "scenarios" / "demo"
OPTIMIZER = [sys.executable, "-m", "optimizer.cli"]

# stage name -> the stderr line after which the run is killed
NIGHTLY_STAGES = {
    "read": "[nightly] read ...",
    "territories": "territories on 2 process(es)",
    "parts": "[nightly] parts ...",
}


def _previous_night(out: Path) -> dict[str, str]:
    files = {"plan.json": '{"previous": true}\n', "orders.csv": "part,qty\nP1,3\n"}
    write_atomic_dir(out, files, {"note": "the previous night"})
    return files


def _kill_and_check(run: h.Run, sig: int) -> None:
    workers = h.descendants(run.pid)
    try:
        os.kill(run.pid, sig)
        run.proc.wait(timeout=10)
        assert h.gone_within(workers, 10) == [], f"left behind: {workers}"
        assert run.pipes_closed(10), "someone still holds the caller's stdout/stderr"
    finally:
        h.kill_all(workers)


@pytest.mark.parametrize(
    ("stage", "sig"),
    [("read", signal.SIGKILL), ("territories", signal.SIGKILL), ("territories", signal.SIGTERM),
     ("parts", signal.SIGTERM)],
)
def test_killed_nightly_leaves_nothing_behind(tmp_path: Path, stage: str, sig: int) -> None:
    out = tmp_path / "out"
    before = _previous_night(out)
    limit = "4" if stage == "parts" else "60"  # the parts stage comes after the whole solve
    # the territory stage is OR-Tools' (auto runs it inside an engine process, see below)
    engine = ["--engine", "ortools"] if stage == "territories" else []
    run = h.Run([*OPTIMIZER, "nightly", str(DEMO), "-o", str(out), "--time-limit", limit,
                 *engine])
    try:
        assert run.wait_for(NIGHTLY_STAGES[stage], 120), run.stderr()
        if stage == "territories":
            assert len(h.descendants(run.pid)) >= 2, "expected territory workers"
        _kill_and_check(run, sig)
    finally:
        run.kill()
    assert verify(out) == []
    for name, text in before.items():
        assert (out / name).read_text() == text
    assert sorted(p.name for p in out.iterdir()) == ["_COMPLETE", "orders.csv", "plan.json"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_plan_leaves_nothing_behind(tmp_path: Path, sig: int) -> None:
    target = tmp_path / "plan.json"
    run = h.Run([*OPTIMIZER, "plan", str(DEMO / "problem.json"), "-o", str(target),
                 "--time-limit", "60", "--engine", "ortools"])
    try:
        assert run.wait_for("territories on 2 process(es)", 120), run.stderr()
        _kill_and_check(run, sig)
    finally:
        run.kill()
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_killed_nightly_on_a_dask_cluster_leaves_nothing_behind(tmp_path: Path) -> None:
    """``--workers 2`` solves on a local Dask cluster: its worker processes and nannies die
    with the nightly too (Dask's own parent watch; checked here, not assumed)."""
    run = h.Run([*OPTIMIZER, "nightly", str(DEMO), "-o", str(tmp_path / "out"),
                 "--time-limit", "60", "--workers", "2"])
    try:
        assert run.wait_for("[nightly] solve ...", 120), run.stderr()
        deadline = time.monotonic() + 60
        while len(h.descendants(run.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(h.descendants(run.pid)) >= 3, "expected the cluster's processes"
        time.sleep(1)  # let the cluster start its work
        _kill_and_check(run, signal.SIGKILL)
    finally:
        run.kill()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_plan_leaves_no_engine_behind(tmp_path: Path, sig: int) -> None:
    """The engine portfolio (auto: OR-Tools beside VROOM on the demo) runs VROOM in a worker
    process while OR-Tools plans in the command's own: killing the plan kills the worker too."""
    target = tmp_path / "plan.json"
    run = h.Run([*OPTIMIZER, "plan", str(DEMO / "problem.json"), "-o", str(target),
                 "--time-limit", "60"])
    try:
        assert run.wait_for("(in parallel", 120), run.stderr()
        assert len(h.descendants(run.pid)) >= 1, "expected an engine process"
        _kill_and_check(run, sig)
    finally:
        run.kill()
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
