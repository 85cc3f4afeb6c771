"""Destination mix, NEET rates against LA and England, and the hand-over funnel, lags and
overdue counts on hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hubcore.metrics import transitions as tr


@pytest.fixture
def counts() -> pd.DataFrame:
    rows = [
        # School 1, Year 11, one year on: 8 education, 1 NEET, 1 not known, 2 custody = 12;
        # denominator leaves custody out: 10 → NEET 10 %, NK 10 %, NEET+NK 20 %.
        (1, 2024, 11, 1, "education", 8),
        (1, 2024, 11, 1, "neet_active", 1),
        (1, 2024, 11, 1, "not_known", 1),
        (1, 2024, 11, 1, "custody", 2),
        # two years on (left out of one-year rates)
        (1, 2024, 11, 2, "education", 5),
        # School 2, Year 13: 4 employed, 2 NEET (inactive) → 6; NEET 33.3 %.
        (2, 2024, 13, 1, "employment", 4),
        (2, 2024, 13, 1, "neet_inactive", 2),
    ]
    return pd.DataFrame(
        rows, columns=["urn", "cohort", "year_group", "years_after", "category", "leavers"]
    )


def test_destination_mix(counts):
    mix = tr.destination_mix(counts).set_index(["urn", "years_after"])
    row = mix.loc[(1, 1)]
    assert row["leavers"] == 12
    assert row["pct_education"] == pytest.approx(800 / 12)
    assert row["pct_custody"] == pytest.approx(200 / 12)
    assert row["pct_employment"] == 0
    assert mix.loc[(1, 2), "pct_education"] == 100
    assert mix.loc[(2, 1), "pct_neet_inactive"] == pytest.approx(100 / 3)
    pct_cols = [c for c in mix.columns if c.startswith("pct_")]
    assert np.allclose(mix[pct_cols].sum(axis=1), 100)


def test_neet_rates(counts):
    per_school = tr.neet_rates(counts, ("urn", "year_group")).set_index("urn")
    assert per_school.loc[1, ["denominator", "neet", "not_known"]].tolist() == [10, 1, 1]
    assert per_school.loc[1, "neet_pct"] == 10
    assert per_school.loc[1, "neet_nk_pct"] == 20
    assert per_school.loc[2, "neet_pct"] == pytest.approx(100 / 3)
    assert per_school.loc[2, "not_known_pct"] == 0
    # the hub: denominator 16, NEET 3, NK 1 → 18.75 %, 6.25 %, 25 %
    hub = tr.neet_rates(counts, ()).iloc[0]
    assert hub["denominator"] == 16
    assert (hub["neet_pct"], hub["not_known_pct"], hub["neet_nk_pct"]) == (18.75, 6.25, 25.0)
    # all years after: adds the 5 two-year-on education records to the denominator
    assert tr.neet_rates(counts, (), years_after=None).iloc[0]["denominator"] == 21


def test_compare_neet(counts):
    # Per school and year group: each row is compared with the figures for its leavers' age
    # (school 1 is Year 11, age 16; school 2 Year 13, age 18: no LA or NEET+NK comparator).
    rates = tr.neet_rates(counts, ("urn", "year_group"))
    schools = pd.DataFrame({"urn": [1, 2], "la_gss": ["E06000001", "E06000002"]})
    la_stats = pd.DataFrame(
        {
            "time_period": [2024, 2025, 2025],
            "la_gss": ["E06000001", "E06000001", "E06000001"],
            "age": ["16-17", "16-17", "16"],
            "neet_percent": [3.0, 4.0, 9.9],
            "nk_percent": [1.0, 2.0, 9.9],
            "neet_nk_percent": [4.0, 6.0, 19.8],
        }
    )
    out = tr.compare_neet(rates, la_stats, schools).set_index("urn")
    # the latest 16–17 figure: 2025, 6.0 %; school 1 at 20 % is 14 points above
    assert out.loc[1, "la_neet_nk_pct"] == 6.0
    assert out.loc[1, "vs_la_neet_nk"] == pytest.approx(14.0)
    assert out.loc[1, "england_neet_nk_pct"] == 5.6
    assert out.loc[1, "vs_england_neet_nk"] == pytest.approx(14.4)
    # Year 13 (age 18): no LA figure (LAs publish 16–17), England NEET 16–18 8.0 %:
    # 33.3 − 8.0 = 25.3 points
    assert math.isnan(out.loc[2, "la_neet_nk_pct"]) and math.isnan(out.loc[2, "vs_la_neet_nk"])
    assert out.loc[2, "vs_england_neet"] == 25.3  # to one decimal
    empty = tr.compare_neet(rates, pd.DataFrame(), schools)
    assert empty["la_neet_nk_pct"].isna().all()


def _h(year_group, left, referred=None, contacted=None, status="pending", urn=1):
    return {
        "to_org_type": "ncs",
        "urn": urn,
        "cohort": 2025,
        "year_group": year_group,
        "left_on": pd.Timestamp(left),
        "referred_on": pd.Timestamp(referred) if referred else pd.NaT,
        "contacted_on": pd.Timestamp(contacted) if contacted else pd.NaT,
        "status": status,
    }


@pytest.fixture
def handovers() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _h(11, "2025-07-20", "2025-07-30", "2025-08-05", "engaged"),  # lag 10
            _h(11, "2025-07-20", "2025-09-18", "2025-09-20", "lost"),  # lag 60
            _h(11, "2025-07-20"),  # not referred: 42 days by 31 August
            _h(13, "2025-06-30", "2025-07-20", None, "referred"),  # lag 20
            _h(13, "2025-06-30"),  # not referred: 62 days by 31 August
            _h(13, "2025-08-25"),  # not referred: 6 days, not yet overdue
        ]
    )


def test_funnel(handovers):
    # "left" (hand-overs) became "handovers"; the leavers (people) come from the cohort, here
    # 10 Year 11 and 4 Year 13 leavers; each percentage names its base.
    people = pd.DataFrame({"year_group": [11, 13], "leavers": [10, 4]})
    out = tr.handover_funnel(handovers, people).set_index(["year_group", "handed_to"])
    y11 = out.loc[(11, "ncs")]
    assert [y11[c] for c in ("leavers", "handovers", "referred", "contacted", "engaged",
                             "lost")] == [10, 3, 2, 2, 1, 1]
    assert y11["not_referred"] == 1
    assert y11["pct_referred_of_handovers"] == pytest.approx(200 / 3)
    assert y11["pct_referred_of_leavers"] == 20  # 2 of 10 leavers
    assert y11["pct_contacted_of_referred"] == 100
    assert y11["pct_engaged_of_referred"] == 50 and y11["pct_lost_of_referred"] == 50
    y13 = out.loc[(13, "ncs")]
    assert [y13[c] for c in ("leavers", "handovers", "referred", "contacted")] == [4, 3, 1, 0]
    # the one referral is still open: 0 % engaged of referred, 100 % still open
    assert y13["pct_engaged_of_referred"] == 0 and y13["pct_open_of_referred"] == 100
    # no LA-tracking hand-overs: a row of zeros, the percentages over them missing
    assert out.loc[(11, "la_tracking"), "handovers"] == 0
    assert math.isnan(out.loc[(11, "la_tracking"), "pct_contacted_of_referred"])


def test_referral_lag(handovers):
    out = tr.referral_lag(handovers).set_index("year_group")
    # Year 11 lags 10 and 60: median 35, 90th percentile 10 + 0.9 × 50 = 55
    assert out.loc[11, "referred"] == 2
    assert out.loc[11, "median_days"] == 35 and out.loc[11, "p90_days"] == 55
    assert out.loc[13, "median_days"] == 20 and out.loc[13, "p90_days"] == 20


def test_overdue(handovers):
    out = tr.overdue_handovers(handovers, as_of=pd.Timestamp("2025-08-31"), days=30)
    out = out.set_index("year_group")
    assert out.loc[11, "open"] == 1 and out.loc[11, "overdue"] == 1
    assert out.loc[11, "max_days_waiting"] == 42
    assert out.loc[13, "open"] == 2 and out.loc[13, "overdue"] == 1
    assert out.loc[13, "median_days_waiting"] == 62
    # a longer allowance: nothing overdue in Year 11 (42 days ≤ 45)
    later = tr.overdue_handovers(handovers, as_of=pd.Timestamp("2025-08-31"), days=45)
    assert later.set_index("year_group").loc[11, "overdue"] == 0
    listed = tr.overdue_list(handovers, as_of=pd.Timestamp("2025-08-31"), days=30)
    assert listed["days_waiting"].tolist() == [62, 42]


def test_weighted_rows_give_the_same_numbers(handovers):
    # The aggregate read carries a count per row and a contacted flag instead of the date.
    doubled = pd.concat([handovers, handovers], ignore_index=True)
    weighted = handovers.assign(handovers=2, contacted=handovers["contacted_on"].notna()).drop(
        columns="contacted_on"
    )
    as_of = pd.Timestamp("2025-08-31")
    pd.testing.assert_frame_equal(tr.handover_funnel(doubled), tr.handover_funnel(weighted))
    pd.testing.assert_frame_equal(tr.referral_lag(doubled), tr.referral_lag(weighted))
    pd.testing.assert_frame_equal(
        tr.overdue_handovers(doubled, as_of), tr.overdue_handovers(weighted, as_of)
    )
    funnel = tr.handover_funnel(weighted).set_index(["year_group", "handed_to"])
    assert funnel.loc[(11, "ncs"), "handovers"] == 6
