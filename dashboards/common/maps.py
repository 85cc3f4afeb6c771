"""Map layers drawn with plain HoloViews elements in British National Grid metres.

No basemap and no GeoViews in the render path: boundaries come from our own geodata, already in
EPSG:27700, so nothing is reprojected per render and nothing is fetched from the internet.
"""

from __future__ import annotations

import geopandas as gpd
import holoviews as hv
import pandas as pd

from hubcore import geo

hv.extension("bokeh", logo=False)

#: Deprivation: decile 1 (most deprived) darkest.
DEPRIVATION_COLOURS = [
    "#3f007d",
    "#54278f",
    "#6a51a3",
    "#807dba",
    "#9e9ac8",
    "#bcbddc",
    "#dadaeb",
    "#efedf5",
    "#f7f5fa",
    "#fcfbfd",
]
#: Benchmarks achieved 0–8: red (none) through amber to green (all eight).
ACHIEVED_COLOURS = [
    "#a50026",
    "#d73027",
    "#f46d43",
    "#fdae61",
    "#fee08b",
    "#d9ef8b",
    "#a6d96a",
    "#66bd63",
    "#1a9850",
]

#: Rates and gaps, percent: pale (low) to dark red (high).
RATE_COLOURS = ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801",
                "#a63603", "#7f2704"]
#: A benchmark's percent met, 0–100: red to green.
PERCENT_COLOURS = ACHIEVED_COLOURS
#: Cold spots: not cold (pale) and cold (strong blue).
COLD_COLOURS = ["#f0f0f0", "#08519c"]


def open_profile_on_tap(hub_id: str | None):
    """A HoloViews hook: clicking a school point opens its profile page in the same tab."""
    from bokeh.models import OpenURL, TapTool

    def hook(plot, element) -> None:
        # Only the school points open a profile: a tap on an area beneath must do nothing.
        renderer = plot.handles["glyph_renderer"]
        for tool in plot.state.select(type=TapTool):
            tool.renderers = [renderer]
            tool.callback = OpenURL(url=f"profile?hub={hub_id}&urn=@urn", same_tab=True)

    return hook


def choropleth(
    areas: gpd.GeoDataFrame,
    value: str,
    label: str,
    colours: list[str],
    clim: tuple[float, float],
    hover: list[str],
) -> hv.Polygons:
    """Small areas filled by ``value``, with ``hover`` columns in the tooltip."""
    columns = list(dict.fromkeys([value, *hover]))
    paths = geo.polygon_paths(areas, columns)
    vdims = [hv.Dimension(value, label=label), *columns[1:]]
    return hv.Polygons(paths, vdims=vdims, label=label).opts(
        color=value,
        cmap=colours,
        clim=clim,
        line_color="white",
        line_width=0.4,
        fill_alpha=0.85,
        colorbar=True,
        colorbar_position="bottom",
        tools=["hover"],
        hover_tooltips=[(c.replace("_", " "), f"@{{{c}}}") for c in columns],
    )


def outline(areas: gpd.GeoDataFrame) -> hv.Path:
    """A thin outline of ``areas`` (for LA boundaries over small areas)."""
    paths = geo.polygon_paths(areas, [])
    return hv.Path(paths).opts(color="#333333", line_width=1.5)


def school_points(
    schools: pd.DataFrame,
    value: str,
    label: str,
    colours: list[str],
    clim: tuple[float, float],
    hover: list[str],
) -> hv.Points:
    """Schools as points at easting/northing, coloured by ``value``."""
    columns = list(dict.fromkeys([value, *hover]))
    vdims = [hv.Dimension(value, label=label), *columns[1:]]
    return hv.Points(schools, kdims=["easting", "northing"], vdims=vdims, label="Schools").opts(
        color=value,
        cmap=colours,
        clim=clim,
        size=12,
        line_color="black",
        line_width=1,
        colorbar=True,
        tools=["hover", "tap"],
        show_legend=False,
        hover_tooltips=[(c.replace("_", " "), f"@{{{c}}}") for c in columns],
    )


def map_options(element: hv.Overlay, height: int = 620) -> hv.Overlay:
    """Map look: equal axes in metres with no axes drawn (there is no basemap to align to)."""
    return element.opts(
        hv.opts.Overlay(
            data_aspect=1,
            xaxis=None,
            yaxis=None,
            responsive=True,
            min_height=height,
            toolbar="above",
            active_tools=["wheel_zoom"],
            legend_position="top_left",
        )
    )
