"""Travel: whole minutes per haversine leg (rounded up), the user's matrix matched by point."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizer.models import HaversineTravel, Location, MatrixTravel
from optimizer.points import MATCH_TOLERANCE_DEG, match_points
from optimizer.travel import great_circle_km_from, leg_minutes, travel_matrix


def _haversine(speed_kmh: float = 60.0, circuity: float = 1.0) -> HaversineTravel:
    return HaversineTravel(model="haversine", speed_kmh=speed_kmh, circuity=circuity)


def test_haversine_minutes_are_whole_and_rounded_up():
    a, b = Location(lat=48.85, lon=2.35), Location(lat=48.85, lon=2.45)
    km = great_circle_km_from(a.lat, a.lon, np.array([b.lat]), np.array([b.lon]))[0]
    tm = travel_matrix(_haversine(60.0, 1.3), [a, b])
    assert tm.km[0, 1] == pytest.approx(km * 1.3)
    assert tm.minutes[0, 1] == math.ceil(km * 1.3) and tm.minutes.dtype.kind == "i"
    assert tm.minutes[0, 1] == tm.minutes[1, 0] and tm.minutes[0, 0] == 0
    assert leg_minutes(_haversine(60.0, 1.3), a, b) == tm.minutes[0, 1]


def _matrix() -> MatrixTravel:
    return MatrixTravel.model_validate({
        "model": "matrix",
        "points": [{"id": "x", "lat": 1.0, "lon": 2.0}, {"id": "y", "lat": 3.0, "lon": 4.0}],
        "duration_min": [[0, 12.2], [15, 0]], "distance_km": [[0, 10], [11, 0]]})


def test_matrix_rows_follow_the_locations_and_minutes_round_up():
    tm = travel_matrix(_matrix(), [Location(lat=3.0, lon=4.0), Location(lat=1.0, lon=2.0)])
    assert tm.minutes.tolist() == [[0, 15], [13, 0]]
    assert tm.km.tolist() == [[0, 11], [10, 0]]


def test_points_match_within_the_tolerance_only():
    near = Location(lat=1.0 + MATCH_TOLERANCE_DEG / 2, lon=2.0)
    far = Location(lat=1.0 + 10 * MATCH_TOLERANCE_DEG, lon=2.0)
    assert match_points(_matrix(), [near, far, Location(lat=3.0, lon=4.0)]).tolist() == [0, -1, 1]
    with pytest.raises(ValueError, match="matches no point"):
        travel_matrix(_matrix(), [far])
