"""The map colours of the served pages, shared with the briefing maps (``hubcore.palettes``).

Maps are drawn directly with Bokeh in British National Grid metres (``area_map.AreaMap`` for
the overview, ``charts.map_figure`` for the employer and flow maps): no basemap, no GeoViews or
HoloViews in the render path, nothing reprojected per render and nothing fetched from the
internet.
"""

from __future__ import annotations

from hubcore import palettes

# One look for served and briefing maps (hubcore.palettes).
DEPRIVATION_COLOURS = palettes.DEPRIVATION
ACHIEVED_COLOURS = palettes.ACHIEVED
PERCENT_COLOURS = palettes.ACHIEVED
RATE_COLOURS = palettes.RATE
COLD_COLOURS = palettes.COLD
