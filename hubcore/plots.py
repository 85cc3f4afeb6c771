"""HoloViews one-liners for analysts: every item of the display layer as a HoloViews object.

Each function takes an engine and a :class:`~hubcore.access.Scope` (and the item's options),
reads the item from :mod:`hubcore.display` (so disclosure control is already applied, as on the
pages) and returns a HoloViews element you can compose with ``*`` (overlay), ``+`` (layout)
and ``.opts(...)``::

    import holoviews as hv
    from hubcore import plots

    hv.extension("bokeh", inline=True)   # once per notebook; inline = no CDN, works offline
    plots.area_map(engine, scope, "neet") * plots.school_points(engine, scope)
    plots.plot("transitions_neet", engine, scope) + plots.plot("lag_histogram", engine, scope)

- Map layers are :class:`holoviews.Polygons` (small areas) and :class:`holoviews.Points`
  (schools, employers) in British National Grid (EPSG:27700, metres): no basemap, no tiles,
  nothing fetched from the internet.
- Charts are drawn with hvPlot (:func:`hvplot` gives hvPlot on any frame without loading
  anything from a CDN); tables are :class:`holoviews.Table`.
- Hover shows the values the page shows: the display layer's text (``"c"`` where a figure is
  suppressed, ``"–"`` where there is none), never the float behind a colour or a bar height.
  Suppressed values are NaN in the numeric column, so they draw grey (maps) or nothing (bars).

:data:`PLOTS` maps every name of :data:`hubcore.display.SOURCES` to its function;
``plot(name, engine, scope, **options)`` is the same by name.

This module is not imported by ``import hubcore`` nor by :mod:`hubcore.display`: importing
it loads HoloViews (about a second), and the first chart loads hvPlot, which loads Panel.
It never calls ``hv.extension`` (that is the notebook's choice, and loads Panel).
"""

from __future__ import annotations

from collections.abc import Callable

import holoviews as hv
import numpy as np
import pandas as pd
from sqlalchemy import Engine

from hubcore import display, geo, palettes, store
from hubcore.access import Scope
from hubcore.display.base import numeric, text

#: Grey for an area or point with no value (suppressed, or nothing to show).
NO_VALUE = "#d9d9d9"

#: Options every map shares: equal metres on both axes, no axes (BNG numbers mean little to
#: a reader), pan and wheel zoom, hover, 560 px wide (``.opts(responsive=True)`` to fill).
_MAP_OPTS = dict(data_aspect=1, xaxis=None, yaxis=None, tools=["hover"],
                 active_tools=["wheel_zoom"], frame_width=560)


def hvplot(frame: pd.DataFrame):
    """hvPlot's plotting interface on ``frame`` (what ``frame.hvplot`` gives), e.g.
    ``plots.hvplot(frame).scatter(x="imd_decile", y="value")``, without ``import
    hvplot.pandas``: that import loads the Bokeh extension itself, from the CDN unless told
    otherwise (a blank output offline), and hvPlot re-runs it in every notebook cell that
    imports it. hvPlot is imported here, on first use, because it imports Panel."""
    from hvplot import hvPlotTabular

    return hvPlotTabular(frame)


def _title(frame: pd.DataFrame, default: str = "") -> str:
    return str(frame.attrs.get("display", {}).get("title", default))


def _one_school(frame: pd.DataFrame, urn: int | None) -> tuple[pd.DataFrame, int | None]:
    """The rows of school ``urn`` (default: the first school in the frame)."""
    if frame.empty or "urn" not in frame:
        return frame, urn
    if urn is None:
        urn = int(frame["urn"].iloc[0])
    return frame[frame["urn"] == urn], urn


# --- map layers -------------------------------------------------------------------------------


def area_polygons(layer: pd.DataFrame, areas: pd.DataFrame) -> hv.Polygons:
    """Small areas shaded by a display-layer frame, as :class:`holoviews.Polygons` in BNG.

    ``layer`` is a :func:`hubcore.display.area_layer` frame (indexed or keyed by ``code``, with
    ``value`` (float to shade, NaN = grey), ``shown`` (the hover's text) and the columns named
    in ``attrs["display"]["tooltips"]``); it may itself be a GeoDataFrame in EPSG:27700, else
    ``areas`` (boundaries with ``code``, ``name`` and ``geometry`` in EPSG:27700, e.g.
    :func:`hubcore.store.areas`) gives the geometry. Vdims: ``value``, ``shown``, ``code``,
    ``name`` and the tooltip columns, all text except ``value``.
    """
    meta = layer.attrs.get("display", {})
    tips: dict[str, str] = dict(meta.get("tooltips") or {})
    frame = layer.reset_index() if "code" not in layer.columns else layer
    if "geometry" in frame.columns:
        shapes = frame
    else:
        # Today's display layer has no geometry: join the boundaries by code (an area with no
        # value still draws, grey, so the map has no holes).
        shapes = areas[["code", "name", "geometry"]].merge(
            pd.DataFrame(frame), on="code", how="left")
    if "name" not in shapes.columns:
        shapes = shapes.assign(name=shapes["code"])
    shapes = shapes.copy()
    shapes["value"] = pd.to_numeric(shapes["value"], errors="coerce").astype("float64")
    # Every hover column is text exactly as the page's hover prints it ("c" kept).
    for column in ["shown", "code", "name", *tips]:
        shapes[column] = text(shapes[column]) if column in shapes else "–"
    vdims = ["value", "shown", "code", "name", *tips]
    paths = geo.polygon_paths(shapes, vdims)
    title = str(meta.get("title", "Small areas"))
    tooltips = [("Area", "@name (@code)"), (title, "@shown")]
    tooltips += [(label, f"@{{{column}}}") for column, label in tips.items()]
    return hv.Polygons(paths, kdims=["x", "y"], vdims=vdims, label=title).opts(
        line_color="white", line_width=0.3, hover_tooltips=tooltips, title=title,
        **_colour_opts(meta), **_MAP_OPTS)


def _colour_opts(meta: dict) -> dict:
    """Colour options from a layer's metadata: a continuous colour bar over ``low``–``high``,
    or for a categorical layer (yes/no) one colour per category and a legend-like bar with
    only the categories' ticks (no -0.5 or 1.5)."""
    colours = list(meta.get("colours") or getattr(palettes, str(meta.get("palette", "RATE"))))
    low, high = meta.get("low"), meta.get("high")
    clim = (low, high) if low is not None and high is not None else (np.nan, np.nan)
    opts = dict(color="value", cmap=colours, clim=clim, clipping_colors={"NaN": NO_VALUE},
                colorbar=True)
    categories = meta.get("categories") or []
    if meta.get("kind") == "categorical" and categories:
        values = [float(c["value"]) for c in categories]
        opts.update(cmap=[c["colour"] for c in categories],
                    clim=(min(values) - 0.5, max(values) + 0.5),
                    colorbar_opts={"ticker": {"ticks": values}, "major_label_overrides": {
                        v: str(c["label"]) for v, c in zip(values, categories, strict=True)}})
    return opts


def area_map(engine: Engine, scope: Scope, layer: str = "neet", benchmark: int = 5, *,
             areas: pd.DataFrame | None = None) -> hv.Polygons:
    """The overview map's area layer (``layer`` one of :data:`hubcore.display.LAYERS`:
    deprivation, neet, gap, cold; ``benchmark`` 5–8 for gap and cold) as
    :class:`holoviews.Polygons` in BNG metres, coloured by ``value`` with the page's palette
    and range, hover showing the page's text (``c`` where suppressed).
    ``plots.area_map(engine, scope, "neet")``."""
    if areas is None:
        areas = store.areas(engine, scope, kind="lsoa")
    frame = display.area_layer(engine, scope, layer, benchmark, areas=areas)
    return area_polygons(frame, areas)


def area_outlines(engine: Engine, scope: Scope, kind: str = "lad") -> hv.Path:
    """Boundaries of ``kind`` ("lad", "utla", "lsoa") as an outline :class:`holoviews.Path`
    in BNG metres, to overlay on a map (``plots.area_map(...) * plots.area_outlines(...)``)."""
    areas = store.areas(engine, scope, kind=kind)
    return hv.Path(geo.polygon_paths(areas, ["code"]), kdims=["x", "y"], vdims=["code"]).opts(
        color="#333333", line_width=1.2)


def _points(frame: pd.DataFrame, column: str | None, label: str, hover: dict[str, str],
            meta: dict | None = None) -> hv.Points:
    """Points at ``easting``/``northing`` (BNG metres; or a GeoDataFrame's point geometry),
    coloured by the float of ``column`` (NaN grey) with ``meta``'s colours, hover columns as
    text."""
    if "geometry" in frame.columns:
        xy = {"x": frame.geometry.x.to_numpy(), "y": frame.geometry.y.to_numpy()}
    else:
        xy = {"x": pd.to_numeric(frame["easting"]).to_numpy(),
              "y": pd.to_numeric(frame["northing"]).to_numpy()}
    data = pd.DataFrame(xy)
    for name in hover:
        data[name] = text(frame[name]).to_numpy() if name in frame else "–"
    vdims = list(hover)
    opts = dict(size=8, line_color="black", hover_tooltips=[(v, f"@{{{k}}}")
                                                            for k, v in hover.items()])
    if column is not None:
        data["value"] = numeric(frame[column]).to_numpy()
        vdims.append("value")
        opts.update(_colour_opts(meta or {}))
    return hv.Points(data.dropna(subset=["x", "y"]), kdims=["x", "y"], vdims=vdims,
                     label=label).opts(**opts, **_MAP_OPTS)


def points_layer(layer: pd.DataFrame) -> hv.Points:
    """A display-layer points frame (``value``, ``shown``, ``name``, point ``geometry`` in
    EPSG:27700 or ``easting``/``northing``, hover columns in ``attrs["display"]["tooltips"]``)
    as :class:`holoviews.Points` in BNG, coloured by ``value``, hover the text."""
    meta = layer.attrs.get("display", {})
    title = str(meta.get("title", ""))
    hover = {"name": "Name", "shown": title, **dict(meta.get("tooltips") or {})}
    return _points(layer, "value", title, hover, meta)


def school_points(engine: Engine, scope: Scope, benchmark: int = 0,
                  period: str | None = None) -> hv.Points:
    """The overview's schools as :class:`holoviews.Points` in BNG metres, coloured as the
    page colours them: benchmarks fully achieved (0–8) for ``benchmark=0``, else BMn percent;
    hover: name, that figure as the page prints it, URN, type, pupils.
    ``plots.school_points(engine, scope)``."""
    return points_layer(display.school_points(engine, scope, benchmark, period))


def schools_map(engine: Engine, scope: Scope) -> hv.Points:
    """The scope's schools and colleges (register data) as plain :class:`holoviews.Points` in
    BNG metres; hover: name, type, pupils."""
    frame = display.schools(engine, scope)
    hover = {"name": "School", "type": "Type", "urn": "URN", "pupils": "Pupils"}
    return _points(frame, None, "Schools and colleges", hover).opts(color="black", size=6)


def employer_map(engine: Engine, scope: Scope) -> hv.Points:
    """Employers as :class:`holoviews.Points` in BNG metres; hover: name, sector, size."""
    frame = display.employer_points(engine, scope)
    hover = {"name": "Employer", "sector": "Sector", "size_band": "Size"}
    return _points(frame, None, "Employers", hover).opts(
        color="#2b8cbe", marker="square", size=6)


def employer_links(engine: Engine, scope: Scope) -> hv.Segments:
    """Employer–school links as :class:`holoviews.Segments` in BNG metres (employer to
    school); hover: the link's role."""
    frame = display.employer_link_segments(engine, scope)
    data = frame[["easting_e", "northing_e", "easting_s", "northing_s"]].astype("float64")
    data["role"] = text(frame["role"]).to_numpy()
    return hv.Segments(data, kdims=["easting_e", "northing_e", "easting_s", "northing_s"],
                       vdims=["role"], label="Employer links").opts(
        color="#2b8cbe", alpha=0.4, hover_tooltips=[("Role", "@role")], **_MAP_OPTS)


# --- charts -----------------------------------------------------------------------------------


def _bars(frame: pd.DataFrame, x: str, shown: str, *, by: str | None = None,
          value: str | None = None, label: str = "") -> hv.Element:
    """hvPlot bars of ``value`` (default: the float of the text column ``shown``), hover
    showing ``shown`` as text; ``by`` groups bars side by side."""
    data = pd.DataFrame(frame).copy()
    data["bar"] = numeric(data[value or shown]).astype("float64")
    data[f"{shown}_text"] = text(data[shown]).to_numpy()
    data[x] = data[x].astype(str)
    keys = [x] + ([by] if by else [])
    if by:
        data[by] = data[by].astype(str)
    tooltips = [(k, f"@{{{k}}}") for k in keys] + [(label or shown, f"@{{{shown}_text}}")]
    return hvplot(data).bar(x=x, y="bar", by=by, hover_cols=[f"{shown}_text"],
                             ylabel=label or shown, title=_title(frame), rot=0).opts(
        hover_tooltips=tooltips)


def _cells(values: pd.Series) -> np.ndarray:
    """A column as text: numbers as :func:`hubcore.display.base.text` prints them, dates and
    other values as ``str``."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_string_dtype(values):
        return text(values).to_numpy()
    return values.astype(object).map(lambda v: "–" if v is None or v is pd.NA else str(v)
                                     ).to_numpy()


def _table(frame: pd.DataFrame) -> hv.Table:
    """The frame as a :class:`holoviews.Table` with every value as the page prints it."""
    data = pd.DataFrame(frame).drop(columns=["value"], errors="ignore")
    data = data.assign(**{c: _cells(data[c]) for c in data.columns})
    return hv.Table(data, label=_title(frame))


def profile_benchmarks(engine: Engine, scope: Scope, urn: int | None = None) -> hv.Element:
    """A school's eight benchmarks beside its hub (percent), as grouped hvPlot bars."""
    frame, _ = _one_school(display.profile_benchmarks(engine, scope, urn), urn)
    return _bars(frame, "benchmark", "percent", by="who", label="%")


def profile_trend(engine: Engine, scope: Scope, urn: int | None = None) -> hv.Element:
    """A school's benchmarks fully achieved (0–8) at each assessment, one hvPlot line per
    framework (the two frameworks are not one series)."""
    frame, _ = _one_school(display.profile_trend(engine, scope, urn), urn)
    data = pd.DataFrame(frame).assign(assessed_on=lambda f: pd.to_datetime(f["assessed_on"]))
    return hvplot(data).line(x="assessed_on", y="achieved", by="framework", ylim=(-0.3, 8.3),
                              ylabel="benchmarks fully achieved", title=_title(frame))


def profile_encounters(engine: Engine, scope: Scope, urn: int | None = None) -> hv.Element:
    """Pupils reached by encounter kind and year group in a school's latest year (hvPlot
    bars; ``c`` bars not drawn, hover ``c``)."""
    frame, _ = _one_school(display.profile_encounters(engine, scope, urn), urn)
    return _bars(frame, "year_from", "participants", by="kind", label="pupils reached")


def profile_destination_bars(engine: Engine, scope: Scope, urn: int | None = None
                             ) -> hv.Element:
    """Destinations one year after leaving (percent of leavers) by cohort, stacked hvPlot
    bars for one school's Year 11 leavers (hidden shares not drawn)."""
    frame, _ = _one_school(display.profile_destination_bars(engine, scope, urn), urn)
    frame = frame[frame["year_group"] == frame["year_group"].min()] if len(frame) else frame
    data = pd.DataFrame(frame).assign(
        cohort=lambda f: f["cohort"].astype(str),
        percent_text=lambda f: text(f["percent"]).to_numpy(),
        percent=lambda f: numeric(f["percent"]))
    return hvplot(data).bar(x="cohort", y="percent", by="destination", stacked=True,
                             hover_cols=["percent_text"], title=_title(frame),
                             ylabel="% of leavers").opts(
        hover_tooltips=[("Cohort", "@cohort"), ("Destination", "@destination"),
                        ("%", "@percent_text")])


def lag_histogram(engine: Engine, scope: Scope, cohort: int | None = None,
                  year_group: int = 11) -> hv.Element:
    """Days from leaving to referral in 14-day bins (hvPlot bars; hidden bins ``c``, not
    drawn)."""
    frame = display.lag_histogram(engine, scope, cohort, year_group)
    data = pd.DataFrame(frame).assign(
        days=lambda f: f["left_days"].astype(str) + "–" + f["right_days"].astype(str))
    data.attrs = frame.attrs
    return _bars(data, "days", "handovers", value="value", label="hand-overs")


def transitions_neet(engine: Engine, scope: Scope, cohort: int | None = None) -> hv.Element:
    """NEET + not known one year after leaving (percent): the hub beside its LA and England,
    hvPlot bars per year group, drawn from the page's own bars
    (:func:`hubcore.display.neet_bars`): the same rows (an LA comparator with no published
    rate is there, "no figure") and the same hover text ("4.5%", ``c``, "no figure"), for one
    ``cohort`` (default: the latest, as the page opens)."""
    frame = _latest(display.transitions_neet(engine, scope, cohort), cohort)
    years = _page_years(frame)
    parts = [display.neet_bars(frame, yg).assign(year=f"Year {yg}") for yg in years]
    data = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["label", "value", "text", "note", "year"])
    data.attrs = frame.attrs
    return _bars(data, "year", "text", by="label", value="value", label="NEET + not known %")


def _page_years(frame: pd.DataFrame) -> list[int]:
    """The year groups of ``frame`` the transitions page shows
    (:data:`hubcore.display.PAGE_YEAR_GROUPS`)."""
    present = set(pd.to_numeric(frame["year_group"]).dropna().astype(int))
    return [yg for yg in display.PAGE_YEAR_GROUPS if yg in present]


def _latest(frame: pd.DataFrame, cohort: int | None) -> pd.DataFrame:
    """The rows of ``cohort`` (default: the latest cohort in ``frame``, as the page opens)."""
    if frame.empty or "cohort" not in frame:
        return frame
    cohorts = pd.to_numeric(frame["cohort"])
    chosen = cohorts.max() if cohort is None else cohort
    out = frame[cohorts == chosen]
    out.attrs = frame.attrs
    return out


def transitions_funnel(engine: Engine, scope: Scope, cohort: int | None = None
                       ) -> hv.Element:
    """The hand-over funnel (young people at each step, by receiving organisation) as grouped
    hvPlot bars per year group, drawn from the page's own bars
    (:func:`hubcore.display.funnel_bars`) for one ``cohort`` (default: the latest, as the
    page opens): a suppressed step has no bar and its hover says ``c``."""
    frame = _latest(display.transitions_funnel(engine, scope, cohort), cohort)
    years = _page_years(frame)
    parts = [display.funnel_bars(frame, yg).assign(
        stage=lambda f, yg=yg: f"Y{yg} " + f["step_label"].astype(str)) for yg in years]
    data = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["step", "to", "young_people", "value", "step_label", "stage"])
    data.attrs = frame.attrs
    return _bars(data, "stage", "young_people", by="to", value="value", label="young people")


def transitions_flows(engine: Engine, scope: Scope) -> hv.Segments:
    """Where leavers went in their first autumn, as the page's flow map draws it
    (:func:`hubcore.display.flow_segments`): :class:`holoviews.Segments` in BNG metres from
    each school to its destinations, only published flows (fewer than 6 young people: no
    line), line width growing with the square root of the leavers; hover: year group,
    destination, leavers as published."""
    flows = display.transitions_flows(engine, scope)
    segments = display.flow_segments(flows, display.schools(engine, scope))
    segments = segments[pd.to_numeric(segments["year_group"]).isin(display.PAGE_YEAR_GROUPS)]
    data = segments[["x0", "y0", "x1", "y1"]].astype("float64")
    data["width"] = pd.to_numeric(segments["width"]).astype("float64").to_numpy()
    data["year_group"] = "Year " + segments["year_group"].astype(str).to_numpy()
    data["to"] = text(segments["to"]).to_numpy()
    data["leavers"] = text(segments["leavers"]).to_numpy()
    return hv.Segments(data, kdims=["x0", "y0", "x1", "y1"],
                       vdims=["width", "year_group", "to", "leavers"],
                       label=_title(flows, "First-autumn destinations")).opts(
        color="year_group", cmap={"Year 11": "#2171b5", "Year 13": "#cb181d"},
        line_width="width", alpha=0.5,
        hover_tooltips=[("Year group", "@year_group"), ("To", "@to"),
                        ("Leavers", "@leavers")], **_MAP_OPTS)


def _layer_of(layer: str) -> Callable[..., hv.Polygons]:
    def make(engine: Engine, scope: Scope, benchmark: int = 5) -> hv.Polygons:
        return area_map(engine, scope, layer, benchmark)

    make.__doc__ = f"``area_map(engine, scope, {layer!r})``."
    return make


def _auto(name: str) -> Callable[..., hv.Element]:
    """For a display source with no drawing of its own here: a map if it gives polygons or
    points (a GeoDataFrame), else a table."""
    def make(engine: Engine, scope: Scope, **options) -> hv.Element:
        frame = display.SOURCES[name](engine, scope, **options)
        kinds = set(frame.geom_type.dropna()) if hasattr(frame, "geom_type") else set()
        if kinds and kinds <= {"Point"}:
            return points_layer(frame)
        if kinds and kinds <= {"Polygon", "MultiPolygon"}:
            return area_polygons(frame, frame)
        return _table(frame)

    make.__name__ = name
    make.__doc__ = (f"``hubcore.display.{name}`` as a HoloViews object (a map for map layers, "
                    "else a :class:`holoviews.Table`, every value as the page prints it).")
    return make


_DRAWN: dict[str, Callable[..., hv.Element]] = {
    "schools": schools_map,
    "overview_schools": school_points,
    "school_points": school_points,
    "area_neet": _layer_of("neet"),
    "area_coverage": _layer_of("gap"),
    "area_layer": area_map,
    "profile_benchmarks": profile_benchmarks,
    "profile_trend": profile_trend,
    "profile_encounters": profile_encounters,
    "profile_destination_bars": profile_destination_bars,
    "lag_histogram": lag_histogram,
    "transitions_neet": transitions_neet,
    "transitions_funnel": transitions_funnel,
    "transitions_flows": transitions_flows,
    "employer_points": employer_map,
    "employer_link_segments": employer_links,
}

#: A HoloViews object for every name of :data:`hubcore.display.SOURCES` (same options):
#: maps for the layers and points, hvPlot charts for figures, tables for lists (and for any
#: source without a drawing of its own).
PLOTS: dict[str, Callable[..., hv.Element]] = {
    name: _DRAWN.get(name) or _auto(name) for name in display.SOURCES}


def plot(name: str, engine: Engine, scope: Scope, **options) -> hv.Element:
    """The HoloViews object of display source ``name`` (a key of :data:`PLOTS`), e.g.
    ``plots.plot("transitions_neet", engine, scope)``."""
    try:
        make = PLOTS[name]
    except KeyError:
        raise KeyError(f"no plot named {name!r}; choose from {', '.join(PLOTS)}") from None
    return make(engine, scope, **options)
