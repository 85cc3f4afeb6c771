"""The destination mix and the small-area NEET map count young people, not records (issue 12).

One school (URN 108055), cohort 2024: Year 11 leavers P1–P10 and one Year 13 leaver M1, living
in two small areas (A, B). The records hold the shapes the record counts got wrong: two records
for one leaver in the same year (P1, P4, P10), leavers with no record (P2) or only one after the
measurement point (P3), a record dated on the point itself (P4), one from the summer before the
autumn (P7), an intended record (P6), custody (P8), and a later year's record (P9).

The mix's point is the end of December of each academic year after leaving (docs/metrics.md,
"Destination mix"); the map uses the NEET measure's points (Dec–Feb average, else a snapshot).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hubcore import codes, display, rollups, store
from hubcore.access import Scope
from hubcore.metrics import report
from hubcore.metrics import transitions as tr
from hubcore.models import DestinationRecord, Hub, HubMembership, Leaver
from tests.ingest_corpus import seed_schools

URN = 108055
#: After 31 December 2024 (year 1's point) and the end of February 2025, before 31 December
#: 2025 (year 2's point).
AS_OF = dt.date(2025, 6, 30)
A, B = "E01000001", "E01000002"

# (leaver, year group, home area)
LEAVERS = [
    ("P1", 11, A), ("P2", 11, A), ("P3", 11, A), ("P4", 11, A), ("P10", 11, A),
    ("P5", 11, B), ("P6", 11, B), ("P7", 11, B), ("P8", 11, B), ("P9", 11, B),
    ("M1", 13, A),
]  # fmt: skip
# (leaver, recorded on, NCCIS code, kind)
RECORDS = [
    ("P1", "2024-10-01", 230, "actual"),  # education ...
    ("P1", "2024-11-20", 310, "actual"),  # ... then apprenticeship: current on 31 Dec
    # P2: no record at all
    ("P3", "2025-01-10", 619, "actual"),  # NEET (seeking), after 31 Dec 2024
    ("P4", "2024-09-15", 230, "actual"),  # education ...
    ("P4", "2024-12-31", 330, "actual"),  # ... employment on the point's own date
    ("P10", "2024-10-01", 230, "actual"),  # education, twice
    ("P10", "2024-11-01", 230, "actual"),
    ("P5", "2024-10-05", 640, "actual"),  # NEET inactive (illness)
    ("P6", "2024-10-05", 230, "actual"),  # education ...
    ("P6", "2024-12-01", 619, "intended"),  # ... an intended NEET record: not an activity
    ("P7", "2024-08-20", 230, "actual"),  # education, recorded in the summer of leaving
    ("P8", "2024-11-01", 710, "actual"),  # custody
    ("P9", "2024-10-10", 810, "actual"),  # not known ...
    ("P9", "2025-10-15", 330, "actual"),  # ... employment in the second year
    ("M1", "2024-10-01", 330, "actual"),  # Year 13: employment
]


def _key(name: str) -> str:
    return f"{name:a<20}"  # 20 characters: the key_length check wants at least 16


@pytest.fixture
def hub(engine):
    seed_schools(engine)
    leavers = [
        {"key": _key(k), "urn": URN, "cohort": 2024, "year_group": yg, "home_lsoa": area,
         "left_on": dt.date(2024, 7, 19)}
        for k, yg, area in LEAVERS
    ]  # fmt: skip
    records = [
        {"leaver_key": _key(k), "recorded_on": dt.date.fromisoformat(on), "kind": kind,
         "nccis_code": code, "category": codes.NCCIS_CATEGORY[code]}
        for k, on, code, kind in RECORDS
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(Hub.__table__.insert(), [{"id": "SMALL", "name": "Small hub"}])
        conn.execute(HubMembership.__table__.insert(),
                     [{"hub_id": "SMALL", "urn": URN, "start_date": dt.date(2020, 9, 1)}])
        conn.execute(Leaver.__table__.insert(), leavers)
        conn.execute(DestinationRecord.__table__.insert(), records)
        rollups.refresh(conn)
    return engine


def _mix(engine, as_of: dt.date) -> pd.DataFrame:
    counts = store.destination_status_counts(engine, Scope.admin(), as_of)
    return tr.destination_mix(counts).set_index(["year_group", "years_after"])


def test_mix_counts_each_leaver_once_at_the_end_of_december(hub):
    mix = _mix(hub, AS_OF)
    # Only year 1 is measured by 30 June 2025 (year 2's point is 31 December 2025).
    assert sorted(mix.index) == [(11, 1), (13, 1)]
    y11 = mix.loc[(11, 1)]
    # Records current on 31 December 2024: P1 apprenticeship (20 Nov, not 1 Oct's education),
    # P2 none, P3 none (its record is 10 Jan), P4 employment (dated 31 Dec: on the point),
    # P5 NEET inactive, P6 education (the intended NEET record is ignored), P7 education (the
    # August record is still current), P8 custody, P9 not known, P10 education (counted once).
    # 10 leavers: education 3 → 30 %; apprenticeship, employment, NEET inactive, custody and
    # not known 1 each → 10 %; no record 2 (P2, P3) → 20 %; 3+1+1+1+1+1+2 = 10.
    assert y11["leavers"] == 10
    expected = {"education": 30.0, "apprenticeship": 10.0, "employment": 10.0,
                "neet_inactive": 10.0, "custody": 10.0, "not_known": 10.0, "no_record": 20.0,
                "training": 0.0, "re_engagement": 0.0, "neet_active": 0.0}  # fmt: skip
    for cat, pct in expected.items():
        assert y11[f"pct_{cat}"] == pytest.approx(pct), cat
    assert sum(y11[f"pct_{c}"] for c in tr.MIX_CATEGORIES) == pytest.approx(100.0)
    assert y11["measurement"] == "end of December 2024 (2024-12-31)"
    # Year 13 apart, never pooled: M1 employment, 1 of 1.
    assert (mix.loc[(13, 1), "leavers"], mix.loc[(13, 1), "pct_employment"]) == (1, 100.0)


def test_record_counts_would_differ(hub):
    # The old input counted records in year 1 (Sept 2024 – Aug 2025): P1 ×2, P3, P4 ×2, P5, P6,
    # P8, P9, P10 ×2 = 11 (P2 missing, P7's August record in "year 0"); education 5 records.
    old = store.destination_counts(hub, Scope.admin())
    old = old[old["year_group"].eq(11) & old["years_after"].eq(1)]
    assert old["leavers"].sum() == 11
    assert old.loc[old["category"].eq("education"), "leavers"].sum() == 5


def test_second_year_measured_at_its_december(hub):
    mix = _mix(hub, dt.date(2026, 1, 15))
    assert sorted(mix.index) == [(11, 1), (11, 2), (13, 1), (13, 2)]
    y2 = mix.loc[(11, 2)]
    # On 31 December 2025: P1 apprenticeship, P2 none, P3 NEET active (Jan 2025 record),
    # P4 employment, P5 NEET inactive, P6, P7, P10 education, P8 custody, P9 employment
    # (October 2025). Education 3/10 = 30 %, employment 2/10 = 20 %, no record 1/10 = 10 %,
    # not known 0 (P9 moved on).
    assert y2["leavers"] == 10
    assert (y2["pct_education"], y2["pct_employment"]) == pytest.approx((30.0, 20.0))
    assert (y2["pct_neet_active"], y2["pct_no_record"], y2["pct_not_known"]) == pytest.approx(
        (10.0, 10.0, 0.0))
    assert y2["measurement"] == "end of December 2025 (2025-12-31)"


def test_before_december_a_named_month_end_snapshot(hub):
    # 15 November 2024: the end of October 2024 is the latest month end passed. Current then:
    # P1, P4, P6, P7, P10 education (5), P5 NEET inactive, P9 not known; P2, P3, P8 (custody
    # only from 1 Nov) no record (3). 5 + 1 + 1 + 3 = 10.
    y11 = _mix(hub, dt.date(2024, 11, 15)).loc[(11, 1)]
    assert y11["leavers"] == 10
    assert (y11["pct_education"], y11["pct_no_record"], y11["pct_custody"]) == pytest.approx(
        (50.0, 30.0, 0.0))
    assert y11["measurement"].startswith("snapshot at the end of October 2024")
    # 15 October 2024: no month end passed since September: nothing measured yet.
    assert store.destination_status_counts(hub, Scope.admin(), dt.date(2024, 10, 15)).empty
    assert tr.destination_mix(
        store.destination_status_counts(hub, Scope.admin(), dt.date(2024, 10, 15))).empty


def test_mix_point_rule():
    assert tr.mix_point(2024, 1, dt.date(2024, 12, 31))[:2] == ("dec", dt.date(2024, 12, 31))
    assert tr.mix_point(2024, 1, dt.date(2024, 12, 30))[:2] == ("nov", dt.date(2024, 11, 30))
    assert tr.mix_point(2024, 3, dt.date(2026, 12, 31))[:2] == ("dec", dt.date(2026, 12, 31))
    assert tr.mix_point(2024, 2, dt.date(2025, 12, 30)) is None


def test_report_section_counts_people_beside_the_funnel(hub):
    raw = report.build(hub, "transitions", Scope.admin(), report.Options(as_of=AS_OF))
    mix = raw[raw["section"].eq("destination_mix")].set_index(["year_group", "years_after"])
    assert mix.loc[(11, 1), "leavers"] == 10
    assert mix.loc[(11, 1), "pct_no_record"] == pytest.approx(20.0)
    # the same people as the funnel's leavers (the disclosure rules link the two)
    funnel = raw[raw["section"].eq("funnel_school") & raw["handed_to"].eq("ncs")]
    assert funnel.set_index("year_group").loc[11, "leavers"] == 10


def test_area_neet_per_young_person(hub):
    rates = tr.neet_rates(store.neet_status_by_area(hub, Scope.admin(), AS_OF), ("home_lsoa",))
    rates = rates.set_index("home_lsoa")
    # Dec–Feb 2024/25 average (31 Dec, 31 Jan, 28 Feb), per person, by home area.
    # Area A: P1, P2, P3, P4, P10, M1 = 6, nobody in custody → denominator 6.
    #   P2 no record at all three points → not known 3 times; P3 no record on 31 Dec (not
    #   known), NEET on 31 Jan and 28 Feb. NEET = (0+1+1)/3 = 2/3; not known = (2+1+1)/3 = 4/3.
    #   NEET + NK = 2 / 6 = 33.33 %.
    a = rates.loc[A]
    assert a["denominator"] == pytest.approx(6)
    assert (a["neet"], a["not_known"]) == pytest.approx((2 / 3, 4 / 3))
    assert a["neet_nk_pct"] == pytest.approx(100 / 3)
    # Area B: P5 NEET, P6 and P7 education, P8 custody (out of the base), P9 not known at all
    # three points → denominator 4, NEET 1, NK 1 → 2 / 4 = 50 %.
    # (Records would give B 1 NEET + 1 NK of 3 records in year 1 = 66.7 %: P7's record is
    # from August, "year 0".)
    b = rates.loc[B]
    assert (b["cohort_leavers"], b["custody"], b["denominator"]) == pytest.approx((5, 1, 4))
    assert b["neet_nk_pct"] == pytest.approx(50.0)
    assert b["measurement"].startswith("Dec-Feb average (2024-12-31, 2025-01-31, 2025-02-28)")


def test_area_neet_snapshot_and_page(hub):
    # 15 January 2025: snapshot at the end of December 2024. A: P2, P3 no record → NK 2 of 6.
    status = store.neet_status_by_area(hub, Scope.admin(), dt.date(2025, 1, 15))
    rates = tr.neet_rates(status, ("home_lsoa",)).set_index("home_lsoa")
    assert (rates.loc[A, "neet"], rates.loc[A, "not_known"]) == (0, 2)
    # The page (today: the Dec–Feb average of cohort 2024): A's base of 6 leavers is shown;
    # B's 4 is under 6, so "c".
    page = display.area_neet(hub, Scope.admin()).set_index("code")
    assert pd.to_numeric(page.loc[A, "leavers"]) == pytest.approx(6)
    assert page.loc[B, "leavers"] == "c"


def test_area_summary_follows_imports(hub):
    # The rollup is counted again when records change (refresh by table, as imports do).
    with hub.begin() as conn:
        conn.execute(DestinationRecord.__table__.insert(), [{
            "leaver_key": _key("P2"), "recorded_on": dt.date(2024, 10, 1), "kind": "actual",
            "nccis_code": 230, "category": "education"}])
        rollups.refresh_for_tables(conn, ["destination_record"], [URN])
    rates = tr.neet_rates(store.neet_status_by_area(hub, Scope.admin(), AS_OF), ("home_lsoa",))
    # A: P2 now in education → not known only P3 on 31 Dec: (1+0+0)/3; NEET 2/3 → 1 / 6.
    a = rates.set_index("home_lsoa").loc[A]
    assert a["not_known"] == pytest.approx(1 / 3)
    assert a["neet_nk_pct"] == pytest.approx(100 / 6)


def test_profile_table_names_the_point_and_no_record(hub):
    table = display.profile_destinations(hub, Scope.admin(), URN)
    assert {"pct_no_record", "measurement"} <= set(table.columns)
    # As of today (after 31 December 2024): cohort 2024 is measured at that date.
    assert set(table["measurement"]) == {"end of December 2024 (2024-12-31)"}
