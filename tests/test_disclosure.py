"""Disclosure control: counts of people under 6 become "c", so does every percentage or
statistic resting on one, and complementary suppression leaves no suppressed cell that a
subtraction or a percentage × base gives back. Expected values are worked by hand below."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hubcore import disclosure
from hubcore.disclosure import Relation
from hubcore.disclosure import engine as disclosure_engine

C = disclosure.SUPPRESSED


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
    # 3 leavers suppress the count and the rate. 2 NEET of 6 leavers: the count is
    # suppressed, so its rate must be too (33.3 % of 6 shown leavers gives the 2 back: the
    # leak the old version of this test asserted as correct).
    assert out["leavers"].tolist() == [0, C, 6, 40]
    assert out["neet"].tolist() == [0, C, C, 12]
    got = out["neet_pct"].tolist()
    assert np.isnan(got[0])  # a rate of nobody is no rate: missing, not 0 and not "c"
    assert got[1:] == [C, C, 30.0]
    assert out["ratio"].tolist() == [1.23, 2.0, 3.0, 4.0]
    # the input is not modified
    assert frame["leavers"].tolist() == [0, 3, 6, 40]
    assert frame["neet"].tolist() == [0, 1, 2, 12]


def test_percent_of_a_large_base_is_suppressed_when_its_numerator_is_small():
    # 4 of 1,000 = 0.4 %: the base is large but the percentage describes 4 people.
    frame = pd.DataFrame({"leavers": [1000, 1000], "pct_custody": [0.4, 0.6]})
    out = disclosure.apply(frame, counts=["leavers"], percents={"pct_custody": "leavers"})
    assert out["pct_custody"].tolist() == [C, 0.6]


def test_positive_percent_rounding_to_zero_is_low_and_true_zero_stays_zero():
    # 8 of 20,000 = 0.04 % rounds to 0.0 but is not zero: DfE's "low". 0 of 20,000 is 0.0.
    frame = pd.DataFrame({"leavers": [20000, 20000], "pct_training": [0.04, 0.0]})
    out = disclosure.apply(frame, counts=["leavers"], percents={"pct_training": "leavers"})
    assert out["pct_training"].tolist() == [disclosure.LOW, 0.0]
    assert disclosure.LOW == "low"


def test_one_suppressed_cell_in_a_row_gets_a_complement():
    # left 10 = referred 7 + not referred 3: hiding only the 3 gives it back as 10 − 7, so the
    # smallest other non-zero cell (7, not the total 10) is hidden too, and with it the rate.
    frame = pd.DataFrame(
        {"left": [10], "referred": [7], "not_referred": [3], "pct_referred": [70.0]}
    )
    out = disclosure.apply(
        frame,
        counts=["left", "referred", "not_referred"],
        percents={"pct_referred": "left"},
        numerators={"pct_referred": "referred"},
        relations=[Relation("left", ("referred", "not_referred"))],
    )
    assert out.iloc[0].tolist() == [10, C, C, C]


def test_zero_row_and_total_equal_to_one_cell_need_nothing():
    frame = pd.DataFrame(
        {"left": [0, 9], "referred": [0, 9], "not_referred": [0, 0]}
    )
    out = disclosure.apply(
        frame,
        counts=["left", "referred", "not_referred"],
        relations=[Relation("left", ("referred", "not_referred"))],
    )
    # zeros are never suppressed and never chosen as complements
    assert out.to_numpy().tolist() == [[0, 0, 0], [9, 9, 0]]


def test_destination_percentages_stand_for_counts_that_add_up_to_leavers():
    # 9 leavers: 8 in education (88.9 %), 1 in custody (11.1 %), others 0. The 1 is hidden;
    # 88.9 % of 9 would give 8 and 9 − 8 the custody 1, so education is hidden too. A total
    # that is itself small hides its only category by the primary rule alone.
    frame = pd.DataFrame(
        {
            "leavers": [9, 4],
            "pct_education": [800 / 9, 100.0],
            "pct_custody": [100 / 9, 0.0],
            "pct_training": [0.0, 0.0],
        }
    )
    pcts = ("pct_education", "pct_custody", "pct_training")
    out = disclosure.apply(
        frame,
        counts=["leavers"],
        percents=dict.fromkeys(pcts, "leavers"),
        relations=[Relation("leavers", pcts)],
    )
    assert out.iloc[0].tolist() == [9, C, C, 0.0]
    assert out.iloc[1].tolist() == [C, C, C, C]  # base 4 hides every rate over it


def test_complements_cascade_between_rows_and_columns():
    # Two schools and the hub (the hub row is the sum of the school rows):
    #   A: left 10 = referred 8 + not referred 2   → 2 hidden, then 8 (row relation)
    #   B: left 20 = referred 14 + not referred 6
    #   hub: left 30 = referred 22 + not referred 8
    # Hub referred 22 = 8 (hidden) + 14 → 14 hidden (smaller than 22); then B's row
    # 20 = 14 (hidden) + 6 → 6 hidden. Now every relation has 0 or 2 hidden cells.
    frame = pd.DataFrame(
        {
            "section": ["school", "school", "hub"],
            "urn": [1, 2, None],
            "left": [10, 20, 30],
            "referred": [8, 14, 22],
            "not_referred": [2, 6, 8],
        }
    )
    cols = ("left", "referred", "not_referred")
    relations = [
        Relation("left", ("referred", "not_referred")),
        *(Relation(c, (c,), rows="hub", part_rows="school") for c in cols),
    ]
    out = disclosure.apply(frame, counts=list(cols), relations=relations)
    assert out[list(cols)].to_numpy().tolist() == [[10, C, C], [20, C, C], [30, 22, 8]]
    # Left to itself the hub row would give A's 2 back (8 − 6), which is why B is hidden.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(disclosure_engine, "SECONDARY", False)
        primary = disclosure.apply(frame, counts=list(cols), relations=relations)
    assert primary[list(cols)].to_numpy().tolist() == [[10, 8, C], [20, 14, 6], [30, 22, 8]]


def test_hidden_cells_that_are_all_ones_get_a_complement():
    # 8 = 1 + 1 + 6: two hidden cells, but each is at least 1 and they add up to 8 − 6 = 2,
    # so both are 1: the 6 must go too (then the hidden 1, 1, 6 could be 1..6 each).
    frame = pd.DataFrame({"total": [8], "a": [1], "b": [1], "d": [6]})
    out = disclosure.apply(frame, counts=["total", "a", "b", "d"],
                           relations=[Relation("total", ("a", "b", "d"))])
    assert out.iloc[0].tolist() == [8, C, C, C]


def test_inequality_rest_may_be_zero():
    # Education-or-apprenticeship 10 ≥ education 1 + apprenticeship 9 (the rest, mixed
    # spells, is not published and is 0 here): education ≤ 10 − 9 = 1 and ≥ 1 gives it back,
    # so apprenticeship is hidden too. With a rest of 2 (8 apprenticeship) the bound is
    # 1..3 already and nothing else is hidden.
    frame = pd.DataFrame({"edu_app": [10, 10], "edu": [1, 1], "app": [9, 7]})
    out = disclosure.apply(frame, counts=["edu_app", "edu", "app"],
                           relations=[Relation("edu_app", ("edu", "app"), partial=True)])
    assert out.to_numpy().tolist() == [[10, C, C], [10, C, 7]]


def test_audit_catches_a_cell_pinned_by_two_relations_together():
    # hand-overs 9 = referred 8 + not referred 1, and referred ≥ contacted 8. Hiding the 1
    # and its complement 8 satisfies each relation alone, but together they pin referred:
    # ≤ 9 − 1 (not referred ≥ 1) and ≥ 8. The audit hides one more cell in each relation
    # holding the pinned cell (hand-overs 9 and contacted 8): then referred is 1..8.
    frame = pd.DataFrame(
        {"handovers": [9], "referred": [8], "not_referred": [1], "contacted": [8]}
    )
    cols = ["handovers", "referred", "not_referred", "contacted"]
    relations = [Relation("handovers", ("referred", "not_referred")),
                 Relation("referred", ("contacted",), partial=True)]
    out = disclosure.apply(frame, counts=cols, relations=relations)
    assert out.iloc[0].tolist() == [C, C, C, C]


def test_relation_that_does_not_hold_is_ignored():
    # Declared hub = Σ schools, but the data say otherwise (a school outside the table):
    # the relation is not used, so nothing beyond the primary cell is hidden.
    frame = pd.DataFrame(
        {"section": ["school", "school", "hub"], "urn": [1, 2, None], "neet": [3, 10, 40]}
    )
    out = disclosure.apply(
        frame, counts=["neet"], relations=[Relation("neet", ("neet",), "hub", "school")]
    )
    assert out["neet"].tolist() == [C, 10, 40]


def test_the_same_figure_in_two_sections_is_hidden_in_both():
    # The lag section repeats the funnel's `referred`; hiding it in one only is no hiding.
    frame = pd.DataFrame(
        {
            "section": ["funnel", "lag"],
            "urn": [1, 1],
            "left": [12, np.nan],
            "referred": [9, 9],
            "not_referred": [3, np.nan],
            "median_days": [np.nan, 20.25],
        }
    )
    out = disclosure.apply(
        frame,
        counts=["left", "referred", "not_referred"],
        statistics={"median_days": ("referred", 1)},
        relations=[
            Relation("left", ("referred", "not_referred")),
            Relation("referred", ("referred",), "lag", "funnel", keys=("urn",)),
        ],
    )
    assert out["referred"].tolist() == [C, C]
    assert out["median_days"].tolist()[1] == C


def test_differences_follow_the_rate_they_come_from():
    # NEET + NK 5 of 40 = 12.5 %: the count is small, so the rate is hidden, and so is its
    # difference from England's 5.6 (12.5 − 5.6 = 6.9 would give the rate back).
    frame = pd.DataFrame(
        {"denominator": [40], "neet_nk_pct": [12.5], "vs_england_neet_nk": [6.9]}
    )
    spec = disclosure.Spec(
        counts=("denominator",),
        percents={"neet_nk_pct": "denominator"},
        statistics={"vs_england_neet_nk": ("denominator", 1)},
        follows={"vs_england_neet_nk": ("neet_nk_pct",)},
    )
    out = disclosure.apply_spec(frame, spec)
    assert out.iloc[0].tolist() == [40, C, C]


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
        relations=(Relation("leavers", ("pct", "absent")),),
    )
    # 2 of 4 (base small), 6 of 8 = 75 % (numerator 6, shown)
    frame = pd.DataFrame({"leavers": [4, 8], "pct": [50.0, 75.0], "pct2": [1.06, 2.0]})
    out = disclosure.apply_spec(frame, spec)
    assert out["leavers"].tolist() == ["c", 8]
    assert out["pct"].tolist() == ["c", 75.0]
    assert out["pct2"].tolist() == [1.1, 2.0]


def test_threshold_is_six():
    assert disclosure.THRESHOLD == 6
    assert disclosure.SUPPRESSED == "c"
    # 5 is the largest count hidden, 6 the smallest shown
    out = disclosure.apply(pd.DataFrame({"n": [5, 6]}), counts=["n"])
    assert out["n"].tolist() == [C, 6]


def test_report_rules_live_in_the_engine():
    from hubcore.metrics import report

    assert report.SPECS is disclosure.SPECS
    assert set(report.KINDS) <= set(disclosure.SPECS)
