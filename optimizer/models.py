"""The dispatch contract (version 1) as frozen pydantic models.

These models are the boundary of the engine: they accept exactly the contract JSON of
``shared/contract/README.md`` and produce it. Input is validated once here, with messages that
name the object id and the field, then compiled (``optimizer.compile``) into the numeric form
the solver and the validator use.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    ValidationError,
    model_validator,
)

from optimizer.points import match_points

CONTRACT_VERSION = 1

# Sane ranges of the contract's numbers (docs/reliability.md). Every float must be finite
# (Infinity and NaN are refused by name); beyond these bounds the input is a mistake, and the
# engine's integer arithmetic (minutes, scaled costs) could overflow.
MAX_ID_LENGTH = 200
MAX_SPEED_KMH = 1000.0
MIN_SPEED_KMH = 1.0
MAX_CIRCUITY = 10.0
MAX_LEG_MIN = 1_000_000.0  # a matrix entry (large values mark unreachable pairs)
MAX_LEG_KM = 1_000_000.0
MAX_JOB_MIN = 366 * 24 * 60  # a job, a shift: at most a year (benchmarks map long horizons)
MAX_DAY_MIN = 24 * 60  # overtime, a break, a depot pick-up
MAX_LEVEL = 100
MAX_QUANTITY = 10**9  # parts, load, capacity
MAX_COST_PER_HOUR = 1e6
MAX_COST_PER_KM = 1e5


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank (whitespace only)")
    return value


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_not_blank)]
Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]
Quantities = dict[Id, Quantity]
Level = Annotated[int, Field(ge=1, le=MAX_LEVEL)]
DayMinutes = Annotated[int, Field(ge=0, le=MAX_DAY_MIN)]


class _Model(BaseModel):
    """Contract objects: immutable, and unknown fields are an error (a typo is not ignored).
    Floats must be finite: ``Infinity`` or ``NaN`` is refused naming the field."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _OpenModel(BaseModel):
    """Output objects that other tools may extend with fields of their own."""

    model_config = ConfigDict(frozen=True, extra="allow")


# --------------------------------------------------------------------------- problem


class Location(_Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class HaversineTravel(_Model):
    """Road km = circuity x great-circle km; minutes = road km / speed x 60, rounded up per leg."""

    model: Literal["haversine"] = "haversine"
    speed_kmh: float = Field(ge=MIN_SPEED_KMH, le=MAX_SPEED_KMH)
    circuity: float = Field(default=1.0, ge=1.0, le=MAX_CIRCUITY)


class MatrixPoint(_Model):
    id: Id
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class MatrixTravel(_Model):
    """A user's road matrix; every location of the problem must match one of ``points``."""

    model: Literal["matrix"] = "matrix"
    points: list[MatrixPoint] = Field(min_length=1)
    duration_min: list[list[Annotated[float, Field(ge=0, le=MAX_LEG_MIN)]]]
    distance_km: list[list[Annotated[float, Field(ge=0, le=MAX_LEG_KM)]]]

    @model_validator(mode="after")
    def _square(self) -> MatrixTravel:
        n = len(self.points)
        seen: set[str] = set()
        for p in self.points:
            if p.id in seen:
                raise ValueError(f"points: duplicate point id {p.id!r}")
            seen.add(p.id)
        for name in ("duration_min", "distance_km"):
            rows = getattr(self, name)
            if len(rows) != n:
                raise ValueError(
                    f"{name}: has {len(rows)} rows but there are {n} points "
                    "(the matrix must be square, one row and column per point)"
                )
            for i, row in enumerate(rows):
                if len(row) != n:
                    raise ValueError(
                        f"{name}[{i}] (point {self.points[i].id!r}): has {len(row)} "
                        f"columns but there are {n} points (the matrix must be square)"
                    )
        return self


Travel = Annotated[HaversineTravel | MatrixTravel, Field(discriminator="model")]


class Break(_Model):
    """A break of ``duration_min`` that starts somewhere in [earliest, latest]."""

    earliest: AwareDatetime
    latest: AwareDatetime
    duration_min: DayMinutes

    @model_validator(mode="after")
    def _order(self) -> Break:
        if self.latest < self.earliest:
            raise ValueError("break: latest is before earliest")
        return self


class Shift(_Model):
    start: AwareDatetime
    end: AwareDatetime
    max_overtime_min: DayMinutes = 0
    breaks: list[Break] = Field(default_factory=list)

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if self.end < self.start:
            raise ValueError("shift: end is before start")
        if (self.end - self.start).total_seconds() > MAX_JOB_MIN * 60:
            raise ValueError(f"shift: longer than {MAX_JOB_MIN // 1440} days "
                             f"({self.start.isoformat()} to {self.end.isoformat()})")
        return self


class Engineer(_Model):
    id: Id
    start: Location
    end: Location | None = None
    shifts: list[Shift] = Field(default_factory=list)
    skills: dict[Id, Level] = Field(default_factory=dict)
    van_stock: Quantities = Field(default_factory=dict)
    tools: list[Id] = Field(default_factory=list)
    capacity: Quantity | None = None
    cost_per_hour: float | None = Field(default=None, ge=0, le=MAX_COST_PER_HOUR)
    cost_per_km: float | None = Field(default=None, ge=0, le=MAX_COST_PER_KM)
    certified_until: dict[Id, date] = Field(
        default_factory=dict,
        description="skill -> last date (the problem's local calendar: the UTC offset of its "
        "earliest shift start) on which the skill counts; a job starting on a later date does "
        "not count it. Skills without an entry always count.",
    )

    @model_validator(mode="after")
    def _certified_skills(self) -> Engineer:
        unknown = sorted(set(self.certified_until) - set(self.skills))
        if unknown:
            raise ValueError(
                f"certified_until: {', '.join(map(repr, unknown))} not among the engineer's "
                f"skills ({', '.join(sorted(self.skills)) or 'none'}); a certificate is for a "
                "skill the engineer holds"
            )
        return self

    def certified_on(self, skill: str, day: date) -> bool:
        """The skill counts on ``day`` (no certificate on record: always)."""
        until = self.certified_until.get(skill)
        return until is None or day <= until

    @property
    def end_location(self) -> Location:
        return self.end if self.end is not None else self.start


class TimeWindow(_Model):
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _order(self) -> TimeWindow:
        if self.end < self.start:
            raise ValueError("time window: end is before start")
        return self


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Pin(_Model):
    engineer: Id
    start: AwareDatetime | None = None


class Job(_Model):
    id: Id
    location: Location
    duration_min: Annotated[int, Field(ge=0, le=MAX_JOB_MIN)]
    time_windows: list[TimeWindow] = Field(default_factory=list)
    due: AwareDatetime | None = None
    priority: Priority = Priority.NORMAL
    required_skills: dict[Id, Level] = Field(default_factory=dict)
    required_parts: Quantities = Field(default_factory=dict)
    required_tools: list[Id] = Field(default_factory=list)
    load: Quantity = 0
    excluded_engineers: list[Id] = Field(default_factory=list)
    preferred_engineers: list[Id] = Field(default_factory=list)
    pinned: Pin | None = None
    kind: str | None = None


class DepotHours(_Model):
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _order(self) -> DepotHours:
        if self.end < self.start:
            raise ValueError("open: end is before start")
        return self


class Depot(_Model):
    id: Id
    location: Location
    stock: Quantities = Field(default_factory=dict)
    tools: list[Id] = Field(default_factory=list)
    open: DepotHours | None = None
    pickup_min: DayMinutes = 10


def _duplicates(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for i in ids:
        if i in seen and i not in dup:
            dup.append(i)
        seen.add(i)
    return dup


class Problem(_Model):
    """A dispatch problem: engineers with shifts, jobs to place, depots with stock."""

    id: Id
    travel: Travel
    engineers: list[Engineer] = Field(default_factory=list)
    jobs: list[Job] = Field(default_factory=list)
    depots: list[Depot] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Problem:
        errors: list[str] = []
        for name, items in (
            ("engineers", self.engineers),
            ("jobs", self.jobs),
            ("depots", self.depots),
        ):
            for d in _duplicates([x.id for x in items]):
                errors.append(f"{name}: duplicate id {d!r} (ids must be unique in their list)")
        engineer_ids = {e.id for e in self.engineers}
        for job in self.jobs:
            for field in ("excluded_engineers", "preferred_engineers"):
                for e in getattr(job, field):
                    if e not in engineer_ids:
                        errors.append(f"job {job.id!r}.{field}: unknown engineer {e!r}")
            if job.pinned is not None and job.pinned.engineer not in engineer_ids:
                errors.append(
                    f"job {job.id!r}.pinned.engineer: unknown engineer {job.pinned.engineer!r}"
                )
        if isinstance(self.travel, MatrixTravel):
            errors.extend(_unmatched_locations(self))
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def engineer(self, engineer_id: str) -> Engineer:
        for e in self.engineers:
            if e.id == engineer_id:
                return e
        raise KeyError(engineer_id)

    def job(self, job_id: str) -> Job:
        for j in self.jobs:
            if j.id == job_id:
                return j
        raise KeyError(job_id)


def _unmatched_locations(problem: Problem) -> list[str]:
    travel = problem.travel
    assert isinstance(travel, MatrixTravel)
    errors = []
    named: list[tuple[str, Location]] = []
    for e in problem.engineers:
        named.append((f"engineer {e.id!r}.start", e.start))
        if e.end is not None:
            named.append((f"engineer {e.id!r}.end", e.end))
    named += [(f"job {j.id!r}.location", j.location) for j in problem.jobs]
    named += [(f"depot {d.id!r}.location", d.location) for d in problem.depots]
    idx = match_points(travel, [loc for _, loc in named])
    for (name, loc), i in zip(named, idx, strict=True):
        if i < 0:
            errors.append(f"{name}: ({loc.lat}, {loc.lon}) matches no point of the travel matrix")
    return errors


# --------------------------------------------------------------------------- plan


class JobStop(_Model):
    type: Literal["job"] = "job"
    job: Id
    arrival: AwareDatetime
    start: AwareDatetime
    end: AwareDatetime


class DepotStop(_Model):
    type: Literal["depot"] = "depot"
    depot: Id
    arrival: AwareDatetime
    start: AwareDatetime
    end: AwareDatetime
    pickup: Quantities = Field(default_factory=dict)
    pickup_tools: list[Id] = Field(default_factory=list)


class BreakStop(_Model):
    type: Literal["break"] = "break"
    start: AwareDatetime
    end: AwareDatetime


Stop = Annotated[JobStop | DepotStop | BreakStop, Field(discriminator="type")]


class Route(_Model):
    engineer: Id
    shift: NonNegativeInt
    start_time: AwareDatetime
    end_time: AwareDatetime
    distance_km: float = Field(ge=0)
    travel_min: float = Field(ge=0)
    stops: list[Stop] = Field(default_factory=list)


class UnassignedReason(StrEnum):
    NO_QUALIFIED_ENGINEER = "no_qualified_engineer"
    NO_TIME_WINDOW_FIT = "no_time_window_fit"
    PARTS_UNAVAILABLE = "parts_unavailable"
    PINNED_INFEASIBLE = "pinned_infeasible"
    CAPACITY = "capacity"


class Relaxation(_OpenModel):
    """One change to the problem that would let an unassigned job be placed (see explain)."""

    kind: str
    description: str
    cost: float


class Unassigned(_OpenModel):
    job: Id
    reason: UnassignedReason
    detail: str = ""
    relaxations: list[Relaxation] | None = None


class Kpis(_OpenModel):
    jobs_total: int
    jobs_assigned: int
    jobs_unassigned: int
    on_time_pct: float
    distance_km: float
    travel_min: float
    work_min: float
    overtime_min: float
    utilisation_pct: float


class SolverStatus(StrEnum):
    """How our solve of a plan ended (``Plan.solver.status``): OR-Tools' own statuses, and
    the plans made without a search."""

    OPTIMAL = "optimal"
    SUCCESS = "success"
    PARTIAL_SUCCESS = "partial_success"
    NOT_SOLVED = "not_solved"
    FAIL = "fail"
    FAIL_TIMEOUT = "fail_timeout"
    INVALID = "invalid"
    INFEASIBLE = "infeasible"
    NO_JOBS = "no_jobs"  # nothing any engineer could do: no search
    EMPTY = "empty"  # a territory or day without engineers or jobs
    WARM_START_KEPT = "warm_start_kept"  # a border pass kept its territory's first plan
    GREEDY = "greedy"  # cheapest insertion alone
    REPAIR = "repair"  # the dispatcher's repair, the solver path's warm start
    REOPTIMIZED = "reoptimized"  # re-optimisation's repair


class SolverInfo(_OpenModel):
    """What made the plan: ``status`` (ours: a :class:`SolverStatus`; a plan from another tool
    may carry its own word), wall time, and any figures the solver adds."""

    status: SolverStatus | str
    wall_s: float


class Plan(_Model):
    """A dispatch plan: one route per worked engineer shift, and every job left out with why."""

    problem_id: Id
    routes: list[Route] = Field(default_factory=list)
    unassigned: list[Unassigned] = Field(default_factory=list)
    kpis: Kpis
    solver: SolverInfo


# --------------------------------------------------------------------------- helpers


def _id_of(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn a pydantic location ('jobs', 3, 'x') into "jobs[3] (id 'J004').x"."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            try:
                node = node[key]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label += f" (id {node['id']!r})"
            except (IndexError, KeyError, TypeError):
                node = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
            try:
                node = node[key] if isinstance(node, dict) else None
            except (KeyError, TypeError):
                node = None
    return "".join(parts)


def describe_validation_error(exc: Exception, data: Any = None) -> list[str]:
    """Readable messages from a pydantic ValidationError, naming ids where the data has them."""
    if not isinstance(exc, ValidationError):
        return [str(exc)]
    out = []
    for err in exc.errors():
        loc = tuple(
            k
            for k in err.get("loc", ())
            if k not in ("haversine", "matrix", "job", "depot", "break")
        )
        where = _id_of(data, loc) if data is not None else ".".join(map(str, loc))
        msg = err.get("msg", "invalid")
        msg = msg.removeprefix("Value error, ")
        if err.get("type") == "timezone_aware":
            msg = "time has no UTC offset (write e.g. 2026-11-24T08:00:00+08:00)"
        out.append(f"{where}: {msg}" if where else msg)
    return out


def format_time(t: datetime) -> str:
    return t.isoformat()


def parse_pairs(text: str, what: str = "value") -> dict[str, str]:
    """``"a:x;b:y"`` -> ``{"a": "x", "b": "y"}`` (blank items skipped; a repeated name or an
    item without ``:`` is a ValueError naming it). The short form of the contract's CSV maps."""
    out: dict[str, str] = {}
    for item in str(text).split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValueError(f"{item.strip()!r}: expected 'name:{what}' (pairs separated by ';')")
        if key in out:
            raise ValueError(f"{key!r} is given twice")
        out[key] = value
    return out


def parse_skill_levels(text: str) -> dict[str, int]:
    """``"hvac:2;electrical:1"`` -> ``{"hvac": 2, "electrical": 1}`` (levels >= 1)."""
    out: dict[str, int] = {}
    for key, value in parse_pairs(text, "level").items():
        try:
            level = int(value)
        except ValueError:
            level = 0
        if str(level) != value.lstrip("+") or level < 1:
            raise ValueError(f"{key}:{value}: the level must be a whole number >= 1")
        out[key] = level
    return out


def parse_certificates(text: str) -> dict[str, date]:
    """``"gas:2026-12-31;hvac:2027-03-01"`` -> skill -> last certified date (``certified_until``
    of the dispatch contract and of MAINTENANCE.md's engineers.csv)."""
    out: dict[str, date] = {}
    for key, value in parse_pairs(text, "YYYY-MM-DD").items():
        try:
            out[key] = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{key}:{value}: not a date (write YYYY-MM-DD)") from None
        if len(value) != 10:
            raise ValueError(f"{key}:{value}: not a date (write YYYY-MM-DD)")
    return out
