"""Executors: run territory solves and scenarios serially or on a Dask distributed cluster.

``executor`` says where work runs:

- ``"serial"``: in this process, one task after another;
- ``"local"`` (the default when neither ``executor`` nor ``scheduler`` is given): a Dask
  ``LocalCluster`` of ``workers`` single-threaded processes, started for the call and closed
  after it;
- ``scheduler="tcp://host:8786"``: a ``Client`` connected to an existing cluster;
- a ``distributed.Client`` or any ``concurrent.futures.Executor`` the caller owns (not closed).

Results come back in input order, and every task is a pure function of its arguments (fixed
seeds; give ``SolveOptions(max_solutions=...)`` rather than a time limit alone), so the same
result comes out whichever executor runs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

from optimizer.dispatch.options import SolveOptions
from optimizer.dispatch.solve import solve
from optimizer.dispatch.territories import TerritoryRun
from optimizer.models import Plan, Problem

T = TypeVar("T")
R = TypeVar("R")

ExecutorSpec = Literal["serial", "local"] | Executor | Any | None
MapFn = Callable[[Callable[[T], R], Sequence[T]], list[R]]


def _serial_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [fn(x) for x in items]


def _client_map(client: Any) -> MapFn:
    """A map over a Dask client: results in input order, tasks never cached (pure=False)."""

    def run(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if not items:
            return []
        futures = client.map(fn, list(items), pure=False)
        return list(client.gather(futures))

    return run


def _executor_map(pool: Executor) -> MapFn:
    def run(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [f.result() for f in [pool.submit(fn, x) for x in items]]

    return run


def _dask() -> Any:
    """The ``distributed`` package (Dask), imported when first needed."""
    import distributed  # start-up time: it takes seconds to load, and most runs never need it

    return distributed


def _is_client(obj: Any) -> bool:
    return isinstance(obj, _dask().Client)


def local_cluster(workers: int | None = None, **kwargs: Any) -> Any:
    """A ``LocalCluster`` of ``workers`` single-threaded processes (default: CPU count).

    It listens on loopback only, without a dashboard; the scheduler's small HTTP server (health
    checks) takes a free port rather than 8787, so several clusters can run side by side.
    """
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {n}")
    options: dict[str, Any] = {
        "n_workers": n,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": None,
        "scheduler_kwargs": {"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    }
    options.update(kwargs)
    return _dask().LocalCluster(**options)


@contextmanager
def mapper(
    executor: ExecutorSpec = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[MapFn]:
    """A ``map(fn, items) -> list`` for the chosen executor, closed on exit if started here."""
    if scheduler is not None and executor not in (None, "local"):
        raise ValueError("give either scheduler or executor, not both")
    if scheduler is not None:
        with _dask().Client(scheduler) as client:
            yield _client_map(client)
        return
    if executor == "serial":
        yield _serial_map
        return
    if executor is None or executor == "local":
        with local_cluster(workers) as cluster, _dask().Client(cluster) as client:
            yield _client_map(client)
        return
    if isinstance(executor, str):
        raise ValueError(f"executor must be 'serial', 'local', a Client or an Executor, "
                         f"got {executor!r}")
    if _is_client(executor):
        yield _client_map(executor)
        return
    if isinstance(executor, Executor):
        yield _executor_map(executor)
        return
    raise TypeError(f"executor: unsupported type {type(executor).__name__}")


def map_scenarios(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    executor: ExecutorSpec = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> list[R]:
    """``[fn(x) for x in items]``, run in parallel on the chosen executor, in input order.

    ``fn`` must be picklable (a module-level function) for a cluster to run it.
    """
    if workers is not None and executor is None and scheduler is None:
        workers = max(1, min(workers, len(items)))
    with mapper(executor, workers=workers, scheduler=scheduler) as run:
        return run(fn, items)


def solve_partitioned(
    problem: Problem,
    options: SolveOptions | None = None,
    *,
    executor: ExecutorSpec = None,
    workers: int | None = None,
    scheduler: str | None = None,
    n_parts: int | None = None,
    regions: Mapping[str, str] | None = None,
    seed: int = 0,
    border: bool = True,
    max_offer_km: float | None = None,
) -> Plan:
    """Solve ``problem`` territory by territory on the chosen executor; one contract plan.

    The same solve as :func:`optimizer.dispatch.solve` on a large day (territories, border
    pass, merge, then the fill pass over the whole day), with the territory solves run where
    ``executor`` says: see :mod:`optimizer.dispatch.territories` for how territories, stock
    and borders are handled. The plan's ``solver`` holds ``partitions``, per-territory sizes
    and wall times, and how many border jobs were offered and placed.
    """
    options = options or SolveOptions()
    with mapper(executor, workers=workers, scheduler=scheduler) as run:
        return solve(problem, options, territories=TerritoryRun(
            map_fn=run, n_parts=n_parts, regions=regions, seed=seed, border=border,
            max_offer_km=max_offer_km))
