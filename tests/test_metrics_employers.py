"""Employer supply against demand on hand-made schools and offers (distances in BNG km).

Schools: S1 (11–16) at (400000, 300000); S2 (11–16) 3 km east; S3 (sixth-form college) 1 km
north of S1; S4 (11–16) 0.5 km east of S1. Employer E1 sits 2 km east of S1.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hubcore.metrics import employers as emp
from hubcore.metrics.spatial import distance_km, pairs_within


@pytest.fixture
def schools() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "urn": [1, 2, 3, 4],
            "name": ["S1", "S2", "S3", "S4"],
            "kind": ["mainstream_11_16", "mainstream_11_16", "sixth_form_college",
                     "mainstream_11_16"],
            "easting": [400000.0, 403000.0, 400000.0, 400500.0],
            "northing": [300000.0, 300000.0, 301000.0, 300000.0],
        }
    )  # fmt: skip


@pytest.fixture
def coverage() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "urn": [1, 2, 3, 4],
            "academic_year": ["2025/26"] * 4,
            "meets_bm5": [False, False, False, True],
            "meets_bm6": [False, True, False, False],
            # BM6: S1 60 of 100 → 40 short; S4 79.5 of 80 → 0.5 → 1 placement; S3 no Year 11
            "y11_cohort": [100.0, 100.0, np.nan, 80.0],
            "bm6_by16_places": [60.0, 100.0, np.nan, 79.5],
        }
    )


@pytest.fixture
def spare() -> pd.DataFrame:
    offers = pd.DataFrame(
        {
            "id": [11, 12, 13],
            "employer_id": [1, 2, 1],
            "academic_year": ["2025/26"] * 3,
            "kind": ["talk", "talk", "work_experience"],
            "benchmark": [5, 5, 6],
            "capacity": [50, 10, 10],
            "taken_up": [20, 10, 5],
            "year_from": [7, 7, 10],
            "year_to": [11, 13, 11],
        }
    )
    employers = pd.DataFrame(
        {
            "id": [1, 2],
            "name": ["E1", "E2"],
            "easting": [402000.0, 400000.0],
            "northing": [300000.0, 300000.0],
        }
    )
    return emp.spare_offers(offers, employers)


@pytest.fixture
def bm5_year_groups() -> pd.DataFrame:
    # S1: Year 7 90 of 100 (10 short), Year 8 full → 10; S2: 50 of 100 → 50;
    # S3: Year 12 20 of 50 → 30; S4 meets.
    return pd.DataFrame(
        {
            "urn": [1, 1, 2, 3, 4],
            "academic_year": ["2025/26"] * 5,
            "year_group": [7, 8, 7, 12, 7],
            "pupils_est": [100.0, 100.0, 100.0, 50.0, 100.0],
            "participants": [90.0, 100.0, 50.0, 20.0, 120.0],
        }
    )


def test_distances_and_pairs():
    assert distance_km(0, 0, 3000, 4000) == pytest.approx(5.0)
    i, j, d = pairs_within(
        np.array([0.0, 10000.0]), np.array([0.0, 0.0]),
        np.array([3000.0, 0.0, np.nan, 10000.0]), np.array([4000.0, 20000.0, 0.0, 1000.0]),
        5.0,
    )  # fmt: skip
    found = sorted(zip(i.tolist(), j.tolist(), np.round(d, 3).tolist(), strict=True))
    # (0,0) is exactly 5 km from point 0 (kept: ≤ radius); point 2 has no easting
    assert found == [(0, 0, 5.0), (1, 3, 1.0)]


def test_spare_offers(spare):
    # offer 12 is fully taken up
    assert spare["offer_id"].tolist() == [11, 13]
    assert spare["spare"].tolist() == [30, 5]
    assert spare["employer_name"].tolist() == ["E1", "E1"]


def test_offer_matches_ranked_by_distance(spare, schools, coverage):
    out = emp.offer_matches(spare, schools, coverage, nearest=5, max_km=25)
    bm5 = out[out["offer_id"].eq(11)]
    # S4 meets BM5; S3 teaches Years 12–13, outside the offer's 7–11
    assert bm5["urn"].tolist() == [2, 1]
    assert bm5["distance_km"].round(3).tolist() == [1.0, 2.0]
    assert bm5["rank"].tolist() == [1, 2]
    bm6 = out[out["offer_id"].eq(13)]
    # S2 meets BM6; S4 is 1.5 km, S1 2 km from E1
    assert bm6["urn"].tolist() == [4, 1]
    assert bm6["distance_km"].round(3).tolist() == [1.5, 2.0]
    only_nearest = emp.offer_matches(spare, schools, coverage, nearest=1)
    assert only_nearest["urn"].tolist() == [2, 4]
    assert emp.offer_matches(spare, schools, coverage, max_km=0.5).empty


def test_shortfalls(coverage, bm5_year_groups):
    bm5 = emp.shortfalls(coverage, 5, bm5_year_groups).set_index("urn")["shortfall"]
    assert bm5.to_dict() == {1: 10.0, 2: 50.0, 3: 30.0, 4: 0.0}
    bm6 = emp.shortfalls(coverage, 6).set_index("urn")["shortfall"]
    assert bm6.loc[1] == 40 and bm6.loc[2] == 0 and bm6.loc[4] == 1
    assert math.isnan(bm6.loc[3])
    with pytest.raises(ValueError):
        emp.shortfalls(coverage, 7)


def test_what_would_it_take_bm5(coverage, schools, spare, bm5_year_groups):
    result = emp.what_would_it_take(
        coverage, schools, spare, benchmark=5, target_pct=75, radius_km=10,
        bm5_year_groups=bm5_year_groups,
    )  # fmt: skip
    s = result.summary.iloc[0]
    # 1 of 4 meets (25 %); 75 % needs 3, so lift 2: the smallest shortfalls, S1 (10), S3 (30)
    assert s["meeting_now"] == 1 and s["pct_meeting_now"] == 25
    assert s["schools_to_lift"] == 2
    assert result.schools["urn"].tolist() == [1, 3]
    assert result.schools["cumulative_needed"].tolist() == [10, 40]
    assert s["additional_needed"] == 40
    # offer 11 (30 spare) is 2 km from S1 and √5 ≈ 2.236 km from S3: counted once
    assert s["spare_within_radius"] == 30
    assert not s["supply_covers_need"]
    sup = result.suppliers.set_index("urn")
    assert sup.loc[3, "distance_km"] == pytest.approx(5**0.5)
    all_in = emp.what_would_it_take(
        coverage, schools, spare, 5, 100, 10, bm5_year_groups
    ).summary.iloc[0]
    assert all_in["schools_to_lift"] == 3 and all_in["additional_needed"] == 90
    none = emp.what_would_it_take(coverage, schools, spare, 5, 20, 10, bm5_year_groups)
    assert none.summary.iloc[0]["schools_to_lift"] == 0 and none.schools.empty


def test_what_would_it_take_bm6(coverage, schools, spare):
    result = emp.what_would_it_take(coverage, schools, spare, benchmark=6, target_pct=100)
    s = result.summary.iloc[0]
    # S3 has no Year 11 estimate: 3 measured, S2 meets; lift S4 (1) then S1 (40)
    assert s["schools_measured"] == 3 and s["meeting_now"] == 1
    assert result.schools["urn"].tolist() == [4, 1]
    assert s["additional_needed"] == 41
    assert s["unit"] == "placements"
    assert result.schools["spare_nearby"].tolist() == [5, 5]


@pytest.mark.parametrize("radius_km", [0.0, 0.7, 5.0, 40.0])
def test_pairs_within_equals_brute_force(radius_km):
    rng = np.random.default_rng(7)
    ae, an = rng.uniform(0, 60_000, 300), rng.uniform(0, 90_000, 300)
    be, bn = rng.uniform(-5_000, 70_000, 200), rng.uniform(0, 90_000, 200)
    be[::17] = np.nan  # missing coordinates take part in no pair
    be[5], bn[5] = ae[3], an[3]  # a coincident pair is at distance 0
    i, j, d = pairs_within(ae, an, be, bn, radius_km)
    full = distance_km(ae[:, None], an[:, None], be[None, :], bn[None, :])
    bi, bj = np.nonzero(full <= radius_km)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == sorted(
        zip(bi.tolist(), bj.tolist(), strict=True)
    )
    assert np.allclose(np.sort(d), np.sort(full[bi, bj]))
