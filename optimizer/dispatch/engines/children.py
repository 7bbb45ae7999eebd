"""Run the engines side by side in worker processes of ``optimizer.workers``.

The workers are spawned (a fresh interpreter: no copy of the parent's threads, locks or
descriptors, so a service's listening socket is never inherited) and ask the kernel to kill
them when their parent dies (``PR_SET_PDEATHSIG``): an engine never outlives a killed nightly
run or service. Here each call gets a worker of its own, all at once; a call still running at
the deadline has its worker killed and is reported as timed out. One call may run in the
calling process meanwhile (``here``): a spawned worker spends seconds importing the engines
on a loaded machine, time a 10-second solve cannot spare twice.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from optimizer.workers import process_pool, stop


@dataclass(frozen=True)
class Outcome:
    """What a call returned (``value``), or why it did not (``error``)."""

    value: Any = None
    error: str | None = None


def can_start_children() -> bool:
    """False inside a daemonic process (a pool or Dask worker may not start processes)."""
    return not mp.current_process().daemon


def run_in_children(calls: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]],
                    deadline: float | None = None,
                    here: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
                    ) -> list[Outcome]:
    """Run every ``fn(*args)`` (module-level functions) in a worker of its own, all at once,
    and ``here`` (if given) in this process meanwhile; the outcomes in call order, ``here``'s
    last. ``deadline`` (a ``time.perf_counter()`` value): calls still running then are
    abandoned and their workers killed."""
    pool = process_pool(len(calls)) if calls else None
    clean = True
    out: list[Outcome] = []
    try:
        futures = [pool.submit(fn, *args) for fn, args in calls] if pool else []
        mine = None
        if here is not None:
            try:
                mine = Outcome(value=here[0](*here[1]))
            except Exception as exc:  # an engine's failure is an outcome, not a crash
                mine = Outcome(error=f"{type(exc).__name__}: {exc}")
        for f in futures:
            left = None if deadline is None else max(0.0, deadline - time.perf_counter())
            try:
                out.append(Outcome(value=f.result(timeout=left)))
            except FutureTimeout:
                clean = False
                out.append(Outcome(error="timed out"))
            except BrokenProcessPool:
                clean = False
                out.append(Outcome(error="the engine process died (killed, or out of memory)"))
            except Exception as exc:  # an engine's failure is an outcome, not a crash
                out.append(Outcome(error=f"{type(exc).__name__}: {exc}"))
        if mine is not None:
            out.append(mine)
    except BaseException:
        if pool is not None:
            stop(pool)
        raise
    if pool is not None:
        if clean:
            pool.shutdown(wait=True)
        else:
            stop(pool)
    return out
