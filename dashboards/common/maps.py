"""Map layers drawn with plain HoloViews elements in British National Grid metres.

No basemap and no GeoViews in the render path: boundaries come from our own geodata, already in
EPSG:27700, so nothing is reprojected per render and nothing is fetched from the internet.
"""

from __future__ import annotations

import geopandas as gpd
import holoviews as hv

from hubcore import geo, palettes

hv.extension("bokeh", logo=False)

# One look for served and briefing maps (hubcore.palettes).
DEPRIVATION_COLOURS = palettes.DEPRIVATION
ACHIEVED_COLOURS = palettes.ACHIEVED
PERCENT_COLOURS = palettes.ACHIEVED
RATE_COLOURS = palettes.RATE
COLD_COLOURS = palettes.COLD


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
