"""Typed, frozen models of a scenario file: a base data directory and a list of changes.

Each change is one table of the file with a ``type``; unknown fields are an error, so a typo is
reported instead of silently ignored. Units live in the names (``_min``, ``_days``, ``_km``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from optimizer.models import Location, Priority
from optimizer.parts.data import LocationKind


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Region(_Model):
    """Where a change applies, one of three shapes.

    - a box: ``lat_min``, ``lat_max``, ``lon_min``, ``lon_max``;
    - a circle: ``lat``, ``lon``, ``radius_km``;
    - a cluster: ``cluster`` (0-based, numbered west to east) of ``clusters`` seeded k-means
      clusters of the base problem's job locations (``seed``, default 0).
    """

    lat_min: float | None = Field(default=None, ge=-90, le=90)
    lat_max: float | None = Field(default=None, ge=-90, le=90)
    lon_min: float | None = Field(default=None, ge=-180, le=180)
    lon_max: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = Field(default=None, gt=0)
    cluster: int | None = Field(default=None, ge=0)
    clusters: int | None = Field(default=None, ge=1)
    seed: int = 0

    @model_validator(mode="after")
    def _one_shape(self) -> Region:
        box = (self.lat_min, self.lat_max, self.lon_min, self.lon_max)
        circle = (self.lat, self.lon, self.radius_km)
        cluster = (self.cluster, self.clusters)
        shapes = [
            name
            for name, values in (("box", box), ("circle", circle), ("cluster", cluster))
            if any(v is not None for v in values)
        ]
        if len(shapes) != 1:
            raise ValueError("region: give exactly one of a box (lat_min, lat_max, lon_min, "
                             "lon_max), a circle (lat, lon, radius_km) or a cluster "
                             "(cluster, clusters)")
        for name, values in (("box", box), ("circle", circle), ("cluster", cluster)):
            if name == shapes[0] and any(v is None for v in values):
                raise ValueError(f"region: a {name} needs all of its fields")
        if self.lat_min is not None and self.lat_max is not None and self.lat_max < self.lat_min:
            raise ValueError("region: lat_max is below lat_min")
        if self.lon_min is not None and self.lon_max is not None and self.lon_max < self.lon_min:
            raise ValueError("region: lon_max is below lon_min")
        if self.cluster is not None and self.clusters is not None \
                and self.cluster >= self.clusters:
            raise ValueError("region: cluster must be below clusters")
        return self

    @property
    def shape(self) -> str:
        if self.lat_min is not None:
            return "box"
        return "circle" if self.lat is not None else "cluster"


class JobFilter(_Model):
    """Which jobs a change touches: all of them unless narrowed (every given filter must hold)."""

    region: Region | None = None
    priorities: list[Priority] | None = None
    kinds: list[str] | None = None


class AddEngineers(_Model):
    """Hire ``count`` engineers like ``template`` (skills, shifts, van stock, tools).

    New ids are ``<id_prefix><n>`` (default prefix ``<template>-new-``); ``start`` moves their
    home (start and end) elsewhere.
    """

    type: Literal["add_engineers"]
    template: str = Field(min_length=1)
    count: PositiveInt = 1
    id_prefix: str | None = None
    start: Location | None = None


class RemoveEngineers(_Model):
    """Remove engineers by id, or ``count`` of them drawn with ``seed`` (among ``with_skill``).

    Jobs pinned to a removed engineer lose the pin; references to them are dropped.
    """

    type: Literal["remove_engineers"]
    ids: list[str] = Field(default_factory=list)
    count: PositiveInt | None = None
    with_skill: str | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _ids_or_count(self) -> RemoveEngineers:
        if bool(self.ids) == (self.count is not None):
            raise ValueError("remove_engineers: give either ids or count")
        return self


class ChangeSkills(_Model):
    """Set (``set``: skill -> level) or remove skills of engineers (``engineers``: ids; default
    every engineer; ``with_skill`` narrows to those who have that skill)."""

    type: Literal["change_skills"]
    engineers: list[str] | None = None
    with_skill: str | None = None
    set: dict[str, PositiveInt] = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> ChangeSkills:
        if not self.set and not self.remove:
            raise ValueError("change_skills: give set or remove")
        return self


class ScaleJobs(_Model):
    """Scale the job volume by ``factor`` (of the jobs the filter selects).

    Above 1, sampled jobs are duplicated with new ids ``<id>-x<n>`` (no pin); below 1, sampled
    unpinned jobs are removed. ``seed`` fixes the sample.
    """

    type: Literal["scale_jobs"]
    factor: float = Field(ge=0)
    seed: int = 0
    jobs: JobFilter = Field(default_factory=JobFilter)


class ChangeSla(_Model):
    """Shift SLA deadlines (``due``) by ``shift_due_min`` minutes (negative: tighter)."""

    type: Literal["change_sla"]
    shift_due_min: int
    jobs: JobFilter = Field(default_factory=JobFilter)


class ChangePriority(_Model):
    """Give a ``share`` (sampled with ``seed``) of the selected jobs priority ``to``."""

    type: Literal["change_priority"]
    to: Priority
    share: float = Field(default=1.0, gt=0, le=1)
    seed: int = 0
    jobs: JobFilter = Field(default_factory=JobFilter)


class LocationFilter(_Model):
    """Which parts locations a change touches (every given filter must hold)."""

    locations: list[str] | None = None
    kinds: list[LocationKind] | None = None
    supplied_by: list[str] | None = None


class ChangeLeadTimes(_Model):
    """Lead time mean -> mean x ``factor`` + ``add_days`` (locations.csv and lead_times.csv)."""

    type: Literal["change_lead_times"]
    factor: float = Field(default=1.0, ge=0)
    add_days: float = 0.0
    where: LocationFilter = Field(default_factory=LocationFilter)


class ChangeSupplierReliability(_Model):
    """Lead-time spread: std -> std x ``std_factor`` + ``add_std_days``.

    By default only locations resupplied by the outside supplier (``supplied_by = supplier``).
    """

    type: Literal["change_supplier_reliability"]
    std_factor: float = Field(default=1.0, ge=0)
    add_std_days: float = 0.0
    where: LocationFilter = Field(
        default_factory=lambda: LocationFilter(supplied_by=["supplier"])
    )


class ChangeStockBudget(_Model):
    """The parts system view's budget: ``factor`` x the base run's policy investment, or an
    ``amount`` in currency units."""

    type: Literal["change_stock_budget"]
    factor: float | None = Field(default=None, gt=0)
    amount: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> ChangeStockBudget:
        if (self.factor is None) == (self.amount is None):
            raise ValueError("change_stock_budget: give exactly one of factor and amount")
        return self


class CloseDepot(_Model):
    """Close a depot: it leaves the problem with its stock and the parts locations.

    Parts locations it supplied are re-pointed to ``reassign_to`` (default: the nearest other
    depot of the problem, else its own supplier), and its demand history moves there too.
    ``transfer_stock`` moves its stock to ``reassign_to`` instead of losing it.
    """

    type: Literal["close_depot"]
    depot: str = Field(min_length=1)
    reassign_to: str | None = None
    transfer_stock: bool = False


Change = Annotated[
    AddEngineers
    | RemoveEngineers
    | ChangeSkills
    | ScaleJobs
    | ChangeSla
    | ChangePriority
    | ChangeLeadTimes
    | ChangeSupplierReliability
    | ChangeStockBudget
    | CloseDepot,
    Field(discriminator="type"),
]


class Scenario(_Model):
    """A named what-if: the base data directory (relative to the file) and its changes."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base: str = Field(min_length=1)
    changes: list[Change] = Field(default_factory=list)
