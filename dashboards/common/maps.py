"""Map layers drawn with plain HoloViews elements in British National Grid metres.

No basemap and no GeoViews in the render path: boundaries come from our own geodata, already in
EPSG:27700, so nothing is reprojected per render and nothing is fetched from the internet.
"""

from __future__ import annotations

import geopandas as gpd
import holoviews as hv

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


def outline(areas: gpd.GeoDataFrame) -> hv.Path:
    """A thin outline of ``areas`` (for LA boundaries over small areas)."""
    paths = geo.polygon_paths(areas, [])
    return hv.Path(paths).opts(color="#333333", line_width=1.5)


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
