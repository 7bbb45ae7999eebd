"""Pre-solve diagnosis: which shifts could do which job, and why a job cannot be done at all.

Jobs that no shift could ever do are reported with a concrete reason before solving and are
not given to the model: ``no_qualified_engineer`` (skills, exclusions, certificates that lapse
before the job's day, unobtainable tools),
``parts_unavailable`` (no qualified van and no single depot holds the parts),
``no_time_window_fit`` (no window reachable inside any qualified shift) and
``pinned_infeasible`` (the pin cannot be honoured). Everything the model later drops is
``capacity``. The per-shift van stock split (:func:`van_allocation`) lives here too, because
diagnosis and model must agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.certificates import certified_through, describe_lapse
from optimizer.compile import NO_CERT_LIMIT, Compiled
from optimizer.models import UnassignedReason as R


@dataclass(frozen=True)
class Diagnosis:
    """``candidates[j, s]``: shift ``s`` could do job ``j`` on its own (time, skills, parts,
    tools, pin); ``reasons[j]``: (reason, detail) of each job left out before solving;
    ``usable_shift[s]``: the shift can be worked at all (its breaks fit)."""

    candidates: np.ndarray
    reasons: dict[int, tuple[R, str]]
    usable_shift: np.ndarray
    van_alloc: np.ndarray  # (S, P) van stock each shift may use


def van_allocation(c: Compiled) -> np.ndarray:
    """Split each engineer's van stock between his shifts, by where the parts are needed.

    Van stock is per engineer across his shifts in time order; one route per shift cannot
    see the others, so each shift gets a fixed share that together never exceed the stock.
    A part goes to the shifts in which the qualified jobs needing it can be done (each job's
    need spread over its feasible shifts), largest remainders first; a part no such job
    needs is split evenly, the rest to the first shift.
    """
    alloc = np.zeros((c.n_shifts, len(c.parts)), dtype=np.int64)
    for e in range(c.n_engineers):
        shifts = np.flatnonzero(c.shift_engineer == e)
        if len(shifts) == 0:
            continue
        order = shifts[np.argsort(c.shift_start[shifts], kind="stable")]
        m = len(order)
        stock = c.van_stock[e]
        if m == 1:
            alloc[order[0]] = stock
            continue
        weight = np.zeros((m, len(c.parts)), dtype=np.float64)
        for j in np.flatnonzero(c.qualified[:, e] & (c.job_parts @ (stock > 0) > 0)):
            fits = np.array([_job_fits_shift(c, int(j), int(s)) and c.certified[j, s]
                             for s in order])
            if fits.any():
                weight[fits] += c.job_parts[j][None, :] / fits.sum()
        for k in np.flatnonzero(stock):
            q, w = int(stock[k]), weight[:, k]
            if w.sum() <= 0:
                share = np.full(m, q // m)
                share[0] += q % m
            else:
                exact = q * w / w.sum()
                share = np.floor(exact).astype(np.int64)
                rest = q - int(share.sum())
                for i in np.argsort(-(exact - share), kind="stable")[:rest]:
                    share[i] += 1
            alloc[order, k] = share
    return alloc


def _fmt_hm(c: Compiled, minutes: int) -> str:
    return c.to_datetime(minutes).strftime("%H:%M")


def _shift_usable(c: Compiled, s: int) -> bool:
    """All breaks of the shift fit inside it (a worked shift must take every break)."""
    lo, hi = int(c.shift_start[s]), int(c.shift_end[s] + c.shift_max_ot[s])
    t = lo
    for e, latest, dur in sorted(c.shift_breaks[s].tolist()):
        t = max(t, e)
        if t > latest or t + dur > hi:
            return False
        t += dur
    return True


def earliest_latest(c: Compiled, j: int, s: int) -> tuple[int, int]:
    """Earliest and latest service start of job ``j`` in shift ``s`` (direct travel only)."""
    e = int(c.shift_engineer[s])
    m = c.travel.minutes
    loc = int(c.job_loc[j])
    es = int(c.shift_start[s]) + int(m[c.eng_start_loc[e], loc])
    ls = (
        int(c.shift_end[s] + c.shift_max_ot[s])
        - int(c.job_duration[j])
        - int(m[loc, c.eng_end_loc[e]])
    )
    return es, ls


def _job_fits_shift(c: Compiled, j: int, s: int) -> bool:
    """Job ``j`` can start inside one of its windows in shift ``s`` (direct travel only)."""
    es, ls = earliest_latest(c, j, s)
    if es > ls:
        return False
    return not c.job_has_windows[j] or _window_fits(c.job_windows[j], es, ls)


def _window_fits(windows: np.ndarray, es: int, ls: int) -> bool:
    return bool(np.any(np.maximum(windows[:, 0], es) <= np.minimum(windows[:, 1], ls)))


def _in_windows(windows: np.ndarray, t: int) -> bool:
    return bool(np.any((windows[:, 0] <= t) & (t <= windows[:, 1])))


def diagnose(c: Compiled) -> Diagnosis:
    """Candidates and pre-solve reasons (see module docstring)."""
    n_j, n_s = c.n_jobs, c.n_shifts
    usable = np.array([_shift_usable(c, s) for s in range(n_s)], dtype=bool)
    alloc = van_allocation(c)
    cand = np.zeros((n_j, n_s), dtype=bool)
    reasons: dict[int, tuple[R, str]] = {}
    eng_of = c.shift_engineer
    any_depot_tools = (
        c.depot_tools.any(axis=0) if len(c.depot_tools) else np.zeros(len(c.tools), bool)
    )

    for j in range(n_j):
        qual = c.qualified[j]
        pin = int(c.pinned_engineer[j])
        # --- skills and exclusions
        if not qual.any():
            reasons[j] = (R.NO_QUALIFIED_ENGINEER, _skill_detail(c, j))
            continue
        # --- tools: carried, or some depot has the missing ones
        need_t = c.job_tools[j]
        tools_ok = (
            np.array(
                [
                    bool(np.all(~need_t | c.eng_tools[e] | any_depot_tools))
                    for e in range(c.n_engineers)
                ],
                dtype=bool,
            )
            if need_t.any()
            else np.ones(c.n_engineers, dtype=bool)
        )
        if not (qual & tools_ok).any():
            missing = [
                c.tools[t]
                for t in np.flatnonzero(need_t)
                if not any_depot_tools[t] and not (c.eng_tools[qual, t].any())
            ]
            reasons[j] = (
                R.NO_QUALIFIED_ENGINEER,
                f"needs tool {', '.join(missing)}; no qualified engineer carries it "
                "and no depot has it",
            )
            continue
        # --- parts: a qualified van share covers, or a single depot holds all of them
        req = c.job_parts[j]
        depot_ok = (
            bool(np.any(np.all(c.depot_stock >= req, axis=1))) if len(c.depot_stock) else False
        )
        shift_parts = np.all(alloc >= req, axis=1) | depot_ok if req.any() else np.ones(n_s, bool)
        ok = qual[eng_of] & tools_ok[eng_of] & usable
        if req.any() and not (ok & shift_parts).any():
            reasons[j] = (R.PARTS_UNAVAILABLE, _parts_detail(c, j, qual))
            continue
        ok &= shift_parts
        # --- time: some window reachable inside the shift
        fits = np.zeros(n_s, dtype=bool)
        for s in np.flatnonzero(ok):
            es, ls = earliest_latest(c, j, s)
            fits[s] = _window_fits(c.job_windows[j], es, ls)
        # --- certificates: the shifts that fit but come after a certificate's date
        lapse = _certificate_problem(c, j, pin, fits)
        if lapse is not None:
            reasons[j] = lapse
            continue
        fits &= c.certified[j]
        # --- pin
        if pin >= 0:
            detail = _pin_problem(c, j, pin, ok, fits)
            if detail:
                reasons[j] = (R.PINNED_INFEASIBLE, detail)
                continue
            fits &= eng_of == pin
            ps = int(c.pinned_start[j])
            if c.has_pinned_start[j]:
                for s in np.flatnonzero(fits):
                    es, ls = earliest_latest(c, j, s)
                    fits[s] = es <= ps <= ls
        if not fits.any():
            if not ok.any():
                reasons[j] = (
                    R.NO_TIME_WINDOW_FIT,
                    "no qualified engineer has a usable shift",
                )
            else:
                reasons[j] = (R.NO_TIME_WINDOW_FIT, _time_detail(c, j, ok))
            continue
        cand[j] = fits
    return Diagnosis(candidates=cand, reasons=reasons, usable_shift=usable, van_alloc=alloc)


def _skill_detail(c: Compiled, j: int) -> str:
    job = c.problem.jobs[j]
    engs = c.problem.engineers
    if not job.required_skills:
        return "every engineer is excluded from it"
    lacking = [
        f"{sk} level {lvl}"
        for sk, lvl in job.required_skills.items()
        if not any(e.skills.get(sk, 0) >= lvl for e in engs)
    ]
    need = " and ".join(f"{sk} level {lvl}" for sk, lvl in job.required_skills.items())
    if lacking:
        return f"needs {', '.join(lacking)}; no engineer has it"
    if c.skill_ok[j].any():
        names = ", ".join(c.eng_ids[e] for e in np.flatnonzero(c.skill_ok[j]))
        return f"needs {need}; the engineers who have it ({names}) are excluded"
    return f"needs {need}; no engineer has all of them"


def _certificate_problem(c: Compiled, j: int, pin: int, fits: np.ndarray) -> tuple[R, str] | None:
    """When the job fits only shifts in which a certificate no longer counts (those of its
    pinned engineer, if pinned): the reason and the engineers' lapsed certificates."""
    eng_of = c.shift_engineer
    if pin >= 0:
        mine = fits & (eng_of == pin)
        if mine.any() and not (mine & c.certified[j]).any():
            return R.PINNED_INFEASIBLE, (f"pinned to {c.eng_ids[pin]}: "
                                         + _certificate_detail(c, j, mine))
        return None
    if fits.any() and not (fits & c.certified[j]).any():
        return R.NO_QUALIFIED_ENGINEER, _certificate_detail(c, j, fits)
    return None


def _certificate_detail(c: Compiled, j: int, shifts: np.ndarray) -> str:
    """``needs gas level 2; no qualified engineer is certified on the job's day (...): E012's
    gas certificate lapsed (certified until 2026-11-30)``, over the (J,) mask ``shifts``."""
    job = c.problem.jobs[j]
    need = " and ".join(f"{sk} level {lvl}" for sk, lvl in job.required_skills.items())
    engineers = np.unique(c.shift_engineer[shifts])
    lapses = []
    for e in engineers:
        eng = c.problem.engineers[int(e)]
        first = certified_through(eng, job.required_skills)
        if first is not None and c.cert_limit[j, e] < NO_CERT_LIMIT:
            lapses.append(describe_lapse(eng.id, [first]))
    days = sorted({c.to_datetime(int(c.shift_start[s])).date().isoformat()
                   for s in np.flatnonzero(shifts)})
    when = days[0] if len(days) == 1 else f"{days[0]} or later"
    who = "no qualified engineer is" if len(engineers) > 1 else f"{c.eng_ids[engineers[0]]} is not"
    return f"needs {need}; {who} certified on the job's day ({when}): {'; '.join(lapses)}"


def _parts_detail(c: Compiled, j: int, qual: np.ndarray) -> str:
    req = c.job_parts[j]
    parts = ", ".join(f"{int(req[k])} x {c.parts[k]}" for k in np.flatnonzero(req))
    best_van = int(np.max(np.sum(np.minimum(c.van_stock[qual], req), axis=1))) if qual.any() else 0
    return (
        f"needs {parts}; no qualified engineer's van holds them all "
        f"(best covers {best_van} of {int(req.sum())}) and no depot stocks them all"
    )


def _time_detail(c: Compiled, j: int, ok: np.ndarray) -> str:
    wins = c.job_windows[j]
    ws = ", ".join(f"{_fmt_hm(c, a)}-{_fmt_hm(c, b)}" for a, b in wins.tolist())
    shifts = []
    for s in np.flatnonzero(ok)[:3]:
        e = c.eng_ids[int(c.shift_engineer[s])]
        shifts.append(f"{e} {_fmt_hm(c, int(c.shift_start[s]))}-{_fmt_hm(c, int(c.shift_end[s]))}")
    what = f"windows {ws}" if c.job_has_windows[j] else f"{int(c.job_duration[j])} min of work"
    return (
        f"{what} cannot be reached inside any qualified shift "
        f"({'; '.join(shifts)}{'; ...' if ok.sum() > 3 else ''}), counting travel"
    )


def _pin_problem(c: Compiled, j: int, pin: int, ok: np.ndarray, fits: np.ndarray) -> str:
    name = c.eng_ids[pin]
    if not c.qualified[j, pin]:
        why = "is excluded" if c.excluded[j, pin] else "lacks the required skills"
        return f"pinned to {name}, who {why}"
    mine = c.shift_engineer == pin
    if not mine.any():
        return f"pinned to {name}, who has no shifts"
    if not (ok & mine).any():
        return f"pinned to {name}, whose van/depots cannot supply its parts or tools"
    ps = int(c.pinned_start[j])
    if c.has_pinned_start[j]:
        if c.job_has_windows[j] and not _in_windows(c.job_windows[j], ps):
            return f"pinned start {_fmt_hm(c, ps)} is outside the job's time windows"
        for s in np.flatnonzero(ok & mine):
            es, ls = earliest_latest(c, j, s)
            if es <= ps <= ls:
                return ""
        return f"pinned start {_fmt_hm(c, ps)} cannot be reached inside a shift of {name}"
    if not (fits & mine).any():
        return f"no window of the job fits a shift of {name}"
    return ""
