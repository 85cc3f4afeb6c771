"""Coverage of BM5–BM8 and PAL, gap breakdowns and cold spots on three hand-made schools.

School A: 11–16, 500 pupils → 100 per year group (Years 7–11).
School B: 11–18, 700 pupils → 100 per year group (Years 7–13).
School C: sixth-form college, 200 pupils → 100 per year group (Years 12–13).
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from hubcore.metrics import coverage as cov

YEAR = "2025/26"


@pytest.fixture
def schools() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "urn": [1, 2, 3],
            "name": ["A", "B", "C"],
            "kind": ["mainstream_11_16", "mainstream_11_18", "sixth_form_college"],
            "pupils": [500, 700, 200],
            "la_gss": ["E06000001", "E06000001", "E06000002"],
            "lsoa_code": ["E01000001", "E01000002", "E01000003"],
            "easting": [400000.0, 403000.0, 420000.0],
            "northing": [300000.0, 300000.0, 300000.0],
        }
    )


def _enc(urn, kind, bm, date, year, y0, y1, n, pal=False):
    return {
        "urn": urn,
        "kind": kind,
        "benchmark": bm,
        "date": pd.Timestamp(date),
        "academic_year": year,
        "year_from": y0,
        "year_to": y1,
        "participants": n,
        "provider_access": pal,
    }


@pytest.fixture
def encounters() -> pd.DataFrame:
    rows = [
        # BM5. A: 500 over Years 7–11 → 100 each → 1.0 per pupil everywhere.
        _enc(1, "talk", 5, "2025-10-01", YEAR, 7, 11, 500),
        # B: 150 over Years 7–9 → 50 each (0.5); Years 10–13 nothing.
        _enc(2, "talk", 5, "2025-10-01", YEAR, 7, 9, 150),
        # C: 400 over Years 12–13 → 200 each (2.0).
        _enc(3, "mentoring", 5, "2025-10-01", YEAR, 12, 13, 400),
        # BM6. A: 60 in Year 10 last year + 30 in Year 11 now = 90 of 100 → 90 %.
        _enc(1, "work_experience", 6, "2025-06-01", "2024/25", 10, 10, 60),
        _enc(1, "work_experience", 6, "2026-06-01", YEAR, 11, 11, 30),
        # B: 150 Year 11 places for 100 pupils → capped at 100 %.
        _enc(2, "workplace_visit", 6, "2026-02-01", YEAR, 11, 11, 150),
        # B: a BM6 talk is not a workplace experience: ignored.
        _enc(2, "talk", 6, "2026-02-01", YEAR, 11, 11, 100),
        # B: 80 over Years 12–13 → 40 in Year 13 → 40 % by 18.
        _enc(2, "work_shadowing", 6, "2026-03-01", YEAR, 12, 13, 80),
        # PAL. A: phase 1 twice (one Year 9 slot in March: out of window), phase 2 twice.
        _enc(1, "provider_encounter", 7, "2025-10-01", YEAR, 8, 9, 200, pal=True),
        _enc(1, "provider_encounter", 7, "2026-03-15", YEAR, 9, 9, 100, pal=True),
        _enc(1, "provider_encounter", 7, "2025-11-01", YEAR, 10, 11, 200, pal=True),
        _enc(1, "provider_encounter", 7, "2026-01-10", YEAR, 11, 11, 100, pal=True),
        # B: one May encounter for Years 10–13: phases 2 and 3 once each, one late event.
        _enc(2, "provider_encounter", 7, "2026-05-01", YEAR, 10, 13, 400, pal=True),
        # C: two phase-3 encounters in the autumn.
        _enc(3, "provider_encounter", 7, "2025-10-01", YEAR, 12, 13, 200, pal=True),
        _enc(3, "provider_encounter", 7, "2025-12-01", YEAR, 12, 13, 200, pal=True),
        # BM8. A: 100 Year 11 meetings → 100 %; B: 100 over Years 10–11 → 50 in Year 11.
        _enc(1, "guidance_meeting", 8, "2025-11-01", YEAR, 11, 11, 100),
        _enc(2, "guidance_meeting", 8, "2025-11-01", YEAR, 10, 11, 100),
    ]
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", range(1, len(frame) + 1))
    return frame


def test_year_group_sizes(schools):
    sizes = cov.year_group_sizes(schools)
    assert sizes.groupby("urn")["year_group"].apply(list).to_dict() == {
        1: [7, 8, 9, 10, 11],
        2: [7, 8, 9, 10, 11, 12, 13],
        3: [12, 13],
    }
    assert set(sizes["pupils_est"]) == {100.0}


def test_all_through_divides_by_fourteen():
    sizes = cov.year_group_sizes(
        pd.DataFrame({"urn": [9], "kind": ["all_through"], "pupils": [1400]})
    )
    assert set(sizes["pupils_est"]) == {100.0}
    assert sizes["year_group"].tolist() == [7, 8, 9, 10, 11, 12, 13]


def test_participants_are_shared_across_year_groups(encounters):
    spread = cov.participants_by_year_group(encounters.iloc[[1]])
    assert spread["year_group"].tolist() == [7, 8, 9]
    assert spread["participants_share"].tolist() == [50.0, 50.0, 50.0]


def test_bm5_per_pupil(encounters, schools):
    yg = cov.bm5_by_year_group(encounters, schools, YEAR).set_index(["urn", "year_group"])
    assert yg.loc[(1, 7), "per_pupil"] == 1.0 and yg.loc[(1, 7), "meets"]
    assert yg.loc[(2, 8), "per_pupil"] == 0.5 and not yg.loc[(2, 8), "meets"]
    assert yg.loc[(2, 12), "per_pupil"] == 0.0
    assert yg.loc[(3, 13), "per_pupil"] == 2.0
    school = cov.bm5_school(yg.reset_index()).set_index("urn")
    assert school["meets_bm5"].to_dict() == {1: True, 2: False, 3: True}
    assert school["bm5_min_per_pupil"].to_dict() == {1: 1.0, 2: 0.0, 3: 2.0}
    assert school["bm5_pct_year_groups_met"].to_dict() == {1: 100.0, 2: 0.0, 3: 100.0}
    assert school.loc[2, "bm5_participants"] == 150
    # a lower bar: 0.5 per pupil is enough for B's Years 7–9 (3 of 7 = 42.857 %)
    lower = cov.bm5_school(cov.bm5_by_year_group(encounters, schools, YEAR, 0.5))
    assert lower.set_index("urn").loc[2, "bm5_pct_year_groups_met"] == pytest.approx(300 / 7)


def test_bm6_reach(encounters, schools):
    out = cov.bm6_reach(encounters, schools, YEAR).set_index("urn")
    assert out.loc[1, "bm6_by16_places"] == 90 and out.loc[1, "bm6_by16_pct"] == 90
    assert out.loc[2, "bm6_by16_pct"] == 100  # 150 %, capped
    assert out.loc[2, "bm6_by16_places"] == 150  # the BM6 talk is not a workplace experience
    assert out.loc[2, "bm6_by18_pct"] == 40
    assert math.isnan(out.loc[1, "bm6_by18_pct"])  # no sixth form
    assert math.isnan(out.loc[3, "bm6_by16_pct"])  # no Year 11
    assert out.loc[3, "bm6_by18_pct"] == 0
    assert out.loc[1, "y11_cohort"] == 100


def test_pal(encounters, schools):
    slots = cov.pal_slots(encounters)
    # A's March Year 9 encounter is the only out-of-window slot of A
    late = slots[slots["out_of_window"]]
    assert sorted(late["id"].unique().tolist()) == [10, 13]
    out = cov.pal_summary(encounters, schools, YEAR).set_index("urn")
    assert out.loc[1, ["pal_phase1", "pal_phase2"]].tolist() == [2, 2]
    assert math.isnan(out.loc[1, "pal_phase3"])
    assert out.loc[1, "pal_met"] and out.loc[1, "pal_out_of_window"] == 1
    assert out.loc[2, ["pal_phase1", "pal_phase2", "pal_phase3"]].tolist() == [0, 1, 1]
    assert not out.loc[2, "pal_met"]
    # one event touching two slot years counts once
    assert out.loc[2, "pal_out_of_window"] == 1
    assert math.isnan(out.loc[3, "pal_phase1"]) and out.loc[3, "pal_phase3"] == 2
    assert out.loc[3, "pal_met"] and out.loc[3, "pal_out_of_window"] == 0


def test_pal_from_summary_rows_matches_raw(encounters, schools):
    summary = (
        encounters.assign(month=encounters["date"].dt.month)
        .groupby(
            ["urn", "academic_year", "benchmark", "kind", "year_from", "year_to",
             "provider_access", "month"],
            as_index=False,
        )
        .agg(encounters=("id", "size"), participants=("participants", "sum"))
    )  # fmt: skip
    raw = cov.school_coverage(encounters, schools, YEAR)
    agg = cov.school_coverage(summary, schools, YEAR)
    pd.testing.assert_frame_equal(raw, agg)


def test_bm8(encounters, schools):
    out = cov.bm8_by16(encounters, schools, YEAR).set_index("urn")
    assert out.loc[1, "bm8_by16_pct"] == 100
    assert out.loc[2, "bm8_by16_pct"] == 50 and out.loc[2, "bm8_y11_meetings"] == 50
    assert math.isnan(out.loc[3, "bm8_by16_pct"])


def test_school_coverage_and_gaps(encounters, schools):
    cov_table = cov.school_coverage(encounters, schools)  # latest year: 2025/26
    assert (cov_table["academic_year"] == YEAR).all()
    per_year = cov_table.set_index("urn")
    assert per_year.loc[2, "bm5_per_pupil_y7"] == 0.5 and per_year.loc[2, "bm5_per_pupil_y13"] == 0
    assert math.isnan(per_year.loc[1, "bm5_per_pupil_y12"])  # 11–16: no Year 12
    assert per_year.loc[3, "bm5_per_pupil_y12"] == 2.0
    flags = cov_table.set_index("urn")[["meets_bm5", "meets_bm6", "meets_bm8", "pal_met"]]
    assert flags.loc[1].tolist() == [True, False, True, True]
    # B: 150 Year 11 workplace places for 100 pupils. 2025/26 is under the 2024 framework,
    # which asks schools for "multiple" experiences by 16 (two each: 200 places), so B does
    # not meet BM6 (it did under the old, framework-blind 100 % reach rule).
    assert flags.loc[2].tolist() == [False, False, False, False]
    # C (college): BM5 2.0 per pupil meets the college bar of two; BM6 and BM8 are measured at
    # the end of the programme (Year 13 cohort), where C has nothing: not met.
    assert flags.loc[3].tolist() == [True, False, False, True]
    areas = pd.DataFrame({"code": ["E01000001", "E01000002", "E01000003"], "imd_decile": [1, 1, 9]})
    by_kind = cov.coverage_gaps(cov_table, schools, areas, by="kind").set_index("group")
    assert by_kind.loc["mainstream_11_18", "pct_meeting_bm5"] == 0
    assert by_kind.loc["sixth_form_college", "pct_meeting_bm5"] == 100
    # C is a college: BM8 is measured at the end of its programme (Year 13 cohort of 100, no
    # guidance meetings), so it counts as not meeting, 0 of 1 (it was left out when BM8 was
    # measured by 16 for every kind).
    assert by_kind.loc["sixth_form_college", "pct_meeting_bm8"] == 0
    by_decile = cov.coverage_gaps(cov_table, schools, areas, by="imd_decile").set_index("group")
    assert by_decile.loc[1, "schools"] == 2
    assert by_decile.loc[1, "pct_meeting_bm5"] == 50  # A yes, B no
    assert by_decile.loc[1, "pct_meeting_bm8"] == 50
    assert by_decile.loc[1, "mean_bm6_by16_pct"] == 95  # (90 + 100) / 2
    by_la = cov.coverage_gaps(cov_table, schools, areas, by="la_gss").set_index("group")
    assert by_la.loc["E06000002", "pct_pal_met"] == 100


def _square(cx: float, cy: float, half: float = 200.0):
    return shapely.box(cx - half, cy - half, cx + half, cy + half)


def test_cold_spots(encounters, schools):
    # X is 1 km from A and 2 km from B; Y 0.5 km from C; Z 30 km from everything.
    areas = gpd.GeoDataFrame(
        {"code": ["X", "Y", "Z"], "name": ["x", "y", "z"], "imd_decile": [2, 5, 1]},
        geometry=[_square(401000, 300000), _square(420500, 300000), _square(450000, 300000)],
        crs="EPSG:27700",
    )
    values = cov.school_coverage(encounters, schools, YEAR)
    # threshold 1.5 per pupil: A (1.0) and B (0.0) are below, C (2.0) is not
    table = cov.area_coverage(areas, schools, values, "bm5_min_per_pupil", 1.5, 5.0)
    table = table.set_index("code")
    assert table.loc["X", "schools_nearby"] == 2 and table.loc["X", "schools_below"] == 2
    assert table.loc["X", "nearest_km"] == pytest.approx(1.0)
    assert table.loc["X", "mean_measure"] == pytest.approx(0.5)
    assert table.loc["Y", "schools_nearby"] == 1 and table.loc["Y", "schools_below"] == 0
    assert table.loc["Z", "schools_nearby"] == 0 and not table.loc["Z", "cold_spot"]
    spots = cov.cold_spots(areas, schools, values, "bm5_min_per_pupil", 1.5, 5.0)
    assert spots["code"].tolist() == ["X"]
    # a school without a value counts as below: C has no BM8 figure, so Y becomes cold
    spots8 = cov.cold_spots(areas, schools, values, "bm8_by16_pct", 100.0, 5.0)
    assert spots8["code"].tolist() == ["Y"]
    # a radius of 0.8 km leaves X with no school at all: not a cold spot
    assert cov.cold_spots(areas, schools, values, "bm5_min_per_pupil", 1.5, 0.8).empty


def test_previous_academic_year():
    assert cov.previous_academic_year("2025/26") == "2024/25"
    assert cov.previous_academic_year("2000/01") == "1999/00"
