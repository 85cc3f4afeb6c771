"""The benchmark trajectory as displayed (issue 15 item 4): :mod:`hubcore.display.trajectory`
on hand-made assessment histories, the overview's "projected to miss" view and the briefing's
trajectory section.

Report date 15 April 2026, so the snapshot is 31 July 2026. Days: 31 Dec 2025 → 31 Mar 2026 =
90; 31 Dec 2025 → 31 Jul 2026 = 212. A line through (0, y0) and (90, y1) read at day 212 is
y0 + (y1 − y0) × 212 / 90.

BM5 histories (other benchmarks not assessed unless said):

- Ash 700001: 50 → 59, slope 0.1 a day: 50 + 21.2 = 71.2 → will miss; 36.525 pp a year →
  36.5, rising. Also BM3 90 → 90 (flat, short of 100).
- Birch 700002: one assessment (80): not enough history.
- Cedar 700003: no assessment at all.
- Damson 700004: 100 → 100: achieved (100.0), flat.
- Elm 700005: 100 → 91: 100 − 21.2 = 78.8 → will miss, falling (−36.5).
- Fir 700006: 78.8 → 87.8: 78.8 + 21.2 = 100.0 exactly on the line → achieved.

Hub, BM5: projected 4 (Ash, Damson, Elm, Fir), achieving 2 → 50.0 %; will miss 2; not
projected 6 − 4 = 2; target 80 % of 4 = 3.2 → 4 needed → 2 short.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from hubcore.display import trajectory as dt_

AS_OF = dt.date(2026, 4, 15)
DEC, MAR = "2025-12-31", "2026-03-31"

SCHOOLS = pd.DataFrame({
    "urn": [700001, 700002, 700003, 700004, 700005, 700006],
    "name": ["Ash School", "Birch School", "Cedar School", "Damson School", "Elm School",
             "Fir School"],
    "kind": ["mainstream_11_16", "special", "special", "mainstream_11_18", "fe_college",
             "mainstream_11_16"],
    "la_gss": ["E1", "E1", "E2", "E2", "E1", "E2"],
})  # fmt: skip

# urn → [(date, {benchmark: percent})]
HISTORIES = {
    700001: [(DEC, {5: 50, 3: 90}), (MAR, {5: 59, 3: 90})],
    700002: [(MAR, {5: 80})],
    700004: [(DEC, {5: 100}), (MAR, {5: 100})],
    700005: [(DEC, {5: 100}), (MAR, {5: 91})],
    700006: [(DEC, {5: 78.8}), (MAR, {5: 87.8})],
}


def _assessments(histories: dict) -> pd.DataFrame:
    rows = []
    for urn, points in histories.items():
        for on, scores in points:
            row = {"urn": urn, "assessed_on": on, "framework": "2024"}
            row.update({f"bm{b}": float(scores.get(b, math.nan)) for b in range(1, 9)})
            rows.append(row)
    columns = ["urn", "assessed_on", "framework", *(f"bm{b}" for b in range(1, 9))]
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture(scope="module")
def bm5() -> pd.DataFrame:
    return dt_.school_rows(_assessments(HISTORIES), SCHOOLS, 5, AS_OF)


def test_each_school_current_projected_and_will_miss_worked_by_hand(bm5):
    rows = bm5.set_index("urn")
    assert len(bm5) == 6  # every school in scope, assessed or not
    ash = rows.loc[700001]
    assert (ash["current_pct"], ash["projected_pct"], ash["target_pct"]) == (59.0, 71.2, 100.0)
    assert (ash["will_miss"], ash["trend"], ash["slope_pp_per_year"]) == ("yes", "rising", 36.5)
    assert ash["held_back_by"] == "BM5 71.2 % (rising); BM3 90 % (flat)"
    assert ash["method"] == "least squares over 2 assessments" and ash["assessments"] == 2
    assert ash["latest_on"] == MAR and ash["snapshot"] == "2026-07-31"
    elm = rows.loc[700005]
    assert (elm["projected_pct"], elm["will_miss"], elm["trend"]) == (78.8, "yes", "falling")
    assert elm["slope_pp_per_year"] == -36.5


def test_one_assessment_and_none_cannot_be_projected(bm5):
    rows = bm5.set_index("urn")
    birch, cedar = rows.loc[700002], rows.loc[700003]
    assert birch["will_miss"] == "not enough history" and birch["current_pct"] == 80.0
    assert math.isnan(birch["projected_pct"]) and birch["assessments"] == 1
    assert cedar["will_miss"] == "no assessment" and cedar["assessments"] == 0
    assert math.isnan(cedar["current_pct"]) and cedar["method"] == "no assessment"
    assert cedar["held_back_by"] == "" and cedar["trend"] == ""


def test_a_school_exactly_on_target_does_not_miss(bm5):
    rows = bm5.set_index("urn")
    assert (rows.loc[700004, "projected_pct"], rows.loc[700004, "will_miss"]) == (100.0, "no")
    # 78.8 + 0.1 × 212 lands on 100 (to one decimal): achieved, not missed.
    assert (rows.loc[700006, "projected_pct"], rows.loc[700006, "will_miss"]) == (100.0, "no")
    assert rows.loc[700006, "held_back_by"] == ""


def test_order_metadata_and_sentences(bm5):
    # Will miss first (lowest projection first), then the unprojectable, then on course.
    assert bm5["name"].tolist() == ["Ash School", "Elm School", "Birch School", "Cedar School",
                                    "Damson School", "Fir School"]
    meta = bm5.attrs["display"]
    assert meta["snapshot"] == "2026-07-31" and "least-squares" in meta["method"]
    assert meta["benchmark"] == 5 and meta["will_miss"] == 2 and meta["base"]
    assert meta["title"].startswith("BM5 ") and "31 July 2026" in meta["title"]
    assert dt_.sentences(bm5) == [
        "2 schools of the 4 with a projection will miss BM5 (100 %) by 31 July 2026; "
        "2 are on course.",
        "2 schools have too little Compass history to project (one assessment, or none).",
    ]


def test_at_risk_rows_and_their_table(bm5):
    risk = dt_.at_risk(bm5)
    assert risk["urn"].tolist() == [700001, 700005]
    assert "kind" not in risk.columns and risk.attrs["display"]["titles"]["will_miss"]
    assert risk["school"].tolist() == ["Ash School", "Elm School"] and "name" not in risk
    table = dt_.at_risk_table(bm5)
    assert table["School or college"].tolist() == ["Ash School", "Elm School"]
    assert table["Projected on the snapshot (%)"].tolist() == [71.2, 78.8]


def test_filtered_rows_sentence_counts_only_those_shown(bm5):
    from hubcore.display.overview import select_schools

    e1 = select_schools(bm5, None, "E1")  # Ash, Birch, Elm
    assert dt_.sentences(e1) == [
        "2 schools of the 2 with a projection will miss BM5 (100 %) by 31 July 2026; "
        "0 are on course.",
        "1 school has too little Compass history to project (one assessment, or none).",
    ]


def test_no_assessments_at_all():
    rows = dt_.school_rows(_assessments({}), SCHOOLS, 5, AS_OF)
    assert set(rows["will_miss"]) == {"no assessment"}
    assert dt_.sentences(rows) == [
        "No school shown can be projected to 31 July 2026 on BM5 yet.",
        "6 schools have too little Compass history to project (one assessment, or none).",
    ]
    hub = dt_.hub_rows(_assessments({}), SCHOOLS, AS_OF).set_index("benchmark")
    assert hub.loc["BM5", "projected"] == 0 and hub.loc["BM5", "not_projected"] == 6
    assert hub.loc["BM5", "meets_target"] == "cannot tell"


def test_hub_rows_worked_by_hand():
    frame = dt_.hub_rows(_assessments(HISTORIES), SCHOOLS, AS_OF, 80.0)
    meta = frame.attrs["display"]
    assert meta["target_pct"] == 80.0 and "two dates" in meta["base"]
    assert meta["snapshot"] == "2026-07-31" and "least-squares" in meta["method"]
    hub = frame.set_index("benchmark")
    bm5 = hub.loc["BM5"]
    assert (bm5["schools"], bm5["projected"], bm5["not_projected"]) == (6, 4, 2)
    assert (bm5["projected_achieving"], bm5["will_miss"]) == (2, 2)
    assert bm5["pct_projected_achieving"] == 50.0 and bm5["target_pct"] == 80.0
    assert (bm5["meets_target"], bm5["schools_short"]) == ("no", 2)
    assert bm5["held_back"] == "Ash School; Elm School"
    assert bm5["sentence"] == (
        "BM5: 2 schools of 4 with a projection will miss it by 31 July 2026; 50.0 % projected "
        "to achieve it against the hub's target of 80 % (2 schools short).")
    # BM3: only Ash has two BM3 assessments (90 flat): 1 projected, 0 achieving.
    bm3 = hub.loc["BM3"]
    assert (bm3["projected"], bm3["will_miss"], bm3["schools_short"]) == (1, 1, 1)
    assert hub.loc["BM1", "meets_target"] == "cannot tell"
    assert hub.loc["BM1", "sentence"] == "BM1: no school can be projected to 31 July 2026 yet."


def test_hub_exactly_on_target():
    """Five schools, four at 100 % twice and one at 50 % twice: 4 ÷ 5 = 80.0 % meets 80 %."""
    hist = {u: [(DEC, {5: 100}), (MAR, {5: 100})] for u in (700001, 700002, 700003, 700004)}
    hist[700005] = [(DEC, {5: 50}), (MAR, {5: 50})]
    five = SCHOOLS[SCHOOLS["urn"] != 700006]
    bm5 = dt_.hub_rows(_assessments(hist), five, AS_OF, 80.0).set_index("benchmark").loc["BM5"]
    assert (bm5["pct_projected_achieving"], bm5["meets_target"]) == (80.0, "yes")
    assert (bm5["will_miss"], bm5["schools_short"]) == (1, 0)
    assert bm5["sentence"].endswith("against the hub's target of 80 %.")


def test_benchmark_out_of_range_is_refused():
    with pytest.raises(ValueError, match="1-8"):
        dt_.school_rows(_assessments(HISTORIES), SCHOOLS, 0, AS_OF)


def test_registered_as_display_sources():
    from hubcore import display

    assert display.SOURCES["trajectory_schools"] is dt_.trajectory_schools
    assert display.SOURCES["trajectory_hub"] is dt_.trajectory_hub


# --- the overview's view ----------------------------------------------------------------------


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _will_miss(engine, benchmark: int, kinds=None) -> set[int]:
    """The schools the metrics project short of 100 % on ``benchmark`` by the next snapshot."""
    from hubcore import store
    from hubcore.access import Scope
    from hubcore.metrics import trajectory as tj

    traj = tj.school_trajectories(store.assessments(engine, Scope.admin("DEMO")),
                                  dt.date.today())
    short = traj[traj["benchmark"].eq(benchmark) & traj["projected_achieved"].eq(False)]
    urns = set(short["urn"])
    if kinds is not None:
        schools = pd.DataFrame(store.schools(engine, Scope.admin("DEMO")))
        urns &= set(schools.loc[schools["kind"].isin(kinds), "urn"])
    return urns


def test_overview_view_lists_the_schools_projected_to_miss(demo_engine):
    pytest.importorskip("panel")
    from dashboards.common.trajectory_view import TrajectoryView
    from dashboards.overview import AreaOverview

    page = AreaOverview(db_url=_url(demo_engine), benchmark=6)
    (view,) = [v for v in page._views if isinstance(v, TrajectoryView)]
    expected = _will_miss(demo_engine, 6)
    assert expected  # the demo has schools short of BM6
    shown = view._table.value
    assert set(shown["urn"].astype(int)) == expected and len(shown) == len(expected)
    text = view._text.object.replace("\\", "")  # Markdown escapes
    assert f"{len(expected)} schools of the" in text and "will miss BM6" in text
    # One pane: the heading first, the sentences, the note on the method last.
    assert text.startswith("### ") and "BM6" in text.split("\n\n")[0]
    assert "least-squares" in text.split("\n\n")[-1]
    # A filter keeps the same schools as the rest of the page; the table is refilled in place.
    table = view._table
    page.school_types = ["special"]
    specials = _will_miss(demo_engine, 6, ["special"])
    assert view._table is table
    assert set(view._table.value["urn"].astype(int)) == specials
    assert 0 < len(specials) < len(expected)
    # The benchmark chooser changes the benchmark; "benchmarks achieved" shows BM5.
    page.param.update(school_types=page.param["school_types"].default, benchmark=0)
    assert set(view._table.value["urn"].astype(int)) == _will_miss(demo_engine, 5)
    # The downloads hold the same schools, titled for people.
    export = view.export()
    assert set(export["URN"].astype(int)) == _will_miss(demo_engine, 5)
    assert "Projected on the snapshot (%)" in export.columns


def test_warm_up_and_benchmark_changes_share_one_scopes_trajectories(demo_engine, monkeypatch):
    """The server's warm-up works out the overview's trajectories for its scope once; a page
    of that scope and its benchmark changes reuse them (England's took minutes per benchmark),
    and each benchmark still lists exactly its own schools."""
    pytest.importorskip("panel")
    from dashboards.common import data, trajectory_view
    from dashboards.common.trajectory_view import TrajectoryView
    from dashboards.overview import AreaOverview
    from hubcore.display import trajectory as shown

    worked = []
    real = shown.school_trajectories
    monkeypatch.setattr(shown, "school_trajectories",
                        lambda a, as_of=None: worked.append(as_of) or real(a, as_of))
    trajectory_view.school_trajectories.clear()
    trajectory_view.trajectory.clear()
    url = _url(demo_engine)
    data.warm(url, data.scope_key(url, None))
    assert worked == [dt.date.today()]
    page = AreaOverview(db_url=url)
    (view,) = [v for v in page._views if isinstance(v, TrajectoryView)]
    for benchmark in (6, 3, 5):
        page.benchmark = benchmark
        assert set(view._table.value["urn"].astype(int)) == _will_miss(demo_engine, benchmark)
    assert worked == [dt.date.today()]  # worked out once, by the warm-up


def test_the_view_module_computes_no_figure():
    from pathlib import Path

    from tests.test_pages_compute_nothing import computations

    path = Path(__file__).resolve().parents[1] / "dashboards" / "common" / "trajectory_view.py"
    assert computations(path.read_text(encoding="utf-8"), path.name) == []


# --- the briefing's section -------------------------------------------------------------------

BRIEF_ON = dt.date(2026, 11, 1)  # snapshot 31 July 2027


def test_briefing_has_the_trajectory_section(demo_engine):
    from hubcore import store
    from hubcore.access import Scope
    from hubcore.briefing import content, maps, pages, render_html
    from hubcore.metrics import trajectory as tj

    b = content.gather(demo_engine, Scope.admin(hub_id="DEMO"), BRIEF_ON)
    traj = tj.school_trajectories(store.assessments(demo_engine, Scope.admin("DEMO")), BRIEF_ON)
    short = traj[traj["projected_achieved"].eq(False)].groupby("benchmark")["urn"].nunique()
    hub = b.trajectory
    assert hub.title == "Benchmark trajectory: projected to 31 July 2027"
    column = hub.columns.index("Will miss")
    assert [r[0] for r in hub.rows] == [f"BM{i}" for i in range(1, 9)]
    assert [int(r[column]) for r in hub.rows] == [int(short.get(i, 0)) for i in range(1, 9)]
    assert "least-squares" in hub.note and "80 %" in hub.note
    # The schools projected to miss the briefing's benchmark (BM5), lowest first.
    bm5 = traj[traj["benchmark"].eq(5) & traj["projected_achieved"].eq(False)]
    names = pd.DataFrame(store.schools(demo_engine, Scope.admin("DEMO")))[["urn", "name"]]
    expected = bm5.merge(names, on="urn").sort_values(["projected_pct", "name"])["name"]
    schools = b.trajectory_schools
    assert schools.title.startswith("Schools projected to miss BM5 ")
    assert [r[0] for r in schools.rows] == expected.head(10).tolist()
    assert b.tables()[2:4] == [hub, schools]  # printed right after the benchmark summary
    # On the PDF's benchmark page and in the HTML.
    fig = pages.benchmark_page(b)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert hub.title in texts and schools.title in texts
    html = render_html.render_html(
        b, {f"map_{key}.png": b"png" for key in maps.MAPS}).decode("utf-8")
    assert "Benchmark trajectory: projected to 31 July 2027</h3>" in html
    assert html.index("Benchmark trajectory") < html.index(maps.MAPS[next(iter(maps.MAPS))])
