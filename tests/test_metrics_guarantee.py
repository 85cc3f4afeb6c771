"""September Guarantee tracker (issue 15 item 2) on a small, awkward, hand-built hub.

School A (URN 108055) has Year 11, Year 12 and Year 13 leavers of summer 2025; school B
(URN 137704) has none. Deadline: 30 September 2025. Every expected value is worked out by hand
in the comments.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from hubcore import codes, disclosure, rollups
from hubcore.access import Role, Scope
from hubcore.errors import AccessDenied
from hubcore.metrics import guarantee as g
from hubcore.models import AuditEvent, DestinationRecord, Hub, HubMembership, Leaver
from tests.ingest_corpus import seed_schools

A, B = 108055, 137704
AFTER = dt.date(2025, 12, 1)  # the deadline has passed


def _key(name: str) -> str:
    return f"{name:a<20}"


# (leaver, year group)
LEAVERS = [(f"G{i}", 11) for i in range(1, 10)] + [("H1", 12), ("H2", 12), ("M1", 13)]
# (leaver, recorded on, NCCIS code, kind)
RECORDS = [
    ("G1", "2025-05-01", 230, "intended"),  # offer (FE place) ...
    ("G1", "2025-09-20", 619, "actual"),  # ... then seeking work: the offer stays made
    ("G2", "2025-09-10", 810, "actual"),  # not known ...
    ("G2", "2025-09-25", 230, "actual"),  # ... then in FE: offer
    # G3: no record at all → not known
    ("G4", "2025-09-15", 330, "actual"),  # job without training → no offer
    ("G5", "2025-09-01", 340, "actual"),  # job with unaccredited training → no offer
    ("G6", "2025-10-05", 310, "intended"),  # apprenticeship, but after the deadline → not known
    ("G7", "2025-09-12", 619, "intended"),  # same day: intended "seeking" ...
    ("G7", "2025-09-12", 820, "actual"),  # ... and actual "cannot be contacted": actual wins
    ("G8", "2025-06-01", 250, "intended"),  # part-time education → no offer
    ("G9", "2025-09-30", 550, "actual"),  # volunteering with study, on the deadline → offer
    ("H1", "2025-09-01", 450, "actual"),  # Year 12, traineeship → offer
    ("H2", "2025-09-01", 260, "actual"),  # Year 12, gap year → no offer
    ("M1", "2025-09-01", 619, "actual"),  # Year 13: outside the guarantee
]


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    leavers = pd.DataFrame([
        {"key": _key(k), "urn": A, "cohort": 2025, "year_group": y,
         "left_on": dt.date(2025, 7, 18)} for k, y in LEAVERS
    ])  # fmt: skip
    records = pd.DataFrame([
        {"leaver_key": _key(k), "recorded_on": dt.date.fromisoformat(on), "kind": kind,
         "nccis_code": code, "category": codes.NCCIS_CATEGORY[code]}
        for k, on, code, kind in RECORDS
    ])  # fmt: skip
    return leavers, records


def _status(people: pd.DataFrame) -> dict[str, str]:
    return {k.rstrip("a"): s for k, s in zip(people["key"], people["status"], strict=True)}


def test_status_per_person_at_the_deadline():
    people = g.person_status(*_frames(), as_of=AFTER)
    assert _status(people) == {
        "G1": "offer", "G2": "offer", "G3": "not_known", "G4": "no_offer", "G5": "no_offer",
        "G6": "not_known", "G7": "not_known", "G8": "no_offer", "G9": "offer",
        "H1": "offer", "H2": "no_offer",
    }  # fmt: skip  (M1, Year 13, is not in the guarantee)
    g1 = people.set_index("key").loc[_key("G1")]
    assert g1["offer_on"] == pd.Timestamp("2025-05-01") and g1["offer_code"] == 230


def test_before_the_deadline_counts_so_far():
    # On 11 September only records up to that day count: G1 offer (May); G2's 810 (10 Sep) →
    # not known; G5 340 and G8 250 → no offer; G3, G4 (15 Sep), G6, G7 (12 Sep), G9 (30 Sep) →
    # not known. Year 11: offer 1, no offer 2, not known 6 of 9.
    people = g.person_status(*_frames(), as_of=dt.date(2025, 9, 11))
    table = g.guarantee_summary(people, ("cohort", "year_group"), as_of=dt.date(2025, 9, 11))
    y11 = table.set_index("year_group").loc[11]
    assert (y11["leavers"], y11["offer"], y11["no_offer"], y11["not_known"]) == (9, 1, 2, 6)
    assert y11["days_to_deadline"] == 19
    assert y11["measurement"].startswith("so far, 2025-09-11")


def test_summary_percentages_name_their_base_and_zero_base_is_missing():
    people = g.person_status(*_frames(), as_of=AFTER)
    table = g.guarantee_summary(people, ("urn", "cohort", "year_group"), urns=[A, B],
                                as_of=AFTER).set_index(["urn", "year_group"])  # fmt: skip
    y11 = table.loc[(A, 11)]
    # offer G1, G2, G9; no offer G4, G5, G8; not known G3, G6, G7 → 3 / 3 / 3 of 9 = 33.3 %
    assert (y11["leavers"], y11["offer"], y11["no_offer"], y11["not_known"]) == (9, 3, 3, 3)
    assert y11["pct_offer_of_leavers"] == pytest.approx(100 / 3)
    assert y11["pct_not_known_of_leavers"] == pytest.approx(100 / 3)
    y12 = table.loc[(A, 12)]  # H1 offer, H2 no offer: never pooled with Year 11
    assert (y12["leavers"], y12["offer"], y12["no_offer"]) == (2, 1, 1)
    assert y12["pct_offer_of_leavers"] == 50.0
    empty = table.loc[(B, 11)]  # school B: no leavers → 0 and no percentage, not 0 %
    assert empty["leavers"] == 0 and pd.isna(empty["pct_offer_of_leavers"])
    assert empty["note"] == "no leavers"
    assert y11["days_to_deadline"] == -62 and y11["measurement"] == "at the deadline, 2025-09-30"


def test_two_rows_for_one_person_count_once():
    leavers, records = _frames()
    # G1 listed again with an earlier leaving date: the later row wins, counted once.
    again = leavers[leavers["key"].eq(_key("G1"))].assign(left_on=dt.date(2025, 7, 1))
    people = g.person_status(pd.concat([leavers, again]), records, as_of=AFTER)
    assert people["key"].is_unique and len(people) == 11
    assert people.set_index("key").loc[_key("G1"), "left_on"] == pd.Timestamp("2025-07-18")


def test_without_offer_list_is_oldest_first_with_words():
    people = g.person_status(*_frames(), as_of=AFTER)
    rows = g.without_offer(people, as_of=AFTER)
    # no offer G4, G5, G8, H2 and not known G3, G6, G7 = 7 young people
    assert sorted(k.rstrip("a") for k in rows["key"]) == ["G3", "G4", "G5", "G6", "G7", "G8",
                                                          "H2"]  # fmt: skip
    # G3 and G6 have no record by the deadline: without an offer since leaving (18 July)
    first = rows.iloc[0]
    assert first["since"] == "2025-06-01"  # G8's part-time education record, the oldest
    assert first["latest_activity"] == "Part-time education"
    g3 = rows.set_index("key").loc[_key("G3")]
    assert g3["since"] == "2025-07-18" and g3["latest_activity"] == "no record"
    assert g3["days_without_offer"] == (AFTER - dt.date(2025, 7, 18)).days  # 136
    assert set(rows.columns) >= {"key", "urn", "status_label", "days_to_deadline"}
    assert "fsm" not in rows.columns  # pseudonymous keys only


def test_table_protects_small_counts():
    people = g.person_status(*_frames(), as_of=AFTER)
    schools = pd.DataFrame({"urn": [A, B], "name": ["School A", "School B"]})
    out = disclosure.apply_spec(g.guarantee_table(people, schools, AFTER), g.SPEC)
    row = out[(out["level"] == "school") & (out["urn"] == A) & (out["year_group"] == "Year 11")]
    # 3 of 9 each: every status count is under 6, so it and its percentage are "c"
    assert row["offer_made"].item() == "c" and row["pct_offer_made_of_leavers"].item() == "c"
    assert row["leavers"].item() == 9
    hub = out[(out["level"] == "hub") & (out["year_group"] == "Year 11")]
    assert hub["offer_made"].item() == "c"  # equal to the school's: complementary


@pytest.fixture
def small_hub(engine):
    seed_schools(engine)
    leavers, records = _frames()
    with engine.begin() as conn:
        conn.execute(Hub.__table__.insert(), [{"id": "SG", "name": "Small hub"}])
        conn.execute(HubMembership.__table__.insert(), [
            {"hub_id": "SG", "urn": u, "start_date": dt.date(2020, 9, 1)} for u in (A, B)])
        conn.execute(Leaver.__table__.insert(), leavers.to_dict("records"))
        conn.execute(DestinationRecord.__table__.insert(), records.to_dict("records"))
        rollups.refresh(conn)
    return engine


def test_scoped_reads(small_hub):
    table = g.table_for_scope(small_hub, Scope.admin(hub_id="SG"), as_of=AFTER)
    y11 = table[(table["level"] == "hub") & (table["year_group"] == "Year 11")]
    assert y11["leavers"].item() == 9
    with pytest.raises(AccessDenied):
        g.without_offer_for_scope(small_hub, Scope(Role.ANALYST, hub_id="SG"), as_of=AFTER)
    with pytest.raises(AccessDenied):  # the hub shares no pupil data
        g.without_offer_for_scope(small_hub, Scope(Role.HUB_LEAD, hub_id="SG"), as_of=AFTER)
    leader = Scope(Role.CAREERS_LEADER, urn=A, user="leader-a")
    rows = g.without_offer_for_scope(small_hub, leader, as_of=AFTER)
    assert len(rows) == 7
    with small_hub.connect() as conn:
        audit = conn.execute(select(AuditEvent.__table__.c.user, AuditEvent.__table__.c.subject)
                             ).all()  # fmt: skip
    assert ("leader-a", "leavers") in audit and ("leader-a", "destinations") in audit
    other = Scope(Role.CAREERS_LEADER, urn=B, user="leader-b")
    assert g.without_offer_for_scope(small_hub, other, as_of=AFTER).empty


def test_cli_prints_words_and_writes_a_formula_safe_xlsx(small_hub, tmp_path, capsys):
    import openpyxl

    from hubcore.cli import main
    from hubcore.models import School

    with small_hub.begin() as conn:  # a school name a spreadsheet would run as a formula
        conn.execute(School.__table__.update().where(School.__table__.c.urn == A)
                     .values(name="=HYPERLINK(\"http://x\")"))  # fmt: skip
    url = small_hub.url.render_as_string(hide_password=False)
    assert main(["report", "guarantee", "--db", url, "--hub", "SG", "--as-of", "2025-12-01"]) == 0
    text = capsys.readouterr().out
    assert '"Year 11",9,"c","c","c"' in text  # words, not 11; counts of 3 suppressed
    assert "\"'=HYPERLINK" in text  # neutralised
    assert main(["report", "guarantee", "--list", "--db", url, "--hub", "SG",
                 "--as-of", "2025-12-01"]) == 0  # fmt: skip
    listed = capsys.readouterr().out
    assert "no offer" in listed and "Employment without training" in listed
    out = tmp_path / "g.xlsx"
    assert main(["report", "guarantee", "--db", url, "--hub", "SG", "--as-of", "2025-12-01",
                 "--format", "xlsx", "--out", str(out)]) == 0  # fmt: skip
    sheet = openpyxl.load_workbook(out)["guarantee"]
    names = [row[2].value for row in sheet.iter_rows(min_row=2)]
    assert "'=HYPERLINK(\"http://x\")" in names or "=HYPERLINK(\"http://x\")" not in names
    assert all(row[2].data_type != "f" for row in sheet.iter_rows(min_row=2))
