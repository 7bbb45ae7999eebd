"""Certified skills: an engineer's skill counts only up to its ``certified_until`` date.

The date that counts is the job's service start, read in the problem's local calendar: the UTC
offset of the earliest shift start (the offset ``optimizer.compile`` writes plan times in). A
skill without a certificate on record always counts. Shared by the solver's compilation, the
validator, the pre-solve diagnosis and ``explain`` so that all read the rule the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from optimizer.models import Engineer, Problem

FAR = date(9998, 12, 31)  # certificates valid "for ever" are often written as 9999-12-31


def first_time(problem: Problem) -> datetime | None:
    """The earliest shift start (else the earliest job window start): the problem's origin."""
    times: list[datetime] = [s.start for e in problem.engineers for s in e.shifts]
    if not times:
        times = [w.start for j in problem.jobs for w in j.time_windows]
    return min(times) if times else None


def local_tz(problem: Problem) -> tzinfo:
    """The problem's local offset: that of :func:`first_time` (UTC when it has no times)."""
    first = first_time(problem)
    tz = first.tzinfo if first is not None else None
    return tz if tz is not None else UTC


def local_day(t: datetime, tz: tzinfo) -> date:
    """The calendar date of ``t`` in the offset ``tz``."""
    return t.astimezone(tz).date()


def lapsed(engineer: Engineer, required: Mapping[str, int], day: date) -> list[tuple[str, date]]:
    """The required skills whose certificate ran out before ``day``: (skill, certified until)."""
    return [
        (skill, engineer.certified_until[skill])
        for skill in sorted(required)
        if skill in engineer.certified_until and not engineer.certified_on(skill, day)
    ]


def certified_through(engineer: Engineer, required: Mapping[str, int]) -> tuple[str, date] | None:
    """The first of the required skills' certificates to run out, or None (no end on record)."""
    ends = [(until, skill) for skill, until in engineer.certified_until.items()
            if skill in required]
    if not ends:
        return None
    until, skill = min(ends)
    return skill, until


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The first instant after ``day`` in the offset ``tz`` (a job must start before it);
    dates near the end of the calendar are held a year short of it (no overflow)."""
    return datetime.combine(min(day, FAR) + timedelta(days=1), time(0), tz)


def describe_lapse(engineer_id: str, skills: list[tuple[str, date]]) -> str:
    """``E012's gas certificate lapsed (certified until 2026-11-30)``, several skills joined."""
    what = " and ".join(f"{s} certificate lapsed (certified until {d.isoformat()})"
                        for s, d in skills)
    return f"{engineer_id}'s {what}"
