"""Small charts drawn directly with Bokeh (grouped and stacked bars, horizontal bars, a
heat map, a histogram), and the map figure the employer and flow maps share.

Each chart is a view built once: a class holding its figure (``.fig``) and data sources (named
``name`` if given, so a browser test can find them in the document), whose
``update(frame)`` replaces every source's data and resets every range, so a page changes what
is drawn without building new models (the browser keeps its canvases) and nothing of the
previous school or hub is left behind. Legends sit outside the plotting area (below it), and
numeric ranges are padded so that no point or bar is clipped at an edge.

HoloViews builds each of these through several layers of options and plotting classes: about a
quarter of a second per chart on the server and more models for the browser to lay out. The
pages only need plain charts. Nothing here computes a metric.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from bokeh.core.properties import field
from bokeh.models import (
    AllIndices,
    AllLabels,
    CDSView,
    ColorBar,
    ColumnDataSource,
    FactorRange,
    Glyph,
    GlyphRenderer,
    Grid,
    HBar,
    HoverTool,
    LabelSet,
    Legend,
    LegendItem,
    LinearColorMapper,
    Model,
    MultiLine,
    Quad,
    Range1d,
    Rect,
    UnionRenderers,
    VBar,
)
from bokeh.palettes import Blues9, Category20
from bokeh.plotting import figure

from hubcore import display, geo

TOOLS = "pan,wheel_zoom,box_zoom,reset,save"
#: Share of a numeric range's span added at each end, so markers at the extremes stay whole.
PAD = 0.05


def per_session(kind: type[Model]) -> Model:
    """One ``kind()`` per served session's document, for models that hold no state of their
    own (a selection policy, an axis's label policy): shared by every chart and source of the
    session instead of one each, so fewer models are built, themed and sent with each new
    session (transitions: 25 fewer). Outside a served session (a notebook, a test, where a
    chart may be shown in several documents) a new one each time."""
    import panel as pn

    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return kind()
    held = doc.__dict__.setdefault("_hubcore_shared_models", {})
    if kind not in held:
        held[kind] = kind()
    return held[kind]


def data_source(data: dict, name: str | None = None) -> ColumnDataSource:
    """A data source of ``data`` (column → values) with the session's one selection policy
    (:func:`per_session`)."""
    return ColumnDataSource(data, name=name, selection_policy=per_session(UnionRenderers))


def source(frame: pd.DataFrame, columns: Sequence[str]) -> ColumnDataSource:
    """A data source holding ``columns`` of ``frame`` (without its index)."""
    return data_source(columns_of(frame, columns))


def columns_of(frame: pd.DataFrame, columns: Sequence[str]) -> dict:
    """``columns`` of ``frame`` as a data source's ``data`` (a new dict: assigning it replaces
    every column at once, so no row of the previous data survives)."""
    return {c: frame[c].to_numpy() for c in columns}


def padded(low: float, high: float, pad: float = PAD, floor: float | None = None
           ) -> tuple[float, float]:
    """``(low, high)`` widened by ``pad`` of its span at each end (one unit each way when the
    span is zero), never below ``floor`` if given: a bar chart passes ``floor=0`` so its bars
    stand on the axis, a line chart none so a point at the minimum is not cut in half."""
    if not (np.isfinite(low) and np.isfinite(high)):
        low, high = 0.0, 1.0
    span = high - low
    margin = span * pad if span > 0 else 1.0
    start, end = low - margin, high + margin
    if floor is not None:
        start = max(start, floor) if low >= floor else start
    return float(start), float(end)


def value_range(values, pad: float = PAD, floor: float | None = 0.0,
                least: float = 1.0) -> tuple[float, float]:
    """:func:`padded` range of ``values`` (NaN ignored) including ``floor``, at least
    ``least`` high: the range of a chart's numeric axis."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    high = max(float(values.max()) if len(values) else 0.0, least)
    low = min(float(values.min()) if len(values) else 0.0, floor if floor is not None else 0.0)
    return padded(low, high, pad, floor)


def set_range(rng: Range1d, bounds: tuple[float, float]) -> None:
    """Set a numeric range's ``start`` and ``end`` in one change (also after a user zoomed)."""
    rng.update(start=bounds[0], end=bounds[1], reset_start=bounds[0], reset_end=bounds[1])


def draw(fig, glyph: Glyph, source: ColumnDataSource) -> GlyphRenderer:
    """Add to ``fig`` a renderer drawing ``glyph`` from ``source``; returns it.

    Bokeh's ``fig.vbar(...)`` and the like also build a nonselection glyph and a muted glyph
    for every renderer, and each renderer a view with its own filter: five models where these
    charts need two. Nothing here can be selected or muted (legends hide, not mute), and a
    renderer left with its selection, nonselection and muted glyphs ``"auto"`` has them derived
    in the browser from the main glyph, with no models built or sent. The view's filter (all
    rows, no state) is the session's one (:func:`per_session`); the view itself is not shared:
    BokehJS keeps each view's indices for its own renderer's source."""
    renderer = GlyphRenderer(data_source=source, glyph=glyph,
                             view=CDSView(filter=per_session(AllIndices)))
    fig.renderers.append(renderer)
    return renderer


def chart(height: int = 320, title: str | None = None, x_range=None, grid: str = "y",
          **options):
    """A chart stretching to its column's width, with the suite's look: grid lines across
    the ``grid`` axis only ("y": horizontal lines, for upright bars; "x" for lying ones)."""
    if x_range is not None:
        options["x_range"] = x_range
    options = {k: v for k, v in options.items() if v is not None}
    # No save or reset tools and no toolbar: these charts cannot be panned or zoomed (nothing
    # to reset), a PNG of one chart is not what people download (the briefing PDF is), and
    # every figure's tools are models built, themed and sent for every new session (the
    # hover tools the pages add still work without a toolbar). The hidden x grid is left out
    # rather than drawn invisible, for the same reason.
    fig = figure(height=height, sizing_mode="stretch_width", title=title,
                 tools="", toolbar_location=None, **options)
    dropped = fig.ygrid if grid == "x" else fig.xgrid
    fig.center = [r for r in fig.center if r not in dropped]
    _share_label_policy(fig)
    return fig


def _share_label_policy(fig) -> None:
    labels = per_session(AllLabels)
    for axis in (*fig.xaxis, *fig.yaxis):
        axis.major_label_policy = labels


def legend_below(fig, legend: Legend | None = None, columns: int = 4) -> Legend | None:
    """Put the figure's legend (or ``legend``) below the plotting area, in rows of at most
    ``columns`` entries (a long single row would widen the page), so it never covers data;
    returns it."""
    if legend is None:
        if not fig.legend:
            return None
        legend = fig.legend[0]
    legend.orientation = "horizontal"
    legend.ncols = columns
    legend.location = "top_left"
    legend.click_policy = "hide"
    legend.border_line_alpha = 0
    legend.label_text_font_size = "9pt"
    legend.glyph_width = legend.glyph_height = 14
    fig.add_layout(legend, "below")  # Bokeh takes it out of the plot's centre first
    return legend


def legend_outside(fig) -> None:
    """Move the figure's legend to its right and let a click hide a layer."""
    if fig.legend:
        legend = fig.legend[0]
        legend.click_policy = "hide"
        fig.center = [r for r in fig.center if r is not legend]
        fig.add_layout(legend, "right")


class GroupedBars:
    """Bars of ``y`` for each ``x`` and, side by side within it, each ``group`` (legend
    below). ``colours`` go to the groups in order of first appearance."""

    def __init__(self, x: str, group: str, y: str, colours: Sequence[str], height: int = 320,
                 y_label: str | None = None, y_max: float | None = None,
                 name: str | None = None):
        self.x, self.group, self.y, self.colours, self.y_max = x, group, y, colours, y_max
        self.source = data_source({"factor": [], "x": [], "group": [], "y": [], "text": [],
                                        "colour": []}, name=name)
        self.fig = chart(height, x_range=FactorRange(), y_range=Range1d(0, 1))
        bars = draw(self.fig, VBar(x=field("factor"), top=field("y"), width=0.9,
                                   fill_color=field("colour"), line_color="white"), self.source)
        # One legend entry per distinct group in the data, coloured by its first bar.
        legend = Legend(items=[LegendItem(label=field("group"), renderers=[bars])])
        self.fig.xaxis.major_label_text_font_size = "0pt"  # the group names are in the legend
        self.fig.xaxis.group_text_font_size = "10pt"
        self.fig.xaxis.major_tick_line_color = None
        self.fig.yaxis.axis_label = y_label or y
        legend_below(self.fig, legend)
        # The hover prints the figure as the display layer wrote it ("c" where suppressed, a
        # count without ".0"), never the float behind the bar (NaN for a hidden figure).
        self.fig.add_tools(HoverTool(tooltips=[(x, "@x"), ("", "@group"), (y, "@text")]))

    def update(self, frame: pd.DataFrame, shown: str | None = None) -> None:
        """Draw ``frame``; the hover prints its column ``shown`` (default: ``y``) as text
        (:func:`hubcore.display.text`)."""
        groups = list(dict.fromkeys(frame[self.group]))
        factors = [(str(a), str(b)) for a, b in zip(frame[self.x], frame[self.group],
                                                    strict=True)]
        values = pd.to_numeric(frame[self.y], errors="coerce").to_numpy(float)
        self.fig.x_range.factors = factors
        self.source.data = {
            "factor": factors, "x": [str(v) for v in frame[self.x]],
            "group": [str(g) for g in frame[self.group]], "y": values,
            "text": display.text(frame[shown or self.y]).tolist(),
            "colour": [self.colours[groups.index(g) % len(self.colours)]
                       for g in frame[self.group]],
        }
        high = self.y_max if self.y_max is not None else values
        set_range(self.fig.y_range, value_range(high))


class StackedBars:
    """Bars of ``y`` for each ``x``, stacked by ``stack`` (NaN counts as nothing), legend
    below.

    One glyph draws every segment (its colour a column) rather than one glyph per layer as
    Bokeh's ``vbar_stack`` does: ten layers were ten renderers, each with its own glyphs,
    view and legend entry, for the server to build and the browser to lay out."""

    def __init__(self, x: str, stack: str, y: str, height: int = 320,
                 y_label: str | None = None, name: str | None = None):
        self.x, self.stack, self.y = x, stack, y
        self.source = data_source({"x": [], "layer": [], "bottom": [], "top": [],
                                        "value": [], "shown": [], "colour": []}, name=name)
        self.fig = chart(height, x_range=FactorRange(), y_range=Range1d(0, 1))
        self.bars = draw(self.fig, VBar(x=field("x"), bottom=field("bottom"), top=field("top"),
                                        width=0.8, fill_color=field("colour"),
                                        line_color="white"), self.source)
        # One legend item whose label is the "layer" column: BokehJS shows an entry per distinct
        # layer, in order of first appearance (the stacking order of the first bar), each
        # coloured by its first segment, and nothing while there are no bars: the look of an
        # item per layer, without new items (models) at every update.
        self.legend = Legend(items=[LegendItem(label=field("layer"), renderers=[self.bars])])
        # Up to ten destinations: three a row keep the legend within a half-width chart.
        legend_below(self.fig, self.legend, columns=3)
        self.fig.yaxis.axis_label = y_label or y
        self.fig.add_tools(HoverTool(tooltips=[(x, "@x"), ("", "@layer"),
                                               (y, "@shown")]))

    def update(self, frame: pd.DataFrame) -> None:
        """Draw ``frame``; its ``shown`` column (the display layer's text, "c" where hidden),
        if present, is what the hover says — a hidden share is drawn as nothing, never 0."""
        wide = frame.pivot_table(index=self.x, columns=self.stack, values=self.y,
                                 aggfunc="sum", sort=False, dropna=False).fillna(0.0)
        if "shown" in frame:
            words = frame.pivot_table(index=self.x, columns=self.stack, values="shown",
                                      aggfunc="first", sort=False, dropna=False)
            words = words.reindex(index=wide.index, columns=wide.columns)
            shown = words.astype(object).where(words.notna(), "–").to_numpy().ravel()
        else:
            shown = [f"{v:.1f}" for v in wide.to_numpy(float).ravel()]
        layers = [str(c) for c in wide.columns]
        colours = (Category20[20] * (len(layers) // 20 + 1))[: len(layers)]
        values = wide.to_numpy(float)  # rows: x; columns: layers, in stacking order
        tops = values.cumsum(axis=1)
        xs = [str(v) for v in wide.index]
        self.fig.x_range.factors = xs
        self.source.data = {
            "x": np.repeat(xs, len(layers)).tolist(),
            "layer": layers * len(xs),
            "bottom": (tops - values).ravel(),
            "top": tops.ravel(),
            "value": values.ravel(),
            "shown": [str(v) for v in shown],
            "colour": list(colours) * len(xs),
        }
        set_range(self.fig.y_range, value_range(tops[:, -1] if len(xs) else [], floor=0.0))


class HBars:
    """One horizontal bar per row (category ``label`` on the y axis, length ``value``), the
    value written at the bar's end; a row with no value draws no bar and shows its ``note``
    there instead, so an empty comparator says why it is empty."""

    def __init__(self, x_label: str, colour: str, height: int = 200,
                 title: str | None = None, name: str | None = None):
        self.source = data_source({"label": [], "value": [], "text": [], "at": []},
                                       name=name)
        self.fig = chart(height, title, y_range=FactorRange(), x_range=Range1d(0, 1), grid="x")
        draw(self.fig, HBar(y=field("label"), right=field("value"), left=0, height=0.7,
                            fill_color=colour, line_color=colour, hatch_color=colour),
             self.source)
        self.fig.add_layout(LabelSet(x="at", y="label", text="text", source=self.source,
                                     x_offset=4, y_offset=-6, text_font_size="9pt"))
        self.fig.xaxis.axis_label = x_label
        self.fig.add_tools(HoverTool(tooltips=[("", "@label"), (x_label, "@text")]))

    def update(self, frame: pd.DataFrame) -> None:
        """``frame``: ``label``, ``value`` (float, NaN for no bar), ``text`` (what to write)."""
        values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(float)
        labels = [str(v) for v in frame["label"]]
        # Categories run top to bottom in the frame's order.
        self.fig.y_range.factors = list(reversed(labels))
        self.source.data = {"label": labels, "value": values,
                            "text": [str(t) for t in frame["text"]],
                            "at": np.nan_to_num(values, nan=0.0)}
        # Room on the right for the written values.
        low, high = value_range(values, pad=0.25)
        set_range(self.fig.x_range, (0.0, high))


class HeatMap:
    """A grid of ``value`` by categories ``x`` and ``y``, shaded in blues with a colour bar
    (NaN cells, e.g. suppressed, left blank); ``extra`` is shown in the hover."""

    def __init__(self, x_label: str, y_label: str, value: str, extra: str | None = None,
                 height: int = 320, name: str | None = None):
        self.source = data_source({"x": [], "y": [], "value": [], "extra": []},
                                       name=name)
        self.mapper = LinearColorMapper(palette=list(reversed(Blues9)), low=0, high=1,
                                        nan_color="#ffffff")
        self.fig = chart(height, x_range=FactorRange(), y_range=FactorRange())
        draw(self.fig, Rect(x=field("x"), y=field("y"), width=1, height=1, line_color="#dddddd",
                            fill_color=field("value", self.mapper)), self.source)
        self.fig.add_layout(ColorBar(color_mapper=self.mapper, width=10, title=value), "right")
        self.fig.xaxis.axis_label = x_label
        self.fig.yaxis.axis_label = y_label
        tips = [(x_label, "@x"), (y_label, "@y"), (value, "@value")]
        if extra:
            tips.append((extra, "@extra"))
        self.fig.add_tools(HoverTool(tooltips=tips))

    def update(self, frame: pd.DataFrame, x: str, y: str, value: str,
               extra: str | None = None) -> None:
        values = pd.to_numeric(frame[value], errors="coerce").to_numpy(float)
        self.fig.x_range.factors = [str(v) for v in sorted(frame[x].unique())]
        self.fig.y_range.factors = [str(v) for v in sorted(frame[y].astype(str).unique(),
                                                          reverse=True)]
        self.source.data = {"x": [str(v) for v in frame[x]], "y": [str(v) for v in frame[y]],
                            "value": values,
                            "extra": [str(v) for v in frame[extra]] if extra
                            else [""] * len(frame)}
        finite = values[np.isfinite(values)]
        self.mapper.high = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0


class Histogram:
    """Bars between bin edges ``left_days``…``right_days`` (a frame's columns), height
    ``value``."""

    def __init__(self, x_label: str, y_label: str, colour: str, height: int = 220,
                 name: str | None = None):
        self.source = data_source({"left": [], "right": [], "top": [], "shown": []},
                                       name=name)
        self.fig = chart(height, x_range=Range1d(0, 1), y_range=Range1d(0, 1))
        draw(self.fig, Quad(left=field("left"), right=field("right"), top=field("top"),
                            bottom=0, fill_color=colour, line_color="white",
                            hatch_color=colour), self.source)
        self.fig.xaxis.axis_label, self.fig.yaxis.axis_label = x_label, y_label
        self.fig.add_tools(HoverTool(tooltips=[("from", "@left"), ("to", "@right"),
                                               (y_label, "@shown")]))

    def update(self, frame: pd.DataFrame, left: str, right: str, value: str,
               shown: str | None = None) -> None:
        tops = pd.to_numeric(frame[value], errors="coerce").to_numpy(float)
        lefts = frame[left].to_numpy(float)
        rights = frame[right].to_numpy(float)
        self.source.data = {"left": lefts, "right": rights, "top": tops,
                            "shown": [str(v) for v in frame[shown if shown else value]]}
        if len(lefts):
            set_range(self.fig.x_range, padded(float(lefts.min()), float(rights.max()), 0.02))
        set_range(self.fig.y_range, value_range(tops))


def map_figure(height: int = 520, outlines: gpd.GeoDataFrame | None = None):
    """A map in British National Grid metres with no basemap or axes, and thin outlines (e.g.
    LA boundaries) if given."""
    fig = figure(height=height, sizing_mode="stretch_width", match_aspect=True,
                 tools=TOOLS, active_scroll="wheel_zoom", toolbar_location="above",
                 x_axis_type=None, y_axis_type=None)
    fig.center = [r for r in fig.center if not isinstance(r, Grid)]  # none drawn: none sent
    if outlines is not None and len(outlines):
        xs, ys = plain_paths(outlines)
        draw(fig, MultiLine(xs=field("xs"), ys=field("ys"), line_color="#333333",
                            line_width=1.5), data_source({"xs": xs, "ys": ys}))
    return fig


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
