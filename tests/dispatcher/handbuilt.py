"""Hand-built days for re-optimisation tests: five points (home H, jobs A-D or a depot at D)
with matrix travel of ``LEG`` minutes between any two distinct points, so every leg is exact."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from optimizer.dispatcher.events import Events

TZ = timezone(timedelta(hours=8))
PTS = {"H": (31.20, 121.40), "A": (31.21, 121.41), "B": (31.22, 121.42),
       "C": (31.23, 121.43), "D": (31.24, 121.44)}
LEG = 15  # minutes between any two distinct points (home included)


def hhmm(text: str) -> datetime:
    """2026-11-24 at ``text`` ("HH:MM") in the +08:00 zone."""
    h, m = text.split(":")
    return datetime(2026, 11, 24, int(h), int(m), tzinfo=TZ)


def point(p: str) -> dict:
    """The location of point ``p`` as contract JSON."""
    return {"lat": PTS[p][0], "lon": PTS[p][1]}


def matrix_travel() -> dict:
    """The travel model: ``LEG`` minutes and 5 km between any two distinct points."""
    names = list(PTS)
    n = len(names)
    return {"model": "matrix", "points": [{"id": k, **point(k)} for k in names],
            "duration_min": [[0 if i == j else LEG for j in range(n)] for i in range(n)],
            "distance_km": [[0 if i == j else 5 for j in range(n)] for i in range(n)]}


def events_at(now: str, *events: dict) -> Events:
    """``events`` reported at ``now`` ("HH:MM")."""
    return Events.model_validate({"now": hhmm(now).isoformat(), "events": list(events)})
