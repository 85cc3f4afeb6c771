"""The area map drawn directly with Bokeh: small areas, LA outlines and schools, all in British
National Grid metres with no basemap.

Two ways of drawing the small areas, chosen by how many there are:

- **polygons** (a hub, or a zoomed-in national map): one ``patches`` glyph. The geometry is sent
  once; a filter change only sends the columns that changed (``ColumnDataSource.data.update``:
  values and hover text) and the colour scale.
- **raster** (national zoom, :data:`RASTER_ABOVE` areas or more, or when the page says so):
  the areas are rasterised once per process with Datashader into a pixel → area table
  (:class:`PixelIndex`), and each layer is drawn as a Bokeh ``image`` whose pixel is the
  area-weighted mean of the *shown* values of the areas under it (suppressed areas are left out
  of the mean, never filled in). A filter change recomputes the image from the table
  (a few milliseconds, once per cached layer: :meth:`PixelIndex.layer`) instead of rasterising
  again, and sends only the pixels that changed (:func:`_send`: per band of :data:`BAND` rows,
  the span from the first to the last changed pixel, so the sea around the country and areas
  whose value stayed are not sent again); counts travel as one byte a pixel where they fit.
  Hovering over a pixel reports that mean,
  the number of areas under it and how many of them have a shown value. Zooming in until at most
  :data:`POLYGONS_IN_VIEW` areas are in view (and the view is at most :data:`ZOOMED_IN` of the
  national extent across) swaps the raster for those areas' polygons; zooming
  out swaps back.

Why Datashader straight into a Bokeh ``image`` rather than HoloViews ``rasterize``: the page's
map is a plain Bokeh figure updated in place (see ``benchmarks/national_map.py`` for the
measured comparison); HoloViews would rebuild the plot on every filter change.

A categorical layer (``attrs["display"]["kind"] == "categorical"``, e.g. cold spots) gets a
legend of swatches outside the plot, never a colour bar.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from bokeh.events import RangesUpdate
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    GlyphRenderer,
    Grid,
    HoverTool,
    Legend,
    LegendItem,
    LinearColorMapper,
    OpenURL,
    Scatter,
    TapTool,
)
from bokeh.plotting import figure

from dashboards.common import charts
from hubcore.display import text as display_text

NO_VALUE = "#d9d9d9"
#: Scopes with at least this many small areas are drawn as a raster at first.
RASTER_ABOVE = 3000
#: Zoomed in until at most this many areas are in view, the raster gives way to polygons.
POLYGONS_IN_VIEW = 2500
#: …and only once the view spans at most this share of the national extent across.
ZOOMED_IN = 0.5
#: The longer side of the raster, pixels (about 1 km pixels over England).
RASTER_PIXELS = 640
#: Sub-pixels per pixel side when finding which areas lie under a pixel (weights of the mean).
SUPERSAMPLE = 3
#: Swatches a categorical legend can hold (the layers' largest category list: yes/no).
MAX_CATEGORIES = 2
#: Rows of the raster per patch sent on a change (see :func:`_send`).
BAND = 4
#: Above this share of an image's pixels changed, the whole image is sent instead of patches.
PATCH_SHARE = 0.25
#: Layers whose per-pixel images a pixel table keeps (each about 2 MB at England's size).
KEPT_LAYERS = 12


class PixelIndex:
    """Which small areas lie under each pixel of a ``width`` × ``height`` raster over
    ``x_range`` × ``y_range`` (metres, EPSG:27700), and by how much: rasterised once with
    Datashader at :data:`SUPERSAMPLE` × the resolution, each sub-pixel holding the area its
    centre falls in, plus each area's representative point (so an area smaller than a sub-pixel
    still counts in its pixel).

    ``pixel``, ``area`` and ``weight`` are parallel arrays: area ``area[i]`` covers
    ``weight[i]`` sub-pixels of flat pixel ``pixel[i]`` (row-major from the bottom row)."""

    def __init__(self, areas: gpd.GeoDataFrame, x_range: tuple[float, float],
                 y_range: tuple[float, float], width: int, height: int):
        import datashader as ds

        self.x_range, self.y_range = x_range, y_range
        self.width, self.height = width, height
        self.count = len(areas)
        frame = gpd.GeoDataFrame({"idx": np.arange(self.count, dtype="float64")},
                                 geometry=areas.geometry.to_numpy(), crs=areas.crs)
        frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
        s = SUPERSAMPLE
        canvas = ds.Canvas(plot_width=width * s, plot_height=height * s,
                           x_range=x_range, y_range=y_range)
        sub = canvas.polygons(frame, geometry="geometry", agg=ds.max("idx")).to_numpy()
        rows, cols = np.nonzero(~np.isnan(sub))
        sub_area = sub[rows, cols].astype(np.int64)
        sub_pixel = (rows // s) * width + cols // s
        # Each area's representative point counts once in its pixel, however small the area.
        points = shapely.point_on_surface(frame.geometry.to_numpy())
        px = np.floor((shapely.get_x(points) - x_range[0]) / (x_range[1] - x_range[0]) * width)
        py = np.floor((shapely.get_y(points) - y_range[0]) / (y_range[1] - y_range[0]) * height)
        inside = (px >= 0) & (px < width) & (py >= 0) & (py < height)
        point_pixel = (py[inside] * width + px[inside]).astype(np.int64)
        point_area = frame["idx"].to_numpy()[inside].astype(np.int64)
        keys = np.concatenate([sub_pixel * self.count + sub_area,
                               point_pixel * self.count + point_area])
        unique, weight = np.unique(keys, return_counts=True)
        self.pixel, self.area = np.divmod(unique, self.count)
        self.weight = weight.astype("float64")
        self.areas_per_pixel = self._sum(np.ones(len(self.pixel)))
        #: The counts' type: one byte a pixel unless a pixel has over 255 areas under it.
        self.count_type = (np.uint8 if self.areas_per_pixel.max(initial=0) <= 255
                           else np.uint16)
        self._layers: OrderedDict[tuple, tuple[weakref.ref, dict]] = OrderedDict()
        self._layers_lock = threading.Lock()

    def _sum(self, per_pair: np.ndarray) -> np.ndarray:
        return np.bincount(self.pixel, weights=per_pair,
                           minlength=self.width * self.height).reshape(self.height, self.width)

    def aggregate(self, values: np.ndarray, top: float | None = None) -> dict[str, np.ndarray]:
        """Per pixel, from ``values`` (one float per area, NaN = no shown value): ``image``
        (area-weighted mean of the shown values, NaN where none), ``areas`` (areas under the
        pixel), ``shown`` (of them, with a shown value) and, when ``top`` is given, ``top``
        (of them, with value ``top``: the categorical layer's last category). Arrays of shape
        (height, width), bottom row first: the mean as float32, the counts as
        :attr:`count_type` (each array travels to the browser, so the smallest type that holds
        it)."""
        values = np.asarray(values, dtype="float64")
        has = ~np.isnan(values)
        pair_has = has[self.area]
        weights = self.weight * pair_has
        total = self._sum(weights)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self._sum(weights * np.where(has, values, 0.0)[self.area]) / total
        kind = self.count_type
        out = {"image": np.where(total > 0, mean, np.nan).astype("float32"),
               "areas": _counts(self.areas_per_pixel, kind),
               "shown": _counts(self._sum(pair_has.astype("float64")), kind)}
        if top is not None:
            out["top"] = _counts(self._sum((values == top)[self.area].astype("float64")), kind)
        return out

    def layer(self, source: object, values: Callable[[], np.ndarray], top: float | None = None
              ) -> dict[str, np.ndarray]:
        """:meth:`aggregate` of ``values()`` (called only when not kept), worked out once per
        ``source`` (the cached,
        read-only layer frame ``values`` were taken from, so one scope's layer is never
        reused for another's) and kept while that frame lives (at most
        :data:`KEPT_LAYERS`). The arrays are shared: read-only."""
        key = (id(source), top)
        with self._layers_lock:
            found = self._layers.get(key)
            if found is not None and found[0]() is source:
                self._layers.move_to_end(key)
                return found[1]
        out = self.aggregate(values(), top)
        for array in out.values():
            array.flags.writeable = False
        try:
            ref = weakref.ref(source)
        except TypeError:  # not a frame: nothing to keep it by
            return out
        with self._layers_lock:
            self._layers[key] = (ref, out)
            while len(self._layers) > KEPT_LAYERS:
                self._layers.popitem(last=False)
        return out


def _counts(values: np.ndarray, kind: type) -> np.ndarray:
    return np.minimum(np.rint(values), np.iinfo(kind).max).astype(kind)


#: The raster's ``top`` column when the layer is not categorical (its hover never reads it).
_NO_TOP = np.zeros((1, 1), dtype=np.uint8)
_INDEX_LOCK = threading.Lock()
_INDEXES: OrderedDict[tuple, PixelIndex] = OrderedDict()


def pixel_index(areas: gpd.GeoDataFrame, width: int, height: int,
                x_range: tuple[float, float], y_range: tuple[float, float]) -> PixelIndex:
    """A :class:`PixelIndex`, built once per process for the same areas and raster (the pages
    share their cached boundaries, so every session after the first reuses it)."""
    codes = areas["code"].to_numpy()
    key = (len(areas), str(codes[0]) if len(codes) else "", str(codes[-1]) if len(codes) else "",
           tuple(np.round(areas.total_bounds, 1)), width, height, x_range, y_range)
    with _INDEX_LOCK:
        found = _INDEXES.get(key)
        if found is None:
            found = _INDEXES[key] = PixelIndex(areas, x_range, y_range, width, height)
            while len(_INDEXES) > 8:
                _INDEXES.popitem(last=False)
        _INDEXES.move_to_end(key)
        return found


def prepare(areas: gpd.GeoDataFrame) -> PixelIndex | None:
    """Build the national raster's pixel table for ``areas`` now (at server start), so the
    first session finds it cached and Datashader's code already compiled."""
    if not len(areas):
        return None
    width, height, xr, yr = raster_shape(areas.total_bounds)
    return pixel_index(areas, width, height, xr, yr)


def prepare_layer(areas: gpd.GeoDataFrame, layer: pd.DataFrame | None) -> None:
    """Work out the raster of ``layer`` (a cached layer frame of ``hubcore.display.area_layer``)
    over ``areas`` now, as :meth:`AreaMap.show_layer` would, so a session showing that frame
    finds it in the pixel table (:meth:`PixelIndex.layer`)."""
    index = prepare(areas)
    if index is None or layer is None:
        return
    index.layer(layer, lambda: _values_of(layer, areas["code"].tolist()),
                _top_of(_categories_of(layer.attrs.get("display", {}))))


def _values_of(layer: pd.DataFrame, codes: list) -> np.ndarray:
    """The layer's ``value`` per area of ``codes`` (NaN: none shown)."""
    return pd.to_numeric(layer["value"].reindex(codes), errors="coerce").to_numpy(float)


def _categories_of(meta: dict) -> list[dict] | None:
    return meta.get("categories") if meta.get("kind") == "categorical" else None


def _top_of(categories: list[dict] | None) -> float | None:
    """The value a categorical layer's "yes" pixels count (its last category)."""
    return float(categories[-1]["value"]) if categories else None


def raster_shape(bounds: np.ndarray, pixels: int | None = None
                 ) -> tuple[int, int, tuple[float, float], tuple[float, float]]:
    """Width, height and x/y ranges (metres) of a raster of square pixels over ``bounds``
    (minx, miny, maxx, maxy), its longer side ``pixels`` (default :data:`RASTER_PIXELS`)."""
    pixels = pixels or RASTER_PIXELS
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    size = max(maxx - minx, maxy - miny, 1.0) / pixels
    width = max(1, int(np.ceil((maxx - minx) / size)))
    height = max(1, int(np.ceil((maxy - miny) / size)))
    return width, height, (minx, minx + width * size), (miny, miny + height * size)


class AreaMap:
    """A map of one set of small areas, LA outlines and schools, restyled in place.

    ``raster``: draw the areas as a raster at first (national zoom); ``None`` decides by the
    number of areas (:data:`RASTER_ABOVE`)."""

    def __init__(self, areas: gpd.GeoDataFrame, las: gpd.GeoDataFrame, hub_id: str | None,
                 height: int = 620, raster: bool | None = None):
        self.all_areas = areas
        self.codes = areas["code"].tolist() if len(areas) else []
        self.raster = bool(len(areas)) and (len(areas) >= RASTER_ABOVE if raster is None
                                            else raster)
        self.figure = figure(
            height=height, sizing_mode="stretch_width", match_aspect=True,
            tools="pan,wheel_zoom,box_zoom,reset,save", active_scroll="wheel_zoom",
            toolbar_location="above", x_axis_type=None, y_axis_type=None,
        )
        # No grid drawn, so none built and sent with every session.
        self.figure.center = [r for r in self.figure.center if not isinstance(r, Grid)]
        # The current layer per area (aligned with self.codes), drawn by either glyph.
        n = len(self.codes)
        self._values = np.full(n, np.nan)
        self._text = {"shown": np.full(n, "", dtype=object), "a": np.full(n, "", dtype=object),
                      "b": np.full(n, "", dtype=object)}
        self._top: float | None = None
        self._source: object = None  # the layer frame shown (its raster is kept per frame)
        self._pending_values: pd.DataFrame | None = None  # see _realise
        self._pending_text: tuple | None = None
        self._label = ""
        self._in_view = np.arange(n) if not self.raster else np.arange(0)
        xs, ys = charts.plain_paths(areas.iloc[self._in_view]) if len(self._in_view) else ([], [])
        self.area_source = ColumnDataSource(self._polygon_data(xs, ys))
        self.area_mapper = LinearColorMapper(palette=["#ffffff"], low=0, high=1,
                                             nan_color=NO_VALUE)
        self.areas = self.figure.patches(
            "xs", "ys", source=self.area_source, line_color="white", line_width=0.4,
            fill_alpha=0.85, fill_color={"field": "value", "transform": self.area_mapper},
            visible=bool(n) and not self.raster,
        )
        self.area_hover = HoverTool(renderers=[self.areas], tooltips=[("area", "@name")])
        self.area_bar = ColorBar(color_mapper=self.area_mapper, title="", location=(0, 0),
                                 orientation="horizontal", height=12, visible=bool(n))
        self.figure.add_layout(self.area_bar, "below")
        self._build_raster()
        self._build_legend()
        if len(las):
            lx, ly = charts.plain_paths(las)
            self.figure.multi_line(lx, ly, line_color="#333333", line_width=1.5)
        self.school_source = ColumnDataSource(
            {"easting": [], "northing": [], "value": [], "name": [], "urn": [], "type": [],
             "pupils": [], "shown": []}
        )
        self.school_mapper = LinearColorMapper(palette=["#000000"], low=0, high=1,
                                               nan_color="#bdbdbd")
        self.schools = self.figure.scatter(
            "easting", "northing", source=self.school_source, size=12 if not self.raster else 6,
            line_color="black", fill_color={"field": "value", "transform": self.school_mapper},
        )
        self.school_hover = HoverTool(renderers=[self.schools], tooltips=[
            ("school", "@name"), ("URN", "@urn"), ("type", "@type"), ("pupils", "@pupils"),
            ("value", "@shown")])
        # Only the school points react to a click, opening that school's profile.
        tap = TapTool(renderers=[self.schools],
                      callback=OpenURL(url=f"profile?hub={quote(str(hub_id), safe='')}&urn=@urn",
                                       same_tab=True))
        self.figure.add_tools(self.area_hover, self.raster_hover, self.school_hover, tap)
        self.school_bar = ColorBar(color_mapper=self.school_mapper, title="", width=12)
        self.figure.add_layout(self.school_bar, "right")
        if self.raster:
            # Zooming in far enough swaps the raster for polygons (see _on_ranges).
            self.figure.on_event(RangesUpdate, self._on_ranges)

    # --- building ---------------------------------------------------------------------------

    def _realise(self, texts: bool = True) -> np.ndarray:
        """The shown layer's value per area (aligned with :attr:`codes`; NaN: none shown) and,
        with ``texts``, its hover texts, worked out from the layer frame the first time they
        are needed. Only the columns drawn: a layer's geometry stays behind."""
        if self._pending_values is not None:
            self._values = _values_of(self._pending_values, self.codes)
            self._pending_values = None
        if texts and self._pending_text is not None:
            frame, extra = self._pending_text
            self._pending_text = None
            if "shown" in frame.columns:
                self._text["shown"] = (frame["shown"].reindex(self.codes).astype(object)
                                       .fillna("–").to_numpy())
            for slot, column in zip("ab", extra, strict=False):
                self._text[slot] = (frame[column].reindex(self.codes).astype(object)
                                    .fillna("").astype(str).to_numpy())
        return self._values

    def _polygon_data(self, xs: list, ys: list) -> dict:
        self._realise()
        idx = self._in_view
        return {"xs": xs, "ys": ys, "code": [self.codes[i] for i in idx],
                "name": self.all_areas["name"].to_numpy()[idx].tolist() if len(idx) else [],
                "value": self._values[idx],
                **{k: v[idx].tolist() for k, v in self._text.items()}}

    def _build_raster(self) -> None:
        """The raster glyphs (hidden unless :attr:`raster`): a grey image of every pixel with
        an area under it, and above it the layer's image with its hover."""
        self.pixels: PixelIndex | None = None
        place: dict[str, list] = {"x": [], "y": [], "dw": [], "dh": []}
        land: list[np.ndarray] = []
        layer: dict[str, list] = {"image": [], "areas": [], "shown": [], "top": []}
        if self.raster:
            self.pixels = prepare(self.all_areas)
            width, height = self.pixels.width, self.pixels.height
            xr, yr = self.pixels.x_range, self.pixels.y_range
            place = {"x": [xr[0]], "y": [yr[0]], "dw": [xr[1] - xr[0]], "dh": [yr[1] - yr[0]]}
            counts = _counts(self.pixels.areas_per_pixel, self.pixels.count_type)
            # 1 where an area lies, 0 (transparent) elsewhere: one byte a pixel.
            land = [(counts > 0).astype(np.uint8)]
            blank = np.full((height, width), np.nan, dtype="float32")
            layer = {"image": [blank], "areas": [counts], "shown": [counts * 0],
                     "top": [_NO_TOP.copy()]}
        self.land_source = ColumnDataSource({"image": land, **place})
        self.land = self.figure.image(
            "image", x="x", y="y", dw="dw", dh="dh", source=self.land_source,
            color_mapper=LinearColorMapper(palette=[NO_VALUE], low=0.5, high=1.5,
                                           low_color="rgba(0, 0, 0, 0)"),
            visible=self.raster)
        #: The raster's mappers, one per colour scale (palette, low, high) shown so far: a
        #: layer change points the image at its scale's mapper (one property change) rather
        #: than setting palette, low and high of one mapper (three changes, after each of
        #: which BokehJS colours every pixel of the image again: ≈ 75 ms each on England's).
        self._raster_mappers: dict[tuple, LinearColorMapper] = {}
        self.raster_mapper = self._raster_mapper(["#ffffff"], 0, 1)
        self.raster_source = ColumnDataSource({**layer, **place})
        self.raster_image = self.figure.image(
            "image", x="x", y="y", dw="dw", dh="dh", source=self.raster_source,
            color_mapper=self.raster_mapper, global_alpha=0.85, visible=self.raster)
        self.raster_hover = HoverTool(renderers=[self.raster_image], tooltips=[])

    def _raster_mapper(self, palette: list[str], low: float, high: float
                       ) -> LinearColorMapper:
        """The raster's mapper for this colour scale (made the first time it is shown):
        transparent where no area has a shown value (the grey image below shows where there
        are areas)."""
        key = (tuple(palette), float(low), float(high))
        if key not in self._raster_mappers:
            self._raster_mappers[key] = LinearColorMapper(
                palette=list(palette), low=low, high=high, nan_color="rgba(0, 0, 0, 0)")
        return self._raster_mappers[key]

    def _build_legend(self) -> None:
        """Swatches for a categorical layer, outside the plot (below it), hidden until one is
        shown. Each swatch is a square-marker glyph of one point at NaN: nothing on the map."""
        # Plain renderers sharing one source: figure.scatter would also build selection and
        # hover glyphs for each, which costs more than the rest of the legend. Bokeh draws a
        # legend swatch only for a glyph with data: one point at NaN, drawn nowhere on the map
        # and left out of its ranges.
        nothing = ColumnDataSource({"x": np.array([np.nan]), "y": np.array([np.nan])})
        self._swatches = [
            GlyphRenderer(data_source=nothing, glyph=Scatter(
                x="x", y="y", marker="square", size=12, fill_color="#ffffff",
                line_color="#555555"))
            for _ in range(MAX_CATEGORIES)]
        self.figure.renderers.extend(self._swatches)
        self.legend = Legend(
            items=[LegendItem(label="", renderers=[r], visible=False) for r in self._swatches],
            orientation="horizontal", location="center", visible=False, title="",
            click_policy="none")
        self.figure.add_layout(self.legend, "below")

    # --- showing a layer --------------------------------------------------------------------

    def show_layer(self, layer: gpd.GeoDataFrame | pd.DataFrame | None) -> None:
        """Shade the areas by a layer of ``hubcore.display.area_layer`` (indexed by area code,
        ``value``/``shown`` and hover columns, metadata in ``attrs["display"]``). ``None`` hides
        the area layer."""
        if layer is None:
            self.show_areas(None, "", [], 0, 1)
            return
        meta = layer.attrs.get("display", {})
        self.show_areas(layer, meta.get("title", ""), list(meta.get("colours", ["#ffffff"])),
                        meta.get("low", 0), meta.get("high", 1), meta.get("tooltips") or {},
                        categories=_categories_of(meta))

    def show_areas(self, values: pd.DataFrame | None, label: str, palette: list[str],
                   low: float, high: float, extra: dict[str, str] | None = None,
                   categories: list[dict] | None = None) -> None:
        """Shade the areas by ``values['value']`` (indexed by area code, a layer of
        ``hubcore.display.area_layer``); the hover shows ``values['shown']``, the disclosed text
        (``c`` where suppressed), and ``extra`` maps up to two more columns of ``values`` to
        tooltip labels. ``categories`` (``{"value", "label", "colour"}`` each) makes the layer
        categorical: a legend of swatches instead of a colour bar. ``None`` hides the area
        layer."""
        if values is None or not self.codes:
            for glyph in (self.areas, self.raster_image, self.land):
                glyph.visible = False
            self.area_bar.visible = self.legend.visible = False
            return
        # The values and hover texts per area are worked out when first drawn (_realise): at
        # national zoom a kept raster needs neither.
        self._source = values
        self._pending_values = values
        self._pending_text = (values, dict(extra or {}))
        tooltips = [("area", "@name"), (label, "@value{0.0}")]
        if "shown" in values.columns:
            # The disclosed text, never the number behind a "c".
            tooltips = [("area", "@name"), (label, "@shown")]
        for slot, title in zip("ab", (extra or {}).values(), strict=False):
            tooltips.append((title, f"@{slot}"))
        self._label = label
        self._top = _top_of(categories)
        self.area_hover.tooltips = tooltips
        self.area_mapper.update(palette=palette, low=low, high=high)
        if categories:
            # One colour per category for the pixels' majority (mean ≥ ½ is the last one).
            self.raster_mapper = self._raster_mapper([c["colour"] for c in categories[:2]],
                                                     float(categories[0]["value"]),
                                                     float(categories[-1]["value"]))
        else:
            self.raster_mapper = self._raster_mapper(palette, low, high)
        self.raster_image.glyph.color_mapper = self.raster_mapper
        self._show_legend(label, categories)
        self._redraw()

    def _show_legend(self, label: str, categories: list[dict] | None) -> None:
        # The colour bar keeps the layer's title (what the page's tests and benchmarks read),
        # but a categorical layer shows swatches instead: a bar would invent values between.
        self.area_bar.title = label
        self.area_bar.visible = not categories
        self.legend.visible = bool(categories)
        if not categories:
            return
        self.legend.title = label
        for item, swatch, category in zip(self.legend.items, self._swatches,
                                          [*categories, *[None] * MAX_CATEGORIES], strict=False):
            item.visible = category is not None
            if category is not None:
                item.label = {"value": str(category["label"])}
                swatch.glyph.fill_color = category["colour"]

    def _redraw(self) -> None:
        """Draw the current layer as polygons (the areas in view) or as the raster."""
        if self.raster and self._polygons_off():
            self._draw_raster()
        else:
            self._draw_polygons()

    def _polygons_off(self) -> bool:
        return not len(self._in_view)

    def _draw_polygons(self) -> None:
        self._realise()
        idx = self._in_view
        changed = {"value": self._values[idx],
                   **{k: v[idx].tolist() for k, v in self._text.items()}}
        # Only the changed columns travel to the browser; the polygons stay where they are.
        _update(self.area_source, changed)
        self.areas.visible = True
        self.raster_image.visible = self.land.visible = False

    def _draw_raster(self) -> None:
        assert self.pixels is not None
        agg = self.pixels.layer(self._source, lambda: self._realise(texts=False), self._top)
        # Only a count of "yes" areas for a categorical layer; else a 1-pixel placeholder.
        changed = {"image": agg["image"], "shown": agg["shown"],
                   "top": agg.get("top", _NO_TOP)}
        if self._top is not None:
            tooltips = [(self._label, "@top of @shown areas here"),
                        ("small areas under this pixel", "@areas")]
        else:
            tooltips = [(f"{self._label}, mean of the areas shown", "@image{0.0}"),
                        ("small areas under this pixel", "@areas"),
                        ("of them with a shown value", "@shown")]
        # Only the pixels that changed travel (a benchmark change recolours only schools).
        _send(self.raster_source, changed)
        self.raster_hover.tooltips = tooltips
        self.areas.visible = False
        self.raster_image.visible = self.land.visible = True

    # --- zoom -------------------------------------------------------------------------------

    def _on_ranges(self, event: RangesUpdate) -> None:
        """After a pan or zoom: polygons when few enough areas are in view, else the raster."""
        if None in (event.x0, event.x1, event.y0, event.y1):
            return
        self.zoom_to(event.x0, event.x1, event.y0, event.y1)

    def zoom_to(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """Show what a view of ``x0``–``x1`` × ``y0``–``y1`` metres needs: the polygons of the
        areas in it when zoomed in (the view at most :data:`ZOOMED_IN` of the national extent
        across) and at most :data:`POLYGONS_IN_VIEW` of them are in view, otherwise the
        raster."""
        if not self.raster or self.pixels is None:
            return
        (fx0, fx1), (fy0, fy1) = self.pixels.x_range, self.pixels.y_range
        zoomed = min(abs(x1 - x0) / (fx1 - fx0), abs(y1 - y0) / (fy1 - fy0)) <= ZOOMED_IN
        found = np.sort(self._tree().query(shapely.box(min(x0, x1), min(y0, y1),
                                                       max(x0, x1), max(y0, y1))))
        if zoomed and 0 < len(found) <= POLYGONS_IN_VIEW:
            if not np.array_equal(found, self._in_view):
                self._in_view = found
                xs, ys = charts.plain_paths(self.all_areas.iloc[found])
                self.area_source.data = self._polygon_data(xs, ys)
            self._draw_polygons()
        else:
            if len(self._in_view):
                self._in_view = np.arange(0)
                self.area_source.data = self._polygon_data([], [])
            self._draw_raster()

    def _tree(self) -> shapely.STRtree:
        if getattr(self, "_strtree", None) is None:
            self._strtree = shapely.STRtree(self.all_areas.geometry.to_numpy())
        return self._strtree

    # --- schools ----------------------------------------------------------------------------

    def show_school_layer(self, points: gpd.GeoDataFrame | pd.DataFrame) -> None:
        """Place and colour the schools from ``hubcore.display.school_points`` (points in
        EPSG:27700 with ``value``/``shown`` and metadata in ``attrs["display"]``)."""
        meta = points.attrs.get("display", {})
        frame = pd.DataFrame({
            "urn": points["urn"].to_numpy(), "name": points["name"].to_numpy(),
            "type": points["type"].to_numpy(), "pupils": points["pupils"].to_numpy(),
            "value": points["value"].to_numpy(float), "shown": points["shown"].to_numpy(),
            "easting": points.geometry.x.to_numpy(), "northing": points.geometry.y.to_numpy()})
        self._place_schools(frame, meta.get("title", ""), list(meta.get("colours", [])),
                            meta.get("low", 0), meta.get("high", 1))

    def show_schools(self, schools: pd.DataFrame, value: str, label: str, palette: list[str],
                     low: float, high: float) -> None:
        """Place and colour the schools by column ``value``."""
        located = schools[schools["easting"].notna()]
        numbers = pd.to_numeric(located[value], errors="coerce") if value in located else \
            pd.Series(np.nan, index=located.index)
        frame = pd.DataFrame({
            "urn": located["urn"].to_numpy(), "name": located["name"].to_numpy(),
            "type": located["type"].to_numpy(),
            # Hover text as the display layer writes it: "c" stays "c", a missing value "–".
            "pupils": display_text(located["pupils"]).to_numpy(),
            "value": numbers.to_numpy(float),
            "shown": (display_text(located[value]).tolist() if value in located
                      else ["–"] * len(located)),
            "easting": located["easting"].to_numpy(float),
            "northing": located["northing"].to_numpy(float)})
        self._place_schools(frame, label, palette, low, high)

    def _place_schools(self, frame: pd.DataFrame, label: str, palette: list[str],
                       low: float, high: float) -> None:
        values = {"value": frame["value"].to_numpy(float), "shown": frame["shown"].tolist()}
        if list(self.school_source.data["urn"]) == frame["urn"].tolist():
            # The same schools: recolour them without sending their places again.
            _update(self.school_source, values)
        else:
            self.school_source.data = {
                "easting": frame["easting"].to_numpy(float),
                "northing": frame["northing"].to_numpy(float),
                "name": frame["name"].tolist(), "urn": frame["urn"].tolist(),
                "type": frame["type"].tolist(), "pupils": frame["pupils"].tolist(),
                **values,
            }
        self.school_mapper.update(palette=palette, low=low, high=high)
        self.school_bar.title = label


def _update(source: ColumnDataSource, columns: dict) -> None:
    """Send the entries of ``columns`` that differ from ``source``'s data, and only those."""
    data = source.data

    def same(old, new) -> bool:
        old, new = np.asarray(old), np.asarray(new)
        if old.shape != new.shape:
            return False
        if old.dtype.kind == "f" and new.dtype.kind == "f":
            return bool(np.array_equal(old, new, equal_nan=True))
        return bool(np.array_equal(old, new))

    changed = {k: v for k, v in columns.items() if k not in data or not same(data[k], v)}
    if changed:
        data.update(changed)


def _send(source: ColumnDataSource, images: dict[str, np.ndarray]) -> None:
    """Bring ``source``'s one-image columns to ``images`` (2-D arrays), sending only what
    changed: where a column already holds an image of the same shape and type and at most
    :data:`PATCH_SHARE` of its pixels changed, a patch per band of :data:`BAND` rows that
    changed, from its first to its last changed pixel (the unchanged pixels stay in the
    browser); otherwise the whole image. The source's arrays are its own copies (a patch
    writes into them)."""
    patches: dict[str, list] = {}
    whole: dict[str, list] = {}
    for name, new in images.items():
        new = np.asarray(new)
        old = source.data.get(name)
        old = np.asarray(old[0]) if old is not None and len(old) == 1 else None
        if old is None or old.shape != new.shape or old.dtype != new.dtype:
            whole[name] = [np.array(new)]
            continue
        found = _band_patches(old, new)
        if found and (source.document is None  # not served yet: nothing to save
                      or sum(values.size for _, values in found) > new.size * PATCH_SHARE):
            # Measured: BokehJS takes longer to apply many patches than one new image.
            whole[name] = [np.array(new)]
        elif found:
            patches[name] = found
    if whole:
        source.data.update(whole)
    if patches:
        source.patch(patches)


def _band_patches(old: np.ndarray, new: np.ndarray) -> list[tuple[list, np.ndarray]]:
    """Patches turning 2-D ``old`` into ``new`` (same shape and type; NaN equals NaN): per band
    of :data:`BAND` rows with a change, the rectangle from its first to its last changed row
    and column, as ``([0, row slice, column slice], flattened values)``."""
    if old.dtype.kind == "f":
        changed = ~((old == new) | (np.isnan(old) & np.isnan(new)))
    else:
        changed = old != new
    height, width = changed.shape
    bands = -(-height // BAND)
    padded = np.zeros((bands * BAND, width), dtype=bool)
    padded[:height] = changed
    padded = padded.reshape(bands, BAND, width)
    in_cols, in_rows = padded.any(axis=1), padded.any(axis=2)  # per band: (width), (BAND)
    first_col, last_col = in_cols.argmax(axis=1), width - in_cols[:, ::-1].argmax(axis=1)
    first_row, last_row = in_rows.argmax(axis=1), BAND - in_rows[:, ::-1].argmax(axis=1)
    out = []
    for band in np.flatnonzero(in_cols.any(axis=1)):
        r0, r1 = band * BAND + int(first_row[band]), band * BAND + int(last_row[band])
        c0, c1 = int(first_col[band]), int(last_col[band])
        out.append(([0, slice(int(r0), int(r1)), slice(c0, c1)],
                    np.array(new[r0:r1, c0:c1]).ravel()))
    return out
