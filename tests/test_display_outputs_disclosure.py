"""Display outputs outside ``hubcore.display.SOURCES`` show only figures of protected frames.

Those that show figures of people: the flow map's lines (``flow_segments``: a width encodes a
count), the NEET bars (``neet_bars``), the what-it-takes table and its sentences
(``what_it_takes``, ``what_it_takes_sentences``) and the overview's people-facing table
(``overview_table``). The others show no count of people: ``flow_nodes`` (two fixed places),
``profile_heading`` (register facts: GIAS pupil numbers are published), ``overview_sentences``
(counts of schools and a mean of benchmarks per school), ``la_names`` and ``select_schools``
(names, a filter): checked below that they carry no people count of their own.

Hand-made data: the small hub of ``tests/test_display.py`` (see its module note), whose
school A has work experience for 3 of a Year 11 of 900 / 7 = 128.6 (the coverage report shows
129 and hides the 3), and whose B has none.
"""

# ruff: noqa: F811  (the small_hub fixture is imported, then named as a test argument)
from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from hubcore import display
from hubcore.access import Scope
from hubcore.display import employers as shown
from hubcore.metrics import report
from tests.test_display import ANALYST, A, B, small_hub  # noqa: F401

C = "c"


def _is_c(value: object) -> bool:
    return isinstance(value, str) and value == C


# --- what would it take (BM6): shortfall = ⌈target × cohort⌉ − placements -------------------


def test_what_it_takes_hides_a_shortfall_that_gives_back_a_few_placements(small_hub):
    coverage = report.export_table(small_hub, "coverage", ANALYST).set_index("urn")
    # The coverage report: A's Year 11 of 129 beside its 3 placements (hidden), B's 0 shown.
    assert coverage.loc[A, "y11_cohort"] == 129 and coverage.loc[A, "bm6_by16_places"] == C
    assert coverage.loc[B, "bm6_by16_places"] == 0
    table = display.what_it_takes(small_hub, ANALYST, benchmark=6, target_pct=100.0)
    rows = table[table["level"].eq("school")].set_index("urn")
    # Shown, A's shortfall would be ⌈128.6⌉ − 3 = 126 and 129 − 126 = 3 placements: hidden.
    assert rows.loc[A, "shortfall"] == C
    # B: 129 − 0 = 129 gives back only the 0 the coverage report shows.
    assert rows.loc[B, "shortfall"] == 129
    # A is lifted first (126 < 129); both running totals, and the summary's 255, would give
    # the 126 back by difference.
    assert rows["cumulative_needed"].tolist() == [C, C]
    summary = table[table["level"].eq("summary")].iloc[0]
    assert summary["additional_needed"] == C
    # The plan is ordered by shortfall: A, lifted first (126 < 129), would sit first and bound
    # its hidden 126 by B's 129. Hidden rows go after the shown ones, their place hidden.
    schools_in_order = table.loc[table["level"].eq("school"), ["urn", "order"]]
    assert schools_in_order["urn"].tolist() == [B, A]
    assert schools_in_order["order"].tolist() == [1, C]
    # the report's CSV says the same
    exported = report.export_table(small_hub, "what-it-takes", ANALYST,
                                   report.Options(benchmark=6, target_pct=100.0))
    assert exported.loc[exported["urn"].eq(A).fillna(False), "shortfall"].tolist() == [C]
    lines = shown.what_it_takes_sentences(table)
    assert not re.search(r"\b(126|255)\b", " ".join(lines)), lines
    assert lines[-1] == "To reach 100%, 2 more schools need to meet it."


def test_what_it_takes_at_the_default_target_hides_the_same_school(small_hub):
    # The target (80 %) is the share of schools meeting BM6; each school's shortfall is still
    # to reach every Year 11 pupil: A's ⌈128.57 − 3⌉ = 126 would give the 3 back.
    table = display.what_it_takes(small_hub, ANALYST, benchmark=6)
    rows = table[table["level"].eq("school")].set_index("urn")
    assert rows.loc[A, "shortfall"] == C
    assert rows.loc[B, "shortfall"] == math.ceil(900 / 7)


# --- the flow map and the NEET bars: only published counts drawn ------------------------------


def _check_flow_segments(engine, scope) -> int:
    flows = display.transitions_flows(engine, scope)
    school_list = display.schools(engine, scope)
    seg = display.flow_segments(flows, school_list)
    published = pd.to_numeric(flows["leavers"].astype(object), errors="coerce").dropna()
    # every width stands for a count that is published in the flows frame
    assert set(seg["leavers"]) <= set(published.astype(float)), seg
    assert (seg["leavers"] >= display.THRESHOLD).all() or (seg["leavers"] == 0).all()
    if len(seg):
        biggest = seg["leavers"].max()
        assert seg["width"].tolist() == pytest.approx(
            [1.0 + 6.0 * math.sqrt(v / biggest) for v in seg["leavers"]])
    return len(seg)


def test_flow_segments_draw_published_counts_only_small_hub(small_hub):
    # The small hub's records have no provider, so the only line drawn is A's 10 hand-overs
    # to the NCS (shown in the flows frame); the hidden flows of B's 8 leavers are not drawn.
    flows = display.transitions_flows(small_hub, ANALYST)
    seg = display.flow_segments(flows, display.schools(small_hub, ANALYST))
    assert seg[["year_group", "leavers", "to"]].values.tolist() == [
        [11, 10.0, "Handed over to National Careers Service"]]
    assert seg["width"].tolist() == [7.0]
    assert _check_flow_segments(small_hub, ANALYST) == 1


def test_neet_bars_are_the_protected_neet_rows(small_hub):
    neet = display.transitions_neet(small_hub, ANALYST)
    # B's 2023 Year 11: 7 NEET of 8, the 1 in education would be given back: "c".
    y11 = display.neet_bars(neet[neet["cohort"].eq(2023)], 11).set_index("label")
    assert y11.loc["this hub", "text"] == C and math.isnan(y11.loc["this hub", "value"])
    _check_neet_bars(neet)


def _check_neet_bars(neet: pd.DataFrame) -> None:
    for (_cohort, year), rows in neet.groupby(["cohort", "year_group"]):
        bars = display.neet_bars(rows, int(year))
        hub = bars[bars["label"].eq("this hub")].iloc[0]
        value = rows[rows["who"].eq("this hub")]["neet_nk_pct"].iat[0]
        if _is_c(value):
            assert hub["text"] == C and math.isnan(hub["value"])
        elif pd.notna(pd.to_numeric(value, errors="coerce")):
            assert hub["value"] == pytest.approx(float(value))


# --- outputs with no people counts of their own -----------------------------------------------


def _check_overview(engine, scope) -> None:
    table = display.overview_schools(engine, scope)
    people = display.overview_table(table)
    columns = display.overview_columns(table)
    # every hidden cell of the page's frame is hidden in the table people read and download
    for i, column in enumerate(columns.columns):
        hidden = columns[column].astype(object).map(_is_c).to_numpy()
        assert people.iloc[:, i].astype(object)[hidden].eq(C).all(), column
    # the sentences count schools and average benchmarks per school: no people
    summary = display.overview_summary(table)
    text = " ".join(display.overview_sentences(summary))
    numbers = {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    allowed = {float(len(table)), float(summary["assessed"].iat[0]), 8.0,
               round(float(summary["mean_achieved"].iat[0]), 1)
               if summary["assessed"].iat[0] else 0.0}
    note = str(summary["national_note"].iat[0] or "")
    allowed |= {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", note)}
    assert numbers <= allowed, (numbers - allowed, text)
    one = display.select_schools(table, la_gss=None)
    assert list(one.columns) == list(table.columns)  # a filter: the same protected cells


def test_overview_outputs_small_hub(small_hub):
    _check_overview(small_hub, ANALYST)
    heading = display.profile_heading(small_hub, ANALYST)
    # register facts only: the pupils are GIAS's 900, not a count of our records
    assert heading["pupils"].tolist() == [900, 900]
    assert set(display.flow_nodes(display.schools(small_hub, ANALYST))["label"]) == {
        "NCS", "LA tracking"}


# --- the same checks on the demo --------------------------------------------------------------


def test_display_outputs_on_the_demo(demo_engine):
    scope = Scope.admin()
    assert _check_flow_segments(demo_engine, scope) > 0
    _check_neet_bars(display.transitions_neet(demo_engine, scope))
    _check_overview(demo_engine, scope)
    coverage = report.export_table(demo_engine, "coverage", scope)
    for benchmark, column in ((5, "bm5_participants"), (6, "bm6_by16_places")):
        table = display.what_it_takes(demo_engine, scope, benchmark=benchmark)
        rows = table[table["level"].eq("school")]
        school_rows = coverage[coverage["level"].eq("school")]
        hidden = set(school_rows.loc[school_rows[column].astype(object).eq(C), "urn"])
        for r in rows.itertuples():
            if r.urn in hidden:
                assert r.shortfall == C, (benchmark, r.urn)
        shown.what_it_takes_sentences(table)  # words for every case, hidden or not
