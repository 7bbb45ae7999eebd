"""Helpers shared by the benchmark scripts: data paths, timing, memory, our solver, tables."""

from __future__ import annotations

import csv
import fnmatch
import os
import resource
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from optimizer.models import JobStop, Plan, Priority, Problem
from optimizer.travel import travel_matrix

PRIORITY_WEIGHT: dict[Priority, int] = {
    Priority.CRITICAL: 8,
    Priority.HIGH: 4,
    Priority.NORMAL: 2,
    Priority.LOW: 1,
}
"""Weights of the 'priority-weighted jobs assigned' figure (each tier twice the one below)."""


def shared_dir() -> Path:
    """The shared read-only folder: ``$OPTIMIZER_SHARED_DIR`` or ``../shared`` beside the repo."""
    env = os.environ.get("OPTIMIZER_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


def data_dir(name: str) -> Path:
    """``shared/data/<name>``; exits with a clear message when it is absent."""
    d = shared_dir() / "data" / name
    if not d.is_dir():
        sys.exit(f"data folder {d} not found: set OPTIMIZER_SHARED_DIR to the shared folder")
    return d


def log(msg: str) -> None:
    """Progress line on stderr, with the time of day."""
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def select(
    names: Sequence[str], patterns: Sequence[str] | None, default: Sequence[str]
) -> list[str]:
    """Names matching any of ``patterns`` (globs or exact names, comma lists allowed).

    ``None`` selects ``default``; ``all`` selects every name.
    """
    if patterns is None:
        return [n for n in names if n in set(default)]
    pats = [p.strip() for arg in patterns for p in arg.split(",") if p.strip()]
    if "all" in pats:
        return list(names)
    out = [n for n in names if any(fnmatch.fnmatch(n.upper(), p.upper()) for p in pats)]
    if not out:
        sys.exit(f"no instance matches {', '.join(pats)} (known: {', '.join(names[:8])}, ...)")
    return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports kB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0 if sys.platform != "darwin" else rss / 2**20


@dataclass
class Timer:
    """Wall and CPU seconds of a ``with`` block."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    _w: float = 0.0
    _c: float = 0.0

    def __enter__(self) -> Timer:
        self._w = time.perf_counter()
        self._c = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_s = time.perf_counter() - self._w
        self.cpu_s = time.process_time() - self._c


@dataclass
class Outcome:
    """What one solver did on one problem (figures in the problem's own units)."""

    solver: str
    ok: bool = False  # produced a plan (every job placed is checked separately)
    error: str = ""
    vehicles: int = 0
    distance_km: float = 0.0
    assigned: int = 0
    unassigned: int = 0
    wall_s: float = 0.0
    valid: bool | None = None  # None: not validated
    violations: int = 0
    first_violation: str = ""
    sequences: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def run_ours(problem: Problem, time_limit_s: float, seed: int = 0, engine: str = "auto"
             ) -> tuple[Outcome, Plan | None]:
    """Our public solver on ``problem``, its plan validated. Errors become a failed outcome."""
    from optimizer.dispatch import SolveOptions, solve
    from optimizer.validate import validate

    out = Outcome(solver="ours")
    try:
        with Timer() as t:
            plan = solve(problem, SolveOptions(time_limit_s=time_limit_s, seed=seed,
                                               engine=engine))
    except Exception as exc:  # a benchmark reports a crash, it does not stop on it
        out.error = f"{type(exc).__name__}: {exc}"
        return out, None
    out.ok = True
    out.wall_s = t.wall_s
    out.extra["cpu_s"] = round(t.cpu_s, 2)
    out.extra["solver_wall_s"] = plan.solver.wall_s
    out.extra["status"] = plan.solver.status
    out.extra["engine"] = plan.solver.model_extra.get("engine", "ortools")
    fill_from_plan(out, plan)
    violations = validate(problem, plan)
    out.valid = not violations
    out.violations = len(violations)
    out.first_violation = str(violations[0]) if violations else ""
    return out, plan


def fill_from_plan(out: Outcome, plan: Plan) -> None:
    """Vehicles, distance, counts and visit sequences of a contract plan."""
    out.sequences = {
        r.engineer: [s.job for s in r.stops if isinstance(s, JobStop)] for r in plan.routes
    }
    out.vehicles = sum(1 for seq in out.sequences.values() if seq)
    out.distance_km = sum(r.distance_km for r in plan.routes)
    out.assigned = sum(len(seq) for seq in out.sequences.values())
    out.unassigned = len(plan.unassigned)


def sequences_distance_km(problem: Problem, sequences: Mapping[str, Sequence[str]]) -> float:
    """Distance of visiting each engineer's jobs in order from start to end location (no depots)."""
    jobs = {j.id: j for j in problem.jobs}
    engineers = {e.id: e for e in problem.engineers}
    total = 0.0
    for eid, seq in sequences.items():
        if not seq:
            continue
        e = engineers[eid]
        locs = [e.start, *(jobs[j].location for j in seq), e.end_location]
        tm = travel_matrix(problem.travel, locs)
        total += float(sum(tm.km[i, i + 1] for i in range(len(locs) - 1)))
    return total


def weighted_assigned_pct(problem: Problem, assigned: Iterable[str]) -> float:
    """Priority-weighted share of jobs assigned, % (see :data:`PRIORITY_WEIGHT`)."""
    done = set(assigned)
    total = sum(PRIORITY_WEIGHT[j.priority] for j in problem.jobs)
    got = sum(PRIORITY_WEIGHT[j.priority] for j in problem.jobs if j.id in done)
    return 100.0 if total == 0 else 100.0 * got / total


def gap_pct(value: float, best: float) -> float:
    """Gap of ``value`` to ``best`` in percent."""
    return 100.0 * (value - best) / best if best else float("nan")


def fmt(v: Any, nd: int = 2) -> str:
    """A table cell: floats with ``nd`` decimals, None as '-'."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return "-" if v != v else f"{v:.{nd}f}"
    return str(v)


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain aligned text table (every benchmark's summary)."""
    cells = [[fmt(r.get(c)) for c in columns] for r in rows]
    widths = [
        max(len(c), *(len(row[i]) for row in cells)) if cells else len(c)
        for i, c in enumerate(columns)
    ]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str = "") -> None:
    """A plain aligned text table on stdout."""
    if title:
        print(f"\n{title}")
    print(format_table(rows, columns))


def write_csv(path: str | Path, rows: Sequence[Mapping[str, Any]], quiet: bool = False) -> None:
    """Rows (dicts) to a CSV file with the union of their keys as header."""
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    if not quiet:
        log(f"wrote {len(rows)} rows to {path}")


def outcome_row(out: Outcome) -> dict[str, Any]:
    """An outcome as a flat CSV row (without the sequences)."""
    row = asdict(out)
    row.pop("sequences")
    extra = row.pop("extra")
    row.update({f"x_{k}": v for k, v in extra.items()})
    return row


def mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def summarise(
    rows: Sequence[Mapping[str, Any]],
    key: str,
    solvers: Sequence[str],
    figures: Mapping[str, Callable[[Sequence[Mapping[str, Any]]], Any]],
) -> list[dict[str, Any]]:
    """One row per (group ``key``, solver) with ``figures`` computed on that group's rows."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(str(r[key]), []).append(r)
    groups["all"] = list(rows)
    out = []
    for g, rs in groups.items():
        for s in solvers:
            sel = [r for r in rs if r["solver"] == s]
            if sel:
                out.append({key: g, "solver": s, **{n: f(sel) for n, f in figures.items()}})
    return out
