"""Benchmark attainment, change since the previous assessment, national comparison and
roll-ups, on three hand-made schools (values worked out in the comments)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from hubcore.metrics import benchmarks as bm


def _assessment(aid, urn, on, year, framework, scores):
    row = {
        "assessment_id": aid,
        "urn": urn,
        "assessed_on": pd.Timestamp(on),
        "academic_year": year,
        "snapshot": "jul31",
        "evaluation_type": "schools",
        "framework": framework,
    }
    row.update({f"bm{i + 1}": float(s) for i, s in enumerate(scores)})
    row["achieved"] = sum(s >= 100 for s in scores)
    return row


@pytest.fixture
def assessments() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # School 1: 7 achieved (BM6 at 50), mean (700 + 50) / 8 = 93.75 ...
            _assessment(1, 100001, "2023-07-31", "2022/23", "2014", [100] * 5 + [50, 100, 100]),
            # ... then all 8, mean 100: change +1 benchmark, +6.25 points.
            _assessment(2, 100001, "2024-07-31", "2023/24", "2014", [100] * 8),
            # School 2: 4 achieved, mean 50 under 2014; then 0 achieved, mean 50 under 2024:
            # the change crosses frameworks, so it is NaN and flagged.
            _assessment(3, 100002, "2024-07-31", "2023/24", "2014", [100] * 4 + [0] * 4),
            _assessment(4, 100002, "2025-12-31", "2025/26", "2024", [50] * 8),
            # School 3: one assessment, 6 achieved, mean (600 + 80 + 60) / 8 = 92.5.
            _assessment(5, 100003, "2024-07-31", "2023/24", "2014", [100] * 6 + [80, 60]),
        ]
    )


def test_changes_only_within_a_framework(assessments):
    out = bm.assessment_changes(assessments).set_index("assessment_id")
    assert out.loc[2, "change_achieved"] == 1
    assert out.loc[2, "change_mean_percent"] == pytest.approx(6.25)
    assert out.loc[2, "change_bm6"] == 50
    assert not out.loc[2, "framework_changed"]
    assert math.isnan(out.loc[4, "change_achieved"])
    assert math.isnan(out.loc[4, "change_mean_percent"])
    assert out.loc[4, "framework_changed"]
    assert out.loc[4, "previous_framework"] == "2014"
    # first assessments have no previous one: NaN, but no framework change either
    assert math.isnan(out.loc[1, "change_achieved"]) and not out.loc[1, "framework_changed"]


def test_school_latest_with_national(assessments):
    out = bm.school_benchmarks(assessments).set_index("urn")
    assert list(out.index) == [100001, 100002, 100003]
    assert out.loc[100001, "achieved"] == 8
    assert out.loc[100001, "mean_percent"] == 100
    # 2023/24 national mean is 5.83 (DOMAIN.md §2.3)
    assert out.loc[100001, "national_mean_achieved"] == 5.83
    assert out.loc[100001, "vs_national"] == pytest.approx(8 - 5.83)
    assert out.loc[100003, "vs_national"] == pytest.approx(6 - 5.83)
    assert out.loc[100003, "mean_percent"] == pytest.approx(92.5)
    # School 2's latest is 2024-framework (no national figure): it is compared, like for like,
    # at its latest assessment that has one, 2014 framework 2023/24: 4 achieved − 5.83 = −1.83,
    # and the note names that assessment (it used to get "–" and no comparison at all).
    assert out.loc[100002, "achieved"] == 0
    assert out.loc[100002, "national_achieved"] == 4
    assert out.loc[100002, "national_framework"] == "2014"
    assert out.loc[100002, "national_academic_year"] == "2023/24"
    assert out.loc[100002, "national_mean_achieved"] == 5.83
    assert out.loc[100002, "vs_national"] == pytest.approx(4 - 5.83)
    assert "2014 framework only" in out.loc[100002, "national_note"]
    assert "2014-framework assessment of 2023/24" in out.loc[100002, "national_note"]
    assert pd.isna(out.loc[100001, "national_note"])


def test_school_latest_within_one_framework(assessments):
    out = bm.school_benchmarks(assessments, framework="2014").set_index("urn")
    # school 2's latest 2014 assessment is the 2024-07-31 one: 4 achieved
    assert out.loc[100002, "achieved"] == 4
    assert out.loc[100002, "framework"] == "2014"


def test_hub_rollup_splits_frameworks(assessments):
    latest = bm.school_benchmarks(assessments)
    out = bm.benchmark_rollup(latest).set_index("framework")
    assert sorted(out.index) == ["2014", "2024"]
    old = out.loc["2014"]
    # schools 1 and 3: achieved 8 and 6, mean percent 100 and 92.5
    assert old["schools"] == 2
    assert old["mean_achieved"] == 7
    assert old["mean_percent"] == pytest.approx(96.25)
    assert old["pct_all_eight"] == 50
    assert old["pct_bm7"] == 50  # school 1 at 100, school 3 at 80
    assert old["pct_bm1"] == 100
    assert old["mean_change_achieved"] == 1  # only school 1 has a previous assessment
    assert old["vs_national"] == pytest.approx(7 - 5.83)
    new = out.loc["2024"]
    assert new["schools"] == 1 and new["mean_achieved"] == 0
    assert math.isnan(new["national_mean_achieved"])
    assert new["national_note"] == bm.NOTE_OTHER_FRAMEWORK


def test_la_rollup_uses_school_columns(assessments):
    latest = bm.school_benchmarks(assessments)
    schools = pd.DataFrame({"urn": [100001, 100002, 100003], "la_gss": ["E06A", "E06A", "E06B"]})
    out = bm.benchmark_rollup(latest, by=("la_gss",), schools=schools)
    rows = {(r.la_gss, r.framework): r for r in out.itertuples()}
    assert rows[("E06A", "2014")].mean_achieved == 8
    assert rows[("E06A", "2024")].mean_achieved == 0
    assert rows[("E06B", "2014")].mean_achieved == 6
    assert len(out) == 3


def test_frameworks_present(assessments):
    assert bm.frameworks_present(assessments) == ["2014", "2024"]
