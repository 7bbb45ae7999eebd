"""Partitioned solves with the real solver: valid merged plans, the same on every executor."""

from __future__ import annotations

from typing import Any

import pytest
from partition_helpers import contract_problem, generated

from optimizer.dispatch import SolveOptions
from optimizer.distributed import solve_partitioned
from optimizer.models import Plan
from optimizer.validate import validate

# A work limit, not a time limit: the same plan on any machine and executor.
OPTIONS = SolveOptions(max_solutions=3, seed=0, time_limit_s=600)


def _result(plan: Plan) -> dict[str, Any]:
    """The plan without wall-clock fields."""
    data = plan.model_dump(mode="json")
    data["solver"] = {k: v for k, v in data["solver"].items()
                      if k not in ("wall_s", "partition_wall_s")}
    return data


@pytest.fixture(scope="module")
def serial_plan() -> Plan:
    return solve_partitioned(generated(60, 8, seed=2), OPTIONS, executor="serial", n_parts=2)


def test_merged_plan_is_valid(serial_plan: Plan) -> None:
    problem = generated(60, 8, seed=2)
    assert validate(problem, serial_plan) == []
    assert serial_plan.solver.partitions == 2
    assert serial_plan.kpis.jobs_total == 60


def test_same_plan_on_a_dask_cluster(serial_plan: Plan, dask_client: Any) -> None:
    plan = solve_partitioned(generated(60, 8, seed=2), OPTIONS, executor=dask_client, n_parts=2)
    assert _result(plan) == _result(serial_plan)


def test_same_plan_through_a_scheduler_address(serial_plan: Plan, dask_cluster: Any) -> None:
    plan = solve_partitioned(generated(60, 8, seed=2), OPTIONS,
                             scheduler=dask_cluster.scheduler_address, n_parts=2)
    assert _result(plan) == _result(serial_plan)


def test_contract_example_partitioned_is_valid() -> None:
    problem = contract_problem()
    plan = solve_partitioned(problem, OPTIONS, executor="serial", n_parts=2)
    assert validate(problem, plan) == []
