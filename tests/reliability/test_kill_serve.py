"""Fault injection on ``optimizer serve``: ``kill -9`` and SIGTERM while idle, while solving
and while a client waits for a solve. No process is left after 10 s, the port is free at once
(a restart on it answers), the interrupted plan is re-queued and finishes; SIGTERM ends the
service within 10 s instead of waiting out its solve."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import proc_helpers as h
import pytest
import serve_helpers as sv

DEMO = h.REPO / "scenarios" / "demo" / "problem.json"


def _solving(run: h.Run, timeout: float = 60) -> list[int]:
    """Wait for the solve's process and its territory workers; return every process below
    the service."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = [p for p in h.descendants(run.pid) if "resource_tracker" not in h.cmdline(p)]
        if len(procs) >= 3:
            return h.descendants(run.pid)
        time.sleep(0.05)
    raise AssertionError(f"no solve started:\n{run.stderr()}")


@pytest.mark.parametrize(
    ("stage", "sig"),
    [("idle", signal.SIGKILL), ("solving", signal.SIGKILL), ("solving", signal.SIGTERM),
     ("waiting", signal.SIGTERM)],
)
def test_killed_service_leaves_nothing_and_a_restart_finishes_the_plan(
    tmp_path: Path, stage: str, sig: int
) -> None:
    port, db = sv.free_port(), tmp_path / "plans.db"
    run = sv.start(port, db)
    plan_id = None
    waiter: threading.Thread | None = None
    answers: list[Any] = []
    procs: list[int] = []
    try:
        if stage != "idle":
            body = {"problem": json.loads(DEMO.read_text()), "time_limit_s": 5}
            if stage == "waiting":  # a client blocked on ?wait=true when the stop comes

                def wait_call() -> None:
                    try:
                        answers.append(sv.request(port, "POST", "/plans?wait=true", body))
                    except OSError as exc:  # the connection closed: also an answer
                        answers.append(exc)

                waiter = threading.Thread(target=wait_call, daemon=True)
                waiter.start()
            else:
                status, created = sv.request(port, "POST", "/plans", body)
                assert status == 202
                plan_id = created["id"]
            procs = _solving(run)
        procs = procs or h.descendants(run.pid)
        stopped = time.monotonic()
        os.kill(run.pid, sig)
        run.proc.wait(timeout=10)
        assert time.monotonic() - stopped < 10  # liveness: SIGTERM did not wait out the solve
        assert h.gone_within(procs, 10) == [], "processes outlived the service"
        assert run.pipes_closed(10)
        assert sv.port_is_free(port), "the port is still held"
        if waiter is not None:
            waiter.join(timeout=15)
            assert answers, "the waiting client was left hanging"
        if plan_id is None and stage == "waiting":
            plan_id = _only_plan(db)
        if plan_id is not None and sig == signal.SIGTERM:
            # the solve was stopped, not waited for: its plan is back in the store, queued
            assert _status(db, plan_id) == "queued"
    finally:
        run.kill()
        h.kill_all(procs)
    again = sv.start(port, db)  # the same port, at once
    try:
        if plan_id is not None:
            done = sv.wait_plan(port, plan_id, {"done", "failed"}, timeout=120)
            assert done["status"] == "done", done.get("error")
    finally:
        os.kill(again.pid, signal.SIGTERM)
        again.proc.wait(timeout=15)
        assert h.gone_within(h.descendants(again.pid), 10) == []


def _status(db: Path, plan_id: str) -> str:
    import sqlite3

    with sqlite3.connect(db) as con:
        (status,) = con.execute("SELECT status FROM plans WHERE id = ?", (plan_id,)).fetchone()
    return str(status)


def _only_plan(db: Path) -> str:
    import sqlite3

    with sqlite3.connect(db) as con:
        (plan_id,) = con.execute("SELECT id FROM plans").fetchone()
    return str(plan_id)
