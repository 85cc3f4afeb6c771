"""The hand-drawn Bokeh pieces the pages share: values checked against small data worked out by
hand."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("panel")
import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
from bokeh.models import GlyphRenderer, Legend  # noqa: E402
from shapely.geometry import MultiPolygon, Polygon  # noqa: E402

from dashboards.common import charts  # noqa: E402


def test_stacked_bars_one_glyph_with_hand_computed_segments():
    frame = pd.DataFrame({
        "cohort": [2024, 2024, 2024, 2025, 2025],
        "destination": ["education", "employment", "neet", "education", "neet"],
        "percent": [70.0, 20.0, 10.0, 80.0, float("nan")],
    })
    fig = charts.stacked_bars(frame, "cohort", "destination", "percent")
    renderers = [r for r in fig.renderers if isinstance(r, GlyphRenderer)]
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
    legend = next(r for r in fig.right if isinstance(r, Legend))
    assert [(i.label.value, i.index) for i in legend.items] == [
        ("education", 0), ("employment", 1), ("neet", 2)]
    # Each layer keeps one colour across the bars.
    assert data["colour"][0] == data["colour"][3] != data["colour"][1]


def test_plain_paths_are_whole_metres_with_nan_between_parts():
    square = Polygon([(0.4, 0.4), (10.6, 0.4), (10.6, 10.2), (0.4, 0.4)])
    far = Polygon([(100, 100), (110, 100), (110, 110), (100, 100)])
    gdf = gpd.GeoDataFrame(geometry=[square, MultiPolygon([square, far])], crs="EPSG:27700")
    xs, ys = charts.plain_paths(gdf)
    assert xs[0] == [0, 11, 11, 0] and ys[0] == [0, 0, 10, 0]
    assert all(type(v) is int for v in xs[0])  # plain numbers, not numpy arrays
    assert xs[1][:4] == [0, 11, 11, 0] and math.isnan(xs[1][4])
    assert xs[1][5:] == [100, 110, 110, 100]
