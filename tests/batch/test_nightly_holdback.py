"""Jobs held back for parts, the date their parts are due, and tomorrow's parts demand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from optimizer.batch.holdback import (
    CommittedDemand,
    committed_demand,
    find_held_jobs,
    parts_due_date,
    without_jobs,
)
from optimizer.batch.parts_stage import annotate_orders, with_committed
from optimizer.models import Job, Unassigned
from optimizer.parts.data import read_parts_data

DAY = date(2026, 11, 24)
TONIGHT = date(2026, 11, 23)


def _with_job(problem, **fields):
    base = problem.jobs[1].model_dump()
    base.update(id="J006", **fields)
    return problem.model_copy(update={"jobs": [*problem.jobs, Job.model_validate(base)]})


def test_nothing_held_when_every_part_is_somewhere(example, parts_dir):
    problem, _ = example
    # J001 needs P-1001 x1: D1 has none but E01's van has one.
    assert find_held_jobs(problem, read_parts_data(parts_dir), DAY) == []


@pytest.mark.parametrize(
    "part, qty, due, how",
    [
        # an open order at the job's depot covers it: its due date
        ("P-1001", 2, date(2026, 11, 27), "open order at D1"),
        # more than open orders and stock give: a new order through WH (2 + 10 days)
        ("P-1001", 5, date(2026, 12, 5), "ordered tonight, lead time 12 d"),
        # stock upstream at WH: a transfer ordered tonight arrives after D1's 2 days
        ("P-2002", 3, date(2026, 11, 25), "transfer from WH"),
        # nowhere at all: supplier -> WH -> D1
        ("P-3003", 2, date(2026, 12, 5), "supplier->WH, WH->D1"),
    ],
)
def test_held_job_and_parts_due_date(example, parts_dir, part, qty, due, how):
    problem, _ = example
    problem = _with_job(problem, required_parts={part: qty})
    held = {h.job: h for h in find_held_jobs(problem, read_parts_data(parts_dir), DAY)}
    assert set(held) == {"J006"}
    h = held["J006"]
    assert h.depot == "D1" and h.parts_due == due
    assert how in h.source
    u = h.unassigned()
    assert u.reason.value == "parts_unavailable"
    assert due.isoformat() in u.detail and u.parts_due == due.isoformat()


def test_due_date_unknown_without_parts_data(example):
    problem, _ = example
    problem = _with_job(problem, required_parts={"P-3003": 1})
    (h,) = find_held_jobs(problem, None, DAY)
    assert h.parts_due is None and "unknown" in h.unassigned().detail


def test_due_date_takes_the_last_part(example, parts_dir):
    problem, _ = example
    parts = read_parts_data(parts_dir)
    problem = _with_job(problem, required_parts={"P-1001": 2, "P-3003": 1})
    (h,) = find_held_jobs(problem, parts, DAY)
    assert h.parts_due == date(2026, 12, 5)  # P-1001 on 27 Nov, P-3003 only on 5 Dec
    assert parts_due_date(parts, problem, "D1", "P-1001", 2, TONIGHT)[0] == date(2026, 11, 27)


def test_committed_demand_counts_pickups_van_use_and_held_jobs(example, parts_dir):
    problem, plan = example
    problem = _with_job(problem, required_parts={"P-3003": 2})
    held = find_held_jobs(problem, read_parts_data(parts_dir), DAY)
    c = committed_demand(problem, plan, held)
    assert c.qty == {("D1", "P-2002"): 1, ("E01", "P-1001"): 1, ("D1", "P-3003"): 2}
    assert c.jobs[("D1", "P-2002")] == ["J003"] and c.jobs[("D1", "P-3003")] == ["J006"]
    assert [j.id for j in without_jobs(problem, {"J006"}).jobs] == [
        j.id for j in problem.jobs if j.id != "J006"]
    # with parts data that has no van E01: the van is restocked from its depot, D1
    c = committed_demand(problem, plan, held, read_parts_data(parts_dir))
    assert c.qty == {("D1", "P-2002"): 1, ("D1", "P-1001"): 1, ("D1", "P-3003"): 2}
    assert c.jobs[("D1", "P-1001")] == ["J001"]


def test_committed_units_lower_the_inventory_position(parts_dir):
    parts = read_parts_data(parts_dir)
    c = CommittedDemand(qty={("D1", "P-2002"): 3, ("D1", "P-3003"): 2, ("E01", "P-1001"): 1})
    after = {(s.location, s.part): s for s in with_committed(parts, c).stock}
    # 2 on hand at D1 give 2 of the 3; the third becomes a backorder
    assert after[("D1", "P-2002")].on_hand == 0 and after[("D1", "P-2002")].backorders == 1
    assert after[("D1", "P-3003")].backorders == 2  # no row before: a new position
    assert ("E01", "P-1001") not in after  # not a location of the parts data: ignored
    assert after[("WH", "P-2002")].on_hand == 10  # others untouched


def test_orders_say_which_jobs_they_cover():
    orders = pd.DataFrame({"location": ["D1", "D1"], "part": ["P-3003", "P-2002"],
                           "qty": [5, 4], "source": ["WH", "WH"],
                           "kind": ["replenishment"] * 2, "reason": ["position -2 <= 0", "x"]})
    c = CommittedDemand(qty={("D1", "P-3003"): 2}, jobs={("D1", "P-3003"): ["J006"]})
    out = annotate_orders(orders, c)
    assert out["reason"].tolist() == ["position -2 <= 0; includes 2 for tomorrow's jobs J006",
                                      "x"]


def test_a_pinned_job_held_for_parts_is_pinned_infeasible(example, parts_dir):
    problem, _ = example
    problem = _with_job(problem, required_parts={"P-3003": 1}, pinned={"engineer": "E01"})
    (h,) = find_held_jobs(problem, read_parts_data(parts_dir), DAY)
    u = h.unassigned()
    # contract rule 6: an unassigned pinned job's only reason is pinned_infeasible
    assert u.reason.value == "pinned_infeasible"
    assert u.detail.startswith("pinned to E01, but needs P-3003 x1") and u.parts_due == "2026-12-05"


def test_solver_parts_unavailable_gets_a_due_date(example, parts_dir):
    from optimizer.batch.nightly import merge_plan

    problem, plan = example
    # as if the solver had left J003 (needs P-2002) for lack of parts
    e02 = plan.routes[1].model_copy(update={"stops": plan.routes[1].stops[:1]})
    solved = plan.model_copy(update={
        "routes": [plan.routes[0], e02],
        "unassigned": [*plan.unassigned, Unassigned(job="J003", reason="parts_unavailable",
                                                     detail="D1's P-2002 went to others")]})
    merged = merge_plan(problem, solved, [], {"E01": [0], "E02": [0]},
                        read_parts_data(parts_dir), DAY)
    u = {x.job: x for x in merged.unassigned}["J003"]
    # WH holds P-2002: a transfer ordered tonight reaches D1 after its 2-day lead time
    assert u.parts_due == "2026-11-25"
    assert u.detail == "D1's P-2002 went to others; parts due 2026-11-25 at D1"
    assert merged.kpis.jobs_assigned == 3
