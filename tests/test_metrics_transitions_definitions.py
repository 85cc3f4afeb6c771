"""Transitions definitions (issue 12, part 3) on a small, awkward, hand-built hub.

One school (URN 108055) with Year 11 and Year 13 leavers of summer 2024. Every expected value is
worked out by hand in the comments; the data hold the shapes that the old definitions got wrong:
a leaver with two destination records in the year, leavers with no record (or only one after
the measurement dates), a leaver in custody, an "intended" record that must be ignored, a hand-over
lost before anyone contacted the young person, one young person handed over to both the NCS and
LA tracking, and Year 11 and Year 13 leavers in one school.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from hubcore import codes, rollups, store
from hubcore.access import Role, Scope
from hubcore.ingest import import_file
from hubcore.metrics import report
from hubcore.metrics import transitions as tr
from hubcore.models import (
    DestinationRecord,
    Handover,
    Hub,
    HubMembership,
    Leaver,
    SchoolDestinationMeasure,
)
from tests.ingest_corpus import TODAY, seed_schools, write_csv

URN = 108055
#: After the end of February 2025 and of March 2025: the Dec–Feb average and the sustained
#: window (October 2024 – March 2025) are both complete.
AS_OF = dt.date(2025, 6, 30)


def _key(name: str) -> str:
    return f"{name:a<20}"  # 20 characters: the key_length check wants at least 16


# Year 11 leavers L1–L7, Year 13 leavers M1–M6, all cohort 2024.
Y11 = ["L1", "L2", "L3", "L4", "L5", "L6", "L7"]
Y13 = ["M1", "M2", "M3", "M4", "M5", "M6"]

# (leaver, recorded on, NCCIS code, kind)
RECORDS = [
    ("L1", "2024-11-05", 230, "actual"),  # education ...
    ("L1", "2025-01-10", 619, "actual"),  # ... then NEET (seeking): two records in the year
    ("L2", "2024-11-05", 810, "actual"),  # not known ...
    ("L2", "2025-02-10", 230, "actual"),  # ... then education
    # L3: no record at all
    ("L4", "2024-10-01", 710, "actual"),  # custody: out of the NEET denominator
    ("L5", "2024-10-01", 230, "actual"),  # education
    ("L6", "2024-09-20", 230, "actual"),  # education ...
    ("L6", "2024-12-01", 619, "intended"),  # ... an intended NEET record: not an activity
    ("L7", "2025-03-15", 619, "actual"),  # NEET, but only after the end of February
    ("M1", "2024-10-15", 330, "actual"),  # employment
    ("M2", "2024-12-01", 640, "actual"),  # NEET (inactive, illness)
    ("M3", "2024-10-02", 230, "actual"),  # education
    ("M4", "2024-10-02", 230, "actual"),
    ("M5", "2024-10-02", 230, "actual"),
    ("M6", "2024-10-02", 310, "actual"),  # apprenticeship ...
    ("M6", "2025-01-05", 230, "actual"),  # ... then education: sustained, a mix of the two
]

# (id, leaver, to, referred, contacted, status)
HANDOVERS = [
    (1, "L1", "ncs", "2024-08-01", "2024-08-05", "engaged"),
    (2, "L2", "ncs", "2024-08-10", None, "lost"),  # lost before anyone made contact
    (3, "L3", "la_tracking", "2024-08-02", "2024-08-09", "lost"),
    (4, "L7", "la_tracking", "2024-08-15", None, "referred"),  # still open
    (5, "L5", "la_tracking", None, None, "pending"),  # not referred
    (6, "L1", "la_tracking", "2024-08-03", "2024-08-04", "closed"),  # L1 handed to both
    (7, "M2", "ncs", "2024-09-01", "2024-09-10", "contacted"),  # Year 13: still open
]


@pytest.fixture
def small_hub(engine):
    seed_schools(engine)
    leavers = [
        {"key": _key(k), "urn": URN, "cohort": 2024, "year_group": 11,
         "left_on": dt.date(2024, 7, 19)} for k in Y11
    ] + [
        {"key": _key(k), "urn": URN, "cohort": 2024, "year_group": 13,
         "left_on": dt.date(2024, 7, 12)} for k in Y13
    ]  # fmt: skip
    records = [
        {"leaver_key": _key(k), "recorded_on": dt.date.fromisoformat(on), "kind": kind,
         "nccis_code": code, "category": codes.NCCIS_CATEGORY[code]}
        for k, on, code, kind in RECORDS
    ]  # fmt: skip
    left = {k: (dt.date(2024, 7, 19) if k.startswith("L") else dt.date(2024, 7, 12))
            for k in Y11 + Y13}  # fmt: skip
    hand = [
        {"id": i, "leaver_key": _key(k), "from_urn": URN, "to_org_type": to,
         "ncs_area": "E08000035", "reason": "neet", "left_on": left[k],
         "referred_on": dt.date.fromisoformat(ref) if ref else None,
         "contacted_on": dt.date.fromisoformat(con) if con else None, "status": status}
        for i, k, to, ref, con, status in HANDOVERS
    ]  # fmt: skip
    measures = [
        # KS4 measure of 2023/24 leavers (time_period 202324 = cohort 2024): beside Year 11.
        {"time_period": 202324, "urn": URN, "stage": "ks4", "breakdown": "Total",
         "cohort": 150, "overall": 91.0, "education": 85.0, "apprenticeship": 3.0,
         "employment": 3.0, "not_sustained": 7.0, "unknown": 2.0},
        # A 16–18 measure of another cohort (2022/23 leavers): nothing beside Year 13 of 2024.
        {"time_period": 202223, "urn": URN, "stage": "16-18", "breakdown": "Total",
         "cohort": 90, "overall": 80.0, "education": None, "apprenticeship": None,
         "employment": None, "not_sustained": None, "unknown": None},
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(Hub.__table__.insert(), [{"id": "SMALL", "name": "Small hub"}])
        conn.execute(HubMembership.__table__.insert(),
                     [{"hub_id": "SMALL", "urn": URN, "start_date": dt.date(2020, 9, 1)}])
        conn.execute(Leaver.__table__.insert(), leavers)
        conn.execute(DestinationRecord.__table__.insert(), records)
        conn.execute(Handover.__table__.insert(), hand)
        conn.execute(SchoolDestinationMeasure.__table__.insert(), measures)
        rollups.refresh(conn)
    return engine


# --- NEET and not known per young person ---------------------------------------------------


def test_neet_per_young_person_dec_feb_average(small_hub):
    status = store.neet_status_counts(small_hub, Scope.admin(), 1, AS_OF)
    # every leaver once per point: 13 leavers × 3 points
    assert status.groupby("point")["leavers"].sum().to_dict() == {"dec": 13, "jan": 13, "feb": 13}
    rates = tr.neet_rates(status, ("urn", "cohort", "year_group")).set_index("year_group")
    y11 = rates.loc[11]
    # Year 11, the record current at each point (custody L4 out of the base, 7 − 1 = 6):
    #   31 Dec: L1 edu, L2 NK, L3 none, L5 edu, L6 edu, L7 none → NEET 0, NK 3 (2 no record)
    #   31 Jan: L1 NEET (its second record), L2 NK, L3 none, L7 none → NEET 1, NK 3
    #   28 Feb: L1 NEET, L2 edu (second record), L3 none, L7 none → NEET 1, NK 2
    # (L7's NEET record of 15 March is after every point; L6's intended record is ignored.)
    # averages: base 6, NEET 2/3, NK 8/3, no record 2; custody 1, cohort 7
    assert y11["cohort_leavers"] == 7 and y11["custody"] == 1 and y11["denominator"] == 6
    assert y11["neet"] == pytest.approx(2 / 3) and y11["not_known"] == pytest.approx(8 / 3)
    assert y11["no_record"] == 2
    # NEET (2/3) / 6 = 11.11 %; NK (8/3) / 6 = 44.44 %; both (10/3) / 6 = 55.56 %
    assert y11["neet_pct"] == pytest.approx(100 / 9)
    assert y11["not_known_pct"] == pytest.approx(400 / 9)
    assert y11["neet_nk_pct"] == pytest.approx(500 / 9)
    assert y11["measurement"].startswith("Dec-Feb average (2024-12-31, 2025-01-31, 2025-02-28)")
    # Year 13: M2 NEET at every point, nobody unknown: 1 / 6 = 16.67 %
    y13 = rates.loc[13]
    assert (y13["denominator"], y13["neet"], y13["not_known"]) == (6, 1, 0)
    assert y13["neet_pct"] == pytest.approx(100 / 6)


def test_old_record_counting_would_differ(small_hub):
    # The record-based read counts L1 and L2 twice and drops L3 (no record): the old definition.
    # Year 11 records in year 1: L1 ×2, L2 ×2, L4 custody, L5, L6, L7 → base 7 (not 6), NEET 2.
    old = tr.neet_rates(store.destination_counts(small_hub, Scope.admin()), ("year_group",))
    assert old.set_index("year_group").loc[11, "denominator"] == 7
    new = tr.neet_rates(store.neet_status_counts(small_hub, Scope.admin(), 1, AS_OF),
                        ("year_group",))
    assert new.set_index("year_group").loc[11, "denominator"] == 6


def test_snapshot_before_february_is_named(small_hub):
    # On 15 January 2025 the Dec–Feb average is not complete: a snapshot at the latest month
    # end passed, 31 December 2024. L1's NEET record (10 January) is not current yet:
    # L1 edu, L2 NK, L3 none, L7 none → NEET 0, NK 3, base 6 (custody L4 out).
    status = store.neet_status_counts(small_hub, Scope.admin(), 1, dt.date(2025, 1, 15))
    rates = tr.neet_rates(status, ("year_group",)).set_index("year_group")
    assert rates.loc[11, "measurement"].startswith("snapshot at the end of December 2024")
    assert (rates.loc[11, "neet"], rates.loc[11, "not_known"]) == (0, 3)
    # Before the end of October, a snapshot on the day itself, counted live: on 15 October
    # only L4 (custody, 1 Oct), L5 (edu, 1 Oct) and L6 (edu, 20 Sep) have a record:
    # NK = L1, L2, L3, L7 = 4 of a base of 6, all of them with no record.
    status = store.neet_status_counts(small_hub, Scope.admin(), 1, dt.date(2024, 10, 15))
    rates = tr.neet_rates(status, ("year_group",)).set_index("year_group")
    assert rates.loc[11, "measurement"].startswith("snapshot on 2024-10-15")
    assert (rates.loc[11, "denominator"], rates.loc[11, "not_known"]) == (6, 4)
    assert rates.loc[11, "no_record"] == 4
    # Before the autumn after leaving there is nothing to measure.
    early = store.neet_status_counts(small_hub, Scope.admin(), 1, dt.date(2024, 8, 1))
    assert early.empty


def test_stored_points_equal_the_live_count(small_hub):
    # The neet_points summary (month ends, whole-month arithmetic in SQL) and the live count
    # on the same date (latest record on or before it) agree, point by point.
    stored = store.neet_status_counts(small_hub, Scope.admin(), 1, AS_OF)
    for point, on in (("dec", dt.date(2024, 12, 31)), ("jan", dt.date(2025, 1, 31)),
                      ("feb", dt.date(2025, 2, 28))):  # fmt: skip
        live = pd.read_sql(store._status_on(Scope.admin(), 2024, on), small_hub)
        mine = stored[stored["point"].eq(point)][live.columns.tolist()]
        pd.testing.assert_frame_equal(
            mine.sort_values(["year_group", "category"], ignore_index=True),
            live.sort_values(["year_group", "category"], ignore_index=True),
            check_dtype=False,
        )


def test_measurement_points():
    label, points = tr.measurement_points(2024, 1, dt.date(2025, 3, 1))
    assert [d.isoformat() for _, d in points] == ["2024-12-31", "2025-01-31", "2025-02-28"]
    # a leap year's February ends on the 29th; two years after leaving moves a year on
    _, points = tr.measurement_points(2022, 2, dt.date(2024, 6, 1))
    assert points[-1][1] == dt.date(2024, 2, 29) and points[0][1] == dt.date(2023, 12, 31)
    # 27 February: the end of January is the latest month end passed
    label, points = tr.measurement_points(2024, 1, dt.date(2025, 2, 27))
    assert points == [("jan", dt.date(2025, 1, 31))] and label.startswith("snapshot")
    assert tr.measurement_points(2024, 1, dt.date(2024, 11, 30))[1] == [
        ("nov", dt.date(2024, 11, 30))
    ]


def test_aggregate_role_gets_counts_not_pupils(small_hub):
    analyst = Scope(Role.ANALYST, hub_id="SMALL")
    status = store.neet_status_counts(small_hub, analyst, 1, AS_OF)
    assert "leaver_key" not in status.columns and "key" not in status.columns
    assert status["leavers"].sum() == 39  # 13 leavers × 3 points, as counts only
    assert store.sustained_counts(small_hub, analyst, AS_OF)["leavers"].sum() == 13


def test_year_groups_compared_with_their_own_age(small_hub):
    status = store.neet_status_counts(small_hub, Scope.admin(), 1, AS_OF)
    rates = tr.neet_rates(status, ("cohort", "year_group"))
    out = tr.compare_neet(rates).set_index("year_group")
    # Year 11 leavers are 16: England 16–17 (NEET+NK 5.6): 500/9 − 5.6 = 49.956 → 50.0 pp
    assert out.loc[11, "academic_age"] == 16
    assert out.loc[11, "england_neet_nk_pct"] == 5.6
    assert out.loc[11, "vs_england_neet_nk"] == 50.0  # 49.956 to one decimal
    assert "16-17" in out.loc[11, "england_comparator"]
    # Year 13 leavers are 18: England 16–18 NEET 8.0 (2023), no not-known figure:
    # 100/6 − 8.0 = 8.667 → 8.7 pp; no NEET+NK comparator rather than the 16–17 one
    assert out.loc[13, "academic_age"] == 18
    assert out.loc[13, "england_neet_pct"] == 8.0
    assert out.loc[13, "vs_england_neet"] == 8.7  # 8.667 to one decimal
    assert math.isnan(out.loc[13, "england_neet_nk_pct"])
    assert "16-18" in out.loc[13, "england_comparator"]
    # pooled rows (no year group) get no comparator at all
    pooled = tr.compare_neet(tr.neet_rates(status, ("cohort",)))
    assert pooled["england_neet_pct"].isna().all()


def test_zero_denominators_and_no_negative_zero():
    # A group whose only leaver is in custody: no base, no rate, and the note says why.
    status = pd.DataFrame({"cohort": [2024], "year_group": [11], "years_after": [1],
                           "point": ["snapshot"], "measurement": ["snapshot on 2025-01-15"],
                           "category": ["custody"], "leavers": [1]})  # fmt: skip
    out = tr.neet_rates(status, ("year_group",)).iloc[0]
    assert out["denominator"] == 0 and math.isnan(out["neet_pct"])
    assert out["note"] == "no leavers outside custody"
    # rates just under the comparator (float noise; 5.56 − 5.6 = −0.04): a difference of +0.0
    # once rounded to the published decimal, never -0.0
    rates = pd.DataFrame({"year_group": [11, 11], "neet_pct": [3.4, 3.4],
                          "not_known_pct": [2.2, 2.2],
                          "neet_nk_pct": [5.6 - 1e-15, 5.56]})  # fmt: skip
    diffs = tr.compare_neet(rates)["vs_england_neet_nk"]
    assert (diffs == 0).all() and not np.signbit(diffs).any()
    assert f"{diffs.iloc[1]:.1f}" == "0.0"


# --- hand-over funnel -----------------------------------------------------------------------


def test_funnel_targets_apart_leavers_as_base(small_hub):
    hand = store.handover_dates(small_hub, Scope.admin())
    people = store.leaver_counts(small_hub, Scope.admin())
    out = tr.handover_funnel(hand, people, ("cohort", "year_group"))
    out = out.set_index(["year_group", "handed_to"])
    ncs, la = out.loc[(11, "ncs")], out.loc[(11, "la_tracking")]
    # "leavers" is the 7 Year 11 leavers, not the 6 hand-overs
    assert ncs["leavers"] == 7 and la["leavers"] == 7
    # NCS: H1 engaged, H2 lost before contact → 2 referred, 1 contacted
    assert [ncs[c] for c in ("handovers", "referred", "contacted", "engaged", "lost",
                             "lost_before_contact", "still_open")] == [2, 2, 1, 1, 1, 1, 0]
    assert ncs["pct_referred_of_leavers"] == pytest.approx(200 / 7)  # 2 / 7
    assert ncs["pct_contacted_of_referred"] == 50  # 1 / 2
    # engaged 1/2 + lost 1/2 = 100 % of referred (the old lost ÷ contacted gave 100 + 100)
    assert (ncs["pct_engaged_of_referred"], ncs["pct_lost_of_referred"]) == (50, 50)
    # LA tracking: H3 lost, H4 still open, H5 not referred, H6 closed → 4 hand-overs, 3 referred
    assert [la[c] for c in ("handovers", "referred", "not_referred", "contacted", "engaged",
                            "lost", "closed", "still_open")] == [4, 3, 1, 2, 0, 1, 1, 1]
    assert la["pct_referred_of_leavers"] == pytest.approx(300 / 7)  # 3 / 7
    assert la["pct_referred_of_handovers"] == 75  # 3 / 4
    assert la["pct_lost_of_referred"] == pytest.approx(100 / 3)  # 1 / 3
    assert la["handed_to_label"] == "LA tracking"
    # the outcomes split the referred stage: they add up to exactly 100 %
    split = ["pct_engaged_of_referred", "pct_lost_of_referred", "pct_closed_of_referred",
             "pct_open_of_referred"]  # fmt: skip
    sums = out[split].sum(axis=1, min_count=1).dropna()
    assert np.allclose(sums, 100)
    # Year 13: one NCS hand-over, contacted, still open; no LA-tracking hand-over at all
    assert out.loc[(13, "ncs"), "leavers"] == 6 and out.loc[(13, "ncs"), "still_open"] == 1
    none = out.loc[(13, "la_tracking")]
    assert none["handovers"] == 0 and none["note"] == "no hand-overs"
    assert none["pct_referred_of_leavers"] == 0 and math.isnan(none["pct_lost_of_referred"])


def test_funnel_same_from_pupil_rows_and_aggregates(small_hub):
    # Pupil rows (one per hand-over) and the aggregate read give the same funnel.
    lead = Scope.admin()
    pupil = store.handovers(small_hub, lead).rename(columns={"from_urn": "urn"})
    people = store.leaver_counts(small_hub, lead)
    a = tr.handover_funnel(pupil, people, ("year_group",))
    b = tr.handover_funnel(store.handover_dates(small_hub, lead), people, ("year_group",))
    pd.testing.assert_frame_equal(a, b)


def test_engaged_without_contact_date_is_refused(engine, tmp_path):
    seed_schools(engine)
    leavers = write_csv(tmp_path / "l.csv", [{"key": _key("E1"), "urn": URN, "cohort": 2025,
                                              "year_group": 11, "left_on": "2025-07-18"}])
    assert import_file(engine, "leavers", leavers, today=TODAY).rejected == 0
    rows = write_csv(tmp_path / "h.csv", [
        {"leaver_key": _key("E1"), "reason": "neet", "left_on": "2025-07-18",
         "referred_on": "2025-08-01", "status": "engaged"},
        {"leaver_key": _key("E1"), "reason": "neet", "left_on": "2025-07-19",
         "referred_on": "2025-08-01", "contacted_on": "2025-08-02", "status": "engaged"},
        {"leaver_key": _key("E1"), "reason": "neet", "left_on": "2025-07-20",
         "referred_on": "2025-08-01", "status": "lost"},  # lost before contact: allowed
    ])  # fmt: skip
    result = import_file(engine, "handovers", rows, today=TODAY)
    assert result.rejects["rule"].tolist() == ["status_needs_contact"]
    with engine.connect() as conn:
        stored = conn.execute(select(Handover.__table__.c.status)).scalars().all()
    assert sorted(stored) == ["engaged", "lost"]


# --- sustained destinations -------------------------------------------------------------------


def test_sustained_two_terms_beside_dfe(small_hub):
    counts = store.sustained_counts(small_hub, Scope.admin(), AS_OF)
    out = tr.sustained_destinations(counts).set_index("year_group")
    # Year 11, window 1 Oct 2024 – 31 Mar 2025 (the record current on 1 Oct and every record
    # dated in the window): L5 (edu on 1 Oct), L6 (edu since 20 Sep) sustained education;
    # L1 edu → NEET, L2 NK → edu, L4 custody, L7 NEET in March: not sustained; L3: unknown.
    y11 = out.loc[11]
    assert [y11[c] for c in ("leavers", "sust_education", "sust_edu_app", "sust_overall",
                             "not_sustained", "activity_unknown")] == [7, 2, 2, 2, 4, 1]
    assert y11["pct_sust_edu_app"] == pytest.approx(200 / 7)  # 2 / 7 = 28.6 %
    # Year 13: M3–M5 education, M6 apprenticeship then education (a mix: sustained education
    # or apprenticeship), M1 employment, M2 NEET → edu/app 4, employment 1, overall 5 of 6
    y13 = out.loc[13]
    assert [y13[c] for c in ("leavers", "sust_education", "sust_apprenticeship",
                             "sust_edu_app", "sust_employment", "sust_overall",
                             "not_sustained")] == [6, 3, 0, 4, 1, 5, 1]
    assert y13["pct_sust_overall"] == pytest.approx(500 / 6)
    # DfE's KS4 measure of 2023/24 leavers sits beside Year 11; the 16–18 one is another cohort
    both = tr.compare_sustained(out.reset_index(), store.school_destination_measures(
        small_hub, Scope.admin())).set_index("year_group")
    assert both.loc[11, "dfe_overall_pct"] == 91.0 and both.loc[11, "dfe_time_period"] == 202324
    assert math.isnan(both.loc[13, "dfe_overall_pct"])
    assert both.loc[13, "dfe_note"] == "DfE measure not imported"
    # before the window has ended there is no measure for the cohort
    assert store.sustained_counts(small_hub, Scope.admin(), dt.date(2025, 3, 1)).empty


# --- the report --------------------------------------------------------------------------------


def test_transitions_report_sections(small_hub):
    opts = report.Options(as_of=AS_OF)
    table = report.build(small_hub, "transitions", Scope.admin("SMALL"), opts)
    by = table.set_index(["section", "year_group"])
    neet = by.loc[("neet_school", 11)]
    assert neet["neet_nk_pct"] == pytest.approx(500 / 9)
    assert "16-17" in neet["england_comparator"]
    funnel = table[table["section"].eq("funnel_hub") & table["year_group"].eq(11)]
    assert set(funnel["handed_to"]) == {"ncs", "la_tracking"}
    assert funnel["leavers"].tolist() == [7, 7]
    sust = by.loc[("sustained_school", 11)]
    assert sust["sust_edu_app"] == 2 and sust["dfe_overall_pct"] == 91.0
    assert by.loc[("sustained_hub", 13), "sust_overall"] == 5
    # lags split by receiving organisation too: Year 11 NCS hand-overs left 19 July, referred
    # 1 and 10 August: 13 and 22 days → median 17.5
    lag = table[table["section"].eq("lag_hub") & table["year_group"].eq(11)]
    assert lag.set_index("handed_to").loc["ncs", "median_days"] == 17.5
    # every count and percentage column of the report is declared in the disclosure rules
    spec = report.SPECS["transitions"]
    for col in table.columns:
        if col.startswith("pct_") or col in tr.FUNNEL_COUNTS:
            assert col in spec.percents or col in spec.counts, col
