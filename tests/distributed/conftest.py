"""One real Dask LocalCluster on loopback for the whole test session (starting one costs
a few seconds), and the run-time check for the dispatch solver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[Any]:
    pytest.importorskip("distributed")
    from optimizer.distributed import local_cluster

    # LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
    # dashboard_address=None), its health server on a free loopback port.
    with local_cluster(2) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def dask_client(dask_cluster: Any) -> Iterator[Any]:
    from distributed import Client

    with Client(dask_cluster) as client:
        yield client
