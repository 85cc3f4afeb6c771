"""The priority index shows a school's Year 11 NEET + not-known rate (``neet_measure_pct``,
``neet_risk``) beside nothing, but the transitions report publishes the same school's base, so
rate × base would give back a count the report hides. The index keeps a rate only where it
may be published; other schools get the hub mean (``imputed``)."""

from __future__ import annotations

import pandas as pd
import pytest

from hubcore.metrics import report


def _counts(schools: dict[int, tuple[int, int]]) -> pd.DataFrame:
    """Status counts for cohort 2025, Year 11, the same at Dec, Jan and Feb: per school
    (leavers, NEET)."""
    rows = []
    for urn, (leavers, neet) in schools.items():
        for point in ("dec", "jan", "feb"):
            rows.append((urn, point, "education", leavers - neet))
            rows.append((urn, point, "neet_active", neet))
    frame = pd.DataFrame(
        [{"urn": u, "cohort": 2025, "year_group": 11, "years_after": 1, "point": p,
          "measurement": p, "category": c, "leavers": n} for u, p, c, n in rows]
    )
    return frame[frame["leavers"] > 0]


def test_rates_resting_on_small_counts_are_left_out():
    counts = _counts({
        1: (60, 2),   # 2 NEET of 60: 3.3 % × 60 gives 2 back → left out
        2: (10, 7),   # 7 of 10: the other 3 follow from 70 % × 10 → left out
        3: (60, 6),   # 6 of 60 = 10 %: both parts ≥ 6 → kept
        4: (40, 0),   # 0 of 40 = 0 %: a true zero → kept
    })  # fmt: skip
    out = report.priority_neet(counts, 1).set_index("urn")
    assert sorted(out.index) == [3, 4]
    assert out.loc[3, "neet_nk_pct"] == pytest.approx(10.0)
    assert out.loc[4, "neet_nk_pct"] == pytest.approx(0.0)


def test_rates_the_report_hides_are_left_out():
    counts = _counts({3: (60, 6), 4: (40, 0)})
    # The protected report hides school 3's rate (say, as a complement elsewhere) and shows 4's.
    published = pd.DataFrame({
        "section": ["neet_school", "neet_school", "funnel_school"],
        "urn": [3, 4, 3], "cohort": [2025, 2025, 2025], "year_group": [11, 11, 11],
        "neet_nk_pct": ["c", 0.0, None],
    })  # fmt: skip
    out = report.priority_neet(counts, 1, published)
    assert out["urn"].tolist() == [4]


def test_priority_report_never_shows_a_rate_the_transitions_report_hides(demo_engine):
    from hubcore.access import Scope

    scope = Scope(hub_id="DEMO")
    transitions = report.export_table(demo_engine, "transitions", scope)
    priority = report.export_table(demo_engine, "priority", scope)
    shown = priority[pd.to_numeric(priority["neet_measure_pct"], errors="coerce").notna()]
    rows = transitions[transitions["section"].eq("neet_school")
                       & transitions["year_group"].astype("Int64").eq(11)]
    rows = rows.assign(pct=pd.to_numeric(rows["neet_nk_pct"], errors="coerce"))
    assert len(shown), "the demo should have schools with a published rate"
    for urn, pct in zip(shown["urn"], pd.to_numeric(shown["neet_measure_pct"]), strict=True):
        mine = rows[rows["urn"].astype("int64").eq(int(urn))]
        # The same value, published, in the report's row for the cohort the index used.
        assert (mine["pct"].round(1) == round(float(pct), 1)).any(), urn
