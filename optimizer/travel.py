"""Travel between locations: the contract's haversine model and the user's road matrix.

Both produce the same thing: for a list of locations, an integer minutes matrix and a
kilometre matrix, as numpy arrays. Minutes are whole per leg (rounded up), as the contract
defines them, so every stop time the solver writes is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.models import HaversineTravel, Location, MatrixTravel

EARTH_RADIUS_KM = 6371.0088
MATCH_TOLERANCE_DEG = 1e-6


@dataclass(frozen=True)
class TravelMatrix:
    """Travel between ``n`` locations: ``minutes[i, j]`` (int) and ``km[i, j]`` (float)."""

    minutes: np.ndarray
    km: np.ndarray

    @property
    def size(self) -> int:
        return int(self.minutes.shape[0])


def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """All-pairs haversine great-circle distance (km) between points given in degrees."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = (
        np.sin(dphi / 2.0) ** 2
        + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2.0) ** 2
    )
    np.clip(a, 0.0, 1.0, out=a)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def haversine_matrix(travel: HaversineTravel, lat: np.ndarray, lon: np.ndarray) -> TravelMatrix:
    """Road km = circuity x great-circle km; minutes = ceil(road km / speed x 60) per leg."""
    km = great_circle_km(lat, lon)
    km *= travel.circuity
    minutes = km * (60.0 / travel.speed_kmh)
    # Guard against 1e-12 noise turning an exact minute into the next one.
    minutes = np.ceil(minutes - 1e-9).astype(np.int64)
    np.maximum(minutes, 0, out=minutes)
    return TravelMatrix(minutes=minutes, km=km)


def leg_minutes(travel: HaversineTravel, a: Location, b: Location) -> int:
    """Minutes of one haversine leg, exactly as the matrix computes it."""
    m = haversine_matrix(travel, np.array([a.lat, b.lat]), np.array([a.lon, b.lon]))
    return int(m.minutes[0, 1])


def match_points(travel: MatrixTravel, locations: Sequence[Location]) -> np.ndarray:
    """Index of the matrix point each location matches (within 1e-6 degrees), or -1."""
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


def matrix_travel(travel: MatrixTravel, locations: Sequence[Location]) -> TravelMatrix:
    """The user's matrix restricted to ``locations`` (each must match a point)."""
    idx = match_points(travel, locations)
    if (idx < 0).any():
        bad = int(np.flatnonzero(idx < 0)[0])
        loc = locations[bad]
        raise ValueError(f"location ({loc.lat}, {loc.lon}) matches no point of the travel matrix")
    dur = np.asarray(travel.duration_min, dtype=np.float64)[np.ix_(idx, idx)]
    km = np.asarray(travel.distance_km, dtype=np.float64)[np.ix_(idx, idx)]
    minutes = np.ceil(dur - 1e-9).astype(np.int64)
    return TravelMatrix(minutes=minutes, km=km)


def travel_matrix(
    travel: HaversineTravel | MatrixTravel, locations: Sequence[Location]
) -> TravelMatrix:
    """Travel between ``locations`` under the problem's travel model."""
    if isinstance(travel, HaversineTravel):
        lat = np.fromiter((loc.lat for loc in locations), dtype=np.float64, count=len(locations))
        lon = np.fromiter((loc.lon for loc in locations), dtype=np.float64, count=len(locations))
        return haversine_matrix(travel, lat, lon)
    return matrix_travel(travel, locations)
