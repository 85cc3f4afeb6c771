"""The worklists page's display sources (hubcore.display.worklists): words for codes, dates as
dates, whole days, the overdue rows and who may hold a case, on small hand-made frames."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hubcore.access import Role, Scope
from hubcore.display import worklists as shown
from hubcore.users import User


def _leavers() -> pd.DataFrame:
    return pd.DataFrame({
        "leaver_key": ["k1", "<b>k2</b>"], "urn": [1, 2], "school": ["A & B", "C"],
        "cohort": [2025, 2025], "year_group": [11, 13],
        "left_on": [dt.date(2025, 7, 18), dt.date(2025, 6, 30)],
        "roni_score": [5, None], "roni_band": ["high", None],
        "destination_code": [810, None], "destination_on": [dt.date(2025, 11, 3), None],
        "state": ["not_known", "missing"], "open_case_id": [7, None],
        "open_case_to": ["la_tracking", None], "version": [3, 1],
    })


def _cases() -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": [7, 8, 9], "leaver_key": ["k1", "k3", "k4"], "urn": [1, 1, 2],
        "school": ["A & B"] * 2 + ["C"], "cohort": [2025] * 3, "year_group": [11, 11, 13],
        "to_org_type": ["la_tracking", "ncs", "ncs"], "ncs_area": ["E06000001", None,
                                                                  "E06000002"],
        "reason": ["at_risk", "neet", None], "intended_nccis_code": [310, None, None],
        "status": ["referred", "pending", "contacted"],
        "left_on": [dt.date(2025, 7, 18)] * 3,
        "referred_on": [dt.date(2025, 9, 1), None, dt.date(2025, 8, 2)],
        "attempts": [1, 0, 2], "last_attempt_on": [dt.date(2025, 9, 5), None, None],
        "contacted_on": [None, None, dt.date(2025, 8, 9)], "outcome": [None, None, "moved_area"],
        "outcome_on": [None] * 3, "held_by": ["la@t", None, "ncs@t"],
        "held_since": [dt.date(2025, 9, 5), None, dt.date(2025, 8, 2)],
        "days_open": [91.6, None, 121], "days_held": [87, None, 121],
        "overdue": [False, True, False], "version": [2, 1, 4],
    })


def test_leavers_in_words():
    out = shown.leavers_table(_leavers())
    assert out["roni"].tolist() == ["High risk", shown.NO_RONI]
    assert out["state"].tolist() == ["Activity not known", "No destination recorded"]
    assert out["destination"].tolist() == ["Current situation not known", None]
    assert out["open_case_to"].tolist() == ["LA tracking", None]
    assert out["left_on"].iloc[0] == pd.Timestamp(2025, 7, 18)
    assert out["leaver_key"].tolist() == ["k1", "<b>k2</b>"]  # data kept as text
    assert out["version"].tolist() == [3, 1]
    assert set(out.attrs["display"]["titles"]) == set(out.columns)


def test_cases_in_words_days_whole_and_overdue_rows():
    out = shown.cases_table(_cases())
    assert out["referred_to"].tolist() == ["LA tracking", "National Careers Service",
                                           "National Careers Service"]
    assert out["reason"].tolist() == ["At risk of NEET", "NEET", None]
    assert out["intended"].tolist() == ["Apprenticeship", None, None]
    assert out["status"].tolist() == ["Referred", "Pending", "Contacted"]
    assert out["outcome"].tolist() == [None, None, "Moved out of the area"]
    # 91.6 days is shown as 92 (whole days), missing stays missing.
    assert out["open_days"].tolist()[0] == 92 and pd.isna(out["open_days"].iloc[1])
    assert out["overdue"].tolist() == ["No", "Yes", "No"]
    late = shown.overdue_cases(out)
    assert late["case_id"].tolist() == [8]
    # Who may hold a case is kept for the reassignment, not shown in the table.
    assert late.attrs["display"]["codes"][8] == ("ncs", None)
    assert "ncs_area" not in out.columns


def test_funnel_stages_in_words_counts_as_given():
    out = shown.funnel_table(pd.DataFrame({"stage": ["needing_handover", "referred",
                                                     "outcome_recorded", "overdue"],
                                           "people": [12, "c", 7, 0]}))
    assert out["stage"].tolist() == ["Leavers needing a hand-over", "Referred",
                                     "Outcome recorded", "Overdue"]
    assert out["people"].tolist() == [12, "c", 7, 0]


def test_holders_are_the_area_users_of_the_receiving_service():
    people = {"a": User("a", "ncs_adviser", ncs_area="E06000001"),
              "b": User("b", "ncs_adviser", ncs_area="E06000002"),
              "c": User("c", "la_tracking", ncs_area="E06000001"),
              "d": User("d", "hub_lead", hub_id="H")}
    lead = Scope(Role.HUB_LEAD, hub_id="H")
    assert shown.holders(lead, "ncs", "E06000001", people) == ["a"]
    assert shown.holders(lead, "ncs", None, people) == ["a", "b"]
    assert shown.holders(lead, "la_tracking", "E06000001", people) == ["c"]
    assert shown.holders(lead, "provider", "E06000001", people) == []


def test_sentences_agree_with_their_counts():
    rows = shown.cases_table(_cases()).to_dict("records")
    assert shown.summary(rows[0], "case")["attempts_words"] == "1 contact attempt"
    assert shown.summary(rows[2], "case")["attempts_words"] == "2 contact attempts"
    assert shown.summary(rows[1], "case")["open_days_words"] == "–"
    assert shown.summary(rows[0], "case")["referred_on"] == "1 September 2025"


def test_sections_by_role():
    assert shown.sections(Scope(Role.CAREERS_LEADER, urn=1)) == ("leavers",)
    assert shown.sections(Scope(Role.NCS_ADVISER, ncs_area="E06000001")) == ("cases",)
    assert shown.sections(Scope(Role.HUB_LEAD, hub_id="H")) == ("hub",)
    assert shown.sections(Scope(Role.ANALYST, hub_id="H")) == ()
