"""Benchmark definitions by kind of institution and framework, the priority index's NEET
component (Year 11 only), the like-for-like national comparison, and the edge cases: a school
with no pupils, a hub with no encounters. Small hand-built data; every expected value is worked
out in a comment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from hubcore import benchmarks as hb
from hubcore.metrics import benchmarks as bm
from hubcore.metrics import coverage as cov
from hubcore.metrics import employers as emp
from hubcore.metrics import priority as prio
from hubcore.metrics import report

OLD, NEW = "2024/25", "2025/26"  # 2014 framework, then the 2024 framework (from Sept 2025)


# --- thresholds as data -----------------------------------------------------------------------


def test_thresholds_by_kind_of_institution_with_source():
    # BM5: schools and special schools one encounter a year, colleges two (DOMAIN.md §1.2).
    assert hb.threshold(5, "mainstream_11_18", NEW).per_young_person == 1
    assert hb.threshold(5, "special", NEW).per_young_person == 1
    assert hb.threshold(5, "fe_college", NEW).per_young_person == 2
    assert hb.threshold(5, "sixth_form_college", OLD).per_young_person == 2
    # BM6 by 16 in schools: one experience under 2014, "multiple" (two) under 2024.
    assert hb.threshold(6, "mainstream_11_16", OLD).per_young_person == 1
    assert hb.threshold(6, "mainstream_11_16", NEW).per_young_person == 2
    assert hb.threshold(6, "fe_college", NEW).stage == "end_of_programme"
    assert hb.threshold(8, "fe_college", NEW).stage == "end_of_programme"
    assert hb.threshold(8, "special", NEW).stage == "by_16"
    assert hb.framework_for_year("2024/25") == "2014" and hb.framework_for_year("2025/26") == "2024"
    # every benchmark × institution × framework has a rule and a public source
    for b in (5, 6, 8):
        for inst in hb.INSTITUTIONS:
            for fw in ("2014", "2024"):
                rule = hb.THRESHOLDS[(b, inst, fw)]
                assert rule.source.startswith("http") and rule.text


# --- coverage by kind --------------------------------------------------------------------------


@pytest.fixture
def schools() -> pd.DataFrame:
    """Every year group has 100 pupils: 500/5, 300/3 (FE: 12–14), 200/2, 800/8 (special 7–14),
    700/7; Z has no pupils at all."""
    return pd.DataFrame(
        {
            "urn": [1, 2, 3, 4, 5, 6],
            "name": ["A", "FE", "SFC", "SP", "B", "Z"],
            "kind": ["mainstream_11_16", "fe_college", "sixth_form_college", "special",
                     "mainstream_11_18", "mainstream_11_16"],
            "pupils": [500, 300, 200, 800, 700, 0],
        }
    )  # fmt: skip


def _enc(urn, kind, bm_, year, y0, y1, n, date="2025-11-01"):
    return {
        "urn": urn, "kind": kind, "benchmark": bm_, "date": pd.Timestamp(date),
        "academic_year": year, "year_from": y0, "year_to": y1, "participants": n,
        "provider_access": False,
    }  # fmt: skip


@pytest.fixture
def encounters() -> pd.DataFrame:
    rows = [
        # BM5, 2025/26. A: 500 over Years 7–11 → 1.0 per pupil in each: meets (needs 1).
        _enc(1, "talk", 5, NEW, 7, 11, 500),
        # FE college: 450 over Years 12–14 → 150 each → 1.5 per learner: FAILS (needs 2),
        # although 1.5 ≥ 1 passed the old one-size rule.
        _enc(2, "talk", 5, NEW, 12, 14, 450),
        # Sixth-form college: 400 over Years 12–13 → 2.0 each: meets the college bar of 2.
        _enc(3, "mentoring", 5, NEW, 12, 13, 400),
        # Special school: 800 over Years 7–14 → 1.0 each: meets (school bar).
        _enc(4, "talk", 5, NEW, 7, 14, 800),
        # BM6. B (11–18): 150 Year 11 workplace places in 2024/25 and again in 2025/26.
        _enc(5, "work_experience", 6, OLD, 11, 11, 150, "2025-06-01"),
        _enc(5, "work_experience", 6, NEW, 11, 11, 150, "2026-06-01"),
        # SFC: 60 Year 12 places last year + 50 Year 13 places now = 110 ≥ 1 × 100 (end of
        # programme): meets.
        _enc(3, "work_experience", 6, OLD, 12, 12, 60, "2025-06-01"),
        _enc(3, "work_experience", 6, NEW, 13, 13, 50, "2026-03-01"),
        # BM8. SFC: 40 Year 12 meetings last year + 70 Year 13 now = 110 of 100 → 100 %, meets.
        _enc(3, "guidance_meeting", 8, OLD, 12, 12, 40, "2025-03-01"),
        _enc(3, "guidance_meeting", 8, NEW, 13, 13, 70),
        # FE college: 30 Year 13 meetings of 100: 30 %, not met.
        _enc(2, "guidance_meeting", 8, NEW, 13, 13, 30),
    ]
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", range(1, len(frame) + 1))
    return frame


def test_bm5_thresholds_follow_the_kind_of_institution(encounters, schools):
    school = cov.bm5_school(cov.bm5_by_year_group(encounters, schools, NEW)).set_index("urn")
    assert school["bm5_required"].to_dict() == {1: 1, 2: 2, 3: 2, 4: 1, 5: 1, 6: 1}
    assert school.loc[2, "bm5_min_per_pupil"] == 1.5
    met = school["meets_bm5"].to_dict()
    assert met[1] and not met[2] and met[3] and met[4]
    # FE: 0 of 3 year groups at 2 per learner
    assert school.loc[2, "bm5_pct_year_groups_met"] == 0
    # Z (no pupils): no year group has a size, so nothing is measured (not 0 %) and not met
    assert math.isnan(school.loc[6, "bm5_pct_year_groups_met"])
    assert not school.loc[6, "meets_bm5"]
    # the same rows through school_coverage and the cold-spot measure (100 % of year groups)
    table = cov.school_coverage(encounters, schools, NEW).set_index("urn")
    measure, bar = report.COVERAGE_MEASURES[5]
    assert (table[measure] >= bar).to_dict() == {1: True, 2: False, 3: True, 4: True, 5: False,
                                                 6: False}  # fmt: skip


def test_bm6_and_bm8_by_framework_and_kind(encounters, schools):
    old = cov.school_coverage(encounters, schools, OLD).set_index("urn")
    new = cov.school_coverage(encounters, schools, NEW).set_index("urn")
    # B: 150 places for a Year 11 of 100. 2014 framework: one each (100) → met.
    # 2024 framework: two each (200) → not met, though the capped reach is 100 % both years.
    assert old.loc[5, "bm6_required"] == 1 and old.loc[5, "meets_bm6"]
    assert new.loc[5, "bm6_required"] == 2 and not new.loc[5, "meets_bm6"]
    assert new.loc[5, "bm6_by16_pct"] == 100
    # SFC: measured at the end of the programme (110 places ≥ 100), not "no Year 11".
    assert new.loc[3, "bm6_stage"] == "end_of_programme" and new.loc[3, "meets_bm6"]
    assert math.isnan(new.loc[3, "bm6_by16_pct"])
    # BM8: SFC 40 + 70 = 110 meetings for 100 → 100 % (capped), met; FE 30 of 100 → 30 %.
    assert new.loc[3, "bm8_by18_meetings"] == 110 and new.loc[3, "bm8_by18_pct"] == 100
    assert new.loc[3, "meets_bm8"] and new.loc[3, "bm8_measurable"]
    assert new.loc[2, "bm8_by18_pct"] == 30 and not new.loc[2, "meets_bm8"]
    # A: an 11–16 school is judged by 16; no BM8 meetings → 0 %, not met, but measurable.
    assert new.loc[1, "bm8_stage"] == "by_16" and not new.loc[1, "meets_bm8"]
    # Gap shares by kind: colleges are no longer left out of BM8 (FE 0 of 1, SFC 1 of 1).
    gaps = cov.coverage_gaps(new, schools, None, by="kind").set_index("group")
    assert gaps.loc["sixth_form_college", "pct_meeting_bm8"] == 100
    assert gaps.loc["fe_college", "pct_meeting_bm8"] == 0
    scores = cov.measure_scores(new.reset_index()).set_index("urn")
    assert scores.loc[3, "bm6_met_score"] == 1 and scores.loc[5, "bm6_met_score"] == 0
    # Z has no pupils: BM6 cannot be measured, so no score (NaN), not a fail
    assert math.isnan(scores.loc[6, "bm6_met_score"])


def test_school_with_no_pupils_has_no_negative_zero(encounters, schools):
    coverage = cov.school_coverage(encounters, schools, NEW)
    year_groups = cov.bm5_by_year_group(encounters, schools, NEW)
    for benchmark in (5, 6):
        out = emp.shortfalls(coverage, benchmark, year_groups).set_index("urn")
        values = out["shortfall"].to_numpy(dtype=float)
        assert not np.signbit(values[~np.isnan(values)]).any(), f"-0.0 in BM{benchmark}"
        # Z (0 pupils): no size, so no shortfall and left out of targets
        assert math.isnan(out.loc[6, "shortfall"])
    bm5 = emp.shortfalls(coverage, 5, year_groups).set_index("urn")
    # A meets: 0. FE: each of 3 year groups needs 2 × 100 − 150 = 50 more → 150.
    assert bm5.loc[1, "shortfall"] == 0 and bm5.loc[2, "shortfall"] == 150
    bm6 = emp.shortfalls(coverage, 6, year_groups).set_index("urn")
    # B under the 2024 framework: 2 × 100 − 150 = 50 placements more.
    assert bm6.loc[5, "shortfall"] == 50
    assert "-0" not in report.to_csv(bm5.reset_index())


# --- priority: Year 11 only ---------------------------------------------------------------------


@pytest.fixture
def rates() -> pd.DataFrame:
    """neet_rates per urn, cohort and year group (one year after leaving)."""
    rows = [
        # School 1, cohort 2025: Year 11 5 of 100 = 5 %; Year 13 20 of 50 = 40 %.
        # Pooled, as before, it would be 25 / 150 = 16.67 %.
        (1, 2025, 11, 100, 5.0),
        (1, 2025, 13, 50, 40.0),
        # an older Year 11 cohort is not the measurement point: ignored
        (1, 2024, 11, 100, 50.0),
        # School 2, a college: Year 13 only → no NEET component (imputed)
        (2, 2025, 13, 80, 10.0),
        # School 3: Year 11 15 % of 40
        (3, 2025, 11, 40, 15.0),
        # School 4: Year 11 base 4, under the disclosure threshold → left out (imputed)
        (4, 2025, 11, 4, 50.0),
    ]
    return pd.DataFrame(rows, columns=["urn", "cohort", "year_group", "denominator", "neet_nk_pct"])


def test_year11_neet_never_pools_year_13(rates):
    y11 = prio.year11_neet(rates, min_base=6).set_index("urn")
    assert y11["neet_nk_pct"].to_dict() == {1: 5.0, 3: 15.0}
    assert set(y11["cohort"]) == {2025}


def test_priority_index_uses_year11_rate(rates):
    schools = pd.DataFrame(
        {"urn": [1, 2, 3, 4], "name": list("abcd"), "kind": ["mainstream_11_18", "fe_college",
         "mainstream_11_16", "ap"], "imd_decile": [10, 10, 10, 10]}
    )  # fmt: skip
    latest = pd.DataFrame({"urn": [1, 2, 3, 4], "achieved": [8, 8, 8, 8], "framework": "2014"})
    out = prio.priority_index(schools, latest, prio.year11_neet(rates, 6)).set_index("urn")
    # deprivation 0 and benchmark gap 0 for all, so the index is 100 × neet_risk / 3.
    # School 1: 5 / 20 = 0.25 (pooled 16.67 / 20 = 0.833 would have ranked it first).
    assert out.loc[1, "neet_risk"] == pytest.approx(0.25)
    assert out.loc[3, "neet_risk"] == pytest.approx(0.75)  # 15 / 20
    # 2 and 4 get the mean of 1 and 3: (0.25 + 0.75) / 2 = 0.5, named in imputed
    assert out.loc[2, "neet_risk"] == pytest.approx(0.5) and out.loc[2, "imputed"] == "neet_risk"
    assert out.loc[4, "neet_risk"] == pytest.approx(0.5)
    assert out.loc[1, "priority_index"] == pytest.approx(100 * 0.25 / 3)
    assert out.loc[3, "rank"] == 1 and out.loc[1, "rank"] == 4
    with pytest.raises(ValueError, match="one row per school"):
        prio.priority_index(schools, latest, rates[rates["cohort"].eq(2025)])


def test_priority_neet_from_status_counts():
    # One school. Cohort 2025, measured at the ends of Dec, Jan and Feb: Year 11 has 60
    # leavers at each point; NEET 3, 3, 6 and no record 3, 3, 0 (no record counts as not
    # known). Averages: NEET 4, not known 2 → (4 + 2) / 60 = 10 % (a count of 6: publishable).
    # Year 13 that cohort: 10 leavers, 5 NEET at each point (50 %): never pooled in
    # (pooled: (6 + 5) / 70 = 15.7 %).
    # Cohort 2026 has only a snapshot at the end of December (point "dec" too) with nobody
    # recorded yet (100 % not known): not the measurement point while a complete Dec–Feb
    # cohort exists.
    rows = []
    for point, neet, none in (("dec", 3, 3), ("jan", 3, 3), ("feb", 6, 0)):
        rows += [
            (2025, 11, point, "education", 60 - neet - none),
            (2025, 11, point, "neet_active", neet),
            (2025, 11, point, "no_record", none),
            (2025, 13, point, "education", 5),
            (2025, 13, point, "neet_inactive", 5),
        ]
    rows.append((2026, 11, "dec", "no_record", 60))
    counts = pd.DataFrame(
        [
            {
                "urn": 7,
                "cohort": c,
                "year_group": y,
                "years_after": 1,
                "point": p,
                "measurement": p,
                "category": cat,
                "leavers": n,
            }
            for c, y, p, cat, n in rows
        ]  # fmt: skip
    )
    counts = counts[counts["leavers"] > 0]
    out = report.priority_neet(counts, 1)
    assert out["urn"].tolist() == [7] and out["cohort"].tolist() == [2025]
    assert out["neet_nk_pct"].iloc[0] == pytest.approx(10.0)


# --- national comparison ------------------------------------------------------------------------


def _assessment(aid, urn, year, framework, achieved):
    scores = [100.0] * achieved + [50.0] * (8 - achieved)
    row = {"assessment_id": aid, "urn": urn, "assessed_on": pd.Timestamp(f"{year[:4]}-12-31"),
           "academic_year": year, "framework": framework, "achieved": achieved}  # fmt: skip
    row.update({f"bm{i + 1}": s for i, s in enumerate(scores)})
    return row


@pytest.fixture
def assessments() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # P: 6 in 2024/25 (2014), then 3 in 2025/26 (2024, no national figure yet)
            _assessment(1, 11, "2024/25", "2014", 6),
            _assessment(2, 11, "2025/26", "2024", 3),
            # Q: 7 in 2024/25 (2014), then 8 in 2025/26 (2024)
            _assessment(3, 12, "2024/25", "2014", 7),
            _assessment(4, 12, "2025/26", "2024", 8),
            # R: 2 in 2017/18 (national 2.13), then 5 in 2018/19 (no national figure stored)
            _assessment(5, 13, "2017/18", "2014", 2),
            _assessment(6, 13, "2018/19", "2014", 5),
            # S: only a 2024-framework assessment: nothing to compare like for like
            _assessment(7, 14, "2025/26", "2024", 4),
        ]
    )


def test_national_comparison_at_latest_assessment_with_figures(assessments):
    out = bm.school_benchmarks(assessments).set_index("urn")
    # P: compared at 2024/25 under 2014: 6 − 5.96 = 0.04, framework and year named
    assert out.loc[11, "national_framework"] == "2014"
    assert out.loc[11, "national_academic_year"] == "2024/25"
    assert out.loc[11, "vs_national"] == pytest.approx(6 - 5.96)
    assert "2014-framework assessment of 2024/25" in out.loc[11, "national_note"]
    # R: 2018/19 has no national figure → its 2017/18 one: 2 − 2.13 = −0.13
    assert out.loc[13, "vs_national"] == pytest.approx(2 - 2.13)
    # S: none
    assert math.isnan(out.loc[14, "vs_national"])
    assert out.loc[14, "national_note"] == bm.NOTE_NO_COMPARISON
    hub = bm.national_rollup(assessments).set_index(["framework", "academic_year"])
    # hub in 2024/25: P 6 and Q 7 → mean 6.5; 6.5 − 5.96 = 0.54
    assert hub.loc[("2014", "2024/25"), "schools"] == 2
    assert hub.loc[("2014", "2024/25"), "mean_achieved"] == pytest.approx(6.5)
    assert hub.loc[("2014", "2024/25"), "vs_national"] == pytest.approx(6.5 - 5.96)
    assert ("2024", "2025/26") not in hub.index  # no national figure under 2024 yet


# --- briefing and report on the database --------------------------------------------------------


@pytest.fixture
def no_encounter_hub(engine):
    """The demo hub with every encounter removed (and its summary rebuilt)."""
    from hubcore import demo, rollups

    demo.build(engine, size="hub", seed=demo.DEFAULT_SEED, progress=False)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM encounter"))
        rollups.refresh(conn, names=["encounters"])
    return engine


def test_hub_with_no_encounters_still_gets_a_briefing(no_encounter_hub):
    import datetime as dt

    from hubcore.access import Scope
    from hubcore.briefing import content

    scope = Scope.admin(hub_id="DEMO")
    b = content.gather(no_encounter_hub, scope, dt.date(2026, 11, 1))
    assert cov.NOTE_NO_ENCOUNTERS in b.coverage_gaps.note.lower()
    assert b.coverage_gaps.rows == ()
    assert cov.NOTE_NO_ENCOUNTERS in b.coldspots.note.lower()
    key = dict(b.key_figures.rows)
    assert any(v == cov.NOTE_NO_ENCOUNTERS for v in key.values())
    # the other sections are built as usual
    assert len(b.benchmarks.rows) > 8 and len(b.priority.rows) > 0
    table = report.export_table(no_encounter_hub, "coverage", scope)
    assert len(table) == 36 and (table["note"] == cov.NOTE_NO_ENCOUNTERS).all()


def test_report_coverage_cli_with_no_encounters(no_encounter_hub, tmp_path):
    import argparse

    from hubcore.metrics import cli

    parser = argparse.ArgumentParser(prog="hubcore")
    cli.register(parser.add_subparsers(dest="command"))
    out = tmp_path / "coverage.csv"
    url = no_encounter_hub.url.render_as_string(hide_password=False)
    args = parser.parse_args(["report", "coverage", "--db", url, "--out", str(out)])
    assert args.func(args) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    # a header and one explained row per school of the demo hub (36)
    assert len(lines) == 37 and all(cov.NOTE_NO_ENCOUNTERS in line for line in lines[1:])


def test_briefing_compares_with_england_after_the_framework_change(demo_engine):
    import datetime as dt

    from hubcore.access import Scope
    from hubcore.briefing import content

    # Independent recomputation from the raw table: each demo school's latest 2014-framework
    # assessment in a year with a national figure, mean achieved.
    with demo_engine.connect() as conn:
        raw = pd.read_sql(
            text(
                "SELECT a.urn, a.assessed_on, a.academic_year, a.framework, "
                "SUM(CASE WHEN s.percent >= 100 THEN 1 ELSE 0 END) AS achieved "
                "FROM benchmark_assessment a JOIN benchmark_score s ON s.assessment_id = a.id "
                "GROUP BY a.id, a.urn, a.assessed_on, a.academic_year, a.framework"
            ),
            conn,
        )
    raw = raw[raw["framework"].astype(str).eq("2014")]
    raw = raw[raw["academic_year"].isin(list(hb.NATIONAL_MEAN_ACHIEVED))]
    last = raw.sort_values(["urn", "assessed_on"]).groupby("urn").tail(1)
    year = last["academic_year"].max()
    expected = last[last["academic_year"].eq(year)]["achieved"].mean()
    b = content.gather(demo_engine, Scope.admin(hub_id="DEMO"), dt.date(2026, 11, 1))
    header = f"2014 framework, {year} (latest with national figures)"
    cols = list(b.benchmarks.columns)
    if header not in cols:  # the latest assessments are themselves 2014-framework
        header = f"2014 framework, {year}"
    j = cols.index(header)
    rows = {r[0]: r for r in b.benchmarks.rows}
    assert rows["National mean achieved (0-8)"][j] == f"{hb.NATIONAL_MEAN_ACHIEVED[year]:.1f}"
    assert rows["Mean benchmarks achieved (0-8)"][j] == f"{expected:.1f}"
    assert (
        rows["Difference from national"][j] == f"{expected - hb.NATIONAL_MEAN_ACHIEVED[year]:.1f}"
    )
    # no column shows "–" for the national mean: unpublished frameworks say so
    assert all(v != content.MISSING for v in rows["National mean achieved (0-8)"][1:])
