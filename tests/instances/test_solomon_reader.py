"""Solomon reader and converter: counts, a known leg, and every CVRPLIB optimum reproduced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.instances import minute_of
from optimizer.instances.routes import plan_from_sequences
from optimizer.instances.solomon import (
    SolomonInstance,
    class_of,
    read_bks,
    read_solomon,
    read_solution,
    solution_sequences,
    to_problem,
    truncated_tenths,
)
from optimizer.travel import travel_matrix
from optimizer.validate import validate

NAMES = [
    *(f"C1{i:02d}" for i in range(1, 10)),
    *(f"C2{i:02d}" for i in range(1, 9)),
    *(f"R1{i:02d}" for i in range(1, 13)),
    *(f"R2{i:02d}" for i in range(1, 12)),
    *(f"RC1{i:02d}" for i in range(1, 9)),
    *(f"RC2{i:02d}" for i in range(1, 9)),
]


def test_all_56_instances_present(solomon_dir: Path) -> None:
    found = sorted(p.stem for p in (solomon_dir / "instances").glob("*.txt"))
    assert found == sorted(NAMES)


def test_c101_counts_and_horizon(solomon_dir: Path) -> None:
    inst = read_solomon(solomon_dir / "instances" / "C101.txt")
    assert (inst.name, inst.vehicles, inst.capacity, inst.n_customers) == ("C101", 25, 200, 100)
    assert inst.cls == "C1"
    problem = to_problem(inst)
    assert len(problem.engineers) == 25 and len(problem.jobs) == 100
    shift = problem.engineers[0].shifts[0]
    assert minute_of(shift.start) == 0 and minute_of(shift.end) == 12360
    c1 = problem.job("c1")  # customer 1: (45, 68), demand 10, window [912, 967], service 90
    assert c1.load == 10 and c1.duration_min == 900
    assert minute_of(c1.time_windows[0].start) == 9120
    assert minute_of(c1.time_windows[0].end) == 9670
    assert all(e.capacity == 200 and e.cost_per_km == 1.0 for e in problem.engineers)
    assert sum(j.load for j in problem.jobs) == int(inst.demand.sum()) == 1810


def test_known_leg_is_truncated(solomon_dir: Path) -> None:
    inst = read_solomon(solomon_dir / "instances" / "C101.txt")
    problem = to_problem(inst)
    # Depot (40, 50) to customer 1 (45, 68): sqrt(349) = 18.681.. -> 18.6 km, 186 minutes.
    tm = travel_matrix(problem.travel, [problem.engineers[0].start, problem.job("c1").location])
    assert tm.km[0, 1] == pytest.approx(18.6)
    assert tm.minutes[0, 1] == 186


def test_truncation_is_exact_on_integer_lengths() -> None:
    # 3-4-5 triangle: float 10 * 5.0 must give 50, not 49.
    inst = SolomonInstance(
        name="T101",
        vehicles=1,
        capacity=10,
        x=np.array([0.0, 3.0, 30.0]),
        y=np.array([0.0, 4.0, 40.0]),
        demand=np.zeros(3, dtype=np.int64),
        ready=np.zeros(3, dtype=np.int64),
        due=np.full(3, 100, dtype=np.int64),
        service=np.zeros(3, dtype=np.int64),
    )
    t = truncated_tenths(inst)
    assert t[0, 1] == 50 and t[0, 2] == 500 and t[1, 2] == 450


def test_class_of() -> None:
    assert [class_of(n) for n in ("C101", "R211", "RC105", "rc201")] == ["C1", "R2", "RC1", "RC2"]
    with pytest.raises(ValueError, match="not of the form"):
        class_of("X")


@pytest.mark.parametrize("name", NAMES)
def test_bks_solution_is_a_valid_plan_with_the_bks_distance(solomon_dir: Path, name: str) -> None:
    inst = read_solomon(solomon_dir / "instances" / f"{name}.txt")
    problem = to_problem(inst)
    routes, cost = read_solution(solomon_dir / "solutions" / f"{name}.sol")
    bks = read_bks(solomon_dir / "bks.csv")[name]
    plan = plan_from_sequences(problem, solution_sequences(routes))
    assert validate(problem, plan) == []
    assert plan.unassigned == []
    assert len(plan.routes) == bks.vehicles
    assert plan.kpis.distance_km == pytest.approx(bks.distance, abs=1e-6)
    assert cost == pytest.approx(bks.distance)


def test_time_windows_bind(solomon_dir: Path) -> None:
    # The first route of the C101 optimum served backwards misses its windows.
    inst = read_solomon(solomon_dir / "instances" / "C101.txt")
    problem = to_problem(inst)
    routes, _ = read_solution(solomon_dir / "solutions" / "C101.sol")
    with pytest.raises(ValueError, match="after all its windows"):
        plan_from_sequences(problem, solution_sequences([routes[0][::-1]]))
