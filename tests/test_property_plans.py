"""Property tests: for generated problems, every plan the solver returns is valid.

Problems that once broke the solver are kept as
``tests/data/solver-*.json`` and replayed. Run more examples with
``HYPOTHESIS_PROFILE=plans-thorough``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from examples import DATA
from hypothesis import event, given, note, settings
from strategies import INFEASIBLE_KINDS, SKILLS, TOOLS, Generated, problems

from optimizer.dispatch import SolveOptions, solve
from optimizer.kpis import compute_kpis
from optimizer.models import JobStop, Plan, Problem, Unassigned, UnassignedReason
from optimizer.validate import Rule, format_violations, validate

PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "plans-fast"))
if PROFILE.deadline is not None:  # a global profile was named: keep our deadline rule
    PROFILE = settings(PROFILE, deadline=None)
OPTIONS = SolveOptions(time_limit_s=2.0, max_solutions=10, seed=0)
FIXTURES = sorted(DATA.glob("solver-*.json"))

# Solver bugs these tests found that are not fixed yet (fixtures name them in "bug"). While a
# bug is listed, its fixtures are strict xfails (once fixed they XPASS and fail: delete the
# entry), and the generated-problem test tolerates exactly that symptom so that it goes on
# finding others.
KNOWN_SOLVER_BUGS: dict[str, str] = {}


def _wrong_pinned_reason(problem: Problem, plan: Plan, job_id: str | None) -> bool:
    """The symptom of bug "pinned-reason": a pinned job unassigned with another reason."""
    reasons = {u.job: u.reason for u in plan.unassigned}
    job = next((j for j in problem.jobs if j.id == job_id), None)
    return (
        job is not None
        and job.pinned is not None
        and job.id in reasons
        and reasons[job.id] != UnassignedReason.PINNED_INFEASIBLE
    )


def _check_plan(
    problem: Problem,
    plan: Plan,
    expected: dict[str, Any],
    data: Any,
    tolerate: Collection[str] = (),
) -> None:
    """The plan is valid, has every job once, and gives designed-infeasible jobs their reason.

    ``tolerate`` names known solver bugs whose exact symptom is let through.
    """
    dump = json.dumps(data, sort_keys=True)
    violations = validate(problem, plan)
    if "pinned-reason" in tolerate:
        violations = [
            v
            for v in violations
            if not (v.rule == Rule.PINNED and _wrong_pinned_reason(problem, plan, v.job))
        ]
        expected = {k: r for k, r in expected.items() if not _wrong_pinned_reason(problem, plan, k)}
    if "tools-without-depots" in tolerate and not problem.depots:
        expected = {k: r for k, r in expected.items() if not problem.job(k).required_tools}
    assert not violations, f"{format_violations(violations)}\nproblem: {dump}"
    placed = [s.job for r in plan.routes for s in r.stops if isinstance(s, JobStop)]
    listed = placed + [u.job for u in plan.unassigned]
    assert sorted(listed) == sorted(j.id for j in problem.jobs), dump
    reasons = {u.job: u.reason for u in plan.unassigned}
    for job_id, reason in expected.items():
        assert reasons.get(job_id) == reason, (
            f"job {job_id!r}: expected unassigned as {reason.value!r}, got "
            f"{reasons[job_id].value if job_id in reasons else 'assigned'}\nproblem: {dump}"
        )


# ---------------------------------------------------------------- without the solver


@settings(PROFILE, max_examples=40)
@given(problems())
def test_generated_problems_are_contract_problems(gen: Generated) -> None:
    """The generator's JSON round-trips, and designed-infeasible jobs are what they claim."""
    again = Problem.model_validate_json(gen.problem.model_dump_json(exclude_none=True))
    assert again == gen.problem
    have_skills = {s for e in gen.problem.engineers for s in e.skills}
    have_tools = {t for e in gen.problem.engineers for t in e.tools}
    have_tools |= {t for d in gen.problem.depots for t in d.tools}
    assert have_skills <= {*SKILLS, "welding"} and have_tools <= set(TOOLS)
    for job_id in gen.expected:
        kind = job_id.split("-", 1)[1]
        assert gen.expected[job_id] == INFEASIBLE_KINDS[kind]
        job = gen.problem.job(job_id)
        if kind == "skill":
            assert not set(job.required_skills) & have_skills
        if kind == "tool":
            assert not set(job.required_tools) & have_tools


@settings(PROFILE, max_examples=40)
@given(problems())
def test_the_empty_plan_is_valid(gen: Generated) -> None:
    """Everything unassigned (pinned jobs as pinned_infeasible) breaks no rule."""
    note(repr(gen))
    unassigned = [
        Unassigned(
            job=j.id,
            reason=UnassignedReason.PINNED_INFEASIBLE
            if j.pinned is not None
            else UnassignedReason.CAPACITY,
        )
        for j in gen.problem.jobs
    ]
    kpis = compute_kpis(gen.problem, [], unassigned)
    plan = Plan(
        problem_id=gen.problem.id,
        unassigned=unassigned,
        kpis=kpis,
        solver={"status": "empty", "wall_s": 0.0},  # type: ignore[arg-type]
    )
    assert validate(gen.problem, plan) == []
    assert kpis.jobs_assigned == 0 and kpis.jobs_unassigned == len(gen.problem.jobs)
    assert kpis.work_min == 0 and kpis.utilisation_pct == 0


# ---------------------------------------------------------------- with the solver


def _features(plan: Plan) -> list[str]:
    """What a plan exercises, for ``--hypothesis-show-statistics`` (is the generator rich?)."""
    from optimizer.models import BreakStop, DepotStop

    stops = [s for r in plan.routes for s in r.stops]
    extra = plan.kpis.model_extra or {}
    found = {
        "routes": bool(plan.routes),
        "2+ jobs on a route": any(
            sum(isinstance(s, JobStop) for s in r.stops) >= 2 for r in plan.routes
        ),
        "a depot pick-up": any(isinstance(s, DepotStop) and s.pickup for s in stops),
        "a tool pick-up": any(isinstance(s, DepotStop) and s.pickup_tools for s in stops),
        "a break": any(isinstance(s, BreakStop) for s in stops),
        "overtime": plan.kpis.overtime_min > 0,
        "a late job": extra.get("late_jobs", 0) > 0,
        "an engineer with 2 routes": len({r.engineer for r in plan.routes}) < len(plan.routes),
        "a capacity drop": any(u.reason == UnassignedReason.CAPACITY for u in plan.unassigned),
        "a job left for a lapsed certificate": any("certificate lapsed" in u.detail
                                                   for u in plan.unassigned),
    }
    return [name for name, hit in found.items() if hit]


@settings(PROFILE)
@given(problems())
def _solver_plans_are_valid(gen: Generated) -> None:
    note(repr(gen))
    try:
        plan = solve(gen.problem, OPTIONS)
    except ValueError as exc:
        needs_tools = any(j.required_tools for j in gen.problem.jobs)
        known = "tools-without-depots" in KNOWN_SOLVER_BUGS and "broadcast" in str(exc)
        if known and needs_tools and not gen.problem.depots:
            event("known solver bug: tools-without-depots")
            return
        raise
    _check_plan(gen.problem, plan, gen.expected, gen.data, tolerate=KNOWN_SOLVER_BUGS)
    known_empty = (
        "depot-hours-infeasible" in KNOWN_SOLVER_BUGS
        and plan.solver.status == "infeasible"
        and any(d.open is not None for d in gen.problem.depots)
    )
    if known_empty:
        event("known solver bug: depot-hours-infeasible")
    if not plan.routes and not known_empty:
        # Drop penalties outweigh any insertion (optimizer.dispatch.costs), so if one job
        # fits a shift on its own, an empty plan cannot be the solver's answer.
        alone = _one_job_routes(gen.problem)
        assert not alone.routes, (
            f"solver placed no job (status {plan.solver.status!r}), but job "
            f"{alone.routes[0].stops[0]} fits {alone.routes[0].engineer} shift "
            f"{alone.routes[0].shift} on its own"
        )
    for feature in _features(plan):
        event(f"plan has {feature}")
    certified = {(e.id, s) for e in gen.problem.engineers for s in e.certified_until}
    if any((r.engineer, s) in certified for r in plan.routes for st in r.stops
           if isinstance(st, JobStop) for s in gen.problem.job(st.job).required_skills):
        event("plan has a job done under a certificate")


def test_solver_plans_are_valid() -> None:
    """For generated problems the solver's plan is valid and nothing is lost."""
    _solver_plans_are_valid()


def test_solver_plan_of_the_contract_example_is_valid() -> None:
    from examples import example_problem

    data = example_problem()
    problem = Problem.model_validate(data)
    plan = solve(problem, OPTIONS)
    _check_plan(problem, plan, {"J005": UnassignedReason.NO_QUALIFIED_ENGINEER}, data)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_solver_regression_fixtures(path: Path, request: pytest.FixtureRequest) -> None:
    """Problems that once broke the solver.

    A fixture is ``{"note", "bug"?, "expected": {job: reason}, "assigned"?: [job], "problem"}``:
    the plan must be valid, give ``expected`` jobs those reasons and place ``assigned`` jobs.
    """
    fixture = json.loads(path.read_text())
    bug = fixture.get("bug")
    if bug in KNOWN_SOLVER_BUGS:
        reason = f"known solver bug {bug!r}: {KNOWN_SOLVER_BUGS[bug]}"
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    problem = Problem.model_validate(fixture["problem"])
    expected = {k: UnassignedReason(v) for k, v in fixture.get("expected", {}).items()}
    plan = solve(problem, OPTIONS)
    _check_plan(problem, plan, expected, fixture["problem"])
    placed = {s.job for r in plan.routes for s in r.stops if isinstance(s, JobStop)}
    missing = set(fixture.get("assigned", [])) - placed
    assert not missing, f"jobs {sorted(missing)} should be placed: {fixture['note']}"


# ---------------------------------------------------------------- a plan built by hand


def _one_job_routes(problem: Problem) -> Plan:
    """A simple valid plan: each shift does at most one job, straight from home and back.

    Written independently of the validator, so that the two agreeing on random problems
    (either travel model, breaks, overtime, windows, pins, van stock) is evidence for both.
    A job goes to the first shift where, by direct reasoning, it fits; breaks come after it.
    """
    from optimizer.models import BreakStop, Route
    from optimizer.travel import travel_matrix

    engineers = problem.engineers
    locs = [e.start for e in engineers] + [e.end_location for e in engineers]
    locs += [j.location for j in problem.jobs]
    m = travel_matrix(problem.travel, locs)
    n_e = len(engineers)
    routes: list[Route] = []
    done: set[str] = set()
    for ei, eng in enumerate(engineers):
        van = dict(eng.van_stock)
        for si in sorted(range(len(eng.shifts)), key=lambda s: eng.shifts[s].start):
            shift = eng.shifts[si]
            latest_home = shift.end + timedelta(minutes=shift.max_overtime_min)
            for ji, job in enumerate(problem.jobs):
                if job.id in done or eng.id in job.excluded_engineers:
                    continue
                if any(eng.skills.get(s, 0) < lvl for s, lvl in job.required_skills.items()):
                    continue
                if any(van.get(p, 0) < q for p, q in job.required_parts.items()):
                    continue
                if not set(job.required_tools) <= set(eng.tools):
                    continue
                if eng.capacity is not None and job.load > eng.capacity:
                    continue
                if job.pinned is not None and job.pinned.engineer != eng.id:
                    continue
                go = timedelta(minutes=int(m.minutes[ei, 2 * n_e + ji]))
                back = timedelta(minutes=int(m.minutes[2 * n_e + ji, n_e + ei]))
                arrival = shift.start + go
                options = [(w.start, w.end) for w in job.time_windows] or [(arrival, arrival)]
                starts = [max(arrival, a) for a, b in options if max(arrival, a) <= b]
                if job.pinned is not None and job.pinned.start is not None:
                    starts = [job.pinned.start] if job.pinned.start >= arrival else []
                    if job.time_windows and not any(
                        w.start <= job.pinned.start <= w.end for w in job.time_windows
                    ):
                        starts = []
                # a certificate counts up to its date, in the offset of the first shift start
                local = min(s.start for e in engineers for s in e.shifts).tzinfo
                starts = [t for t in starts if all(
                    t.astimezone(local).date() <= eng.certified_until.get(s, t.date().max)
                    for s in job.required_skills)]
                if not starts:
                    continue
                start = starts[0]
                end = start + timedelta(minutes=job.duration_min)
                stops: list[Any] = [JobStop(job=job.id, arrival=arrival, start=start, end=end)]
                t = end
                fits = True
                for b in sorted(shift.breaks, key=lambda b: b.earliest):
                    bs = max(t, b.earliest)
                    if bs > b.latest:
                        fits = False
                        break
                    t = bs + timedelta(minutes=b.duration_min)
                    stops.append(BreakStop(start=bs, end=t))
                if not fits or t + back > latest_home:
                    continue
                leg_km = float(m.km[ei, 2 * n_e + ji] + m.km[2 * n_e + ji, n_e + ei])
                routes.append(
                    Route(
                        engineer=eng.id,
                        shift=si,
                        start_time=shift.start,
                        end_time=t + back,
                        distance_km=round(leg_km, 3),
                        travel_min=(go + back).total_seconds() / 60,
                        stops=stops,
                    )
                )
                for p, q in job.required_parts.items():
                    van[p] -= q
                done.add(job.id)
                break
    unassigned = [
        Unassigned(
            job=j.id,
            reason=UnassignedReason.PINNED_INFEASIBLE
            if j.pinned is not None
            else UnassignedReason.CAPACITY,
        )
        for j in problem.jobs
        if j.id not in done
    ]
    return Plan(
        problem_id=problem.id,
        routes=routes,
        unassigned=unassigned,
        kpis=compute_kpis(problem, routes, unassigned),
        solver={"status": "one-job-routes", "wall_s": 0.0},  # type: ignore[arg-type]
    )


@settings(PROFILE, max_examples=60)
@given(problems())
def test_one_job_routes_are_valid(gen: Generated) -> None:
    """The validator accepts an independently built plan, and notices when it is shifted."""
    note(repr(gen))
    plan = _one_job_routes(gen.problem)
    assert validate(gen.problem, plan) == [], format_violations(validate(gen.problem, plan))
    event(f"routes built: {min(len(plan.routes), 3)}{'+' if len(plan.routes) >= 3 else ''}")
    plain = [r for r in plan.routes if len(r.stops) == 1]
    if plain:
        # A route without breaks returns as early as it can: a minute earlier is impossible.
        first = plain[0]
        early = first.model_copy(update={"end_time": first.end_time - timedelta(minutes=1)})
        routes = [early if r is first else r for r in plan.routes]
        broken = plan.model_copy(update={"routes": routes})
        rules = {v.rule for v in validate(gen.problem, broken)}
        # In overtime the earlier return also changes overtime_min, which the KPIs must show.
        assert Rule.TIME in rules and rules <= {Rule.TIME, Rule.KPIS}, rules
