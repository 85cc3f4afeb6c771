"""Each dashboard is a component an analyst can display in a notebook over any database: it
builds its Bokeh models without a server, and its numbers come from hubcore.metrics."""

from __future__ import annotations

import pandas as pd
import pytest

pn = pytest.importorskip("panel")

from dashboards.employers import EmployerSupply  # noqa: E402
from dashboards.overview import AreaOverview  # noqa: E402
from dashboards.profile import SchoolProfile  # noqa: E402
from dashboards.transitions import Transitions  # noqa: E402
from hubcore import metrics, store  # noqa: E402
from hubcore.access import Scope  # noqa: E402


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("component", [AreaOverview, SchoolProfile, EmployerSupply, Transitions])
def test_component_renders_without_a_server(demo_engine, component):
    view = component(db_url=_url(demo_engine))
    from bokeh.models import Plot

    root = pn.panel(view).get_root()
    assert len(list(root.select({"type": Plot}))) >= 1  # at least one chart was built
    assert view.hub_id == "DEMO"


def test_overview_table_holds_the_metric_values(demo_engine):
    view = AreaOverview(db_url=_url(demo_engine), school_types=["special"])
    table = view.schools_table()
    assert set(table["kind"]) == {"special"}
    period_date, framework = view.period.split("|")
    assessments = store.assessments(demo_engine, Scope.admin("DEMO"))
    expected = metrics.school_benchmarks(
        assessments[assessments["assessed_on"] <= period_date], framework)
    merged = table.merge(expected[["urn", "achieved"]], on="urn", suffixes=("", "_metric"))
    assert len(merged) == len(table) and (merged["achieved"] == merged["achieved_metric"]).all()


def test_overview_filters_update_the_views_in_place(demo_engine):
    view = AreaOverview(db_url=_url(demo_engine))
    every = len(view.schools_table())
    body = list(view._body)
    summary, school_map, table, _trajectory = view._views
    tabulator, figure = table._table, school_map._map.object
    view.school_types = ["fe_college", "sixth_form_college"]
    kept = view.schools_table()
    assert 0 < len(kept) < every
    assert set(kept["kind"]) <= {"fe_college", "sixth_form_college"}
    # Nothing laid out again: the same body, table and map figure, refilled.
    assert list(view._body) == body
    assert table._table is tabulator and school_map._map.object is figure
    assert len(tabulator.value) == len(kept)
    assert f"{len(kept)} schools and colleges shown" in summary._text.object.replace("\\", "")
    export = view.export()  # what the downloads hold: every row the filters keep
    assert list(export.columns[:4]) == ["School or college", "URN", "Type", "Local authority"]
    assert len(export) == len(kept)


def test_overview_with_no_school_type_shows_none(demo_engine):
    view = AreaOverview(db_url=_url(demo_engine), school_types=[])
    assert view.schools_table().empty
    assert "No schools or colleges match" in view._views[0]._text.object


@pytest.mark.parametrize("component", [AreaOverview, SchoolProfile, EmployerSupply, Transitions])
def test_unknown_hub_in_a_link_shows_the_first_hub(demo_engine, component):
    view = component(db_url=_url(demo_engine), hub_id="NO-SUCH-HUB")
    assert view.hub_id == "DEMO"


# --- the overview's display functions (hubcore.display.overview), on small awkward frames ---

from hubcore.display import overview as shown  # noqa: E402


def _overview_rows() -> pd.DataFrame:
    """Three schools as overview_schools gives them: an awkward BM5 rate, a suppressed reach,
    two LAs (one without a name), a kind without an assessment."""
    return pd.DataFrame({
        "urn": [101, 102, 103],
        "name": ["Alder School", "Birch College", "Cedar Special"],
        "kind": ["mainstream_11_16", "fe_college", "special"],
        "la_gss": ["E08000035", "E06000001", "E08000035"],
        "la_name": ["Leeds", "E06000001", "Leeds"],
        "pupils": [900, 1500, 120],
        "assessed_on": pd.to_datetime(["2026-07-31", "2026-07-31", None]),
        "achieved": [5.0, 8.0, float("nan")],
        "bm5": [100.0, 87.5, float("nan")],
        "bm5_min_per_pupil": [5.2168021680216805, 0.04, float("nan")],
        "bm6_by16_pct": pd.Series([33.333333, "c", 100.0], dtype=object),
        "pal_met": [True, False, True],
    })


def test_select_schools_keeps_the_kinds_and_la_asked_for():
    rows = _overview_rows()
    assert shown.select_schools(rows)["urn"].tolist() == [101, 102, 103]
    assert shown.select_schools(rows, ["special", "fe_college"])["urn"].tolist() == [102, 103]
    # Birch College (102) is the one school in E06000001.
    assert shown.select_schools(rows, None, "E08000035")["urn"].tolist() == [101, 103]
    assert shown.select_schools(rows, ["fe_college", "special"], "E08000035")[
        "urn"].tolist() == [103]
    assert shown.select_schools(rows, [])["urn"].tolist() == []  # no box ticked: nothing


def test_overview_table_reads_as_words_with_rounded_numbers_and_sources():
    out = shown.overview_table(_overview_rows())
    assert list(out.columns) == [
        "School or college", "URN", "Type", "Local authority", "Pupils", "Compass assessment",
        "Benchmarks achieved (of 8, Compass)", "BM5 (%, Compass)",
        "BM5 encounters per pupil, lowest year (encounter log)",
        "BM6 reach by 16 (%, encounter log)", "Provider access met (encounter log)"]
    first = out.iloc[0]
    # 5.2168… encounters per pupil to one decimal; 33.33…% to one decimal.
    assert first["BM5 encounters per pupil, lowest year (encounter log)"] == 5.2
    assert out.iloc[1]["BM5 encounters per pupil, lowest year (encounter log)"] == 0.0
    assert first["BM6 reach by 16 (%, encounter log)"] == 33.3
    assert out.iloc[1]["BM6 reach by 16 (%, encounter log)"] == "c"  # suppressed stays c
    assert out["Type"].tolist() == ["Mainstream 11–16", "FE college", "Special school"]
    # LA names where the boundaries name them; the code where none does.
    assert out["Local authority"].tolist() == ["Leeds", "E06000001", "Leeds"]
    assert first["Compass assessment"] == "2026-07-31"
    assert out["Provider access met (encounter log)"].tolist() == ["Yes", "No", "Yes"]
    csv = out.to_csv(index=False)
    assert "5.2168" not in csv and "X06" not in csv and "mainstream_11_16" not in csv


def test_overview_sentences_read_as_english_at_zero_one_and_many():
    rows = _overview_rows()
    none = shown.overview_sentences(shown.overview_summary(rows.iloc[0:0]))
    assert none == ["No schools or colleges match these filters."]
    one = shown.overview_sentences(shown.overview_summary(rows.iloc[[2]]))
    assert one == ["1 school or college shown; none has a Compass assessment in this period."]
    many = shown.overview_sentences(shown.overview_summary(rows.assign(framework="2024")))
    # Mean of the two assessed: (5 + 8) / 2 = 6.5; the third has no assessment.
    assert many[0] == "3 schools and colleges shown."
    assert many[1] == ("Mean benchmarks fully achieved: 6.5 of 8 over the 2 assessed "
                       "(Compass self-assessment, 2024 framework). 1 has no assessment in "
                       "this period.")
    # (5 + 8 + 4) / 3 = 5.666…: one decimal for people.
    thirds = rows.assign(framework="2024", achieved=[5.0, 8.0, 4.0])
    assert "achieved: 5.7 of 8 over the 3 assessed" in \
        shown.overview_sentences(shown.overview_summary(thirds))[1]


def test_overview_schools_names_the_la(demo_engine):
    table = shown.overview_schools(demo_engine, Scope.admin("DEMO"))
    areas = store.areas(demo_engine, Scope.admin("DEMO"), kind="lad")
    expected = dict(zip(areas["code"], areas["name"], strict=True))
    assert set(table["la_gss"]) <= set(expected)
    assert (table["la_name"] == table["la_gss"].map(expected)).all()
    assert not table["la_name"].str.fullmatch(r"[A-Z]\d{8}").any()


# --- profile and transitions: views built once, refilled in place (issue #14 item 6) ---------


def _school_name(engine, urn: int) -> str:
    schools = store.schools(engine, Scope.admin("DEMO"))
    return str(schools.loc[schools["urn"] == urn, "name"].iat[0])


def test_profile_school_change_updates_the_views_in_place(demo_engine):
    view = SchoolProfile(db_url=_url(demo_engine))
    first, second = list(view.param.urn.objects)[:2]
    view.urn = first
    body, views = list(view._body), list(view._views)
    heading, bench = views[0], views[1].left
    pane, fig, source = heading.pane, bench.chart.fig, bench.chart.source
    view.urn = second
    # Nothing laid out again: the same body, views, panes and Bokeh figure and source.
    assert list(view._body) == body and list(view._views) == views
    assert heading.pane is pane and bench.chart.fig is fig and bench.chart.source is source
    # ... refilled with the second school: its name (HTML-escaped by layout.md) in the heading.
    name = _school_name(demo_engine, second)
    assert name.split()[0] in pane.object and _school_name(demo_engine, first) != name
    assert f"URN {second}" in pane.object and f"URN {first}" not in pane.object


def test_transitions_cohort_change_updates_the_views_in_place(demo_engine):
    view = Transitions(db_url=_url(demo_engine))
    cohorts = list(view.param.cohort.objects)
    assert len(cohorts) >= 2
    view.cohort = cohorts[-1]
    body, views = list(view._body), list(view._views)
    heading, years = views[0], views[1]
    pane, funnel = heading.pane, years.funnel
    fig, source = funnel.fig, funnel.source
    view.cohort = cohorts[-2]
    assert list(view._body) == body and list(view._views) == views
    assert heading.pane is pane and years.funnel is funnel
    assert funnel.fig is fig and funnel.source is source
    assert f"summer {cohorts[-2]}" in pane.object and f"summer {cohorts[-1]}" not in pane.object


def test_profile_heading_names_the_la_not_its_code(demo_engine, monkeypatch):
    # Words, not codes (issue #17): "Eastmere", not "Eastmere (X06000001)".
    view = SchoolProfile(db_url=_url(demo_engine))
    heading = view._views[0]
    school = view.frames()["heading"].iloc[0]
    areas = store.areas(demo_engine, Scope.admin("DEMO"), kind="lad")
    la_name = str(areas.loc[areas["code"] == school["la_gss"], "name"].iat[0])
    assert la_name != school["la_gss"]
    assert la_name in heading.pane.object and school["la_gss"] not in heading.pane.object
    # No boundary names the LA: its code, in small print, said to be an LA.
    frames = dict(view.frames())
    frames["heading"] = frames["heading"].assign(la_name=frames["heading"]["la_gss"])
    monkeypatch.setattr(view, "frames", lambda: frames)
    heading.update()
    assert f"<small>local authority {school['la_gss']}</small>" in heading.pane.object
