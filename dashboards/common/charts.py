"""Small charts drawn directly with Bokeh (bars, grouped and stacked bars, lines, a heat map,
a histogram), and the map figure the employer and flow maps share.

HoloViews builds each of these through several layers of options and plotting classes: about a
quarter of a second per chart on the server and more models for the browser to lay out. The
pages only need plain charts. Nothing here computes a metric.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    FactorRange,
    HoverTool,
    Legend,
    LegendItem,
    LinearColorMapper,
)
from bokeh.palettes import Blues9, Category20
from bokeh.plotting import figure

from hubcore import geo

TOOLS = "pan,wheel_zoom,box_zoom,reset,save"


def source(frame: pd.DataFrame, columns: Sequence[str]) -> ColumnDataSource:
    """A data source holding ``columns`` of ``frame`` (without its index)."""
    return ColumnDataSource({c: frame[c].to_numpy() for c in columns})


def chart(height: int = 320, title: str | None = None, x_range=None, **options):
    """A chart stretching to its column's width, with the suite's look."""
    if x_range is not None:
        options["x_range"] = x_range
    options = {k: v for k, v in options.items() if v is not None}
    fig = figure(height=height, sizing_mode="stretch_width", title=title,
                 tools="save,reset", toolbar_location="above", **options)
    fig.xgrid.visible = False
    return fig


def bars(frame: pd.DataFrame, x: str, y: str, color: str, title: str | None = None,
         height: int = 260, y_range: tuple | None = None):
    """One bar per row of ``frame`` (category ``x``, height ``y``)."""
    source = ColumnDataSource({"x": [str(v) for v in frame[x]],
                               "y": pd.to_numeric(frame[y], errors="coerce").to_numpy(float)})
    fig = chart(height, title, x_range=list(source.data["x"]),
                y_range=y_range)
    fig.vbar(x="x", top="y", width=0.8, source=source, color=color)
    fig.add_tools(HoverTool(tooltips=[(x, "@x"), (y, "@y{0.0}")]))
    fig.yaxis.axis_label = y
    fig.y_range.start = 0
    return fig


def grouped_bars(frame: pd.DataFrame, x: str, group: str, y: str, colours: Sequence[str],
                 height: int = 320, y_range: tuple = (0, 105)):
    """Bars of ``y`` for each ``x`` and, side by side within it, each ``group`` (with a
    legend)."""
    groups = list(dict.fromkeys(frame[group]))
    factors = [(str(a), str(b)) for a, b in zip(frame[x], frame[group], strict=True)]
    source = ColumnDataSource({
        "factor": factors, "x": [str(v) for v in frame[x]], "group": list(frame[group]),
        "y": pd.to_numeric(frame[y], errors="coerce").to_numpy(float),
        "colour": [colours[groups.index(g) % len(colours)] for g in frame[group]],
    })
    fig = chart(height, x_range=FactorRange(*factors), y_range=y_range)
    fig.vbar(x="factor", top="y", width=0.9, source=source, fill_color="colour",
             line_color="white", legend_field="group")
    fig.xaxis.major_label_text_font_size = "0pt"  # the group names are in the legend
    fig.xaxis.group_text_font_size = "10pt"
    fig.xaxis.major_tick_line_color = None
    legend = fig.legend[0]
    legend.orientation = "horizontal"
    fig.center = [r for r in fig.center if r is not legend]
    fig.add_layout(legend, "above")
    fig.yaxis.axis_label = y
    fig.add_tools(HoverTool(tooltips=[(x, "@x"), ("", "@group"), (y, "@y{0.0}")]))
    return fig


def stacked_bars(frame: pd.DataFrame, x: str, stack: str, y: str, height: int = 320,
                 y_label: str | None = None):
    """Bars of ``y`` for each ``x``, stacked by ``stack`` (NaN counts as nothing).

    One glyph draws every segment (its colour a column) rather than one glyph per layer as
    Bokeh's ``vbar_stack`` does: ten layers were ten renderers, each with its own glyphs,
    view and legend entry, for the server to build and the browser to lay out."""
    wide = frame.pivot_table(index=x, columns=stack, values=y, aggfunc="sum", sort=False)
    wide = wide.fillna(0.0)
    layers = [str(c) for c in wide.columns]
    colours = (Category20[20] * (len(layers) // 20 + 1))[: len(layers)]
    values = wide.to_numpy(float)  # rows: x; columns: layers, in stacking order
    tops = values.cumsum(axis=1)
    xs = [str(v) for v in wide.index]
    source = ColumnDataSource({
        "x": np.repeat(xs, len(layers)).tolist(),
        "layer": layers * len(xs),
        "bottom": (tops - values).ravel(),
        "top": tops.ravel(),
        "value": values.ravel(),
        "colour": list(colours) * len(xs),
    })
    fig = chart(height, x_range=xs)
    bars = fig.vbar(x="x", bottom="bottom", top="top", width=0.8, source=source,
                    fill_color="colour", line_color="white")
    if len(xs):
        # Legend entries pick their colour from the first bar's segment of each layer.
        fig.add_layout(Legend(items=[LegendItem(label=layer, renderers=[bars], index=i)
                                     for i, layer in enumerate(layers)]), "right")
    fig.y_range.start = 0
    fig.yaxis.axis_label = y_label or y
    fig.add_tools(HoverTool(tooltips=[(x, "@x"), ("", "@layer"), (y, "@value{0.0}")]))
    return fig


def lines(series: dict[str, pd.DataFrame], x: str, y: str, colours: Sequence[str],
          height: int = 320, y_range: tuple | None = None):
    """One line with markers per entry of ``series`` (label → frame), x a date."""
    fig = chart(height, x_axis_type="datetime", y_range=y_range)
    for (label, frame), colour in zip(series.items(), colours, strict=False):
        source = ColumnDataSource({"x": frame[x].to_numpy(), "y": frame[y].to_numpy(float)})
        fig.line("x", "y", source=source, color=colour, line_width=2, legend_label=label)
        fig.scatter("x", "y", source=source, color=colour, size=7, legend_label=label)
    fig.legend.location = "bottom_right"
    fig.add_tools(HoverTool(tooltips=[("assessed", "@x{%d %b %Y}"), (y, "@y")],
                            formatters={"@x": "datetime"}))
    return fig


def heat_map(frame: pd.DataFrame, x: str, y: str, value: str, extra: str | None = None,
             height: int = 320, x_label: str | None = None):
    """A grid of ``value`` by categories ``x`` and ``y``, shaded in blues with a colour bar."""
    xs = [str(v) for v in sorted(frame[x].unique())]
    ys = [str(v) for v in sorted(frame[y].unique())]
    values = pd.to_numeric(frame[value], errors="coerce").to_numpy(float)
    source = ColumnDataSource({"x": [str(v) for v in frame[x]], "y": [str(v) for v in frame[y]],
                               "value": values,
                               "extra": frame[extra].tolist() if extra else [""] * len(frame)})
    mapper = LinearColorMapper(palette=list(reversed(Blues9)), low=0,
                               high=float(np.nanmax(values)) if len(values) else 1)
    fig = chart(height, x_range=xs, y_range=ys)
    fig.rect("x", "y", 1, 1, source=source, line_color="white",
             fill_color={"field": "value", "transform": mapper})
    fig.add_layout(ColorBar(color_mapper=mapper, width=10), "right")
    fig.xaxis.axis_label = x_label or x
    tips = [(x_label or x, "@x"), (y, "@y"), (value, "@value")]
    if extra:
        tips.append((extra, "@extra"))
    fig.add_tools(HoverTool(tooltips=tips))
    return fig


def histogram(edges: np.ndarray, heights: Sequence[float], title: str, x_label: str,
              y_label: str, colour: str, height: int = 220):
    """Bars between consecutive ``edges``."""
    source = ColumnDataSource({"left": edges[:-1], "right": edges[1:],
                               "top": np.asarray(heights, float)})
    fig = chart(height, title)
    fig.quad(left="left", right="right", top="top", bottom=0, source=source, color=colour,
             line_color="white")
    fig.xaxis.axis_label, fig.yaxis.axis_label = x_label, y_label
    fig.add_tools(HoverTool(tooltips=[("from", "@left"), ("to", "@right"),
                                      (y_label, "@top")]))
    return fig


def map_figure(height: int = 520, outlines: gpd.GeoDataFrame | None = None):
    """A map in British National Grid metres with no basemap or axes, and thin outlines (e.g.
    LA boundaries) if given."""
    fig = figure(height=height, sizing_mode="stretch_width", match_aspect=True,
                 tools=TOOLS, active_scroll="wheel_zoom", toolbar_location="above",
                 x_axis_type=None, y_axis_type=None)
    fig.grid.visible = False
    if outlines is not None and len(outlines):
        xs, ys = plain_paths(outlines)
        fig.multi_line(xs, ys, line_color="#333333", line_width=1.5)
    return fig


def legend_outside(fig) -> None:
    """Move the figure's legend to its right and let a click hide a layer."""
    if fig.legend:
        legend = fig.legend[0]
        legend.click_policy = "hide"
        fig.center = [r for r in fig.center if r is not legend]
        fig.add_layout(legend, "right")


def plain_paths(gdf: gpd.GeoDataFrame) -> tuple[list, list]:
    """Each polygon's coordinates as a plain list of whole metres (NaN between parts).

    Plain lists travel inside the document's JSON; numpy arrays would each become a binary
    buffer, sent as two websocket frames apiece, and a few hundred small areas meant a few
    hundred frames (about 170 ms of a first render). Metres are finer than the 25 m the areas
    were simplified to."""
    paths = geo.polygon_paths(gdf, [])
    return [_whole_metres(p["x"]) for p in paths], [_whole_metres(p["y"]) for p in paths]


def _whole_metres(values: np.ndarray) -> list:
    return [v if v != v else int(v) for v in np.round(values).tolist()]  # v != v: NaN
