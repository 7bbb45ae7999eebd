"""How big a dispatch problem the engine takes: counts, matrix size and a memory estimate.

The solver builds one travel matrix over every location of the problem (km and minutes for
each pair, and copies of parts of it while it searches), so its memory grows with the square of
the locations: 20,000 jobs need tens of GB. :func:`check` measures a problem against
:class:`Limits` before any solving and says what is exceeded, naming the field, the limit and
the option that sets it. It reads a :class:`~optimizer.models.Problem` or its raw JSON: counting
the jobs of a body is cheap, validating 150,000 of them is not, so the service refuses an
oversize problem before it validates it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optimizer.models import MatrixTravel, Problem

# Measured (docs/reliability.md): peak resident memory of `optimizer plan` on generated days,
# per pair of locations and for the process itself (interpreter, OR-Tools, pandas).
BYTES_PER_PAIR = 40
BASE_BYTES = 400 * 2**20
GIB = 2**30


@dataclass(frozen=True)
class Limits:
    """Largest problem accepted; None: no limit of that kind."""

    max_jobs: int | None = 10_000
    max_engineers: int | None = 2_000
    max_matrix_points: int | None = 2_000
    max_memory_bytes: int | None = None

    @classmethod
    def unlimited(cls) -> Limits:
        return cls(None, None, None, None)

    @classmethod
    def for_this_machine(cls) -> Limits:
        """The default counts, and half of this machine's memory for one solve (the
        service's defaults)."""
        memory = physical_memory_bytes()
        return cls(max_memory_bytes=None if memory is None else memory // 2)


@dataclass(frozen=True)
class Exceeded:
    """One limit a problem is over."""

    field: str
    option: str
    value: float
    limit: float
    message: str


@dataclass(frozen=True)
class Size:
    jobs: int
    engineers: int
    depots: int
    matrix_points: int  # 0 for haversine travel

    @property
    def locations(self) -> int:
        """Distinct locations the travel matrix may hold (at most)."""
        if self.matrix_points:
            return self.matrix_points
        return self.jobs + 2 * self.engineers + self.depots


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


def size_of(problem: Problem | Mapping[str, Any] | Any) -> Size:
    """The counts of a problem, from the model or its raw JSON (tolerant of wrong types:
    validation reports those)."""
    if isinstance(problem, Problem):
        points = len(problem.travel.points) if isinstance(problem.travel, MatrixTravel) else 0
        return Size(len(problem.jobs), len(problem.engineers), len(problem.depots), points)
    if not isinstance(problem, Mapping):
        return Size(0, 0, 0, 0)
    travel = problem.get("travel")
    points = _count(travel.get("points")) if isinstance(travel, Mapping) else 0
    return Size(_count(problem.get("jobs")), _count(problem.get("engineers")),
                _count(problem.get("depots")), points)


def estimate_memory_bytes(size: Size) -> int:
    """Peak memory a solve of a problem of ``size`` is expected to take (see module doc)."""
    n = size.locations
    return BASE_BYTES + BYTES_PER_PAIR * n * n


def physical_memory_bytes() -> int | None:
    """This machine's memory (None where it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def available_memory_bytes() -> int | None:
    """Memory this machine can give a new process now (Linux ``MemAvailable``; elsewhere its
    physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return physical_memory_bytes()


def check(problem: Problem | Mapping[str, Any] | Any, limits: Limits,
          prefix: str = "problem") -> list[Exceeded]:
    """Every limit ``problem`` is over (empty: it may be solved)."""
    size = size_of(problem)
    out: list[Exceeded] = []
    where = f"{prefix}." if prefix else ""
    for field, option, value, limit in (
        ("jobs", "--max-jobs", size.jobs, limits.max_jobs),
        ("engineers", "--max-engineers", size.engineers, limits.max_engineers),
        ("travel.points", "--max-matrix-points", size.matrix_points, limits.max_matrix_points),
    ):
        if limit is not None and value > limit:
            out.append(Exceeded(
                f"{where}{field}", option, value, limit,
                f"{where}{field}: {value:,} is over the limit of {limit:,} ({option})"))
    if limits.max_memory_bytes is not None:
        need = estimate_memory_bytes(size)
        if need > limits.max_memory_bytes:
            out.append(Exceeded(
                f"{where}jobs", "--max-memory-mb", need, limits.max_memory_bytes,
                f"{where}jobs: a problem of {size.jobs:,} jobs, {size.engineers:,} engineers "
                f"and {size.depots:,} depots ({size.locations:,} locations) needs about "
                f"{need / GIB:,.1f} GiB to solve, over the limit of "
                f"{limits.max_memory_bytes / GIB:,.1f} GiB (--max-memory-mb)"))
    return out


def fits_this_machine(problem: Problem) -> list[str]:
    """Why ``problem`` cannot be solved on this machine now (its memory estimate is over the
    memory available); empty when it may be."""
    exceeded = check(problem, Limits(None, None, None, available_memory_bytes()), prefix="")
    return [e.message.replace("over the limit of", "over the").replace(
        "(--max-memory-mb)", "this machine has available now") for e in exceeded]
