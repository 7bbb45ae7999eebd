"""Placing planar benchmark instances on the contract's lat/lon and clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from optimizer.models import Location, MatrixPoint

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Time 0 of every converted instance."""

DEGREES_PER_UNIT = 1e-3
"""One planar coordinate unit in degrees: Solomon's 0..100 grid becomes a 0.1 degree patch."""


def grid_location(x: float, y: float) -> Location:
    """The contract location standing for planar point (x, y)."""
    return Location(lat=y * DEGREES_PER_UNIT, lon=x * DEGREES_PER_UNIT)


def grid_point(point_id: str, x: float, y: float) -> MatrixPoint:
    """The travel-matrix point standing for planar point (x, y)."""
    return MatrixPoint(id=point_id, lat=y * DEGREES_PER_UNIT, lon=x * DEGREES_PER_UNIT)


def at_minute(minute: int) -> datetime:
    """The instant ``minute`` minutes after :data:`EPOCH`."""
    return EPOCH + timedelta(minutes=minute)


def minute_of(t: datetime) -> float:
    """Minutes from :data:`EPOCH` to ``t``."""
    return (t - EPOCH).total_seconds() / 60.0
