"""Worker processes that never outlive their parent and never hold its sockets.

Every process the engine starts for its own work (territory solves, the service's solves,
engine portfolios) comes from here, so that a crash or a kill of the parent leaves nothing
behind:

- processes are *spawned* (a fresh interpreter by ``exec``), never forked: they inherit no
  file descriptor but the pipes they talk over, so a worker never holds the service's
  listening socket, a database connection or a lock, and a multi-threaded parent cannot
  deadlock them;
- each worker asks the kernel (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to be killed when
  its parent dies, however it dies (``kill -9``, OOM, a crash), and exits at once if the parent
  is already gone by the time it asks; the death signal follows the parent *thread* that
  started the worker, so pools start all their workers at creation, from the thread that
  owns the pool;
- workers ignore SIGINT (a Ctrl-C in a terminal reaches the whole process group: the parent
  handles it and stops them) and may be given an address-space limit, so a runaway model ends
  in ``MemoryError`` inside the worker rather than the machine's OOM killer;
- a worker that dies under a pool (killed, out of memory) fails the work with
  :class:`WorkerDied` instead of hanging it, and leaving a pool early (an error, an interrupt)
  kills its workers rather than waiting for them.

On platforms without ``prctl`` the workers still are spawned and stopped with their pool; only
the kernel's guarantee against a ``kill -9`` of the parent is missing.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import resource
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from optimizer.errors import SolverError

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1
START_METHOD = "spawn"


class WorkerDied(SolverError):
    """A worker process died before finishing its work (killed, out of memory, crashed)."""


def context() -> BaseContext:
    """The multiprocessing context every engine process is started from (spawn)."""
    return mp.get_context(START_METHOD)


def die_with_parent(parent_pid: int | None = None, sig: int = signal.SIGKILL) -> bool:
    """Have the kernel send ``sig`` to this process when its parent dies (Linux only).

    With ``parent_pid`` (the pid the parent had when it started us), exit at once if the
    parent is already gone: a death before the request would otherwise go unnoticed.
    Returns whether the kernel took the request.
    """
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            armed = False
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
    return armed


def limit_memory(max_bytes: int | None) -> None:
    """Cap this process's address space at ``max_bytes`` (None: leave it as it is)."""
    if max_bytes is None:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _worker_setup(
    parent_pid: int,
    max_bytes: int | None,
    initializer: Callable[..., Any] | None,
    initargs: tuple[Any, ...],
) -> None:
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_memory(max_bytes)
    if initializer is not None:
        initializer(*initargs)


def _nothing() -> int:
    return os.getpid()


def process_pool(
    max_workers: int,
    *,
    max_bytes: int | None = None,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A pool of ``max_workers`` spawned processes that die with this one (see module doc).

    All workers are started now, from the calling thread: keep the pool in a thread that
    lives at least as long as it (the main thread, or the thread that uses and closes it).
    ``max_bytes`` caps each worker's address space.
    """
    if max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, got {max_workers}")
    pool = ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=context(),
        initializer=_worker_setup,
        initargs=(os.getpid(), max_bytes, initializer, initargs),
    )
    # Each submit finds no idle worker and starts one: all of them start here, in this thread.
    for f in [pool.submit(_nothing) for _ in range(max_workers)]:
        f.add_done_callback(_ignore)
    return pool


def _ignore(future: Future[Any]) -> None:
    future.exception()  # read it, so a failed warm-up is not reported as never retrieved


def pids(pool: ProcessPoolExecutor) -> list[int]:
    """The process ids of ``pool``'s workers (alive or not yet reaped)."""
    procs = getattr(pool, "_processes", None) or {}
    return [p.pid for p in list(procs.values()) if p.pid is not None]


def stop(pool: ProcessPoolExecutor) -> None:
    """Kill ``pool``'s workers now and release the pool without waiting for its work."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        with contextlib.suppress(Exception):
            p.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=5)


@contextlib.contextmanager
def worker_pool(max_workers: int, **kwargs: Any) -> Iterator[ProcessPoolExecutor]:
    """:func:`process_pool` for a ``with`` block: closed normally on success; on an error or an
    interrupt its workers are killed at once (an error must not wait out a long solve)."""
    pool = process_pool(max_workers, **kwargs)
    try:
        yield pool
    except BaseException:
        stop(pool)
        raise
    pool.shutdown(wait=True)


def result(future: Future[R], what: str = "a worker process", timeout: float | None = None) -> R:
    """``future.result(timeout)``, with a dead worker (or work cancelled by :func:`stop`)
    reported as :class:`WorkerDied`; a timeout raises ``concurrent.futures.TimeoutError``."""
    try:
        return future.result(timeout)
    except (BrokenProcessPool, CancelledError) as exc:
        raise WorkerDied(_died(what)) from exc


def map_all(
    pool: ProcessPoolExecutor, fn: Callable[[T], R], items: Iterable[T],
    what: str = "a worker process",
) -> list[R]:
    """``[fn(x) for x in items]`` on ``pool``, in order; a dead worker raises
    :class:`WorkerDied` (the pool is then broken: :func:`stop` it)."""
    try:
        futures = [pool.submit(fn, x) for x in items]
    except BrokenProcessPool as exc:
        raise WorkerDied(_died(what)) from exc
    return [result(f, what) for f in futures]


def _run_child(
    parent_pid: int, max_bytes: int | None, target: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    _worker_setup(parent_pid, max_bytes, None, ())
    target(*args)


def start_process(
    target: Callable[..., Any], *args: Any, max_bytes: int | None = None,
    name: str | None = None,
) -> Any:
    """Start ``target(*args)`` in one spawned process that dies with this one (and this
    thread: see the module doc); returns the started ``multiprocessing`` process."""
    proc = context().Process(
        target=_run_child, args=(os.getpid(), max_bytes, target, args), name=name
    )
    proc.start()
    return proc


def _died(what: str) -> str:
    return (f"{what} died before finishing (killed, or out of memory: see the system log); "
            "the work was abandoned")
