"""optimizer.workers: worker processes die with their parent, hold none of its sockets, and a
dead worker fails the work instead of hanging it."""

from __future__ import annotations

import os
import signal
import socket
import time

import proc_helpers as h
import pytest

from optimizer.workers import (
    WorkerDied,
    die_with_parent,
    map_all,
    pids,
    process_pool,
    stop,
    worker_pool,
)

PARENT = """
import time
import proc_helpers as h
from optimizer.workers import pids, process_pool, start_process
pool = process_pool(2)
for _ in range(2):
    pool.submit(h.sleep_then_pid, 300)
lone = start_process(time.sleep, 300)
print(" ".join(str(p) for p in pids(pool) + [lone.pid]), flush=True)
time.sleep(300)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(sig: int) -> None:
    parent = h.run_python(PARENT)
    workers: list[int] = []
    try:
        assert parent.stdout is not None
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 3 and all(h.alive(p) for p in workers)
        os.kill(parent.pid, sig)
        parent.wait(timeout=10)
        assert h.gone_within(workers, 10) == [], "workers outlived their parent"
    finally:
        parent.kill()
        h.kill_all(workers)


def test_workers_hold_no_listening_socket() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        inode = os.fstat(listener.fileno()).st_ino
        assert inode in h.socket_inodes()
        with worker_pool(2) as pool:
            held = map_all(pool, h.my_sockets, [0, 1])
        assert all(inode not in s for s in held)


def test_a_dead_worker_fails_the_work_instead_of_hanging() -> None:
    pool = process_pool(2)
    try:
        with pytest.raises(WorkerDied, match="died before finishing"):
            map_all(pool, h.die, [0, 1], what="a test worker")
    finally:
        stop(pool)
    assert h.gone_within(pids(pool), 10) == []


def test_leaving_the_block_by_an_error_kills_the_workers_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(RuntimeError), worker_pool(2) as pool:
        pool.submit(h.sleep_then_pid, 300)
        workers = pids(pool)
        raise RuntimeError("the caller gave up")
    assert time.monotonic() - started < 60  # liveness, not speed: it did not wait 300 s
    assert h.gone_within(workers, 10) == []


def test_workers_run_the_work_and_report_their_pids() -> None:
    with worker_pool(2) as pool:
        got = map_all(pool, h.my_pid, range(4))
        assert set(got) <= set(pids(pool)) and os.getpid() not in got


def test_die_with_parent_is_armed_on_linux() -> None:
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("prctl(PR_SET_PDEATHSIG) is Linux only")
    # In a throwaway child: arming it changes the calling process.
    with worker_pool(1) as pool:
        assert pool.submit(die_with_parent).result() is True
