"""``pairs_within`` on hand-made awkward points: exactly at the radius, just either side of it,
ties, coincident points, missing coordinates, empty input. Expected pairs are worked out by
hand from the coordinates (BNG metres; 5 km = 5,000 m)."""

from __future__ import annotations

import numpy as np
import pytest

from hubcore.metrics.spatial import pairs_within

E0, N0 = 400_000.0, 300_000.0  # a point in the middle of England's grid


def _found(ae, an, be, bn, radius_km):
    i, j, d = pairs_within(np.array(ae, float), np.array(an, float),
                           np.array(be, float), np.array(bn, float), radius_km)
    assert len(i) == len(j) == len(d)
    return sorted(zip(i.tolist(), j.tolist(), d.tolist(), strict=True))


def test_exactly_at_the_radius_is_in_and_just_beyond_is_out():
    # b0: 3,000 m east and 4,000 m north: exactly 5,000 m (a 3-4-5 triangle, exact in floats).
    # b1: 5,000 m due east: exactly at the radius along an axis.
    # b2: 5,000.001 m due north: a millimetre beyond. b3: 4,999.999 m due south: inside.
    be = [E0 + 3000, E0 + 5000, E0, E0]
    bn = [N0 + 4000, N0, N0 + 5000.001, N0 - 4999.999]
    found = _found([E0], [N0], be, bn, 5.0)
    assert [(i, j) for i, j, _ in found] == [(0, 0), (0, 1), (0, 3)]
    assert [d for *_, d in found] == pytest.approx([5.0, 5.0, 4.999999])


def test_ties_every_equidistant_pair_is_kept():
    # Four schools 2 km from one area, one each way, and a duplicate of the east one: a tie
    # is never broken by dropping a partner (each pair is counted by the metrics).
    be = [E0 + 2000, E0 - 2000, E0, E0, E0 + 2000]
    bn = [N0, N0, N0 + 2000, N0 - 2000, N0]
    found = _found([E0], [N0], be, bn, 2.0)
    assert [(i, j) for i, j, _ in found] == [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]
    assert all(d == 2.0 for *_, d in found)


def test_two_a_points_share_one_b_point():
    # a0 and a1 are 6 km apart; b0 midway is 3 km from each; b1 is 1 km beyond a1 (7 km
    # from a0, out of reach at 5 km).
    found = _found([E0, E0 + 6000], [N0, N0], [E0 + 3000, E0 + 7000], [N0, N0], 5.0)
    assert found == [(0, 0, 3.0), (1, 0, 3.0), (1, 1, 1.0)]


def test_zero_radius_keeps_only_coincident_points():
    found = _found([E0, E0 + 1], [N0, N0], [E0 + 1, E0], [N0, N0], 0.0)
    assert found == [(0, 1, 0.0), (1, 0, 0.0)]


def test_missing_coordinates_take_part_in_no_pair():
    # a1 has no northing, b0 no easting; b1 is 1 km from a0 and from nowhere else.
    found = _found([E0, E0], [N0, np.nan], [np.nan, E0 + 1000], [N0, N0], 5.0)
    assert found == [(0, 1, 1.0)]


@pytest.mark.parametrize(
    ("ae", "an", "be", "bn", "radius_km"),
    [
        ([], [], [E0], [N0], 5.0),  # no a points
        ([E0], [N0], [], [], 5.0),  # no b points
        ([np.nan], [N0], [E0], [N0], 5.0),  # only missing coordinates on one side
        ([E0], [N0], [E0], [N0], -1.0),  # a negative radius
        ([E0], [N0], [E0], [N0], float("nan")),  # no radius at all
        ([E0], [N0], [E0 + 5000.5], [N0], 5.0),  # nothing in reach
    ],
)
def test_no_pairs(ae, an, be, bn, radius_km):
    i, j, d = pairs_within(np.array(ae, float), np.array(an, float),
                           np.array(be, float), np.array(bn, float), radius_km)
    assert (len(i), len(j), len(d)) == (0, 0, 0)
    assert i.dtype.kind == j.dtype.kind == "i" and d.dtype.kind == "f"
