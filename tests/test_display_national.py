"""The overview and profile compare with England at the latest assessment that has a national
figure, even when the chosen period is in the 2024 framework (no national figures yet)."""

from __future__ import annotations

import pandas as pd

from hubcore import display


def _row(aid, urn, on, year, framework, met):
    # ``met`` benchmarks at 100 %, the rest at 50 %: ``achieved`` = met.
    scores = {f"bm{b}": 100.0 if b <= met else 50.0 for b in range(1, 9)}
    return {"assessment_id": aid, "urn": urn, "assessed_on": pd.Timestamp(on),
            "academic_year": year, "snapshot": "jul31", "evaluation_type": "schools",
            "framework": framework, **scores, "achieved": met}


def _assessments() -> pd.DataFrame:
    return pd.DataFrame([
        # School 1: 2014 framework in 2024/25 (4 achieved), then 2024 framework (3).
        _row(1, 100001, "2025-07-31", "2024/25", "2014", 4),
        _row(2, 100001, "2026-07-31", "2025/26", "2024", 3),
        # School 2: only ever assessed under the 2024 framework: nothing to compare with.
        _row(3, 100002, "2026-07-31", "2025/26", "2024", 6),
    ])


def test_2024_period_compares_at_the_latest_2014_assessment():
    out = display.benchmarks_at(_assessments(), "2026-07-31|2024").set_index("urn")
    one = out.loc[100001]
    # Shown: the 2024-framework assessment (3 achieved) ...
    assert (one["framework"], int(one["achieved"])) == ("2024", 3)
    # ... compared with England at 2024/25 under the 2014 framework: 4 − 5.96 = −1.96.
    assert (one["national_framework"], one["national_academic_year"]) == ("2014", "2024/25")
    assert one["national_achieved"] == 4
    assert one["national_mean_achieved"] == 5.96
    assert round(float(one["vs_national"]), 2) == -1.96
    assert "2014-framework assessment of 2024/25" in one["national_note"]
    # School 2 has no assessment with a national figure, and says so.
    two = out.loc[100002]
    assert pd.isna(two["national_mean_achieved"])
    assert two["national_note"] == "no assessment with a national figure"


def test_2014_period_compares_at_itself():
    out = display.benchmarks_at(_assessments(), "2025-07-31|2014").set_index("urn")
    one = out.loc[100001]
    assert (one["framework"], int(one["achieved"])) == ("2014", 4)
    assert one["national_academic_year"] == "2024/25"
    assert round(float(one["vs_national"]), 2) == -1.96
    assert pd.isna(one["national_note"])  # the row itself is compared: no note
    assert 100002 not in out.index  # not assessed by then
