"""apply_changes: each change does what it says, is pure and reproducible, and keeps data valid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scenario_helpers import small_data

from optimizer.errors import InputError
from optimizer.models import Priority
from optimizer.scenario import apply_changes
from optimizer.scenario.apply import region_membership
from optimizer.scenario.models import (
    AddEngineers,
    ChangeLeadTimes,
    ChangePriority,
    ChangeSkills,
    ChangeSla,
    ChangeStockBudget,
    ChangeSupplierReliability,
    CloseDepot,
    JobFilter,
    LocationFilter,
    Region,
    RemoveEngineers,
    ScaleJobs,
)


def test_add_engineers_copies_the_template() -> None:
    base = small_data()
    data = apply_changes(base, [AddEngineers(type="add_engineers", template="E001", count=2)])
    new = data.problem.engineers[-2:]
    assert [e.id for e in new] == ["E001-new-1", "E001-new-2"]
    tpl = base.problem.engineer("E001")
    assert all(e.skills == tpl.skills and e.shifts == tpl.shifts for e in new)
    assert len(base.problem.engineers) == 6  # the base is untouched


def test_add_engineers_unknown_template() -> None:
    with pytest.raises(InputError, match=r"change 1 \(add_engineers\).*E999"):
        apply_changes(small_data(), [AddEngineers(type="add_engineers", template="E999")])


def test_remove_engineers_by_id_unpins_their_jobs() -> None:
    base = small_data()
    pinned = next((j for j in base.problem.jobs if j.pinned), None)
    victim = pinned.pinned.engineer if pinned else "E002"
    data = apply_changes(base, [RemoveEngineers(type="remove_engineers", ids=[victim])])
    assert victim not in {e.id for e in data.problem.engineers}
    for j in data.problem.jobs:
        assert j.pinned is None or j.pinned.engineer != victim
        assert victim not in j.excluded_engineers + j.preferred_engineers


def test_remove_engineers_by_count_is_seeded() -> None:
    change = RemoveEngineers(type="remove_engineers", count=2, seed=7)
    a = apply_changes(small_data(), [change])
    b = apply_changes(small_data(), [change])
    assert len(a.problem.engineers) == 4
    assert a.problem == b.problem


def test_change_skills() -> None:
    data = apply_changes(small_data(), [ChangeSkills(type="change_skills", engineers=["E001"],
                                                     set={"hvac": 3}, remove=["laundry"])])
    e = data.problem.engineer("E001")
    assert e.skills["hvac"] == 3 and "laundry" not in e.skills
    assert data.problem.engineer("E002") == small_data().problem.engineer("E002")


@pytest.mark.parametrize("factor", [0.5, 1.0, 1.5, 2.5])
def test_scale_jobs(factor: float) -> None:
    base = small_data()
    data = apply_changes(base, [ScaleJobs(type="scale_jobs", factor=factor, seed=1)])
    n = len(base.problem.jobs)
    pinned = sum(1 for j in base.problem.jobs if j.pinned)
    expected = round(n * factor) if factor >= 1 else max(round(n * factor), pinned)
    assert len(data.problem.jobs) == expected
    ids = [j.id for j in data.problem.jobs]
    assert len(ids) == len(set(ids))
    new = [j for j in data.problem.jobs if "-x" in j.id]
    assert all(j.pinned is None for j in new)
    again = apply_changes(base, [ScaleJobs(type="scale_jobs", factor=factor, seed=1)])
    assert again.problem == data.problem  # seeded


def test_scale_jobs_in_a_region_only() -> None:
    base = small_data()
    region = Region(cluster=0, clusters=2)
    inside = region_membership(region, [j.location for j in base.problem.jobs], base.problem)
    data = apply_changes(base, [ScaleJobs(type="scale_jobs", factor=2.0,
                                          jobs=JobFilter(region=region))])
    assert len(data.problem.jobs) == len(base.problem.jobs) + int(inside.sum())
    copies = [j for j in data.problem.jobs if "-x" in j.id]
    assert region_membership(region, [j.location for j in copies], base.problem).all()


def test_region_shapes() -> None:
    base = small_data()
    locs = [j.location for j in base.problem.jobs]
    box = Region(lat_min=-90, lat_max=90, lon_min=-180, lon_max=180)
    assert region_membership(box, locs, base.problem).all()
    circle = Region(lat=locs[0].lat, lon=locs[0].lon, radius_km=0.001)
    assert region_membership(circle, locs, base.problem)[0]
    parts = [region_membership(Region(cluster=c, clusters=3), locs, base.problem)
             for c in range(3)]
    assert (sum(p.astype(int) for p in parts) == 1).all()  # clusters cover each job once


def test_change_sla_shifts_dues() -> None:
    base = small_data()
    data = apply_changes(base, [ChangeSla(type="change_sla", shift_due_min=-30)])
    for old, new in zip(base.problem.jobs, data.problem.jobs, strict=True):
        assert new.due == (None if old.due is None else old.due - timedelta(minutes=30))


def test_change_priority_share() -> None:
    base = small_data()
    normal = [j.id for j in base.problem.jobs if j.priority == Priority.NORMAL]
    data = apply_changes(base, [ChangePriority(type="change_priority", to=Priority.HIGH,
                                               share=0.5, jobs=JobFilter(priorities=["normal"]))])
    changed = [a.id for a, b in zip(base.problem.jobs, data.problem.jobs, strict=True)
               if a.priority != b.priority]
    assert set(changed) <= set(normal) and len(changed) == round(0.5 * len(normal))


def test_lead_times_and_reliability() -> None:
    base = small_data()
    data = apply_changes(base, [
        ChangeLeadTimes(type="change_lead_times", factor=2.0,
                        where=LocationFilter(supplied_by=["supplier"])),
        ChangeSupplierReliability(type="change_supplier_reliability", add_std_days=1.0),
    ])
    loc = data.tables["locations"].set_index("location")
    old = base.tables["locations"].set_index("location")
    assert loc.at["WH-CENTRAL", "lead_time_days_mean"] == 2 * old.at["WH-CENTRAL",
                                                                      "lead_time_days_mean"]
    assert loc.at["WH-CENTRAL", "lead_time_days_std"] == old.at["WH-CENTRAL",
                                                                "lead_time_days_std"] + 1
    assert loc.at["D-EAST", "lead_time_days_mean"] == old.at["D-EAST", "lead_time_days_mean"]
    assert data.tables["lead_times"]["lead_time_days_mean"].iloc[0] == 60.0


def test_stock_budget_is_a_setting() -> None:
    data = apply_changes(small_data(), [ChangeStockBudget(type="change_stock_budget",
                                                          factor=0.9)])
    assert dict(data.settings) == {"stock_budget_factor": 0.9}


@pytest.mark.parametrize("transfer", [False, True])
def test_close_depot(transfer: bool) -> None:
    base = small_data()
    closed = "D-EAST"
    data = apply_changes(base, [CloseDepot(type="close_depot", depot=closed,
                                           transfer_stock=transfer)])
    assert closed not in {d.id for d in data.problem.depots}
    for name in ("locations", "stock", "demand"):
        assert closed not in set(data.tables[name]["location"])
    assert closed not in set(data.tables["locations"]["supplied_by"])
    # Demand moves with it; stock moves only when asked, and never grows.
    assert data.tables["demand"]["qty"].sum() == base.tables["demand"]["qty"].sum()
    before = base.tables["stock"]["on_hand"].sum()
    after = data.tables["stock"]["on_hand"].sum()
    gone = base.tables["stock"].query("location == @closed")["on_hand"].sum()
    assert after == (before if transfer else before - gone)
    p_before = sum(sum(d.stock.values()) for d in base.problem.depots)
    p_after = sum(sum(d.stock.values()) for d in data.problem.depots)
    gone_p = sum(base.problem.depots[[d.id for d in base.problem.depots].index(closed)]
                 .stock.values())
    assert p_after == (p_before if transfer else p_before - gone_p)


def test_close_unknown_depot() -> None:
    with pytest.raises(InputError, match="D-NOWHERE"):
        apply_changes(small_data(), [CloseDepot(type="close_depot", depot="D-NOWHERE")])


def test_changes_apply_in_order_and_base_is_untouched() -> None:
    base = small_data()
    before = base.problem.model_dump()
    tables = {k: v.copy() for k, v in base.tables.items()}
    apply_changes(base, [ScaleJobs(type="scale_jobs", factor=1.5),
                         CloseDepot(type="close_depot", depot="D-NORTH"),
                         ChangeLeadTimes(type="change_lead_times", factor=3.0)])
    assert base.problem.model_dump() == before
    assert all(base.tables[k].equals(v) for k, v in tables.items())
