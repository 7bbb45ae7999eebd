"""The plan store, on SQLite and on a real PostgreSQL: life cycle, leases, versions, restarts."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from optimizer.service.store import (
    MAX_ATTEMPTS,
    PlanNotFound,
    PlanNotReady,
    PlanStatus,
    SqliteStore,
    StoreError,
    VersionConflict,
    open_store,
    redact_url,
)


class Clock:
    """A settable clock for leases (seconds since the epoch)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _done_plan(store: Any, problem: dict[str, Any], plan: dict[str, Any]) -> str:
    """A plan resource taken through its solve to ``done`` with the contract's example plan."""
    stored = store.create(json.dumps(problem), {"time_limit_s": 1.0, "seed": 0}, owner="me",
                          lease_s=30)
    assert store.claim(stored.id, "me", 30)
    assert store.finish(stored.id, "me", plan_json=json.dumps(plan))
    return str(stored.id)


def _batch(problem: dict[str, Any], plan: dict[str, Any], tag: str) -> dict[str, Any]:
    return {
        "problem_json": json.dumps(problem),
        "plan_json": json.dumps(plan),
        "now": "2026-11-24T11:00:00+08:00",
        "events": [{"type": "job_cancelled", "job": tag}],
        "diff": {"cancelled": [tag], "unchanged": 4},
    }


def test_life_cycle(store_url: str, problem_json: dict, plan_json: dict) -> None:
    store = open_store(store_url)
    stored = store.create(json.dumps(problem_json), {"seed": 3}, owner="me", lease_s=30)
    assert (stored.status, stored.version, stored.plan, stored.history) == (
        PlanStatus.QUEUED, 0, None, []
    )
    assert stored.problem == problem_json
    assert not store.claim(stored.id, "someone else", 30)  # only the owner starts it
    assert store.claim(stored.id, "me", 30)
    assert not store.claim(stored.id, "me", 30)  # already solving
    assert store.get(stored.id).status is PlanStatus.SOLVING
    assert not store.finish(stored.id, "someone else", plan_json="{}")
    assert store.finish(stored.id, "me", plan_json=json.dumps(plan_json))
    done = store.get(stored.id)
    assert (done.status, done.plan, done.options, done.attempts) == (
        PlanStatus.DONE, plan_json, {"seed": 3}, 1
    )


def test_failed_solve_keeps_its_error(store_url: str, problem_json: dict) -> None:
    store = open_store(store_url)
    stored = store.create(json.dumps(problem_json), {}, owner="me", lease_s=30)
    store.claim(stored.id, "me", 30)
    error = {"code": "infeasible", "message": "no", "field": None}
    assert store.finish(stored.id, "me", error=error)
    failed = store.get(stored.id)
    assert (failed.status, failed.error, failed.plan) == (PlanStatus.FAILED, error, None)


def test_unknown_plan(store_url: str) -> None:
    store = open_store(store_url)
    with pytest.raises(PlanNotFound, match="'nope'"):
        store.get("nope")
    with pytest.raises(PlanNotFound):
        store.apply_events("nope", 0, **_batch({}, {}, "J1"))


def test_events_bump_the_version_and_keep_history(
    store_url: str, problem_json: dict, plan_json: dict
) -> None:
    store = open_store(store_url)
    plan_id = _done_plan(store, problem_json, plan_json)
    after = dict(problem_json, jobs=problem_json["jobs"][1:])
    assert store.apply_events(plan_id, 0, **_batch(after, plan_json, "J001")) == 1
    assert store.apply_events(plan_id, 1, **_batch(after, plan_json, "J002")) == 2
    stored = store.get(plan_id)
    assert stored.version == 2
    assert stored.problem == after  # the current problem is the last problem_after
    assert [b.version for b in stored.history] == [1, 2]
    assert stored.history[0].events == [{"type": "job_cancelled", "job": "J001"}]
    assert stored.history[1].diff == {"cancelled": ["J002"], "unchanged": 4}


def test_stale_version_is_refused(store_url: str, problem_json: dict, plan_json: dict) -> None:
    store = open_store(store_url)
    plan_id = _done_plan(store, problem_json, plan_json)
    store.apply_events(plan_id, 0, **_batch(problem_json, plan_json, "J001"))
    with pytest.raises(VersionConflict) as err:
        store.apply_events(plan_id, 0, **_batch(problem_json, plan_json, "J002"))
    assert (err.value.base_version, err.value.current_version) == (0, 1)
    with pytest.raises(VersionConflict):
        store.check_version(plan_id, 0)
    assert [b.events[0]["job"] for b in store.get(plan_id).history] == ["J001"]


def test_events_need_a_solved_plan(store_url: str, problem_json: dict) -> None:
    store = open_store(store_url)
    stored = store.create(json.dumps(problem_json), {}, owner="me", lease_s=30)
    with pytest.raises(PlanNotReady, match="queued"):
        store.apply_events(stored.id, 0, **_batch(problem_json, {}, "J001"))


def test_concurrent_dispatchers_cannot_both_win(
    store_url: str, problem_json: dict, plan_json: dict
) -> None:
    """Eight threads commit against version 0 at once: exactly one wins, seven get 409."""
    store = open_store(store_url)
    plan_id = _done_plan(store, problem_json, plan_json)
    n = 8
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def dispatcher(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            store.apply_events(plan_id, 0, **_batch(problem_json, plan_json, f"J{i}"))
            result = f"won {i}"
        except VersionConflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(outcomes) == n
    assert len(winners) == 1, outcomes
    stored = store.get(plan_id)
    assert stored.version == 1
    assert f"won {stored.history[0].events[0]['job'][1:]}" == winners[0]


def test_a_reopened_store_serves_the_same_plans(
    store_url: str, problem_json: dict, plan_json: dict
) -> None:
    store = open_store(store_url)
    plan_id = _done_plan(store, problem_json, plan_json)
    store.apply_events(plan_id, 0, **_batch(problem_json, plan_json, "J001"))
    before = store.get(plan_id)
    store.close()
    again = open_store(store_url)  # a restart: a new process opening the same store
    assert again.get(plan_id) == before


def test_an_expired_lease_is_recovered_and_a_live_one_is_not(
    store_url: str, problem_json: dict
) -> None:
    clock = Clock()
    store = open_store(store_url, clock)
    solving = store.create(json.dumps(problem_json), {}, owner="dead", lease_s=30)
    store.claim(solving.id, "dead", 30)
    queued = store.create(json.dumps(problem_json), {}, owner="dead", lease_s=30)
    live = store.create(json.dumps(problem_json), {}, owner="alive", lease_s=30)
    clock.now += 20
    store.renew("alive", [live.id], 30)  # the live process keeps beating
    assert store.recover("me", 30) == []  # nothing has run out yet
    clock.now += 20
    assert sorted(store.recover("me", 30)) == sorted([solving.id, queued.id])
    for plan_id in (solving.id, queued.id):
        assert store.get(plan_id).status is PlanStatus.QUEUED
        assert store.claim(plan_id, "me", 30)  # now ours to solve
    assert not store.finish(solving.id, "dead", plan_json="{}")  # the old owner is out
    assert store.get(live.id).status is PlanStatus.QUEUED
    assert not store.claim(live.id, "me", 30)


def test_a_solve_that_keeps_dying_is_failed(store_url: str, problem_json: dict) -> None:
    clock = Clock()
    store = open_store(store_url, clock)
    stored = store.create(json.dumps(problem_json), {}, owner="p0", lease_s=10)
    owner = "p0"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert store.claim(stored.id, owner, 10)  # starts, then its process dies
        clock.now += 11
        owner = f"p{attempt}"
        taken = store.recover(owner, 10)
        assert taken == ([stored.id] if attempt < MAX_ATTEMPTS else [])
    failed = store.get(stored.id)
    assert failed.status is PlanStatus.FAILED
    assert failed.error is not None and failed.error["code"] == "solve_interrupted"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://relative.db", "bad SQLite URL"),  # two slashes: no path
        ("mysql://u:secret@h/db", "unknown store URL"),  # not a kind we keep
        (":memory:", "in-memory"),  # would lose every plan on restart
    ],
)
def test_bad_store_urls(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as err:
        open_store(url)
    assert "secret" not in str(err.value)


def test_sqlite_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert isinstance(open_store("sqlite:///rel.db"), SqliteStore)
    assert (tmp_path / "rel.db").exists()
    assert open_store(f"sqlite:///{tmp_path}/abs.db").path == tmp_path / "abs.db"
    assert open_store(str(tmp_path / "plain.db")).path == tmp_path / "plain.db"


def test_redact_url() -> None:
    assert redact_url("postgresql://u:pw@db.local:5432/plans") == (
        "postgresql://u:***@db.local:5432/plans"
    )
    assert redact_url("postgresql://db.local/plans") == "postgresql://db.local/plans"
