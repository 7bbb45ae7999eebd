"""The dynamic TRSP replay: every reveal re-optimised, every plan valid, nothing lost."""

from __future__ import annotations

import pytest

from benchmarks.common import shared_dir
from benchmarks.dynamic_trsp import read_release_dates, replay
from optimizer.dispatcher.reoptimize import ReoptimizeOptions
from optimizer.instances.pillac import read_pillac, request_id
from optimizer.models import JobStop

FOLDER = shared_dir() / "data" / "trsp-pillac"
NAME = "C101.100_25-5-5-5"


@pytest.fixture(scope="module")
def c101():
    if not (FOLDER / "instances_txt" / f"{NAME}.txt").exists():
        pytest.skip(f"shared Pillac data not found under {FOLDER}")
    inst = read_pillac(FOLDER / "instances_txt" / f"{NAME}.txt")
    return inst, read_release_dates(FOLDER / "dynamic_release_dates" / f"{NAME}_rd_10.txt")


def test_release_dates_cover_every_request(c101):
    inst, release = c101
    assert set(release) == set(inst.requests)
    assert sum(t >= 0 for t in release.values()) == 10


def test_replay_keeps_every_request_and_every_plan_valid(c101):
    inst, release = c101
    day = replay(inst, release, initial_s=0.0, options=ReoptimizeOptions(solver_time_s=0.0))
    assert day.invalid == 0, day.first_violation
    assert len(day.latencies) == len({round(t * 100) for t in release.values() if t >= 0})
    placed = {s.job for r in day.plan.routes for s in r.stops if isinstance(s, JobStop)}
    left = {u.job for u in day.plan.unassigned}
    assert placed | left == {request_id(n) for n in inst.requests}
    assert not placed & left
