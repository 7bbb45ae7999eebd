"""Request and response bodies of the dispatch service.

They wrap the contract models (``optimizer.models``: Problem, Job, Plan) and the event models
(``optimizer.dispatcher.events``) and add only what the service itself needs: ids, versions, status,
history and the error envelope.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

from optimizer.dispatcher.events import Diff, Event
from optimizer.dispatcher.explain import Breakdown
from optimizer.dispatcher.slots import SlotOffer
from optimizer.limits import Limits, check
from optimizer.models import Job, Plan, Problem
from optimizer.service.store import PlanStatus

DEFAULT_TIME_LIMIT_S = 30.0

#: The limits of the service answering the current request (set by the app's guard), so that
#: an oversize problem is refused before it is validated (counting is cheap, validating
#: 150,000 jobs is not). Unset (a library user validating a body): no limits.
REQUEST_LIMITS: ContextVar[Limits | None] = ContextVar("optimizer_request_limits", default=None)
TOO_LARGE = "too_large"  # the error type the app answers with 413


def _too_large(field: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(TOO_LARGE, "{message}", {"message": message, "field": field})


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


class SolveRequest(_Body):
    """A contract problem to plan, with the solve's limits."""

    @model_validator(mode="before")
    @classmethod
    def _within_limits(cls, data: Any) -> Any:
        limits = REQUEST_LIMITS.get()
        if limits is not None and isinstance(data, dict):
            exceeded = check(data.get("problem"), limits)
            if exceeded:
                raise _too_large(exceeded[0].field, "; ".join(e.message for e in exceeded))
        return data

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
    events: list[Event]
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


class StabilitySettings(_Body):
    """What moving jobs costs in a re-optimisation
    (``optimizer.dispatcher.reoptimize.ReoptimizeOptions``;
    travel minutes are the unit of cost)."""

    reassign_cost_min: float = Field(
        default=240.0, ge=0, validation_alias=AliasChoices("reassign_cost_min", "reassign_cost"),
        description="a job leaves its engineer (travel minutes; also read as reassign_cost)")
    retime_cost_per_min: float = Field(
        default=0.1, ge=0, description="per minute a kept job moves"
    )
    max_moved_jobs: int | None = Field(
        default=20, ge=0, description="jobs the events did not touch that may move (null: any)"
    )


class EventsRequest(_Body):
    """Events since the plan was made (EVENTS.md), against the version the sender has seen."""

    @model_validator(mode="before")
    @classmethod
    def _within_limits(cls, data: Any) -> Any:
        limits = REQUEST_LIMITS.get()
        events = data.get("events") if isinstance(data, dict) else None
        if limits is not None and limits.max_jobs is not None and isinstance(events, list) \
                and len(events) > limits.max_jobs:
            raise _too_large("events", f"events: {len(events):,} in one batch is over the "
                                       f"limit of {limits.max_jobs:,} (--max-jobs)")
        return data

    base_version: int | None = Field(
        default=None,
        ge=0,
        description="the plan version these events were made against; or send If-Match",
    )
    now: AwareDatetime
    events: list[Event] = Field(default_factory=list)
    options: StabilitySettings | None = Field(
        default=None, description="stability prices and caps (defaults of reoptimize)"
    )


class EventsResponse(_Out):
    id: str
    version: int
    plan: Plan
    diff: Diff


# --------------------------------------------------------------------------- slots, explain


class SlotsRequest(_Body):
    """A job to offer appointment slots for, on the current plan."""

    job: Job
    days: int = Field(default=3, ge=1, le=31, description="how many days ahead to offer")
    slot_min: int = Field(default=120, ge=15, le=1440, description="length of a slot")
    now: AwareDatetime | None = Field(default=None, description="no slot starts before it")
    max_offers: PositiveInt | None = Field(default=None, le=1000)


class SlotsResponse(_Out):
    id: str
    version: int = Field(description="the plan version the offers were made on")
    offers: list[SlotOffer] = Field(description="ranked by risk band, then cost")


class ExplainResponse(_Out):
    id: str
    version: int
    plan: Plan = Field(description="the plan, each unassigned job with its relaxations")
    objective: Breakdown = Field(description="the objective's terms, by priority tier")


class Health(_Out):
    status: str
    store: str
