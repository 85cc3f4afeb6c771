"""Benchmark trajectory (issue 15 item 4) on hand-made assessment histories.

Report date 15 April 2026, so the snapshot is 31 July 2026. Day counts used below:
31 Dec 2025 → 31 Mar 2026 = 90 days; 31 Mar → 31 Jul 2026 = 122 days; 31 Dec 2025 → 31 May
2026 = 151 days; 31 Dec 2025 → 31 Jul 2026 = 212 days.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from hubcore import disclosure
from hubcore.metrics import trajectory as tj

AS_OF = dt.date(2026, 4, 15)
DEC, MAR, MAY, JUL = "2025-12-31", "2026-03-31", "2026-05-31", "2026-07-31"

# urn → [(date, BM1 percent, framework)]
HISTORIES = {
    100001: [(MAR, 70, "2024")],  # one assessment: not enough history
    100002: [(DEC, 50, "2024"), (MAR, 70, "2024")],  # two, rising
    100003: [(DEC, 60, "2024"), (MAR, 60, "2024")],  # flat
    100004: [(DEC, 80, "2024"), (MAR, 60, "2024")],  # falling
    100005: [(DEC, 100, "2024"), (MAR, 100, "2024")],  # already achieved
    100006: [(DEC, 80, "2024"), (MAR, 100, "2024")],  # would overshoot: capped at 100
    100007: [(DEC, 40, "2024"), (MAR, 10, "2024")],  # would go below 0: capped at 0
    100008: [(DEC, 50, "2024"), (MAR, 100, "2024"), (JUL, 90, "2024")],  # on the snapshot
    100009: [(DEC, 40, "2024"), (MAR, 70, "2024"), (MAY, 70, "2024")],  # three points
    100010: [("2025-07-31", 20, "2014"), (DEC, 80, "2024")],  # framework changed: one left
    100011: [(DEC, 50, "2024"), (MAR, 70, "2024"), ("2026-12-31", 0, "2024")],  # one after
}


def _assessments() -> pd.DataFrame:
    rows = []
    for urn, points in HISTORIES.items():
        for on, pct, framework in points:
            row = {"urn": urn, "assessed_on": on, "framework": framework, "bm1": float(pct)}
            row.update({f"bm{b}": math.nan for b in range(2, 9)})
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def bm1() -> pd.DataFrame:
    traj = tj.school_trajectories(_assessments(), AS_OF)
    return traj[traj["benchmark"].eq(1)].set_index("urn")


def test_snapshot_is_the_july_ending_the_academic_year():
    assert tj.snapshot_date(dt.date(2026, 4, 15)) == dt.date(2026, 7, 31)
    assert tj.snapshot_date(dt.date(2026, 7, 31)) == dt.date(2026, 7, 31)
    assert tj.snapshot_date(dt.date(2026, 8, 1)) == dt.date(2027, 7, 31)


def test_one_assessment_is_not_enough(bm1):
    row = bm1.loc[100001]
    assert math.isnan(row["projected_pct"]) and row["method"] == tj.NOT_ENOUGH
    assert pd.isna(row["projected_achieved"]) and row["assessments"] == 1


def test_two_assessments_rising(bm1):
    # 50 → 70 in 90 days: +20/90 a day; 122 days on: 70 + 20 × 122 / 90 = 97.11 → 97.1
    row = bm1.loc[100002]
    assert row["projected_pct"] == 97.1 and bool(row["projected_achieved"]) is False
    assert row["slope_pp_per_year"] == pytest.approx(20 / 90 * 365.25)  # 81.2 points a year
    assert row["trend"] == "rising" and row["method"] == "least squares over 2 assessments"


def test_flat_falling_and_caps(bm1):
    assert bm1.loc[100003, "projected_pct"] == 60.0 and bm1.loc[100003, "trend"] == "flat"
    # 80 → 60: 60 − 20 × 122 / 90 = 32.89 → 32.9
    assert bm1.loc[100004, "projected_pct"] == 32.9 and bm1.loc[100004, "trend"] == "falling"
    assert bm1.loc[100005, "projected_pct"] == 100.0
    assert bool(bm1.loc[100005, "projected_achieved"]) is True
    # 80 → 100: 127.1 uncapped → 100, achieved
    assert bm1.loc[100006, "projected_pct"] == 100.0
    assert bool(bm1.loc[100006, "projected_achieved"]) is True
    # 40 → 10: 10 − 30 × 122 / 90 = −30.7 → 0
    assert bm1.loc[100007, "projected_pct"] == 0.0


def test_assessment_on_the_snapshot_is_the_measure(bm1):
    # Least squares over (0, 50), (90, 100), (212, 90): x̄ = 100.67, ȳ = 80, Sxy = 3920,
    # Sxx = 22642.7, so 80 + 0.1731 × 111.33 = 99.3 at day 212; the July assessment itself
    # says 90, and that is the measure.
    row = bm1.loc[100008]
    assert row["projected_pct"] == 90.0 and row["method"] == tj.OBSERVED


def test_three_point_least_squares(bm1):
    # x = 0, 90, 151 days; y = 40, 70, 70. Means: x̄ = 241/3 = 80.33, ȳ = 60.
    # Sxy = (−80.33)(−20) + (9.67)(10) + (70.67)(10) = 1606.7 + 96.7 + 706.7 = 2410.0
    # Sxx = 80.33² + 9.67² + 70.67² = 6453.4 + 93.4 + 4994.0 = 11540.7
    # slope = 0.20883 a day; at day 212: 60 + 0.20883 × (212 − 80.33) = 87.50 → 87.5
    assert bm1.loc[100009, "projected_pct"] == 87.5


def test_frameworks_are_not_mixed_and_later_assessments_ignored(bm1):
    # Only the 2024-framework assessment counts: one → no projection.
    assert bm1.loc[100010, "method"] == tj.NOT_ENOUGH
    assert bm1.loc[100010, "framework"] == "2024"
    # The December 2026 assessment is after the snapshot: as the two-point rising school.
    assert bm1.loc[100011, "projected_pct"] == 97.1 and bm1.loc[100011, "assessments"] == 2


def test_hub_share_against_the_target():
    traj = tj.school_trajectories(_assessments(), AS_OF)
    hub = tj.hub_trajectory(traj, target_pct=80.0).set_index("benchmark").loc[1]
    # 11 schools; projections for all but 100001 and 100010 → 9; achieving: 100005, 100006 → 2
    assert (hub["schools"], hub["projected"], hub["not_enough_history"]) == (11, 9, 2)
    assert hub["projected_achieving"] == 2
    assert hub["pct_projected_achieving"] == pytest.approx(200 / 9)  # 22.2 %
    # 80 % of 9 = 7.2 → 8 schools needed; 8 − 2 = 6 short
    assert hub["schools_short"] == 6 and not hub["meets_target"]
    # BM2: nobody has any assessment of it → no share, not 0 %
    bm2 = tj.hub_trajectory(traj).set_index("benchmark").loc[2]
    assert bm2["projected"] == 0 and pd.isna(bm2["pct_projected_achieving"])
    assert pd.isna(bm2["meets_target"])


def test_what_holds_a_school_back():
    frame = _assessments()
    # School 100004 also has BM2 90 → 95 (projected 95 + 5 × 122/90 = 101.8 → 100, achieved)
    # and BM3 flat at 50.
    mine = frame["urn"].eq(100004)
    frame.loc[mine, "bm2"] = [90.0, 95.0]
    frame.loc[mine, "bm3"] = [50.0, 50.0]
    back = tj.holding_back(tj.school_trajectories(frame, AS_OF)).set_index("urn")
    assert back.loc[100004, "held_back_by"] == "BM1 32.9 % (falling); BM3 50 % (flat)"
    assert back.loc[100004, "benchmarks_short"] == 2
    assert back.loc[100004, "not_enough_history"] == "BM4, BM5, BM6, BM7, BM8"


def test_table_names_the_schools_that_will_miss():
    schools = pd.DataFrame({"urn": list(HISTORIES), "name": [f"S{u}" for u in HISTORIES]})
    table = tj.trajectory_table(_assessments(), schools, AS_OF, 80.0)
    out = disclosure.apply_spec(table, tj.SPEC)
    hub = out[(out["level"] == "hub") & (out["benchmark"] == "BM1")].iloc[0]
    # short of 100, lowest first: 100007 (0), 100004 (32.9), 100003 (60), 100009 (87.5),
    # 100008 (90), then 100002 and 100011 (97.1, by name)
    assert hub["will_miss"] == "S100007; S100004; S100003; S100009; S100008; S100002; S100011"
    assert hub["pct_projected_achieving"] == 22.2 and hub["snapshot"] == "2026-07-31"


def _one_school_at_a_time(assessments: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The definition read literally, one school and benchmark at a time with ``project``:
    the framework of the school's latest assessment on or before the snapshot, its
    assessments of that framework with a value for the benchmark."""
    snap = tj.snapshot_date(as_of)
    frame = assessments.assign(assessed_on=pd.to_datetime(assessments["assessed_on"]))
    frame = frame[frame["assessed_on"] <= pd.Timestamp(snap)]
    rows = []
    for urn, school in frame.groupby("urn", sort=True):
        school = school.sort_values("assessed_on", kind="stable")
        used = school[school["framework"].eq(school["framework"].iloc[-1])]
        for b in tj.BENCHMARKS:
            pts = used[["assessed_on", f"bm{b}"]].dropna()
            projected, slope, method = tj.project(pts["assessed_on"], pts[f"bm{b}"], snap)
            rows.append((int(urn), b, len(pts), round(projected, 1), slope, method,
                         float(pts[f"bm{b}"].iloc[-1]) if len(pts) else math.nan))
    return pd.DataFrame(rows, columns=["urn", "benchmark", "assessments", "projected_pct",
                                       "slope_pp_per_year", "method", "latest_pct"])


def test_many_schools_at_once_match_one_school_at_a_time():
    """Awkward histories (two on one day, one on the snapshot, one after it, a framework change,
    missing scores, a school with nothing usable) for 80 schools: the whole-table path gives
    each school and benchmark what the one-school definition gives."""
    import numpy as np

    rng = np.random.default_rng(7)
    days = pd.to_datetime(["2024-09-30", "2025-03-31", "2025-07-31", DEC, DEC, MAR, MAY, JUL,
                           "2026-12-31"])
    rows = []
    for urn in range(200001, 200081):
        for _ in range(rng.integers(0, 7)):
            scores = rng.choice([np.nan, 0.0, 12.5, 50.0, 87.5, 100.0], size=8)
            rows.append({"urn": urn, "assessed_on": days[rng.integers(0, len(days))],
                         "framework": str(rng.choice(["2014", "2024"])),
                         **{f"bm{b}": scores[b - 1] for b in tj.BENCHMARKS}})
    assessments = pd.DataFrame(rows)
    got = tj.school_trajectories(assessments, AS_OF)
    want = _one_school_at_a_time(assessments, AS_OF)
    assert len(want) > 400 and want["method"].nunique() >= 3  # the data are awkward enough
    pd.testing.assert_frame_equal(got[want.columns.tolist()].reset_index(drop=True), want,
                                  check_dtype=False)
    # What holds each school back, read one school at a time from the same rows.
    back = tj.holding_back(got).set_index("urn")
    assert back["benchmarks_short"].sum() > 50
    for urn, school in got.groupby("urn"):
        short = school[school["projected_achieved"].eq(False).fillna(False)]
        short = short.sort_values(["projected_pct", "benchmark"])
        words = [f"BM{r.benchmark} {r.projected_pct:g} %" + (f" ({r.trend})" if r.trend else "")
                 for r in short.itertuples()]
        gaps = ", ".join(f"BM{b}" for b in school.loc[school["projected_pct"].isna(),
                                                      "benchmark"])
        assert back.loc[urn].tolist() == [len(short), "; ".join(words), gaps], urn


def test_no_school_held_back_and_no_rows_at_all():
    """No benchmark projected short anywhere (every school achieving or without history), and
    no trajectories at all: empty text, zero counts, one row per school."""
    rows = [{"urn": 300001, "assessed_on": d, "framework": "2024",
             **{f"bm{b}": 100.0 for b in tj.BENCHMARKS}} for d in (DEC, MAR)]
    rows.append({"urn": 300002, "assessed_on": MAR, "framework": "2024",
                 **{f"bm{b}": 50.0 for b in tj.BENCHMARKS}})  # one assessment: no projection
    back = tj.holding_back(tj.school_trajectories(pd.DataFrame(rows), AS_OF)).set_index("urn")
    assert back.loc[300001].tolist() == [0, "", ""]
    assert back.loc[300002].tolist() == [0, "", ", ".join(f"BM{b}" for b in tj.BENCHMARKS)]
    empty = tj.holding_back(tj.school_trajectories(pd.DataFrame(rows).iloc[:0], AS_OF))
    assert empty.empty and list(empty.columns) == ["urn", "benchmarks_short", "held_back_by",
                                                   "not_enough_history"]
