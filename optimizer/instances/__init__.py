"""Readers of public benchmark instances, converted into the contract ``Problem``.

- :mod:`optimizer.instances.solomon`: Solomon VRPTW text files (CVRPLIB distance convention).
- :mod:`optimizer.instances.pillac`: Pillac, Guéret & Medaglia technician routing (TRSP) files.
- :mod:`optimizer.instances.routes`: a contract ``Plan`` from given visit sequences (used to
  check a published solution against the validator).

Instances live on a plane with coordinates in abstract units; they are placed on a small patch
of the globe (``lat = y / 1000``, ``lon = x / 1000``) and travel is always a matrix, so the
coordinates only name the points. Times are scaled to whole minutes (``time_scale`` minutes per
instance time unit) from :data:`EPOCH`.
"""

from optimizer.instances.grid import EPOCH, at_minute, grid_location, grid_point, minute_of

__all__ = ["EPOCH", "at_minute", "grid_location", "grid_point", "minute_of"]
