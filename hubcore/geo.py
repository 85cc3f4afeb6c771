"""Geography: boundaries as GeoDataFrames in British National Grid, points from
easting/northing, and polygon paths ready for drawing as they are (already projected).

All distance and area work is in EPSG:27700 (metres). Boundaries are stored as WKB in the
``area`` table; :func:`simplify` is the one place display copies are simplified (the pages call
it per scope and cache the result per process, ``dashboards.common.data.boundaries``).
"""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"


@functools.cache
def _to_wgs84() -> Transformer:
    return Transformer.from_crs(BNG, WGS84, always_xy=True)


def bng_to_lonlat(easting, northing) -> tuple[np.ndarray, np.ndarray]:
    """Convert British National Grid metres to WGS84 longitude and latitude (degrees)."""
    lon, lat = _to_wgs84().transform(np.asarray(easting, float), np.asarray(northing, float))
    return np.asarray(lon), np.asarray(lat)


def points_frame(frame: pd.DataFrame, x: str = "easting", y: str = "northing") -> gpd.GeoDataFrame:
    """GeoDataFrame of points (EPSG:27700) from easting/northing columns; rows without a
    location get an empty geometry."""
    has = frame[x].notna() & frame[y].notna()
    geometry = np.full(len(frame), None, dtype=object)
    geometry[has.to_numpy()] = shapely.points(
        frame.loc[has, x].to_numpy(float), frame.loc[has, y].to_numpy(float)
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index), crs=BNG)


def from_wkb(frame: pd.DataFrame, column: str = "geometry") -> gpd.GeoDataFrame:
    """GeoDataFrame from a frame whose ``column`` holds WKB bytes in EPSG:27700."""
    geometry = shapely.from_wkb(frame[column].to_numpy())
    return gpd.GeoDataFrame(frame.drop(columns=[column]), geometry=geometry, crs=BNG)


def simplify(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """Simplify polygons by ``tolerance_m`` metres (Douglas–Peucker, topology-preserving per
    polygon: each part stays valid; at coarse tolerances, 250 m and more, a multipart area can
    come back with one part inside another). ``tolerance_m`` ≤ 0 returns ``gdf`` itself."""
    if tolerance_m <= 0:
        return gdf
    out = gdf.copy()
    out["geometry"] = shapely.simplify(gdf.geometry.to_numpy(), tolerance_m, preserve_topology=True)
    return out


def polygon_paths(gdf: gpd.GeoDataFrame, columns: list[str]) -> list[dict]:
    """Polygons as HoloViews/Bokeh-ready dicts of exterior ``x``/``y`` arrays plus value columns.

    Multi-part geometries become NaN-separated parts of one path; holes are dropped (small
    areas rarely have them, and a filled hole would only hide an enclave drawn on top).
    """
    records = gdf[columns].to_dict("records")
    paths = []
    for geom, record in zip(gdf.geometry.to_numpy(), records, strict=True):
        if geom is None or geom.is_empty:
            continue
        parts = geom.geoms if hasattr(geom, "geoms") else [geom]
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        for part in parts:
            coords = np.asarray(part.exterior.coords)
            if xs:
                xs.append(np.array([np.nan]))
                ys.append(np.array([np.nan]))
            xs.append(coords[:, 0])
            ys.append(coords[:, 1])
        paths.append({"x": np.concatenate(xs), "y": np.concatenate(ys), **record})
    return paths
