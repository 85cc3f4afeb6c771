"""Display copies of stored boundaries: simplified once per display scale, cached on disk.

Boundaries are stored at full resolution (WKB, EPSG:27700) in the ``area`` table. Maps need far
fewer vertices, so :func:`display_boundaries` simplifies them once per tolerance and keeps the
result as a GeoPackage under ``geodata/cache/`` (or ``$HUBCORE_GEODATA_CACHE``), named by a hash
of the codes and geometries plus the tolerance. A changed boundary gives a new hash, so a stale
copy is never served; the cache can be deleted at any time.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, select

from hubcore import geo

ENV_CACHE = "HUBCORE_GEODATA_CACHE"
#: Simplification tolerance in metres for each display scale.
DISPLAY_SCALES: dict[str, float] = {"national": 500.0, "regional": 100.0, "local": 20.0}


def cache_dir() -> Path:
    """``$HUBCORE_GEODATA_CACHE``, else ``geodata/cache`` in a source checkout, else
    ``geodata-cache`` in the hubcore data folder."""
    if os.environ.get(ENV_CACHE):
        path = Path(os.environ[ENV_CACHE]).expanduser()
    else:
        checkout = Path(__file__).resolve().parents[1] / "geodata"
        if checkout.is_dir():
            path = checkout / "cache"
        else:
            from hubcore.db import data_dir

            path = data_dir() / "geodata-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def content_hash(gdf: gpd.GeoDataFrame, code: str = "code") -> str:
    """Short SHA-256 of the codes and WKB geometries (order-independent)."""
    ordered = gdf.sort_values(code)
    digest = hashlib.sha256()
    for value, geom in zip(ordered[code], ordered.geometry.to_wkb(), strict=True):
        digest.update(str(value).encode())
        digest.update(geom or b"")
    return digest.hexdigest()[:16]


def tolerance_for(scale: str | float) -> float:
    """Metres for a named display scale (or a number of metres as given)."""
    if isinstance(scale, str):
        try:
            return DISPLAY_SCALES[scale]
        except KeyError:
            raise ValueError(
                f"unknown display scale {scale!r}; one of {list(DISPLAY_SCALES)}"
            ) from None
    return float(scale)


def simplified(gdf: gpd.GeoDataFrame, scale: str | float, code: str = "code") -> gpd.GeoDataFrame:
    """``gdf`` (EPSG:27700) simplified for ``scale``, from the disk cache when present."""
    tolerance = tolerance_for(scale)
    name = f"{content_hash(gdf, code)}_{int(round(tolerance))}m.gpkg"
    return _cached(str(cache_dir() / name), gdf, tolerance)


@functools.lru_cache(maxsize=64)
def _memo(path: str, mtime: float) -> gpd.GeoDataFrame:
    return gpd.read_file(path)


def _cached(path: str, gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    target = Path(path)
    if target.exists():
        return _memo(path, target.stat().st_mtime).copy()
    out = geo.simplify(gdf, tolerance)
    partial = target.with_suffix(".partial.gpkg")
    out.to_file(partial, driver="GPKG")
    partial.replace(target)  # atomic: a reader never sees a half-written cache file
    return out


def stored_boundaries(
    engine: Engine, kind: str = "lsoa", parent_code: str | None = None
) -> gpd.GeoDataFrame:
    """Stored areas of ``kind`` (optionally within ``parent_code``) that have a geometry, as a
    GeoDataFrame in EPSG:27700."""
    from hubcore.models import Area

    t = Area.__table__
    query = select(t).where(t.c.kind == kind, t.c.geometry.is_not(None))
    if parent_code is not None:
        query = query.where(t.c.parent_code == parent_code)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return geo.from_wkb(frame)


def display_boundaries(
    engine: Engine,
    kind: str = "lsoa",
    parent_code: str | None = None,
    scale: str | float = "local",
) -> gpd.GeoDataFrame:
    """Stored boundaries simplified for a display scale (``national`` 500 m, ``regional``
    100 m, ``local`` 20 m, or a tolerance in metres), cached under :func:`cache_dir`."""
    gdf = stored_boundaries(engine, kind, parent_code)
    if gdf.empty:
        return gdf
    return simplified(gdf, scale)
