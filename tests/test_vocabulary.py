"""The one vocabulary: words for codes, column titles with units, display rounding.

Expected values are worked out by hand here, not taken from the module."""

from __future__ import annotations

import pandas as pd
import pytest

from hubcore import codes, vocabulary
from hubcore.access import Role
from hubcore.vocabulary import for_display, label, title, unit


def _code_lists() -> dict[str, tuple]:
    """Every closed vocabulary of text codes in hubcore.codes, found by looking (so a list
    added later is checked too): tuples/frozensets of str and dicts keyed by str."""
    found: dict[str, tuple] = {}
    for name in dir(codes):
        value = getattr(codes, name)
        if name.startswith("_") or not name.isupper():
            continue
        if isinstance(value, (tuple, frozenset)) and value and all(
                isinstance(v, str) for v in value):
            found[name] = tuple(value)
        elif isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            found[name] = tuple(value)
    return found


# Lists whose codes are words already or get their words from the column they are in.
_BY_COLUMN = {"FRAMEWORKS", "SEN_STATUSES"}


def test_the_code_lists_are_found():
    lists = _code_lists()
    # A handful named by hand, so the discovery above cannot silently find nothing.
    for name in ("LINK_ROLES", "ENCOUNTER_KINDS", "DESTINATION_CATEGORIES", "HANDOVER_TARGETS",
                 "SCHOOL_KINDS", "HANDOVER_STATUSES"):
        assert name in lists


@pytest.mark.parametrize("list_name", sorted(set(_code_lists()) - _BY_COLUMN))
def test_every_code_in_codes_has_words(list_name):
    """Fails when a code is added to hubcore.codes without words in the vocabulary."""
    missing = [c for c in _code_lists()[list_name] if c not in vocabulary.LABELS]
    assert not missing, f"{list_name}: no words for {missing}"
    for code in _code_lists()[list_name]:
        words = label(code)
        assert words != code and "_" not in words, (code, words)


def test_codes_that_depend_on_their_column():
    assert label("2014", "framework") == "2014 framework"
    assert label("2014") == "2014"  # a bare year elsewhere stays a year
    for status in codes.SEN_STATUSES:
        assert label(status, "sen_status") != status
    assert label(310, "outcome_nccis_code") == "Apprenticeship"
    assert label(310.0, "outcome_nccis_code") == "Apprenticeship"
    assert label(310) == "310"  # a number is only an NCCIS code in its column
    assert label(34, "type_code") == "Academy converter"
    assert label(5, "benchmark").startswith("BM5 Encounters with employers")


def test_words_for_codes_named_in_the_issue():
    assert label("enterprise_adviser") == "Enterprise adviser"
    assert label("work_experience_partner") == "Work experience partner"
    assert label("neet_active") == "NEET (available)"
    assert label("lmi_session") == "Labour market information session"
    assert label("la_tracking") == "LA tracking"
    assert label("mainstream_11_16") == "Mainstream 11–16"
    for role in Role:
        assert label(role.value) != role.value


def test_unknown_values_come_back_as_themselves():
    assert label("some_new_code") == "some_new_code"
    assert label(12) == "12"
    assert label(12.0) == "12"
    assert label(None) == ""
    assert label(float("nan")) == ""


def test_titles_carry_units():
    assert title("distance_km") == "Distance (km)"
    assert title("nearest_supplier_km") == "Nearest supplier (km)"
    assert title("days_waiting") == "Waiting (days)"
    assert title("year_from") == "From year"
    assert title("offer_id") == "Offer"
    assert title("neet_nk_pct") == "NEET or not known (%)"
    assert title("pct_contacted_of_referred") == "Contacted (% of referred)"
    assert title("bm5") == "BM5 (%)"
    assert title("leavers") == "Leavers"
    # A school's benchmarks achieved are whole; the hub's mean of them is a rate.
    assert title("achieved") == "Benchmarks achieved (of 8)"
    assert vocabulary.decimals("achieved") == 0
    assert title("mean_achieved") == "Mean benchmarks achieved (of 8)"
    assert vocabulary.decimals("mean_achieved") == 1
    assert unit("leavers") == "people"
    assert unit("distance_km") == "km"
    assert unit("neet_nk_pct") == "%"
    assert unit("days_waiting") == "days"
    assert unit("name") is None


def test_unknown_columns_get_words_not_snake_case():
    assert title("pct_widgets") == "Widgets (%)"
    assert title("walk_km") == "Walk (km)"
    assert title("england_widget_pct") == "England: Widget (%)"
    assert title("england_neet_nk_pct") == "England: NEET or not known (%)"
    assert title("wait_days") == "Wait (days)"
    assert title("some_new_column") == "Some new column"
    assert unit("pct_widgets") == "%"
    for column in ("pct_widgets", "walk_km", "some_new_column", "change_bm3"):
        assert "_" not in title(column)


def test_rounding_of_single_values():
    assert vocabulary.round_value(5.2168021680216805, 1) == 5.2
    assert vocabulary.round_value(12.0, 0) == 12
    assert isinstance(vocabulary.round_value(12.0, 0), int)
    assert vocabulary.round_value(3.097882, 1) == 3.1
    assert vocabulary.round_value("low", 1) == "low"
    assert vocabulary.round_value("c", 0) == "c"
    # -0.04 rounds to 0.0, never to "-0.0"
    assert str(vocabulary.round_value(-0.04, 1)) == "0.0"
    assert vocabulary.round_value(0.04, 1) == 0.0
    assert vocabulary.round_value(7.25, None) == 7.25


def test_for_display_on_a_small_awkward_frame():
    frame = pd.DataFrame({
        "name": ["<b>Acme</b>", "neet_active"],  # a name that happens to be a code stays
        "role": ["enterprise_adviser", "brand_new_role"],
        "bm5_min_per_pupil": [5.2168021680216805, -0.04],
        "neet_nk_pct": pd.Series(["low", 12.345], dtype=object),
        "leavers": pd.Series([12.0, "c"], dtype=object),
        "spare": [12.0, float("nan")],
        "distance_km": [3.097882, 0.05],
        "days_waiting": [891, 30],
        "urn": [900001, 900002],
        "year_from": [7, 10],
        "cold_spot": [True, False],
        "handed_to": ["ncs", "la_tracking"],
        "handed_to_label": ["National Careers Service", "LA tracking"],
        "la_gss": ["X06000001", "E06000002"],
    })
    before = frame.copy()
    out = for_display(frame, names={"X06000001": "Eastmere"})
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched
    assert vocabulary.is_for_display(out) and not vocabulary.is_for_display(frame)
    assert list(out.columns) == [
        "Name", "Role", "BM5 encounters (per pupil)", "NEET or not known (%)",
        "Leavers", "Spare places", "Distance (km)", "Waiting (days)", "URN", "From year",
        "Cold spot", "Handed to", "Local authority"]
    assert out["Name"].tolist() == ["<b>Acme</b>", "neet_active"]
    assert out["Role"].tolist() == ["Enterprise adviser", "brand_new_role"]
    assert out["BM5 encounters (per pupil)"].tolist() == [5.2, 0.0]
    assert str(out["BM5 encounters (per pupil)"].iloc[1]) == "0.0"
    assert out["NEET or not known (%)"].tolist() == ["low", 12.3]
    leavers = out["Leavers"].tolist()
    assert leavers == [12, "c"] and isinstance(leavers[0], int)
    assert out["Spare places"].iloc[0] == 12 and pd.isna(out["Spare places"].iloc[1])
    assert out["Distance (km)"].tolist() == [3.1, 0.1]
    assert out["Waiting (days)"].tolist() == [891, 30]
    assert out["URN"].tolist() == [900001, 900002]
    assert out["Cold spot"].tolist() == ["Yes", "No"]
    assert out["Handed to"].tolist() == ["National Careers Service", "LA tracking"]
    assert out["Local authority"].tolist() == ["Eastmere", "E06000002"]


def test_for_display_dates_and_duplicate_titles():
    frame = pd.DataFrame({
        "left_on": pd.to_datetime(["2024-06-23", None]),
        "employer": ["A", "B"],
        "employer_name": ["A", "B"],
    })
    out = for_display(frame)
    assert out.iloc[:, 0].tolist()[0] == "2024-06-23"
    assert out.iloc[:, 0].tolist()[1] is None
    assert len(set(out.columns)) == 3  # two columns titled "Employer" made distinct


def test_the_worklists_words_cover_every_outcome_and_state():
    # One list of outcomes (the schema's check constraint) and the leaver states the reads
    # give: each has words, and the page, CLI and offline file take them from one place.
    from hubcore.display import worklists as shown
    from hubcore.models import HANDOVER_OUTCOMES
    from hubcore.worklists import offline

    assert set(vocabulary.CASE_OUTCOMES) == set(HANDOVER_OUTCOMES)
    assert vocabulary.CASE_OUTCOMES["moved_area"] == "Moved out of the area"
    assert set(vocabulary.WORKLIST_STATES) == {"not_known", "stale", "missing", "intended_only"}
    assert shown.OUTCOMES is vocabulary.CASE_OUTCOMES
    assert offline._words("refused", "outcome") == "Refused support"
    assert offline._words("stale", "state") == "Record out of date"
