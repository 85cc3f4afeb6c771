"""Distances in British National Grid (EPSG:27700): eastings and northings are metres, so the
straight-line distance is ``hypot(Δe, Δn) / 1000`` km (the grid's scale error is under 0.04 %
across England, far below what a school-to-employer distance needs).

:func:`pairs_within` finds every pair of points closer than a radius without scipy: the second
set is bucketed into square cells one radius wide, and each point of the first set only looks
in its own cell and the eight around it (found by binary search on sorted cell numbers), so the
work grows with the pairs actually near each other, not with the product of the two sets.
"""

from __future__ import annotations

import numpy as np

#: Metres per kilometre, for the km columns every metric reports.
M_PER_KM = 1000.0


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
    chunk: int = 4096,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``(i, j)`` with point ``a[i]`` within ``radius_km`` of point ``b[j]``
    (distance ≤ radius, km, BNG). Returns ``(i, j, distance_km)`` as arrays; points with a
    missing coordinate take part in no pair.
    """
    ae, an = np.asarray(ae, float), np.asarray(an, float)
    be, bn = np.asarray(be, float), np.asarray(bn, float)
    radius_m = float(radius_km) * M_PER_KM
    a_ok = np.flatnonzero(np.isfinite(ae) & np.isfinite(an))
    b_ok = np.flatnonzero(np.isfinite(be) & np.isfinite(bn))
    if len(a_ok) == 0 or len(b_ok) == 0 or radius_m < 0:
        return _no_pairs()
    cell = max(radius_m, 1.0)
    origin_e = min(ae[a_ok].min(), be[b_ok].min())
    origin_n = min(an[a_ok].min(), bn[b_ok].min())

    def cells(e: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Offset by one so the neighbours of column/row 0 are never negative.
        return (np.floor((e - origin_e) / cell).astype(np.int64) + 1,
                np.floor((n - origin_n) / cell).astype(np.int64) + 1)  # fmt: skip

    bx, by = cells(be[b_ok], bn[b_ok])
    # One cell number per (column, row): rows_span exceeds every row (and its neighbour) of
    # either set, so no two cells share a number.
    rows_span = int(max(by.max(), cells(ae[a_ok], an[a_ok])[1].max())) + 2
    b_key = bx * rows_span + by
    order = np.argsort(b_key, kind="stable")
    b_sorted_key, b_index = b_key[order], b_ok[order]
    out_i, out_j, out_d = [], [], []
    for start in range(0, len(a_ok), chunk):
        idx = a_ok[start : start + chunk]
        ax, ay = cells(ae[idx], an[idx])
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                key = (ax + dx) * rows_span + (ay + dy)
                lo = np.searchsorted(b_sorted_key, key, side="left")
                hi = np.searchsorted(b_sorted_key, key, side="right")
                counts = hi - lo
                total = int(counts.sum())
                if total == 0:
                    continue
                # Expand each a-point's [lo, hi) run into explicit candidate positions.
                rep_i = np.repeat(idx, counts)
                offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
                cand = b_index[np.repeat(lo, counts) + offsets]
                dist = np.hypot(ae[rep_i] - be[cand], an[rep_i] - bn[cand])
                keep = dist <= radius_m
                out_i.append(rep_i[keep])
                out_j.append(cand[keep])
                out_d.append(dist[keep] / M_PER_KM)
    if not out_i:
        return _no_pairs()
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_d)


def _no_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    empty = np.array([], dtype=np.int64)
    return empty, empty.copy(), np.array([], dtype=float)
