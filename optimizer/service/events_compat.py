"""The event and diff models of ``optimizer.events``, or a stand-in while that module is absent.

The stand-in follows EVENTS.md (version 1) to the letter, so the service's OpenAPI document
and validation are right before re-optimisation lands; once ``optimizer.events`` exists its
models are used unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt

from optimizer.models import Job, Location

try:  # the real models, once they land
    from optimizer.events import Diff, Events  # type: ignore[attr-defined]

    EVENT_LIST: Any = Events.model_fields["events"].annotation
    PROVISIONAL = False
except ImportError:
    PROVISIONAL = True

    class _Model(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")

    class JobAdded(_Model):
        type: Literal["job_added"] = "job_added"
        job: Job

    class JobCancelled(_Model):
        type: Literal["job_cancelled"] = "job_cancelled"
        job: str = Field(min_length=1)

    class EngineerUnavailable(_Model):
        model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
        type: Literal["engineer_unavailable"] = "engineer_unavailable"
        engineer: str = Field(min_length=1)
        from_: AwareDatetime = Field(alias="from")
        until: AwareDatetime | None = None

    class JobStarted(_Model):
        type: Literal["job_started"] = "job_started"
        job: str = Field(min_length=1)
        engineer: str = Field(min_length=1)
        at: AwareDatetime

    class JobFinished(_Model):
        type: Literal["job_finished"] = "job_finished"
        job: str = Field(min_length=1)
        engineer: str = Field(min_length=1)
        at: AwareDatetime

    class JobDelayed(_Model):
        type: Literal["job_delayed"] = "job_delayed"
        job: str = Field(min_length=1)
        expected_end: AwareDatetime

    class EngineerPosition(_Model):
        type: Literal["engineer_position"] = "engineer_position"
        engineer: str = Field(min_length=1)
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

    class Events(_Model):  # type: ignore[no-redef]
        now: AwareDatetime
        events: list[Event]

    class Reassigned(_Model):
        job: str
        from_: str | None = Field(alias="from")
        to: str | None

    class Retimed(_Model):
        job: str
        from_start: AwareDatetime
        to_start: AwareDatetime

    class Diff(_Model):  # type: ignore[no-redef]
        reassigned: list[Reassigned] = Field(default_factory=list)
        retimed: list[Retimed] = Field(default_factory=list)
        added: list[str] = Field(default_factory=list)
        unassigned: list[str] = Field(default_factory=list)
        cancelled: list[str] = Field(default_factory=list)
        unchanged: NonNegativeInt = 0

    EVENT_LIST = list[Event]

__all__ = ["EVENT_LIST", "PROVISIONAL", "Diff", "Events"]
