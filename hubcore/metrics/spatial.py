"""Distances in British National Grid (EPSG:27700): eastings and northings are metres, so the
straight-line distance is ``hypot(Δe, Δn) / 1000`` km (the grid's scale error is under 0.04 %
across England, far below what a school-to-employer distance needs).

:func:`pairs_within` finds every pair of points closer than a radius with shapely's STRtree
(``query(..., predicate="dwithin")``): the work grows with the pairs actually near each other,
not with the product of the two sets. It replaced a hand-written grid search that was no faster
(``benchmarks/spatial_speed.py``; figures in ``docs/performance.md``).
"""

from __future__ import annotations

import numpy as np
import shapely

#: Metres per kilometre, for the km columns every metric reports.
M_PER_KM = 1000.0
#: Extra metres on the tree's search distance. GEOS and numpy may round a distance differently
#: in the last bit; the tree is asked for slightly more and numpy's distance decides, so a pair
#: exactly at the radius is kept by the same formula that reports its distance.
_SLACK_M = 1e-6


def distance_km(e1: np.ndarray, n1: np.ndarray, e2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Element-wise distance in km between BNG points (e, n in metres):
    ``sqrt((e1 − e2)² + (n1 − n2)²) / 1000``."""
    return np.hypot(np.asarray(e1, float) - e2, np.asarray(n1, float) - n2) / M_PER_KM


def pairs_within(
    ae: np.ndarray,
    an: np.ndarray,
    be: np.ndarray,
    bn: np.ndarray,
    radius_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``(i, j)`` with point ``a[i]`` within ``radius_km`` of point ``b[j]``
    (distance ≤ radius, km, BNG metres in). Returns ``(i, j, distance_km)`` as arrays, ordered
    by ``i``; points with a missing coordinate take part in no pair, and a negative radius
    gives none.
    """
    ae, an = np.asarray(ae, float), np.asarray(an, float)
    be, bn = np.asarray(be, float), np.asarray(bn, float)
    radius_m = float(radius_km) * M_PER_KM
    a_ok = np.flatnonzero(np.isfinite(ae) & np.isfinite(an))
    b_ok = np.flatnonzero(np.isfinite(be) & np.isfinite(bn))
    if len(a_ok) == 0 or len(b_ok) == 0 or not radius_m >= 0:
        return _no_pairs()
    tree = shapely.STRtree(shapely.points(be[b_ok], bn[b_ok]))
    found_a, found_b = tree.query(shapely.points(ae[a_ok], an[a_ok]), predicate="dwithin",
                                  distance=radius_m + _SLACK_M)
    i, j = a_ok[found_a], b_ok[found_b]
    dist = np.hypot(ae[i] - be[j], an[i] - bn[j])
    keep = dist <= radius_m
    return i[keep], j[keep], dist[keep] / M_PER_KM


def _no_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    empty = np.array([], dtype=np.int64)
    return empty, empty.copy(), np.array([], dtype=float)
