"""hubcore.plots: HoloViews objects of the display layer, with the page's disclosed hover text.

The hover is checked on what Bokeh would draw (the plot's ColumnDataSource and HoverTool), not on
the HoloViews element, so a column renamed or a tooltip pointing at the float would show here.
"""

from __future__ import annotations

import math
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

hv = pytest.importorskip("holoviews")

from hubcore import display, plots  # noqa: E402
from hubcore.access import Scope  # noqa: E402


@pytest.fixture(scope="module")
def renderer():
    hv.extension("bokeh")  # loads Panel: fine in a test, never done by hubcore.plots itself
    return hv.renderer("bokeh")


@pytest.fixture(scope="module")
def scope(demo_engine) -> Scope:
    from hubcore import store

    return Scope("analyst", hub_id=store.default_hub_id(demo_engine), user="test")


def _drawn(renderer, element) -> tuple[dict, list]:
    """The ColumnDataSource data and the hover tooltips Bokeh gets for ``element``."""
    plot = renderer.get_plot(element)
    return plot.handles["source"].data, plot.handles["hover"].tooltips


def _fields(tooltips) -> set[str]:
    """Column names the tooltips read (``@{col}`` or ``@col``)."""
    import re

    return {m.group(1) or m.group(2)
            for _, spec in tooltips for m in re.finditer(r"@\{([^}]+)\}|@(\w+)", spec)}


def test_every_display_source_has_a_plot():
    assert set(plots.PLOTS) == set(display.SOURCES)


def test_polygon_hover_by_hand(renderer):
    """Three areas worked by hand: a rate shown as text, a suppressed one and a two-part area
    with no row in the layer (grey, hover '–'); the float never reaches a tooltip."""
    areas = gpd.GeoDataFrame(
        {"code": ["A1", "A2", "A3"], "name": ["North", "Middle", "South <b>"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10),
                  MultiPolygon([box(0, 20, 5, 25), box(10, 20, 15, 25)])],
        crs="EPSG:27700")
    layer = pd.DataFrame({"value": [12.5, float("nan")], "shown": ["12.5", "c"],
                          "leavers": ["40", "c"]}, index=pd.Index(["A1", "A2"], name="code"))
    layer.attrs["display"] = {"title": "Rate %", "palette": "RATE", "low": 0, "high": 15,
                              "tooltips": {"leavers": "leavers"}}
    data, tooltips = _drawn(renderer, plots.area_polygons(layer, areas))
    rows = {code: (shown, leavers, name) for code, shown, leavers, name in
            zip(data["code"], data["shown"], data["leavers"], data["name"], strict=True)}
    assert rows == {"A1": ("12.5", "40", "North"), "A2": ("c", "c", "Middle"),
                    "A3": ("–", "–", "South <b>")}
    values = dict(zip(data["code"], data["value"], strict=True))
    assert values["A1"] == 12.5 and math.isnan(values["A2"]) and math.isnan(values["A3"])
    assert _fields(tooltips) == {"name", "code", "shown", "leavers"}
    assert ("Rate %", "@{shown}") in tooltips
    # A3 is one hover row drawn as two parts (Bokeh's multi-polygon nesting: parts, rings).
    parts = data["xs"][list(data["code"]).index("A3")]
    assert [sorted(set(ring[0])) for ring in parts] == [[0.0, 5.0], [10.0, 15.0]]


@pytest.mark.slow
def test_area_map_hover_is_the_display_text_on_the_demo(demo_engine, scope, renderer):
    frame = display.area_layer(demo_engine, scope, "neet")
    data, tooltips = _drawn(renderer, plots.area_map(demo_engine, scope, "neet"))
    drawn = dict(zip(data["code"], data["shown"], strict=True))
    expected = {code: shown for code, shown in zip(frame.index, frame["shown"], strict=True)}
    assert drawn == expected
    suppressed = [code for code, shown in expected.items() if shown == "c"]
    assert suppressed, "the demo hub should have a suppressed small area"
    for code in suppressed:
        assert drawn[code] == "c"
        assert math.isnan(data["value"][list(data["code"]).index(code)])
    assert "value" not in _fields(tooltips)
    assert "shown" in _fields(tooltips)


@pytest.mark.slow
def test_chart_hover_shows_text_and_elements_compose(demo_engine, scope, renderer):
    neet = plots.plot("transitions_neet", demo_engine, scope)
    data, tooltips = _drawn(renderer, neet)
    # The served page's own NEET bars (latest cohort, as both open): the same bars with the
    # same text, the LA comparator's "no figure" included.
    from dashboards.common.context import default_scope
    from dashboards.transitions import Transitions

    page = Transitions(db_url=demo_engine.url.render_as_string(hide_password=False),
                       hub_id=scope.hub_id)
    assert default_scope(demo_engine, scope.hub_id).hub_id == scope.hub_id
    # The page draws both year groups in one chart, each bar labelled "Year N: comparator".
    neet_src = page._views[1].neet.source.data
    on_page = sorted((*label.split(": ", 1), text)
                     for label, text in zip(neet_src["label"], neet_src["text"], strict=True))
    drawn = sorted(zip(data["year"], data["label"], data["text_text"], strict=True))
    assert drawn == on_page and ("Year 13", "LA (published)", "no figure") in drawn
    assert "bar" not in _fields(tooltips) and "text_text" in _fields(tooltips)

    area = plots.area_map(demo_engine, scope, "deprivation")
    points = plots.school_points(demo_engine, scope)
    overlay = (area * points).opts(title="Deprivation and schools")
    layout = overlay + neet
    assert isinstance(overlay, hv.Overlay) and isinstance(layout, hv.Layout)
    assert [type(e) for e in overlay] == [hv.Polygons, hv.Points]
    renderer.get_plot(layout)  # draws without error


@pytest.mark.slow
def test_funnel_and_flows_hover_what_the_page_shows(demo_engine, scope, renderer):
    from dashboards.transitions import Transitions

    page = Transitions(db_url=demo_engine.url.render_as_string(hide_password=False),
                       hub_id=scope.hub_id)
    funnel, tooltips = _drawn(renderer, plots.plot("transitions_funnel", demo_engine, scope))
    # The page's one funnel chart labels each step with its year group ("Y11 Referred").
    src = page._views[1].funnel.source.data
    on_page = list(zip(src["x"], src["group"], src["y"], strict=True))
    assert {x.split(" ", 1)[0] for x in src["x"]} == {"Y11", "Y13"}
    drawn = [(stage, to, bar) for stage, to, bar in
             zip(funnel["stage"], funnel["to"], funnel["bar"], strict=True)]
    # Every bar the page draws is drawn here with the same height (suppressed: no bar, "c").
    assert {d for d in drawn if d[2] == d[2]} >= {p for p in on_page if p[2] == p[2]}
    for bar, shown in zip(funnel["bar"], funnel["young_people_text"], strict=True):
        assert (bar != bar) == (shown == "c"), (bar, shown)
    assert "young_people_text" in _fields(tooltips) and "bar" not in _fields(tooltips)

    flows, tips = _drawn(renderer, plots.plot("transitions_flows", demo_engine, scope))
    page_flows = page._views[3].segments
    expected = sorted((f"Year {yg}", str(to), float(n)) for yg, src in page_flows.items()
                      for to, n in zip(src.data["to"], src.data["leavers"], strict=True))
    drawn = sorted((yg, to, float(n)) for yg, to, n in
                   zip(flows["year_group"], flows["to"], flows["leavers"], strict=True))
    assert drawn == expected and expected
    assert "c" not in set(flows["leavers"])  # only published flows are drawn
    assert _fields(tips) == {"year_group", "to", "leavers"}


def test_importing_the_display_layer_does_not_load_holoviews():
    code = ("import sys, hubcore, hubcore.display, hubcore.briefing; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('holoviews', 'hvplot', 'panel')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_importing_plots_loads_holoviews_but_not_panel():
    code = ("import sys, hubcore.plots; print('holoviews' in sys.modules, "
            "any(m.split('.')[0] in ('panel', 'hvplot') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "True False"
