"""The area map drawn directly with Bokeh: small areas as one ``patches`` glyph and schools as
one ``scatter`` glyph, both in British National Grid metres with no basemap.

The geometry is sent to the browser once per session; a filter change only sends the columns
that changed (``ColumnDataSource.data.update``: the area values and tooltip columns, or the
schools' values when the same schools stay shown) and the colour scales. Replacing the whole
``data`` dict would send every polygon again, and HoloViews would
rebuild every polygon as its own element, which costs seconds for a few hundred areas.
"""

from __future__ import annotations

from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    HoverTool,
    LinearColorMapper,
    OpenURL,
    TapTool,
)
from bokeh.plotting import figure

from dashboards.common import charts

NO_VALUE = "#d9d9d9"


class AreaMap:
    """A map of one set of small areas, LA outlines and schools, restyled in place."""

    def __init__(self, areas: gpd.GeoDataFrame, las: gpd.GeoDataFrame, hub_id: str | None,
                 height: int = 620):
        self.codes = areas["code"].tolist() if len(areas) else []
        xs, ys = charts.plain_paths(areas) if len(areas) else ([], [])
        self.figure = figure(
            height=height, sizing_mode="stretch_width", match_aspect=True,
            tools="pan,wheel_zoom,box_zoom,reset,save", active_scroll="wheel_zoom",
            toolbar_location="above", x_axis_type=None, y_axis_type=None,
        )
        self.figure.grid.visible = False
        self.area_source = ColumnDataSource(
            {"xs": xs, "ys": ys, "code": self.codes,
             "name": areas["name"].tolist() if len(areas) else [],
             "value": [np.nan] * len(self.codes), "shown": [""] * len(self.codes),
             "a": [""] * len(self.codes),
             "b": [""] * len(self.codes)}
        )
        self.area_mapper = LinearColorMapper(palette=["#ffffff"], low=0, high=1,
                                             nan_color=NO_VALUE)
        self.areas = self.figure.patches(
            "xs", "ys", source=self.area_source, line_color="white", line_width=0.4,
            fill_alpha=0.85, fill_color={"field": "value", "transform": self.area_mapper},
            visible=bool(len(self.codes)),
        )
        self.area_hover = HoverTool(renderers=[self.areas], tooltips=[("area", "@name")])
        self.area_bar = ColorBar(color_mapper=self.area_mapper, title="", location=(0, 0),
                                 orientation="horizontal", height=12,
                                 visible=bool(len(self.codes)))
        self.figure.add_layout(self.area_bar, "below")
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
            "easting", "northing", source=self.school_source, size=12, line_color="black",
            fill_color={"field": "value", "transform": self.school_mapper},
        )
        self.school_hover = HoverTool(renderers=[self.schools], tooltips=[
            ("school", "@name"), ("URN", "@urn"), ("type", "@type"), ("pupils", "@pupils"),
            ("value", "@shown")])
        # Only the school points react to a click, opening that school's profile.
        tap = TapTool(renderers=[self.schools],
                      callback=OpenURL(url=f"profile?hub={quote(str(hub_id), safe='')}&urn=@urn",
                                       same_tab=True))
        self.figure.add_tools(self.area_hover, self.school_hover, tap)
        self.school_bar = ColorBar(color_mapper=self.school_mapper, title="", width=12)
        self.figure.add_layout(self.school_bar, "right")

    def show_areas(self, values: pd.DataFrame | None, label: str, palette: list[str],
                   low: float, high: float, extra: dict[str, str] | None = None) -> None:
        """Shade the areas by ``values['value']`` (indexed by area code, a layer of
        ``hubcore.display.area_layer``); the hover shows ``values['shown']``, the disclosed text
        (``c`` where suppressed), and ``extra`` maps up to two more columns of ``values`` to
        tooltip labels. ``None`` hides the area layer."""
        if values is None or not self.codes:
            self.areas.visible = self.area_bar.visible = False
            return
        aligned = values.reindex(self.codes)
        changed = {"value": pd.to_numeric(aligned["value"], errors="coerce").to_numpy(float)}
        tooltips = [("area", "@name"), (label, "@value{0.0}")]
        if "shown" in aligned:
            # The disclosed text, never the number behind a "c".
            changed["shown"] = aligned["shown"].astype(object).fillna("–").tolist()
            tooltips = [("area", "@name"), (label, "@shown")]
        for slot, (column, title) in zip("ab", (extra or {}).items(), strict=False):
            changed[slot] = aligned[column].astype(str).fillna("").tolist()
            tooltips.append((title, f"@{slot}"))
        # Only the changed columns travel to the browser; the polygons stay where they are.
        _update(self.area_source, changed)
        self.area_mapper.update(palette=palette, low=low, high=high)
        self.area_bar.title = label
        self.area_hover.tooltips = tooltips
        self.areas.visible = self.area_bar.visible = True

    def show_schools(self, schools: pd.DataFrame, value: str, label: str, palette: list[str],
                     low: float, high: float) -> None:
        """Place and colour the schools by column ``value``."""
        located = schools[schools["easting"].notna()]
        numbers = pd.to_numeric(located[value], errors="coerce") if value in located else \
            pd.Series(np.nan, index=located.index)
        values = {
            "value": numbers.to_numpy(float),
            "shown": [("–" if pd.isna(v) else f"{v:g}") for v in numbers],
        }
        if list(self.school_source.data["urn"]) == located["urn"].tolist():
            # The same schools: recolour them without sending their places again.
            _update(self.school_source, values)
        else:
            self.school_source.data = {
                "easting": located["easting"].to_numpy(float),
                "northing": located["northing"].to_numpy(float),
                "name": located["name"].tolist(),
                "urn": located["urn"].tolist(),
                "type": located["type"].tolist(),
                "pupils": located["pupils"].fillna(0).astype(int).tolist(),
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
