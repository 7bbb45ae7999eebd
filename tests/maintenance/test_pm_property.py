"""Hypothesis: every plan written for a generated installed base passes the independent check."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pm_checker import check_plan
from pm_helpers import plan_dir

from optimizer.maintenance.synthetic import installed_base, write_tables


@st.composite
def bases(draw):
    seed = draw(st.integers(0, 10_000))
    today = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 364)))
    n_assets = draw(st.integers(1, 60))
    n_engineers = draw(st.integers(1, 4))
    horizon = draw(st.integers(7, 120))
    notice = draw(st.sampled_from([0, 7, 30]))
    tables = installed_base(n_assets, seed, today, n_engineers=n_engineers,
                            horizon_days=horizon)
    if draw(st.booleans()):  # a tighter day for some engineers
        tables["engineers"]["pm_share"] = draw(st.sampled_from([0.3, 0.5, 1.0]))
    return tables, today, horizon, notice, draw(st.sampled_from(["cpsat", "greedy"]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=bases())
def test_generated_plans_are_valid(tmp_path_factory, case):
    tables, today, horizon, notice, method = case
    root = tmp_path_factory.mktemp("pm")
    data = write_tables(root / "data", tables)
    plan_dir(data, root / "out", method=method, today=today, horizon_days=horizon,
             notice_days=notice, time_limit_s=2.0)
    assert check_plan(data, root / "out", today, horizon, notice) == []


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=bases(), ill=st.integers(0, 3), shift=st.integers(1, 3))
def test_replans_with_announced_visits_are_valid(tmp_path_factory, case, ill, shift):
    """Re-plan days later with the first run's notices and an engineer newly absent."""
    tables, today, horizon, notice, method = case
    root = tmp_path_factory.mktemp("pm")
    data = write_tables(root / "data", tables)
    plan_dir(data, root / "day1", method=method, today=today, horizon_days=horizon,
             notice_days=notice, time_limit_s=2.0)
    later = today + dt.timedelta(days=shift)
    engineers = tables["engineers"]["engineer"].tolist()
    absences = pd.concat([tables["absences"], pd.DataFrame([{
        "engineer": engineers[ill % len(engineers)], "date_from": later.isoformat(),
        "date_to": (later + dt.timedelta(days=20)).isoformat()}])])
    write_tables(root / "data", {"absences": absences})
    notices = root / "day1" / "notices.csv"
    plan_dir(data, root / "day2", method=method, today=later, horizon_days=horizon,
             notice_days=notice, time_limit_s=2.0, notices=notices)
    assert check_plan(data, root / "day2", later, horizon, notice, notices_file=notices) == []
