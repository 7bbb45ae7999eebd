"""Re-optimisation events (``shared/contract/EVENTS.md``) and the diff a re-optimisation returns.

An events file holds ``now`` and what happened since the plan was dispatched: seven event
types in a list discriminated by ``type``. :class:`Diff` is what the dispatcher must tell
engineers and customers after :func:`optimizer.dispatcher.reoptimize.reoptimize`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from optimizer.models import Id, Job, Location


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class JobAdded(_Event):
    """A new job to place (a contract job)."""

    type: Literal["job_added"] = "job_added"
    job: Job


class JobCancelled(_Event):
    """A job leaves the problem (if it was already finished, that stays history)."""

    type: Literal["job_cancelled"] = "job_cancelled"
    job: Id


class EngineerUnavailable(_Event):
    """The engineer takes no work in [from, until); ``until`` None: the rest of the horizon."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    type: Literal["engineer_unavailable"] = "engineer_unavailable"
    engineer: Id
    from_: AwareDatetime = Field(alias="from")
    until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _order(self) -> EngineerUnavailable:
        if self.until is not None and self.until < self.from_:
            raise ValueError(f"engineer_unavailable {self.engineer!r}: until is before from")
        return self


class JobStarted(_Event):
    """The engineer started the job at ``at``."""

    type: Literal["job_started"] = "job_started"
    job: Id
    engineer: Id
    at: AwareDatetime


class JobFinished(_Event):
    """The engineer finished the job at ``at``."""

    type: Literal["job_finished"] = "job_finished"
    job: Id
    engineer: Id
    at: AwareDatetime


class JobDelayed(_Event):
    """A job (usually in progress) is now expected to end at ``expected_end``."""

    type: Literal["job_delayed"] = "job_delayed"
    job: Id
    expected_end: AwareDatetime


class EngineerPosition(_Event):
    """Where the engineer was at ``at`` (GPS)."""

    type: Literal["engineer_position"] = "engineer_position"
    engineer: Id
    at: AwareDatetime
    location: Location


Event = Annotated[
    JobAdded
    | JobCancelled
    | EngineerUnavailable
    | JobStarted
    | JobFinished
    | JobDelayed
    | EngineerPosition,
    Field(discriminator="type"),
]


class Events(_Event):
    """An events file: the time of the re-optimisation and what happened until then."""

    now: AwareDatetime
    events: list[Event] = Field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        """Contract JSON (``from`` spelt as in the file)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=False)


class Reassigned(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    job: Id
    from_: Id = Field(alias="from")
    to: Id


class Retimed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    job: Id
    from_start: AwareDatetime
    to_start: AwareDatetime


class Diff(BaseModel):
    """What changed between the dispatched plan and the re-optimised one.

    ``reassigned``: jobs now on another engineer; ``retimed``: same engineer, another start;
    ``added``: new jobs (``job_added``) that were placed; ``unassigned``: jobs that had a place
    (or were just added) and now have none; ``cancelled``: jobs removed; ``unchanged``: jobs on
    the same engineer at the same start. Extras: ``placed`` (jobs unassigned before and placed
    now), ``warnings`` (events that could not be applied literally, and what was done instead).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    reassigned: list[Reassigned] = Field(default_factory=list)
    retimed: list[Retimed] = Field(default_factory=list)
    added: list[Id] = Field(default_factory=list)
    unassigned: list[Id] = Field(default_factory=list)
    cancelled: list[Id] = Field(default_factory=list)
    unchanged: NonNegativeInt = 0
    placed: list[Id] | None = None
    warnings: list[str] | None = None

    def to_json(self) -> str:
        """diff.json: contract spelling (``from``), unset extras left out."""
        return self.model_dump_json(indent=1, by_alias=True, exclude_none=True) + "\n"
