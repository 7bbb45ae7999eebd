"""The executors on a real LocalCluster on loopback: same results, in order, on each."""

from __future__ import annotations

import math
import operator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from optimizer.distributed import map_scenarios, mapper

ITEMS = list(range(12))
EXPECTED = [math.factorial(x) for x in ITEMS]


def test_serial_map() -> None:
    assert map_scenarios(math.factorial, ITEMS, executor="serial") == EXPECTED


def test_dask_client_map_keeps_order(dask_client: Any) -> None:
    assert map_scenarios(math.factorial, ITEMS, executor=dask_client) == EXPECTED


def test_scheduler_address(dask_cluster: Any) -> None:
    got = map_scenarios(math.factorial, ITEMS, scheduler=dask_cluster.scheduler_address)
    assert got == EXPECTED


def test_concurrent_futures_executor() -> None:
    with ThreadPoolExecutor(2) as pool:
        assert map_scenarios(math.factorial, ITEMS, executor=pool) == EXPECTED


def test_tasks_really_run_on_workers(dask_client: Any) -> None:
    import os

    pids = map_scenarios(_pid, list(range(8)), executor=dask_client)
    assert os.getpid() not in set(pids)


def _pid(_: int) -> int:
    import os

    return os.getpid()


def test_empty_input(dask_client: Any) -> None:
    assert map_scenarios(math.factorial, [], executor=dask_client) == []


def test_worker_error_reaches_the_caller(dask_client: Any) -> None:
    with pytest.raises(ValueError):
        map_scenarios(math.factorial, [3, -1], executor=dask_client)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"executor": "threads"}, ValueError),  # unknown executor name
        ({"executor": object()}, TypeError),  # not an executor
        ({"executor": "serial", "scheduler": "tcp://127.0.0.1:1"}, ValueError),  # both given
    ],
)
def test_bad_executor(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error), mapper(**kwargs) as run:
        run(operator.neg, [1])


def test_local_cluster_started_for_the_call() -> None:
    # The default executor: a LocalCluster of `workers` processes, closed afterwards.
    assert map_scenarios(math.factorial, ITEMS[:4], workers=2) == EXPECTED[:4]
