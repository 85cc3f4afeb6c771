"""ONS boundaries (GeoJSON, GeoPackage, Shapefile, TopoJSON; any CRS) → the ``area`` table.

The code column is found from the header (``LSOA11CD``, ``LAD24CD``, ``CTYUA23CD``, ``RGN23CD``,
or ``areacd`` in the ONS TopoJSON) and gives the area kind and the boundary year. Geometries
are reprojected to British National Grid (EPSG:27700), repaired with ``make_valid`` where
invalid (counted in the notes), and stored as WKB. A file without a CRS is placed by its
coordinates (lon/lat or BNG); a feature whose coordinates cannot be in Great Britain in the
file's CRS (a mixed-CRS file) is rejected, and a file whose coordinates all contradict its
declared CRS (degrees in a projected CRS such as EPSG:27700, or values beyond ±180/±90 in a
geographic one such as EPSG:4326) is refused. Areas outside England are skipped unless
``all_nations``.

An LSOA's ``parent_code`` (its district) comes from a ``LADxxCD`` column when the file has one,
else from ``parent`` when given, else from the stored district (or upper-tier LA) that contains
the LSOA's representative point. Display copies are simplified when a page first needs them
(``dashboards.common.data.boundaries``), not at import.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from hubcore import codes
from hubcore.errors import HubcoreError
from hubcore.geo import BNG, WGS84, from_wkb
from hubcore.ingest.base import finish
from hubcore.ingest.reader import Table
from hubcore.ingest.report import ImportReport
from hubcore.ingest.upsert import upsert
from hubcore.ingest.validate import Checker
from hubcore.models import Area

#: Column stems in ONS files → area kind.
STEMS = {"LSOA": "lsoa", "LAD": "lad", "LTLA": "lad", "CTYUA": "utla", "UTLA": "utla",
         "RGN": "region", "GOR": "region", "WD": "ward", "MSOA": "msoa"}
#: TopoJSON layer names of the ONS multi-year file → area kind.
LAYERS = {"ltla": "lad", "utla": "utla", "rgn": "region", "lsoa": "lsoa"}
#: Generous British National Grid extent, metres (covers Scilly to Shetland).
GB_EXTENT = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)
LONLAT_EXTENT = (-10.0, 49.0, 3.0, 61.5)
CODE_PATTERN = r"[EWSNKLM]\d{8}"
#: Most features a boundary file may hold: England and Wales's 2021 output areas (188,880), the
#: finest ONS boundaries, fit; more means the wrong file, and reading it would cost the
#: server minutes and gigabytes.
MAX_FEATURES = 250_000
#: Largest boundary file, bytes as stored (full-resolution output areas are about 1.5 GB).
MAX_BYTES = 4 << 30


def _code_columns(columns) -> tuple[str, str | None, str | None, int | None]:
    """``(code column, name column, kind, year)`` from an ONS header."""
    for column in columns:
        m = re.fullmatch(r"([A-Za-z]+?)(\d{2})CD", column)
        if m and m.group(1).upper() in STEMS:
            stem, yy = m.group(1), int(m.group(2))
            name = next((c for c in columns if c.upper() == f"{stem}{m.group(2)}NM".upper()),
                        None)
            return column, name, STEMS[stem.upper()], 2000 + yy if yy < 80 else 1900 + yy
    lower = {c.lower(): c for c in columns}
    for code, name in (("areacd", "areanm"), ("code", "name")):
        if code in lower:
            return lower[code], lower.get(name), None, None
    raise HubcoreError(
        "cannot find the area code column (expected e.g. LSOA21CD, LAD24CD, CTYUA23CD or "
        f"areacd); columns are: {', '.join(columns)}; nothing was imported"
    )


def _kind_from_codes(codes: pd.Series, layer: str | None) -> str:
    if layer and layer.lower() in LAYERS:
        return LAYERS[layer.lower()]
    prefixes = set(codes.str.slice(0, 3))
    if prefixes & {"E01", "W01"}:
        return "lsoa"
    if prefixes & {"E12"}:
        return "region"
    if prefixes & {"E10"}:
        return "utla"
    return "lad"


def _open(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, str | None]:
    if not path.exists():
        raise HubcoreError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise HubcoreError(f"{path.name}: the file is empty")
    if size > MAX_BYTES:
        raise HubcoreError(f"{path.name} is {size / (1 << 30):,.1f} GiB, larger than a boundary "
                           f"file can be ({MAX_BYTES / (1 << 30):,.0f} GiB); nothing was read")
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001 - GDAL raises several kinds for unreadable data
        raise HubcoreError(f"{path.name}: not a readable boundary file ({_short(exc)})") from None
    names = [str(n) for n in layers[:, 0]]
    if layer is None and len(names) > 1:
        raise HubcoreError(
            f"{path.name} has {len(names)} layers ({', '.join(names)}); choose one with --layer"
        )
    if layer is not None and layer not in names:
        raise HubcoreError(f"{path.name} has no layer {layer!r}; layers: {', '.join(names)}")
    chosen = layer or (names[0] if names else None)
    try:
        # Counted from the file's header or index before any geometry is read (-1: unknown).
        features = int(pyogrio.read_info(path, layer=chosen).get("features", -1))
    except Exception:  # noqa: BLE001 - a count we cannot get is checked after reading
        features = -1
    if features > MAX_FEATURES:
        raise HubcoreError(f"{path.name} has {features:,} features, more than a boundary file "
                           f"can hold ({MAX_FEATURES:,}); nothing was read")
    try:
        gdf = gpd.read_file(path, layer=chosen, engine="pyogrio", max_features=MAX_FEATURES + 1)
    except Exception as exc:  # noqa: BLE001
        raise HubcoreError(f"{path.name}: not a readable boundary file ({_short(exc)})") from None
    if gdf.empty:
        raise HubcoreError(f"{path.name}: the file has no features")
    if len(gdf) > MAX_FEATURES:
        raise HubcoreError(f"{path.name} has more than {MAX_FEATURES:,} features, more than a "
                           "boundary file can hold; nothing was stored")
    return gdf, chosen


def _short(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _guess_crs(gdf: gpd.GeoDataFrame, path: Path) -> str:
    """CRS of a file that declares none (the ONS TopoJSON), from its coordinates."""
    minx, miny, maxx, maxy = gdf.total_bounds
    if LONLAT_EXTENT[0] <= minx and maxx <= LONLAT_EXTENT[2] and LONLAT_EXTENT[1] <= miny \
            and maxy <= LONLAT_EXTENT[3]:
        return WGS84
    if GB_EXTENT[0] <= minx and maxx <= GB_EXTENT[2] and GB_EXTENT[1] <= miny \
            and maxy <= GB_EXTENT[3]:
        return BNG
    raise HubcoreError(
        f"{path.name}: the file declares no coordinate system and its coordinates are neither "
        "longitude/latitude nor British National Grid; nothing was imported"
    )


def _contradicts_crs(bounds: np.ndarray, geographic: bool) -> np.ndarray:
    """Per feature (rows of ``minx, miny, maxx, maxy``): coordinates that cannot be in the
    declared CRS. Degrees never pass ±180 (x) or ±90 (y); a projected CRS in metres places
    Great Britain hundreds of kilometres from its origin, so a feature lying wholly within
    ±180 by ±90 of it is in degrees."""
    with np.errstate(invalid="ignore"):
        in_degrees = (np.abs(bounds[:, [0, 2]]) <= 180).all(axis=1) & (
            np.abs(bounds[:, [1, 3]]) <= 90).all(axis=1)
    return ~in_degrees if geographic else in_degrees


def _crs_message(path: Path, crs, example: np.ndarray) -> str:
    minx, miny, maxx, maxy = (f"{v:,.6g}" for v in example)
    name = crs.to_string()
    if crs.is_geographic:
        why = (f"{name} is longitude/latitude in degrees, but coordinates reach "
               f"x {minx} to {maxx}, y {miny} to {maxy}, beyond ±180/±90")
        if path.suffix.lower() in (".geojson", ".json"):
            why += ' (a GeoJSON without a "crs" member is read as EPSG:4326)'
    else:
        why = (f"{name} is in metres, but every feature lies within ±180/±90 of its origin "
               f"(e.g. x {minx} to {maxx}, y {miny} to {maxy}): these look like degrees")
    return (f"{path.name}: the coordinates contradict the declared coordinate system: {why}; "
            "declare the right CRS in the file (or reproject it); nothing was imported")


def read_boundaries(
    path: str | Path,
    layer: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    all_nations: bool = False,
) -> tuple[gpd.GeoDataFrame, Checker, int, list[str]]:
    """Read and validate a boundary file.

    Returns ``(areas, checker, skipped, notes)``: ``areas`` is a GeoDataFrame in EPSG:27700 with
    ``code, name, kind, vintage, parent_code`` for every feature (rejects marked on
    ``checker.bad``).
    """
    path = Path(path)
    gdf, chosen = _open(path, layer)
    notes: list[str] = []
    columns = [c for c in gdf.columns if c != "geometry"]
    code_col, name_col, stem_kind, vintage = _code_columns(columns)
    frame = pd.DataFrame({c: gdf[c].astype(str).where(gdf[c].notna(), "") for c in columns})
    table = Table(frame=frame, first_row=1, encoding="", path=path)
    skipped_mask = np.zeros(len(gdf), dtype=bool)
    if year is not None and {"start", "end"} & set(columns):
        start = pd.to_numeric(gdf.get("start"), errors="coerce") if "start" in gdf else None
        end = pd.to_numeric(gdf.get("end"), errors="coerce") if "end" in gdf else None
        live = np.ones(len(gdf), dtype=bool)
        if start is not None:
            live &= (start.isna() | (start <= year)).to_numpy()
        if end is not None:
            live &= (end.isna() | (end >= year)).to_numpy()
        skipped_mask |= ~live
    codes_text = frame[code_col].str.strip()
    if not all_nations:
        skipped_mask |= ~codes_text.str.startswith("E").to_numpy()
    kept = np.flatnonzero(~skipped_mask)
    gdf = gdf.iloc[kept]
    sub = frame.iloc[kept]
    # Feature numbers: row 1 is the header, so feature N is "row" N + 1 as in a spreadsheet.
    table.first_row = 2
    checker = Checker(table, frame=sub)
    code = checker.parse_pattern(code_col, CODE_PATTERN, "bad_code",
                                 "not a 9-character GSS code", required=True)
    area_kind = kind or stem_kind or _kind_from_codes(codes_text.iloc[kept], chosen)
    if area_kind not in codes.AREA_KINDS:
        raise HubcoreError(
            f"{path.name}: {area_kind} boundaries ({code_col}) cannot be stored yet: the area "
            f"table holds {', '.join(codes.AREA_KINDS)}; nothing was imported"
        )
    geometry = gdf.geometry
    crs = gdf.crs
    if crs is None:
        crs = _guess_crs(gdf, path)
        notes.append(f"no CRS declared; coordinates read as {crs}")
        geometry = geometry.set_crs(crs)
    missing_geom = (geometry.isna() | geometry.is_empty).to_numpy()
    checker.reject(missing_geom, "geometry", "empty_geometry", "the feature has no geometry")
    bounds = geometry.bounds.to_numpy()
    contradicts = _contradicts_crs(bounds, geometry.crs.is_geographic) & ~missing_geom
    if contradicts.any() and contradicts[~missing_geom].all():
        raise HubcoreError(_crs_message(path, geometry.crs, bounds[contradicts][0]))
    if not geometry.crs.is_geographic:
        checker.reject(contradicts, "geometry", "outside_great_britain",
                       f"coordinates look like degrees, not the metres of the file's CRS "
                       f"({crs}); mixed coordinate systems?")
    extent = LONLAT_EXTENT if geometry.crs.is_geographic else None
    if extent is not None:
        outside = ~missing_geom & ~(
            (bounds[:, 0] >= extent[0]) & (bounds[:, 2] <= extent[2])
            & (bounds[:, 1] >= extent[1]) & (bounds[:, 3] <= extent[3])
        )
        checker.reject(outside, "geometry", "outside_great_britain",
                       f"coordinates are not in Great Britain in the file's CRS ({crs}); "
                       "mixed coordinate systems?")
    safe = geometry.where(~(missing_geom | checker.bad), None)
    projected = safe.to_crs(BNG)
    pb = projected.bounds.to_numpy()
    finite = np.isfinite(pb).all(axis=1)
    outside_bng = ~missing_geom & ~checker.bad & ~(
        finite & (pb[:, 0] >= GB_EXTENT[0]) & (pb[:, 2] <= GB_EXTENT[2])
        & (pb[:, 1] >= GB_EXTENT[1]) & (pb[:, 3] <= GB_EXTENT[3])
    )
    checker.reject(outside_bng, "geometry", "outside_great_britain",
                   "coordinates fall outside Great Britain after reprojection; wrong CRS?")
    geoms = projected.to_numpy()
    ok = ~checker.bad & ~missing_geom
    invalid = ok & ~shapely.is_valid(np.where(ok, geoms, None)).astype(bool)
    if invalid.any():
        repaired = shapely.make_valid(geoms[invalid])
        geoms[invalid] = [_polygonal(g) for g in repaired]
        notes.append(f"{int(invalid.sum()):,} invalid geometries repaired (make_valid)")
        checker.reject(np.array([g is None for g in geoms]) & ok, "geometry",
                       "unrepairable_geometry", "no polygon left after repairing the geometry")
    name = (checker.text(name_col) if name_col else pd.Series("", index=sub.index))
    name = name.where(name != "", codes_text.iloc[kept]).str.slice(0, 200)
    parent = pd.Series(None, index=sub.index, dtype=object)
    parent_col = next((c for c in columns if re.fullmatch(r"(LAD|LTLA)\d{2}CD", c)
                       and c != code_col), None)
    if area_kind == "lsoa" and parent_col:
        parent = checker.text(parent_col).replace("", None)
    checker.duplicates(pd.DataFrame({"code": code.astype(str)}), code_col, "area code")
    areas = gpd.GeoDataFrame(
        {"code": code, "name": name, "kind": area_kind, "vintage": vintage or year,
         "parent_code": parent},
        geometry=gpd.GeoSeries(geoms, index=sub.index, crs=BNG),
        crs=BNG,
    )
    return areas, checker, int(skipped_mask.sum()), notes


def _polygonal(geom):
    """Keep only the polygon parts of a repaired geometry (``make_valid`` can add lines)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def _stored_boundaries(engine, kind: str) -> gpd.GeoDataFrame:
    """Stored areas of ``kind`` that have a geometry (EPSG:27700)."""
    t = Area.__table__
    query = t.select().where(t.c.kind == kind, t.c.geometry.is_not(None))
    with engine.connect() as conn:
        return from_wkb(pd.read_sql(query, conn))


def _parents_from_store(engine, areas: gpd.GeoDataFrame) -> pd.Series:
    """District (or upper-tier LA) containing each LSOA's representative point."""
    for parent_kind in ("lad", "utla"):
        stored = _stored_boundaries(engine, parent_kind)
        if stored.empty:
            continue
        points = gpd.GeoDataFrame(
            {"_i": areas.index}, geometry=areas.geometry.representative_point(), crs=BNG
        )
        joined = gpd.sjoin(points, stored[["code", "geometry"]], predicate="within", how="left")
        joined = joined.drop_duplicates("_i").set_index("_i")
        return joined["code"].reindex(areas.index)
    return pd.Series(None, index=areas.index, dtype=object)


def read_areas(
    path: str | Path,
    layer: str | None = None,
    year: int | None = None,
    parent: str | None = None,
) -> gpd.GeoDataFrame:
    """Valid areas of a boundary file as a GeoDataFrame in EPSG:27700 with ``code, name, kind,
    vintage, parent_code, imd_decile`` (``imd_decile`` empty), e.g. for the demo hub."""
    areas, checker, _, _ = read_boundaries(path, layer, year)
    areas = areas.loc[~checker.bad].copy()
    if parent is not None:
        areas["parent_code"] = areas["parent_code"].where(areas["parent_code"].notna(), parent)
    areas["imd_decile"] = pd.Series(pd.NA, index=areas.index, dtype="Int64")
    return areas.reset_index(drop=True)


def import_boundaries(
    engine,
    path: str | Path,
    layer: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    parent: str | None = None,
    all_nations: bool = False,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import boundaries into ``area`` (upsert on code; deprivation columns untouched)."""
    path = Path(path)
    if kind is not None and kind not in codes.AREA_KINDS:
        raise HubcoreError(f"kind must be one of {', '.join(codes.AREA_KINDS)}, not {kind!r}")
    areas, checker, skipped, notes = read_boundaries(path, layer, year, kind, all_nations)
    report = ImportReport(kind="boundaries", file=str(path), skipped=skipped,
                          read=checker.n + skipped, notes=notes)
    good = areas.loc[~checker.bad].copy()
    if parent is not None:
        good["parent_code"] = good["parent_code"].where(good["parent_code"].notna(), parent)
    if len(good) and (good["kind"] == "lsoa").all() and good["parent_code"].isna().any():
        found = _parents_from_store(engine, good)
        good["parent_code"] = good["parent_code"].where(good["parent_code"].notna(), found)
    rows = pd.DataFrame(good.drop(columns="geometry"))
    rows["geometry"] = shapely.to_wkb(good.geometry.to_numpy(), output_dimension=2)
    rows["vintage"] = rows["vintage"].astype("Int64")
    table_ = Area.__table__

    def write(conn):
        stored = pd.read_sql(
            table_.select().with_only_columns(table_.c.code, table_.c.parent_code), conn
        )
        # A parent found earlier (e.g. from the IMD file's district) is kept over a blank one.
        known = dict(zip(stored["code"], stored["parent_code"], strict=True))
        filled = rows["code"].map(known)
        rows["parent_code"] = rows["parent_code"].where(rows["parent_code"].notna(), filled)
        # ``kind`` is set when an area is first stored and not changed after: a unitary or
        # metropolitan authority is both a district and an upper-tier LA under one code.
        compare = [c for c in rows.columns if c not in ("code", "kind")]
        return upsert(conn, table_, rows, ["code"], compare=compare)

    finish(engine, report, checker, write, rejects_path, dry_run)
    return report
