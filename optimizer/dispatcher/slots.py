"""Appointment slots a call-centre agent can promise for a new job.

``offer_slots(problem, plan, job)`` cuts the next ``days`` days into ``slot_min`` slots (local
time, aligned to midnight), keeps those some shift of the problem covers, and for each asks the
insertion evaluator where the job could *start inside the slot* in today's plan (or in an
empty shift on a later day): the cheapest engineer, the marginal cost (added travel minutes,
plus lateness against ``due`` if any) and the on-time risk.

Only the engineers' shifts in the problem are used: if they cover today only, only today's
slots are offered (``coverage`` says which days have shifts).

On-time risk: ``slack_min`` is how late the engineer may arrive and still start inside the
slot (slot end minus planned start, capped by how much the stops after it can absorb). Travel
is assumed to overrun by an exponential amount with mean ``spread`` = 25 % of the travel
to the job + 5 min; ``risk`` = P(overrun > slack) = exp(-slack / spread). 0.05 means about one
promise in twenty would be missed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from optimizer.compile import compile_problem
from optimizer.dispatcher.explain import board_from_plan
from optimizer.errors import InputError
from optimizer.models import Job, Plan, Problem


@dataclass(frozen=True)
class SlotOffer:
    """One slot that can be promised: who would come, when, at what cost and risk."""

    start: datetime
    end: datetime
    engineer: str
    planned_start: datetime
    marginal_cost: float
    slack_min: int
    risk: float


def offer_slots(
    problem: Problem,
    plan: Plan,
    job: Job,
    *,
    days: int = 3,
    slot_min: int = 120,
    now: datetime | None = None,
    max_offers: int | None = None,
) -> list[SlotOffer]:
    """Slots for ``job`` (its own windows are ignored), ranked by risk band then cost."""
    if slot_min <= 0 or days <= 0:
        raise InputError("offer_slots: slot_min and days must be > 0")
    if job.id in {j.id for j in problem.jobs}:
        raise InputError(f"job {job.id!r}: already in the problem")
    job = job.model_copy(update={"time_windows": [], "pinned": None})
    prob = problem.model_copy(update={"jobs": [*problem.jobs, job]})
    c = compile_problem(prob)
    board = board_from_plan(c, plan)
    j = c.job_index[job.id]
    if not c.qualified[j].any():
        return []
    first = now or min((s.start for e in problem.engineers for s in e.shifts), default=None)
    if first is None:
        return []
    day0 = first.replace(hour=0, minute=0, second=0, microsecond=0)
    t_from = c.to_minutes(first, up=True)
    covered = [(int(a), int(b + o)) for a, b, o in zip(c.shift_start, c.shift_end,
                                                       c.shift_max_ot, strict=True)]
    g = board.gaps
    jl = int(c.job_loc[j])
    spread = 0.25 * board.minutes[g.prev_loc, jl] + 5.0
    offers = []
    for d in range(days):
        for k in range(24 * 60 // slot_min):
            s_dt = day0 + timedelta(days=d, minutes=k * slot_min)
            a, b = c.to_minutes(s_dt), c.to_minutes(s_dt) + slot_min
            if b <= t_from or not any(sa < b and a < sb for sa, sb in covered):
                continue
            a = max(a, t_from)
            ev = board.evaluate_any(j, windows=np.array([[a, b - 1]], dtype=np.int64))
            if not ev.ok.any():
                continue
            slack = np.minimum(b - 1 - ev.start, g.chk_md - ev.delay)
            risk = np.exp(-np.maximum(slack, 0) / spread)
            score = np.where(ev.ok, ev.cost + 100.0 * risk, np.inf)
            i = int(np.argmin(score))
            offers.append(SlotOffer(
                start=s_dt, end=s_dt + timedelta(minutes=slot_min),
                engineer=c.eng_ids[int(g.eng[i])], planned_start=c.to_datetime(int(ev.start[i])),
                marginal_cost=float(ev.cost[i]), slack_min=int(slack[i]),
                risk=round(float(risk[i]), 3)))
    offers.sort(key=lambda o: (math.ceil(o.risk * 10), o.marginal_cost, o.start))
    return offers[:max_offers] if max_offers else offers


def coverage(problem: Problem) -> list[str]:
    """The local dates on which some engineer has a shift (what slots can cover)."""
    return sorted({s.start.date().isoformat() for e in problem.engineers for s in e.shifts})
