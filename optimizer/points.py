"""Matching locations to the points of a user's travel matrix (by coordinates).

Kept apart from ``optimizer.travel`` so that the problem model can check its locations
without importing travel (which imports the model).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

MATCH_TOLERANCE_DEG = 1e-6  # a location matches a matrix point this close in lat and lon


class LatLon(Protocol):
    lat: float
    lon: float


class HasPoints(Protocol):
    points: Sequence[LatLon]


def match_points(travel: HasPoints, locations: Sequence[LatLon]) -> np.ndarray:
    """Index of the matrix point each location matches (within ``MATCH_TOLERANCE_DEG``), or -1."""
    if not locations:
        return np.zeros(0, dtype=np.int64)
    plat = np.array([p.lat for p in travel.points])
    plon = np.array([p.lon for p in travel.points])
    lat = np.array([loc.lat for loc in locations])
    lon = np.array([loc.lon for loc in locations])
    out = np.full(len(locations), -1, dtype=np.int64)
    # Sort points by latitude and search the tolerance band: O((n + m) log n).
    order = np.argsort(plat, kind="stable")
    slat = plat[order]
    lo = np.searchsorted(slat, lat - MATCH_TOLERANCE_DEG, side="left")
    hi = np.searchsorted(slat, lat + MATCH_TOLERANCE_DEG, side="right")
    for k in range(len(locations)):
        for cand in order[lo[k] : hi[k]]:
            if abs(plon[cand] - lon[k]) <= MATCH_TOLERANCE_DEG:
                out[k] = cand
                break
    return out
