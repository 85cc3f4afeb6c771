"""The hand-drawn Bokeh pieces the pages share: values checked against small data worked out by
hand. Each chart is a view built once; ``update`` must replace all of its data (nothing of the
previous school left), reset its ranges, pad them so nothing is clipped, and keep its legend
outside the plotting area."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("panel")
import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
from bokeh.core.property.vectorization import Field  # noqa: E402
from bokeh.models import AllIndices, Glyph, GlyphRenderer, HoverTool, Legend  # noqa: E402
from shapely.geometry import MultiPolygon, Polygon  # noqa: E402

from dashboards.common import charts  # noqa: E402


def _legends_inside(fig) -> list:
    return [r for r in fig.center if isinstance(r, Legend)]


def _legends_below(fig) -> list:
    return [r for r in fig.below if isinstance(r, Legend)]


def _legend_entries(legend) -> list[tuple[str, int]]:
    """(label, row whose glyph it shows) of each entry the browser draws: an item labelled by a
    column gives one entry per distinct value, in order of first appearance, each drawn like
    its first row (BokehJS's Legend and GlyphRendererView.draw_legend)."""
    entries = []
    for item in legend.items:
        if not item.visible:
            continue
        if isinstance(item.label, Field):
            column = list(item.renderers[0].data_source.data[item.label.field])
            entries += [(v, column.index(v)) for v in dict.fromkeys(column)]
        else:
            entries.append((item.label.value, item.index))
    return entries


# --- ranges -----------------------------------------------------------------------------------


def test_padded_widens_by_five_percent_each_way():
    # span 8: 0.4 each way
    assert charts.padded(0, 8) == pytest.approx((-0.4, 8.4))
    # bars stand on the axis: the floor holds at 0, the top gets 5 of 100
    assert charts.padded(0, 100, floor=0) == pytest.approx((0.0, 105.0))
    # a single value (no span) gets one unit each way rather than a zero-height range
    assert charts.padded(5, 5) == pytest.approx((4.0, 6.0))
    # a floor below the data does not cut the padding under it
    assert charts.padded(2, 12, floor=0) == pytest.approx((1.5, 12.5))


def test_value_range_ignores_nan_and_starts_at_zero():
    # NaN (suppressed) ignored; 0 included; top 10 + 5% of 10
    assert charts.value_range([np.nan, 3.0, 10.0]) == pytest.approx((0.0, 10.5))
    # nothing to draw: a range of at least one unit, never a zero-height one
    assert charts.value_range([]) == pytest.approx((0.0, 1.05))


# --- legends ----------------------------------------------------------------------------------


def test_legends_sit_below_the_plot_not_over_the_data():
    bars = charts.GroupedBars("benchmark", "who", "percent", ["#000", "#999"])
    stacked = charts.StackedBars("cohort", "destination", "percent")
    for fig in (bars.fig, stacked.fig):
        assert _legends_inside(fig) == []
        assert len(_legends_below(fig)) == 1


def test_legend_below_moves_a_legend_out_of_the_plot_area():
    fig = charts.chart()
    fig.line([1, 2], [1, 2], legend_label="a")
    assert len(_legends_inside(fig)) == 1  # Bokeh's default: over the data
    charts.legend_below(fig, columns=3)
    assert _legends_inside(fig) == [] and _legends_below(fig)[0].ncols == 3


# --- updated in place: nothing left over ------------------------------------------------------


def test_stacked_bars_one_glyph_with_hand_computed_segments():
    frame = pd.DataFrame({
        "cohort": [2024, 2024, 2024, 2025, 2025],
        "destination": ["education", "employment", "neet", "education", "neet"],
        "percent": [70.0, 20.0, 10.0, 80.0, float("nan")],
    })
    chart = charts.StackedBars("cohort", "destination", "percent")
    chart.update(frame)
    renderers = [r for r in chart.fig.renderers if isinstance(r, GlyphRenderer)]
    assert len(renderers) == 1
    data = renderers[0].data_source.data
    rows = list(zip(data["x"], data["layer"], data["bottom"], data["top"], strict=True))
    assert rows == [
        ("2024", "education", 0.0, 70.0),
        ("2024", "employment", 70.0, 90.0),
        ("2024", "neet", 90.0, 100.0),
        ("2025", "education", 0.0, 80.0),
        ("2025", "employment", 80.0, 80.0),  # none recorded: an empty segment
        ("2025", "neet", 80.0, 80.0),  # NaN (suppressed) counts as nothing
    ]
    assert _legend_entries(chart.legend) == [
        ("education", 0), ("employment", 1), ("neet", 2)]
    # Each layer keeps one colour across the bars.
    assert data["colour"][0] == data["colour"][3] != data["colour"][1]
    # Tallest bar 100: the axis from 0 to 105.
    assert (chart.fig.y_range.start, chart.fig.y_range.end) == pytest.approx((0, 105))


def test_stacked_bars_update_leaves_nothing_of_the_previous_school():
    chart = charts.StackedBars("cohort", "destination", "percent")
    chart.update(pd.DataFrame({"cohort": [2023, 2024, 2025], "destination": ["a", "b", "c"],
                               "percent": [10.0, 20.0, 30.0]}))
    fig_before, source_before = chart.fig, chart.source
    chart.update(pd.DataFrame({"cohort": [2026], "destination": ["a"], "percent": [40.0]}))
    assert chart.fig is fig_before and chart.source is source_before  # same models
    # One bar with one layer: no segment of the three earlier cohorts, no stray factor.
    assert list(chart.source.data["x"]) == ["2026"]
    assert list(chart.fig.x_range.factors) == ["2026"]
    assert _legend_entries(chart.legend) == [("a", 0)]
    assert chart.fig.y_range.end == pytest.approx(42.0)


def test_grouped_bars_and_heat_map_replace_their_factors():
    bars = charts.GroupedBars("step", "to", "value", ["#000", "#999"])
    bars.update(pd.DataFrame({"step": ["a", "a", "b"], "to": ["x", "y", "x"],
                              "value": [5.0, np.nan, 40.0]}))
    assert list(bars.fig.x_range.factors) == [("a", "x"), ("a", "y"), ("b", "x")]
    assert bars.fig.y_range.end == pytest.approx(42.0)  # 40 + 5 %
    bars.update(pd.DataFrame({"step": ["c"], "to": ["y"], "value": [10.0]}))
    assert list(bars.fig.x_range.factors) == [("c", "y")]
    assert list(bars.source.data["colour"]) == ["#000"]  # first group, first colour

    heat = charts.HeatMap("year group", "kind", "pupils")
    heat.update(pd.DataFrame({"year": [7, 8], "kind": ["Talk", "Visit"], "v": [10.0, 30.0]}),
                "year", "kind", "v")
    heat.update(pd.DataFrame({"year": [12], "kind": ["Mentoring"], "v": [np.nan]}),
                "year", "kind", "v")
    assert list(heat.fig.x_range.factors) == ["12"]
    assert list(heat.fig.y_range.factors) == ["Mentoring"]
    assert heat.mapper.high == 1.0  # nothing shown: a valid colour range, not NaN


def test_grouped_bars_hover_prints_the_figure_as_shown():
    """A suppressed count hovers as "c" (its bar height is NaN: Bokeh would print "NaN"), a
    count without ".0", a rate with its decimal."""
    from bokeh.models import HoverTool

    bars = charts.GroupedBars("step", "to", "value", ["#000", "#999"])
    bars.update(pd.DataFrame({"step": ["Hand-overs", "Lost"], "to": ["NCS", "NCS"],
                              "value": [137.0, np.nan], "young_people": ["137", "c"]}),
                shown="young_people")
    assert list(bars.source.data["text"]) == ["137", "c"]
    (hover,) = bars.fig.select({"type": HoverTool})
    assert hover.tooltips[-1] == ("value", "@text")
    bars.update(pd.DataFrame({"step": ["BM5"], "to": ["school"], "value": [87.5]}))
    assert list(bars.source.data["text"]) == ["87.5"]


def test_hbars_write_why_an_empty_bar_is_empty():
    bars = charts.HBars("NEET %", "#d94801")
    bars.update(pd.DataFrame({"label": ["this hub", "LA (published)", "England"],
                              "value": [4.5, np.nan, 5.6],
                              "text": ["4.5%", "no figure", "5.6%"]}))
    data = bars.source.data
    assert list(data["text"]) == ["4.5%", "no figure", "5.6%"]
    assert list(data["at"]) == [4.5, 0.0, 5.6]  # the note sits at the axis
    assert list(bars.fig.y_range.factors) == ["England", "LA (published)", "this hub"]
    # Room for the written values: 5.6 + 25 % of 5.6
    assert (bars.fig.x_range.start, bars.fig.x_range.end) == pytest.approx((0.0, 7.0))


def test_histogram_range_covers_every_bin():
    hist = charts.Histogram("days", "hand-overs", "#000")
    hist.update(pd.DataFrame({"l": [0, 14, 28], "r": [14, 28, 42], "v": [3.0, 0.0, 9.0],
                              "s": [3, "c", 9]}), "l", "r", "v", shown="s")
    # 0..42 padded by 2 % of 42 each way
    assert (hist.fig.x_range.start, hist.fig.x_range.end) == pytest.approx((-0.84, 42.84))
    assert list(hist.source.data["shown"]) == ["3", "c", "9"]


def test_plain_paths_are_whole_metres_with_nan_between_parts():
    square = Polygon([(0.4, 0.4), (10.6, 0.4), (10.6, 10.2), (0.4, 0.4)])
    far = Polygon([(100, 100), (110, 100), (110, 110), (100, 100)])
    gdf = gpd.GeoDataFrame(geometry=[square, MultiPolygon([square, far])], crs="EPSG:27700")
    xs, ys = charts.plain_paths(gdf)
    assert xs[0] == [0, 11, 11, 0] and ys[0] == [0, 0, 10, 0]
    assert all(type(v) is int for v in xs[0])  # plain numbers, not numpy arrays
    assert xs[1][:4] == [0, 11, 11, 0] and math.isnan(xs[1][4])
    assert xs[1][5:] == [100, 110, 110, 100]


def test_stacked_bars_hover_a_hidden_share_as_c_not_zero():
    # Two cohorts; 2025's employment share is suppressed ("c") and drawn as nothing.
    frame = pd.DataFrame({
        "cohort": [2024, 2024, 2025, 2025],
        "destination": ["education", "employment", "education", "employment"],
        "percent": [70.0, 30.0, 80.0, float("nan")],
        "shown": ["70", "30", "80", "c"],
    })
    chart = charts.StackedBars("cohort", "destination", "percent")
    chart.update(frame)
    data = chart.source.data
    hover = dict(zip(zip(data["x"], data["layer"], strict=True), data["shown"], strict=True))
    assert hover == {("2024", "education"): "70", ("2024", "employment"): "30",
                     ("2025", "education"): "80", ("2025", "employment"): "c"}
    tooltips = [t for t in chart.fig.tools if isinstance(t, HoverTool)][0].tooltips
    assert ("percent", "@shown") in tooltips


# --- models per chart -------------------------------------------------------------------------


def _every_chart():
    outline = gpd.GeoDataFrame(geometry=[Polygon([(0, 0), (4, 0), (4, 3)])], crs=27700)
    return {
        "grouped": charts.GroupedBars("x", "g", "y", ["#000000"]).fig,
        "stacked": charts.StackedBars("x", "s", "y").fig,
        "hbars": charts.HBars("value", "#123456").fig,
        "heat": charts.HeatMap("x", "y", "v").fig,
        "histogram": charts.Histogram("days", "count", "#abcdef").fig,
        "map": charts.map_figure(outlines=outline),
    }


def test_renderers_build_only_their_glyph_and_view():
    # Nothing is selected or muted: the browser derives those glyphs from the main one, so a
    # renderer is itself, one glyph, one view and its filter, never the five models
    # ``fig.vbar(...)`` builds. Every chart has 1 renderer; a glyph made for selection or
    # muting would add to them.
    expected = {"grouped": 1, "stacked": 1, "hbars": 1, "heat": 1, "histogram": 1,
                "map": 1}
    for name, fig in _every_chart().items():
        renderers = [r for r in fig.renderers if isinstance(r, GlyphRenderer)]
        assert len(renderers) == expected[name], name
        for r in renderers:
            assert r.nonselection_glyph == r.selection_glyph == r.muted_glyph == "auto", name
            assert r.hover_glyph is None, name
        glyphs = [m for m in fig.references() if isinstance(m, Glyph)]
        assert len(glyphs) == expected[name], name


def test_a_session_shares_one_all_rows_filter_but_not_views():
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    session = Document()
    session._session_context = lambda: object()  # as a served session's document has one
    with set_curdoc(session):
        figs = list(_every_chart().values())
    renderers = [r for f in figs for r in f.renderers if isinstance(r, GlyphRenderer)]
    assert len(renderers) == 6
    assert len({id(r.view.filter) for r in renderers}) == 1
    assert isinstance(renderers[0].view.filter, AllIndices)
    # A view keeps (in BokehJS) the indices of its own renderer's source: one each.
    assert len({id(r.view) for r in renderers}) == 6
