"""Request and response bodies of the dispatch service.

They wrap the contract models (``optimizer.models``: Problem, Job, Plan) and the event models
(``optimizer.events``) and add only what the service itself needs: ids, versions, status,
history and the error envelope.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PositiveInt

from optimizer.models import Job, Plan, Problem
from optimizer.service.events_compat import EVENT_LIST, Diff

DEFAULT_TIME_LIMIT_S = 30.0


class _Body(BaseModel):
    """Request bodies: immutable; an unknown field is an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


# --------------------------------------------------------------------------- errors


class FieldError(_Out):
    field: str | None = Field(
        description="where: a path naming ids, e.g. problem.jobs[0] (id 'J1').duration_min"
    )
    message: str


class ErrorDetail(_Out):
    code: str = Field(description="machine-readable: validation_error, not_found, ...")
    message: str
    field: str | None = Field(default=None, description="the field at fault, when there is one")
    details: list[FieldError] = Field(default_factory=list, description="every problem found")


class ErrorBody(_Out):
    """The body of every 4xx/5xx answer."""

    error: ErrorDetail


# --------------------------------------------------------------------------- plans


class PlanStatus(StrEnum):
    QUEUED = "queued"
    SOLVING = "solving"
    DONE = "done"
    FAILED = "failed"


class SolveRequest(_Body):
    """A contract problem to plan, with the solve's limits."""

    problem: Problem
    time_limit_s: float = Field(
        default=DEFAULT_TIME_LIMIT_S, gt=0, le=3600, description="wall-time limit of the search"
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="random seed of the search")
    max_solutions: PositiveInt | None = Field(
        default=None,
        le=1_000_000,
        description="work limit: stop after this many improving solutions (reproducible plans)",
    )


class SolveSettings(_Out):
    time_limit_s: float
    seed: int
    max_solutions: int | None = None


class HistoryEntry(_Out):
    """An accepted event batch: it turned version ``version - 1`` into ``version``."""

    version: int
    now: AwareDatetime
    events: EVENT_LIST  # type: ignore[valid-type]
    diff: Diff
    created_at: AwareDatetime


class PlanResource(_Out):
    """A plan as the service keeps it: the current problem and plan, and how they came to be."""

    id: str
    version: int = Field(description="accepted event batches so far (0 right after the solve)")
    status: PlanStatus
    problem: Problem = Field(description="the current problem (after the last events)")
    plan: Plan | None = Field(default=None, description="present once status is done")
    error: ErrorDetail | None = Field(default=None, description="present when status is failed")
    options: SolveSettings
    history: list[HistoryEntry] = Field(default_factory=list)
    created_at: AwareDatetime
    updated_at: AwareDatetime


# --------------------------------------------------------------------------- events


class EventsRequest(_Body):
    """Events since the plan was made (EVENTS.md), against the version the sender has seen."""

    base_version: int | None = Field(
        default=None,
        ge=0,
        description="the plan version these events were made against; or send If-Match",
    )
    now: AwareDatetime
    events: EVENT_LIST  # type: ignore[valid-type]


class EventsResponse(_Out):
    id: str
    version: int
    plan: Plan
    diff: Diff


# --------------------------------------------------------------------------- slots, explain


class SlotsRequest(_Body):
    """A job to offer appointment slots for, on the current plan."""

    job: Job
    days: int = Field(default=5, ge=1, le=31, description="how many days ahead to offer")
    slot_min: int = Field(default=120, ge=15, le=1440, description="length of a slot")


class SlotsResponse(_Out):
    id: str
    version: int
    offers: list[dict[str, Any]]


class ExplainResponse(_Out):
    id: str
    version: int
    plan: Plan = Field(description="the plan, each unassigned job with its relaxations")
    objective: dict[str, Any] = Field(description="the objective's terms")


class Health(_Out):
    status: str
    store: str
