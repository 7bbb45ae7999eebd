"""Re-optimisation: every event type, history never rewritten, plans valid, chains."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from optimizer.cli import main
from optimizer.compile import compile_problem
from optimizer.dispatcher.events import Events
from optimizer.dispatcher.reoptimize import ReoptimizeOptions, reoptimize
from optimizer.errors import InputError
from optimizer.insertion.board import board_plan, greedy_plan_routes
from optimizer.models import JobStop, Plan, Problem
from optimizer.synthetic import generate_problem, synthetic_events
from optimizer.validate import format_violations, validate


@pytest.fixture(scope="module")
def day() -> tuple[Problem, Plan]:
    """A 60-job, 8-engineer day planned by greedy insertion (no solver needed)."""
    problem = generate_problem(n_jobs=60, n_engineers=8, seed=3)
    board, left = greedy_plan_routes(compile_problem(problem))
    plan = board_plan(board, left, status="greedy", wall_s=0.0)
    assert not validate(problem, plan)
    return problem, plan


def _now(problem: Problem, hours: float):
    return problem.engineers[0].shifts[0].start + timedelta(hours=hours)


MIXES = ["added", "cancelled", "unavailable", "unavailable_later", "started", "finished",
         "delayed", "position", "added+cancelled+unavailable+delayed+position",
         "started+finished+unavailable_later+added"]


def _history(plan: Plan, now, reported: set[str]) -> set[tuple]:
    """Stops that ended before now, as (engineer, stop json), excluding reported jobs."""
    out = set()
    for r in plan.routes:
        for s in r.stops:
            if s.end <= now and not (isinstance(s, JobStop) and s.job in reported):
                out.add((r.engineer, s.model_dump_json()))
    return out


@pytest.mark.parametrize("hours", [2.5, 5.0])
@pytest.mark.parametrize("mix", MIXES)
def test_valid_and_history_kept(day, mix, hours):
    problem, plan = day
    events = synthetic_events(problem, plan, mix, hours)
    after, new_plan, diff = reoptimize(problem, plan, events)
    violations = validate(after, new_plan)
    assert not violations, format_violations(violations)
    reported = {e.job for e in events.events if e.type in ("job_started", "job_finished",
                                                            "job_delayed")}
    if any("not done" in w for w in diff.warnings or []):
        return  # a report contradicted planned history: that planned stop did not happen
    before = _history(plan, _floor(events.now), reported)
    kept = _history(new_plan, _floor(events.now), reported)
    assert before <= kept, "history was rewritten"


def _floor(t):
    return t.replace(second=0, microsecond=0)


def test_each_event_has_its_effect(day):
    problem, plan = day
    now = _floor(_now(problem, 2.5))
    ev = synthetic_events(problem, plan, "added+cancelled+unavailable+finished", 2.5)
    after, new_plan, diff = reoptimize(problem, plan, ev)
    ids = {j.id for j in after.jobs}
    cancelled = ev.events[1].job
    assert cancelled not in ids and diff.cancelled == [cancelled]
    assert "NEW-1" in ids
    assert ("NEW-1" in diff.added) != ("NEW-1" in diff.unassigned)
    gone = ev.events[2].engineer
    for r in new_plan.routes:
        if r.engineer == gone:
            assert all(s.start < now or s.end <= r.end_time for s in r.stops)
            assert all(not (isinstance(s, JobStop) and s.start >= now) for s in r.stops)
    fin = ev.events[3]
    job = after.job(fin.job)
    assert job.pinned is not None and job.pinned.engineer == fin.engineer
    stop = next(s for r in new_plan.routes for s in r.stops
                if isinstance(s, JobStop) and s.job == fin.job)
    assert stop.end == _floor(fin.at)


def test_delay_moves_end_and_pushes_later_stops(day):
    problem, plan = day
    ev = synthetic_events(problem, plan, "delayed", 2.5)
    _, new_plan, _ = reoptimize(problem, plan, ev)
    job = ev.events[0].job
    stop = next(s for r in new_plan.routes for s in r.stops
                if isinstance(s, JobStop) and s.job == job)
    assert stop.end == ev.events[0].expected_end


def test_chains(day):
    problem, plan = day
    ev1 = synthetic_events(problem, plan, "cancelled+added", 2.0)
    p1, plan1, _ = reoptimize(problem, plan, ev1)
    ev2 = synthetic_events(p1, plan1, "unavailable+position", 4.0)
    p2, plan2, _ = reoptimize(p1, plan1, ev2)
    assert not validate(p2, plan2), format_violations(validate(p2, plan2))


def test_cap_zero_moves_no_untouched_job(day):
    problem, plan = day
    ev = synthetic_events(problem, plan, "added", 2.5)
    _, _, diff = reoptimize(problem, plan, ev, options=ReoptimizeOptions(max_moved_jobs=0))
    assert not diff.reassigned


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "job_cancelled", "job": "NOPE"},  # unknown job
        {"type": "job_started", "job": "J00001", "engineer": "E999", "at": "2026-11-24T10:00:00+08:00"},  # noqa: E501 unknown engineer
    ],
)
def test_bad_events_are_input_errors(day, bad):
    problem, plan = day
    ev = Events.model_validate({"now": "2026-11-24T11:00:00+08:00", "events": [bad]})
    with pytest.raises(InputError):
        reoptimize(problem, plan, ev)


def test_cli_writes_three_files(day, tmp_path):
    problem, plan = day
    ev = synthetic_events(problem, plan, "cancelled+added", 3.0)
    (tmp_path / "p.json").write_text(problem.model_dump_json(exclude_none=True))
    (tmp_path / "plan.json").write_text(plan.model_dump_json(exclude_none=True))
    (tmp_path / "e.json").write_text(json.dumps(ev.dump()))
    out = tmp_path / "out"
    rc = main(["reoptimize", str(tmp_path / "p.json"), str(tmp_path / "plan.json"),
               str(tmp_path / "e.json"), "-o", str(out)])
    assert rc == 0
    diff = json.loads((out / "diff.json").read_text())
    assert set(diff) >= {"reassigned", "retimed", "added", "unassigned", "cancelled", "unchanged"}
    assert main(["validate", str(out / "problem.json"), str(out / "plan.json")]) == 0
    (tmp_path / "bad.json").write_text(
        '{"now": "2026-11-24T11:00:00+08:00", "events": [{"type": "x"}]}')
    assert main(["reoptimize", str(tmp_path / "p.json"), str(tmp_path / "plan.json"),
                 str(tmp_path / "bad.json"), "-o", str(out)]) == 2
