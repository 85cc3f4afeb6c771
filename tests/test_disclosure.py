"""Disclosure control: counts of people under 6 become "c", percentages are rounded to one
decimal and suppressed where their base is under 6."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hubcore import disclosure


def test_suppress_count_keeps_zero_and_missing():
    assert disclosure.suppress_count(0) == 0
    assert disclosure.suppress_count(1) == "c"
    assert disclosure.suppress_count(5) == "c"
    assert disclosure.suppress_count(6) == 6
    assert disclosure.suppress_count(None) is None
    assert disclosure.suppress_count(float("nan")) is None


def test_round_percent():
    assert disclosure.round_percent(12.36) == 12.4
    assert disclosure.round_percent(None) is None


def test_apply_counts_and_percent_bases():
    frame = pd.DataFrame(
        {
            "leavers": [0, 3, 6, 40],
            "neet": [0, 1, 2, 12],
            # 1 of 3 = 33.33 %; 2 of 6 = 33.33 %; 12 of 40 = 30 %
            "neet_pct": [np.nan, 100 / 3, 200 / 6, 30.0],
            "ratio": [1.23456, 2.0, 3.0, 4.0],
        }
    )
    out = disclosure.apply(
        frame,
        counts=["leavers", "neet"],
        percents={"neet_pct": "leavers"},
        rounded={"ratio": 2},
    )
    # A zero base suppresses its rate too; 3 leavers suppress the count and the rate.
    assert out["leavers"].tolist() == [0, "c", 6, 40]
    assert out["neet"].tolist() == [0, "c", "c", 12]
    assert out["neet_pct"].tolist() == ["c", "c", 33.3, 30.0]
    assert out["ratio"].tolist() == [1.23, 2.0, 3.0, 4.0]
    # the input is not modified
    assert frame["leavers"].tolist() == [0, 3, 6, 40]


def test_apply_statistics_follow_their_base():
    frame = pd.DataFrame({"referred": [2, 10], "median_days": [12.25, 30.44]})
    out = disclosure.apply(frame, counts=["referred"], statistics={"median_days": ("referred", 1)})
    assert out["median_days"].tolist() == ["c", 30.4]
    assert out["referred"].tolist() == ["c", 10]


def test_apply_unbased_percent_is_only_rounded():
    out = disclosure.apply(pd.DataFrame({"p": [1.25001, 99.99]}), percents=["p"])
    assert out["p"].tolist() == [1.3, 100.0]


def test_apply_spec_skips_missing_columns_and_base():
    spec = disclosure.Spec(
        counts=("leavers", "absent"),
        percents={"pct": "leavers", "pct2": "missing_base"},
        statistics={"days": ("missing_base", 0)},
    )
    frame = pd.DataFrame({"leavers": [4, 8], "pct": [50.0, 12.345], "pct2": [1.06, 2.0]})
    out = disclosure.apply_spec(frame, spec)
    assert out["leavers"].tolist() == ["c", 8]
    assert out["pct"].tolist() == ["c", 12.3]
    assert out["pct2"].tolist() == [1.1, 2.0]


def test_threshold_is_six():
    assert disclosure.THRESHOLD == 6
    assert disclosure.SUPPRESSED == "c"
