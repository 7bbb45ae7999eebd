"""A real Dask LocalCluster on loopback, shared by the scenario tests of this session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def scenario_client() -> Iterator[Any]:
    pytest.importorskip("distributed")
    from distributed import Client

    from optimizer.distributed import local_cluster

    with local_cluster(2) as cluster, Client(cluster) as client:
        yield client
