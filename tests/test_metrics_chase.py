"""Not-known chase list and completeness (issue 15 item 3) on a small, awkward, hand-built hub.

School A (URN 108055): Year 11 leavers C1–C7 and Year 13 leavers C8–C9 of summer 2025, and a
Year 13 leaver C10 of summer 2024 (no longer chased: LA tracking stops at 18 and the NCS chase
runs one year); school B (URN 137704) has no leavers. Report date 1 March 2026. Every expected
value is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hubcore import codes, rollups
from hubcore.access import Role, Scope
from hubcore.errors import AccessDenied
from hubcore.metrics import chase as ch
from hubcore.models import DestinationRecord, Handover, Hub, HubMembership, Leaver
from tests.ingest_corpus import seed_schools

A, B = 108055, 137704
AS_OF = dt.date(2026, 3, 1)
Y11_LEFT, Y13_LEFT, OLD_LEFT = dt.date(2025, 7, 18), dt.date(2025, 7, 11), dt.date(2024, 7, 12)


def _key(name: str) -> str:
    return f"{name:a<20}"


# (leaver, cohort, year group, left on)
LEAVERS = [(f"C{i}", 2025, 11, Y11_LEFT) for i in range(1, 8)] + [
    ("C8", 2025, 13, Y13_LEFT), ("C9", 2025, 13, Y13_LEFT), ("C10", 2024, 13, OLD_LEFT)]
RECORDS = [
    ("C1", "2025-10-01", 230, "actual"),  # FE: current to 31 Aug 2026 → current
    ("C1", "2026-04-01", 810, "actual"),  # after the report date: not seen
    ("C2", "2025-08-20", 230, "actual"),  # FE recorded in 2024/25: lapsed 31 Aug 2025 → stale
    ("C3", "2025-11-01", 619, "actual"),  # NEET: review by 1 Feb 2026 (92 days) → stale
    ("C4", "2025-10-01", 810, "actual"),  # not known since 1 Oct ...
    ("C4", "2025-12-01", 820, "actual"),  # ... and still: the run started 1 Oct
    ("C5", "2025-10-01", 230, "actual"),  # FE ...
    ("C5", "2026-01-10", 810, "actual"),  # ... then not known since 10 Jan
    # C6: no record at all → missing
    ("C7", "2025-06-01", 230, "intended"),  # only an intended destination → missing
    ("C8", "2025-11-01", 830, "actual"),  # Year 13, refused → not known, the NCS chases
    ("C9", "2025-12-15", 619, "actual"),  # Year 13 NEET, review by 17 Mar 2026 → current
]
# (leaver, to, referred, contacted, status)
HANDOVERS = [
    ("C6", "ncs", None, None, "pending"),  # not referred: the school, since leaving
    ("C8", "ncs", "2025-09-01", None, "referred"),  # no contact: the NCS, since referral
    ("C4", "la_tracking", "2025-09-01", "2025-09-05", "contacted"),  # contacted: fine
    ("C3", "ncs", "2025-09-01", None, "lost"),  # lost without contact: a closed case
    ("C10", "la_tracking", None, None, "pending"),  # old leaver, open hand-over: still listed
]


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    leavers = pd.DataFrame([{"key": _key(k), "urn": A, "cohort": c, "year_group": y,
                             "left_on": left} for k, c, y, left in LEAVERS])  # fmt: skip
    records = pd.DataFrame([
        {"leaver_key": _key(k), "recorded_on": dt.date.fromisoformat(on), "kind": kind,
         "nccis_code": code, "category": codes.NCCIS_CATEGORY[code]}
        for k, on, code, kind in RECORDS
    ])  # fmt: skip
    left = {k: d for k, _, _, d in LEAVERS}
    years = {k: y for k, _, y, _ in LEAVERS}
    handovers = pd.DataFrame([
        {"leaver_key": _key(k), "from_urn": A, "to_org_type": to, "status": status,
         "left_on": left[k], "referred_on": dt.date.fromisoformat(r) if r else None,
         "contacted_on": dt.date.fromisoformat(c) if c else None, "year_group": years[k]}
        for k, to, r, c, status in HANDOVERS
    ])  # fmt: skip
    return leavers, records, handovers


def test_currency_rule():
    # courses and jobs: to 31 August ending the academic year recorded in
    assert ch.current_until("education", dt.date(2025, 10, 1)) == dt.date(2026, 8, 31)
    assert ch.current_until("employment", dt.date(2025, 8, 20)) == dt.date(2025, 8, 31)
    # anything else: 92 days (1 Nov 2025 + 92 = 1 Feb 2026)
    assert ch.current_until("neet_active", dt.date(2025, 11, 1)) == dt.date(2026, 2, 1)
    assert ch.tracked_until(2025, 11) == dt.date(2027, 8, 31)  # to age 18
    assert ch.tracked_until(2025, 13) == dt.date(2026, 8, 31)


def test_states_chasers_and_since():
    states = ch.leaver_states(*_frames()[:2], as_of=AS_OF).set_index("key")
    got = {k.rstrip("a"): (r.state, r.chaser, "" if pd.isna(r.since) else
                           r.since.date().isoformat())
           for k, r in states.iterrows()}  # fmt: skip
    assert got == {
        "C1": ("current", "la_tracking", ""),
        "C2": ("stale", "la_tracking", "2025-09-01"),
        "C3": ("stale", "la_tracking", "2026-02-02"),
        "C4": ("not_known", "la_tracking", "2025-10-01"),
        "C5": ("not_known", "la_tracking", "2026-01-10"),
        "C6": ("missing", "school", "2025-07-18"),
        "C7": ("missing", "school", "2025-07-18"),
        "C8": ("not_known", "ncs", "2025-11-01"),
        "C9": ("current", "ncs", ""),
    }  # C10 (2024 Year 13) is no longer chased


def test_completeness_per_school_and_year_group():
    table = ch.completeness(*_frames(), as_of=AS_OF, urns=[A, B]).set_index(["urn",
                                                                            "year_group"])
    y11 = table.loc[(A, 11)]
    # 7 leavers: current C1; not known C4, C5; stale C2, C3; missing C6, C7
    assert [y11[c] for c in ("leavers", "current", "not_known", "stale", "missing")] == [
        7, 1, 2, 2, 2]
    assert y11["pct_current_of_leavers"] == pytest.approx(100 / 7)  # 14.3 %
    # hand-overs: C6 not referred; people to chase: school C6, C7; LA C2–C5; NCS nobody
    assert (y11["handovers_not_referred"], y11["handovers_no_contact"]) == (1, 0)
    assert (y11["chase_school"], y11["chase_la"], y11["chase_ncs"]) == (2, 4, 0)
    # oldest: C6 and C7 missing since 18 July 2025 → 226 days to 1 March 2026
    assert y11["max_days_open"] == 226
    y13 = table.loc[(A, 13)]
    # C8 not known, C9 current (C10 not chased); hand-overs: C10 not referred, C8 no contact
    assert [y13[c] for c in ("leavers", "current", "not_known")] == [2, 1, 1]
    assert (y13["handovers_not_referred"], y13["handovers_no_contact"]) == (1, 1)
    assert (y13["chase_school"], y13["chase_ncs"]) == (1, 1)  # C10; C8 (two issues, once)
    assert y13["max_days_open"] == 597  # C10 waiting since 12 July 2024
    empty = table.loc[(B, 11)]
    assert empty["leavers"] == 0 and pd.isna(empty["pct_current_of_leavers"])
    assert empty["note"] == "no leavers chased"


def test_chase_list_words_and_order():
    rows = ch.chase_list(*_frames(), as_of=AS_OF)
    # C2–C8 destination issues (7) + C6, C8, C10 hand-over issues (3) = 10 rows
    assert len(rows) == 10
    assert rows.iloc[0]["key"] == _key("C10") and rows.iloc[0]["days_open"] == 597
    assert rows.iloc[0]["issue"] == "hand-over not yet referred"
    c8 = rows[rows["key"].eq(_key("C8"))].set_index("issue")
    assert c8.loc["activity not known", "chase_by"] == "National Careers Service"
    assert c8.loc["activity not known", "detail"] == "Refused to disclose activity"
    assert c8.loc["hand-over referred, no contact", "since"] == "2025-09-01"
    c7 = rows[rows["key"].eq(_key("C7"))].iloc[0]
    assert (c7["issue"], c7["chase_by"], c7["detail"]) == ("no destination recorded", "school",
                                                           "no record")  # fmt: skip


def test_table_protection():
    schools = pd.DataFrame({"urn": [A, B], "name": ["School A", "School B"]})
    table = ch.chase_table(*_frames(), schools, AS_OF)
    out = ch.protect(table)
    row = out[(out["urn"] == A) & (out["year_group"] == "Year 11")].iloc[0]
    assert row["not_known"] == "c" and row["pct_not_known_of_leavers"] == "c"
    assert row["max_days_open"] == 226 and row["leavers"] == 7  # a base of 7 may show
    y13 = out[(out["urn"] == A) & (out["year_group"] == "Year 13")].iloc[0]
    assert y13["leavers"] == "c" and y13["max_days_open"] == "c"  # base 2: hidden
    none = out[(out["urn"] == B) & (out["year_group"] == "Year 11")].iloc[0]
    assert none["leavers"] == 0 and pd.isna(none["max_days_open"])  # nobody waits: empty
    assert pd.isna(none["pct_current_of_leavers"])  # no base, no percentage


@pytest.fixture
def small_hub(engine):
    seed_schools(engine)
    leavers, records, handovers = _frames()
    hand = handovers.drop(columns="year_group").assign(reason="not_known",
                                                       ncs_area="E08000035")
    with engine.begin() as conn:
        conn.execute(Hub.__table__.insert(), [{"id": "CH", "name": "Small hub"}])
        conn.execute(HubMembership.__table__.insert(), [
            {"hub_id": "CH", "urn": u, "start_date": dt.date(2020, 9, 1)} for u in (A, B)])
        conn.execute(Leaver.__table__.insert(), leavers.to_dict("records"))
        conn.execute(DestinationRecord.__table__.insert(), records.to_dict("records"))
        conn.execute(Handover.__table__.insert(),
                     hand.astype(object).where(hand.notna(), None).to_dict("records"))
        rollups.refresh(conn)
    return engine


def test_scoped_reads(small_hub):
    table = ch.table_for_scope(small_hub, Scope.admin(hub_id="CH"), as_of=AS_OF)
    hub = table[(table["level"] == "hub") & (table["year_group"] == "Year 11")].iloc[0]
    assert hub["leavers"] == 7
    with pytest.raises(AccessDenied):
        ch.chase_list_for_scope(small_hub, Scope(Role.ANALYST, hub_id="CH"), as_of=AS_OF)
    rows = ch.chase_list_for_scope(small_hub, Scope(Role.CAREERS_LEADER, urn=A), as_of=AS_OF)
    assert len(rows) == 10
