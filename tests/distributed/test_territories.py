"""Territories (``optimizer.dispatch.territories``) without the solver: sizes, nothing lost,
stock never over-committed, merge."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from partition_helpers import contract_problem, generated

from optimizer.dispatch.territories import (
    border_round,
    kmeans,
    merge_plans,
    n_parts_for,
    partition_problem,
    split_stock,
)
from optimizer.kpis import compute_kpis
from optimizer.models import Plan, Problem, SolverInfo, Unassigned, UnassignedReason
from optimizer.validate import validate


def _all_unassigned(sub: Problem) -> Plan:
    """A valid plan that places nothing (what a territory returns when it can do nothing)."""
    un = [Unassigned(job=j.id, reason=UnassignedReason.PINNED_INFEASIBLE if j.pinned
                     else UnassignedReason.CAPACITY) for j in sub.jobs]
    return Plan(problem_id=sub.id, routes=[], unassigned=un, kpis=compute_kpis(sub, [], un),
                solver=SolverInfo(status="fake", wall_s=0.0))


def _check_invariants(problem: Problem, parting) -> None:
    jobs = [j.id for t in parting.territories for j in t.problem.jobs]
    engs = [e.id for t in parting.territories for e in t.problem.engineers]
    assert sorted(jobs) == sorted(j.id for j in problem.jobs)  # each job exactly once
    assert sorted(engs) == sorted(e.id for e in problem.engineers)
    for t in parting.territories:
        ids = {e.id for e in t.problem.engineers}
        for j in t.problem.jobs:
            if j.pinned is not None:
                assert j.pinned.engineer in ids, j.id
            assert set(j.excluded_engineers) <= ids
        if t.problem.jobs and len(problem.engineers) >= parting.n_parts:
            assert t.problem.engineers, f"territory {t.index} has jobs but no engineer"
    for d in problem.depots:  # shares add up to exactly the stock
        for part, qty in d.stock.items():
            total = sum(t.stock.get(d.id, {}).get(part, 0) for t in parting.territories)
            assert total == qty, (d.id, part)
        for t in parting.territories:
            sub = {x.id: x for x in t.problem.depots}.get(d.id)
            for part, qty in (sub.stock.items() if sub else []):
                assert qty == t.stock[d.id][part]


def test_contract_example_two_parts() -> None:
    problem = contract_problem()
    parting = partition_problem(problem, 2)
    assert parting.n_parts == 2
    _check_invariants(problem, parting)


def test_generated_sizes_are_balanced() -> None:
    problem = generated()
    parting = partition_problem(problem, 4, seed=0)
    _check_invariants(problem, parting)
    sizes = [len(t.problem.jobs) for t in parting.territories]
    assert len(sizes) == 4 and min(sizes) > 0
    engineers = np.array([len(t.problem.engineers) for t in parting.territories])
    work = np.array([sum(j.duration_min for j in t.problem.jobs) for t in parting.territories])
    # Engineers follow the work: shares within one engineer of proportional.
    ideal = work / work.sum() * len(problem.engineers)
    assert np.all(np.abs(engineers - ideal) <= 1.0 + 1e-9)


def test_partition_is_deterministic_and_seeded() -> None:
    problem = generated()
    a = partition_problem(problem, 4, seed=1)
    b = partition_problem(problem, 4, seed=1)
    assert a.job_part == b.job_part and a.engineer_part == b.engineer_part
    assert [t.problem for t in a.territories] == [t.problem for t in b.territories]


def test_default_parts_and_one_part() -> None:
    problem = generated()
    assert n_parts_for(problem) == 3  # 240 jobs: territories of about 100 (PART_JOBS)
    assert partition_problem(problem).n_parts == 3
    parting = partition_problem(problem, 1)
    assert parting.n_parts == 1
    assert parting.territories[0].problem.jobs == problem.jobs
    with pytest.raises(ValueError, match="n_parts"):
        partition_problem(problem, 0)


def test_regions_mapping_groups_by_label() -> None:
    problem = generated()
    regions = {e.id: ("west" if e.start.lon < 121.47 else "east") for e in problem.engineers}
    regions.update({j.id: ("west" if j.location.lon < 121.47 else "east")
                    for j in problem.jobs[: len(problem.jobs) // 2]})
    parting = partition_problem(problem, regions=regions)
    assert parting.n_parts == 2  # labels sorted: east = 0, west = 1
    _check_invariants(problem, parting)
    for e in problem.engineers:
        assert parting.engineer_part[e.id] == (1 if regions[e.id] == "west" else 0)
    for j in problem.jobs[: len(problem.jobs) // 2]:
        if j.pinned is None:
            assert parting.job_part[j.id] == (1 if regions[j.id] == "west" else 0)


def test_kmeans_separates_obvious_clusters() -> None:
    rng = np.random.default_rng(0)
    pts = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(100, 1, (50, 2))])
    labels = kmeans(pts, 2, seed=5)
    assert set(labels[:50]) == {0} and set(labels[50:]) == {1}  # numbered west to east


def test_split_stock_prefers_need_and_keeps_totals() -> None:
    centres = np.array([[0.0, 0.0], [10.0, 0.0]])
    depots = [("D", np.array([1.0, 0.0]), {"P": 5, "Q": 2})]
    shares = split_stock(depots, centres, [{"P": 1}, {"P": 3, "Q": 1}])
    assert shares[0]["D"] == {"P": 2, "Q": 1}  # its need 1 plus the leftover (nearest)
    assert shares[1]["D"] == {"P": 3, "Q": 1}
    shares = split_stock(depots, centres, [{"P": 9}, {"P": 9}])
    assert shares[0]["D"] == {"P": 5, "Q": 2} and shares[1] == {}  # scarce: nearest first


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_parts=st.integers(1, 6), seed=st.integers(0, 50))
def test_invariants_hold_for_any_partition(n_parts: int, seed: int) -> None:
    problem = generated(120, 12, seed=seed % 5)
    parting = partition_problem(problem, n_parts, seed=seed)
    _check_invariants(problem, parting)


def test_border_round_offers_to_qualified_neighbour_without_overcommit() -> None:
    problem = generated()
    parting = partition_problem(problem, 4, seed=0)
    plans = [_all_unassigned(t.problem) for t in parting.territories]
    border = border_round(parting, plans)
    offered = [j for jobs in border.offered.values() for j in jobs]
    assert len(offered) == len(set(offered))
    assert not any(problem.job(j).pinned for j in offered)
    for q, jobs in border.offered.items():
        sub = border.problems[q]
        ids = {j.id for j in sub.jobs}
        assert set(jobs) <= ids
        for j in jobs:
            assert parting.job_part[j] != q
    # Every job sits in exactly one final territory problem.
    final = [border.problems.get(t.index, t.problem) for t in parting.territories]
    placed = [j.id for p in final for j in p.jobs]
    assert sorted(set(placed)) == sorted(j.id for j in problem.jobs)
    assert len(placed) == len(set(placed))
    for d in problem.depots:  # the second round never hands out more than the depot has
        for part, qty in d.stock.items():
            used = sum({x.id: x for x in p.depots}.get(d.id).stock.get(part, 0)
                       for p in final if d.id in {x.id for x in p.depots})
            assert used <= qty


def test_merge_of_empty_plans_is_a_valid_plan() -> None:
    problem = generated()
    parting = partition_problem(problem, 3, seed=0)
    plans = [_all_unassigned(t.problem) for t in parting.territories]
    border = border_round(parting, plans)
    second = {q: _all_unassigned(p) for q, p in border.problems.items()}
    merged = merge_plans(parting, plans, border, second)
    assert validate(problem, merged) == []
    assert merged.kpis.jobs_unassigned == len(problem.jobs)
    assert [u.job for u in merged.unassigned] == [j.id for j in problem.jobs]
    assert merged.solver.partitions == 3
    assert merged.solver.border_offered == len(
        [j for jobs in border.offered.values() for j in jobs])


def test_merge_gives_pinned_jobs_the_only_allowed_reason() -> None:
    problem = generated()
    parting = partition_problem(problem, 2, seed=0)
    plans = []
    for t in parting.territories:  # a territory that (wrongly) blames parts for a pinned job
        un = [Unassigned(job=j.id, reason=UnassignedReason.PARTS_UNAVAILABLE)
              for j in t.problem.jobs]
        plans.append(Plan(problem_id=t.problem.id, routes=[], unassigned=un,
                          kpis=compute_kpis(t.problem, [], un),
                          solver=SolverInfo(status="fake", wall_s=0.0)))
    merged = merge_plans(parting, plans)
    assert validate(problem, merged) == []
    pinned = [u for u in merged.unassigned if problem.job(u.job).pinned]
    assert pinned and all(u.reason == UnassignedReason.PINNED_INFEASIBLE for u in pinned)
    assert all(u.detail.startswith("parts_unavailable") for u in pinned)
