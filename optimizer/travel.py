"""Travel between locations: the contract's haversine model and the user's road matrix.

Both produce the same thing: for a list of locations, an integer minutes matrix and a
kilometre matrix, as numpy arrays. Minutes are whole per leg (rounded up), as the contract
defines them, so every stop time the solver writes is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.models import HaversineTravel, Location, MatrixTravel
from optimizer.points import match_points

EARTH_RADIUS_KM = 6371.0088


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


def great_circle_km_from(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Haversine great-circle distance (km) from one point to many, all in degrees."""
    phi0, phi = math.radians(lat0), np.radians(np.asarray(lat, dtype=np.float64))
    dphi = phi - phi0
    dlam = np.radians(np.asarray(lon, dtype=np.float64)) - math.radians(lon0)
    h = np.sin(dphi / 2.0) ** 2 + math.cos(phi0) * np.cos(phi) * np.sin(dlam / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def haversine_matrix(
    travel: HaversineTravel, lat: np.ndarray, lon: np.ndarray, *, block_rows: int = 512
) -> TravelMatrix:
    """Road km = circuity x great-circle km; minutes = ceil(road km / speed x 60) per leg.

    The haversine terms are written as differences of products of half-angle sines and
    cosines (exact for short legs) and computed in row blocks that stay in cache, so 5,000
    locations take a fraction of a second.
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    sp, cp = np.sin(phi / 2.0), np.cos(phi / 2.0)
    sl, cl = np.sin(lam / 2.0), np.cos(lam / 2.0)
    cos_phi = np.cos(phi)
    n = phi.shape[0]
    km = np.empty((n, n), dtype=np.float64)
    minutes = np.empty((n, n), dtype=np.int32)
    km_factor = 2.0 * EARTH_RADIUS_KM * travel.circuity
    min_per_km = 60.0 / travel.speed_kmh
    for a in range(0, n, block_rows):
        b = min(n, a + block_rows)
        x = np.multiply.outer(sp[a:b], cp)  # sin((phi_i - phi_j) / 2)
        x -= np.multiply.outer(cp[a:b], sp)
        x *= x
        y = np.multiply.outer(sl[a:b], cl)  # sin((lam_i - lam_j) / 2)
        y -= np.multiply.outer(cl[a:b], sl)
        y *= y
        y *= cos_phi[a:b, None]
        y *= cos_phi[None, :]
        x += y
        np.sqrt(x, out=x)
        np.minimum(x, 1.0, out=x)
        np.arcsin(x, out=x)
        x *= km_factor
        km[a:b] = x
        x *= min_per_km
        x -= 1e-9  # float noise must not turn an exact minute into the next one
        np.ceil(x, out=x)
        np.maximum(x, 0.0, out=x)
        minutes[a:b] = x
    return TravelMatrix(minutes=minutes, km=km)


def leg_minutes(travel: HaversineTravel, a: Location, b: Location) -> int:
    """Minutes of one haversine leg, exactly as the matrix computes it."""
    m = haversine_matrix(travel, np.array([a.lat, b.lat]), np.array([a.lon, b.lon]))
    return int(m.minutes[0, 1])


def matrix_travel(travel: MatrixTravel, locations: Sequence[Location]) -> TravelMatrix:
    """The user's matrix restricted to ``locations`` (each must match a point)."""
    idx = match_points(travel, locations)
    if (idx < 0).any():
        bad = int(np.flatnonzero(idx < 0)[0])
        loc = locations[bad]
        raise ValueError(f"location ({loc.lat}, {loc.lon}) matches no point of the travel matrix")
    dur = np.asarray(travel.duration_min, dtype=np.float64)[np.ix_(idx, idx)]
    km = np.asarray(travel.distance_km, dtype=np.float64)[np.ix_(idx, idx)]
    minutes = np.ceil(dur - 1e-9).astype(np.int32)
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
