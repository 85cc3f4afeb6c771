"""Boundary files (GeoJSON, Shapefile, TopoJSON; any CRS) and their display copies."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon
from sqlalchemy import select

from hubcore import geo
from hubcore.errors import HubcoreError
from hubcore.ingest import import_file
from hubcore.ingest.boundaries import read_areas
from hubcore.models import Area

LSOA = "boundaries/lsoa2011_leeds_E08000035_bgc.geojson"


def areas(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(select(Area.__table__), conn)


def test_leeds_lsoas_are_stored_in_bng_and_repaired(engine, shared_data, tmp_path):
    report = import_file(engine, "boundaries", shared_data / LSOA)
    assert (report.read, report.accepted, report.rejected) == (482, 482, 0)
    assert "2 invalid geometries repaired (make_valid)" in report.notes
    stored = areas(engine)
    assert set(stored["kind"]) == {"lsoa"} and set(stored["vintage"]) == {2011}
    geoms = shapely.from_wkb(stored["geometry"].to_numpy())
    assert shapely.is_valid(geoms).all()
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    assert 400_000 < minx < maxx < 460_000 and 420_000 < miny < maxy < 460_000  # metres, Leeds
    again = import_file(engine, "boundaries", shared_data / LSOA)
    assert again.unchanged == 482


def test_lsoa_parent_from_stored_district(engine, shared_data):
    import_file(engine, "boundaries", shared_data / "boundaries" / "lad_may2024_uk_bsc.geojson")
    import_file(engine, "boundaries", shared_data / LSOA)
    stored = areas(engine)
    lsoas = stored[stored["kind"] == "lsoa"]
    # Generalised boundaries disagree slightly at the edge, so a handful may fall outside.
    assert (lsoas["parent_code"] == "E08000035").mean() > 0.97
    assert (stored["kind"] == "lad").sum() == 296


def test_shapefile_in_bng_and_topojson_layer(engine, shared_data):
    shp = shared_data / "boundaries" / "ctyua_may2023_uk_buc_shp" / "CTYUA_MAY_2023_UK_BUC.shp"
    report = import_file(engine, "boundaries", shp)
    assert (report.accepted, report.skipped) == (153, 65)
    topo = shared_data / "boundaries" / "ons_uk_admin_2014_2025.topo.json"
    with pytest.raises(HubcoreError, match="has 8 layers .*choose one with --layer"):
        import_file(engine, "boundaries", topo)
    report = import_file(engine, "boundaries", topo, layer="utla", year=2025)
    assert report.accepted == 153
    assert "no CRS declared; coordinates read as EPSG:4326" in report.notes
    codes = set(areas(engine)["code"])
    assert {"E08000038", "E08000039"} <= codes  # Barnsley and Sheffield's 2025 codes


def lsoa_features(shared_data, n=4) -> gpd.GeoDataFrame:
    return gpd.read_file(shared_data / LSOA).head(n)


def test_mixed_crs_and_self_intersecting_features(engine, shared_data, tmp_path):
    gdf = lsoa_features(shared_data, 4)
    bowtie = Polygon([(-1.55, 53.80), (-1.50, 53.85), (-1.50, 53.80), (-1.55, 53.85)])
    gdf.loc[1, "geometry"] = bowtie
    # Feature 3 carries British National Grid metres inside a lon/lat file.
    gdf.loc[2, "geometry"] = gpd.GeoSeries([gdf.geometry.iloc[2]], crs=4326).to_crs(27700).iloc[0]
    gdf.loc[3, "geometry"] = None
    path = tmp_path / "mixed.geojson"
    gdf.to_file(path, driver="GeoJSON")
    report = import_file(engine, "boundaries", path)
    assert report.rejects[["row", "rule"]].values.tolist() == [
        [4, "outside_great_britain"], [5, "empty_geometry"]
    ]
    assert "1 invalid geometries repaired (make_valid)" in report.notes
    stored = areas(engine)
    assert len(stored) == 2
    assert shapely.is_valid(shapely.from_wkb(stored["geometry"].to_numpy())).all()


def test_boundary_file_without_code_column_or_empty(engine, shared_data, tmp_path):
    gdf = lsoa_features(shared_data, 2).rename(columns={"LSOA11CD": "id"}).drop(
        columns="LSOA11NM")
    path = tmp_path / "nocode.geojson"
    gdf.to_file(path, driver="GeoJSON")
    with pytest.raises(HubcoreError, match="cannot find the area code column"):
        import_file(engine, "boundaries", path)
    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(HubcoreError, match="no features|not a readable"):
        import_file(engine, "boundaries", empty)
    zero = tmp_path / "zero.geojson"
    zero.write_bytes(b"")
    with pytest.raises(HubcoreError, match="empty"):
        import_file(engine, "boundaries", zero)



@pytest.mark.parametrize("counted", [True, False])
def test_boundary_file_over_the_limits_is_refused_and_nothing_stored(engine, shared_data,
                                                                      tmp_path, monkeypatch,
                                                                      counted):
    """What a boundary file can cost is bounded: 4 features against a limit of 3 are refused
    (whether the driver counts features up front or only reading finds them), and so is a file
    over the size limit; nothing is stored either way."""
    from hubcore.ingest import boundaries

    path = tmp_path / "four.geojson"
    lsoa_features(shared_data, 4).to_file(path, driver="GeoJSON")
    monkeypatch.setattr(boundaries, "MAX_FEATURES", 3)
    if not counted:
        monkeypatch.setattr(boundaries.pyogrio, "read_info", lambda *a, **k: {"features": -1})
    with pytest.raises(HubcoreError, match="more than"):
        import_file(engine, "boundaries", path)
    assert areas(engine).empty
    monkeypatch.setattr(boundaries, "MAX_FEATURES", 4)
    monkeypatch.setattr(boundaries, "MAX_BYTES", path.stat().st_size - 1)
    with pytest.raises(HubcoreError, match="larger than a boundary file"):
        import_file(engine, "boundaries", path)
    assert areas(engine).empty
    monkeypatch.setattr(boundaries, "MAX_BYTES", path.stat().st_size)
    import_file(engine, "boundaries", path)
    assert len(areas(engine)) == 4


def test_display_copies_are_simplified_by_tolerance_and_stay_valid(engine, shared_data):
    # The one simplification path (geo.simplify, called per scope by the pages' cached
    # boundaries): coarser tolerance, fewer vertices; every area kept, valid, with its code.
    import_file(engine, "boundaries", shared_data / LSOA, parent="E08000035")
    with engine.connect() as conn:
        full = geo.from_wkb(pd.read_sql(select(Area.__table__), conn))
    fine, coarse = geo.simplify(full, 20.0), geo.simplify(full, 500.0)
    vertices = [shapely.get_num_coordinates(g.geometry.to_numpy()).sum()
                for g in (full, fine, coarse)]
    assert vertices[0] > vertices[1] > vertices[2]
    assert fine["code"].tolist() == coarse["code"].tolist() == full["code"].tolist()
    # At the small-area display tolerance every area stays valid. (At 250 m and more one Leeds
    # area comes back with one part inside another: GEOS keeps each part valid on its own.)
    assert shapely.is_valid(fine.geometry.to_numpy()).all()
    assert geo.simplify(full, 0) is full  # no tolerance: the stored geometry as it is


def test_read_areas_for_the_demo(shared_data):
    gdf = read_areas(shared_data / LSOA, parent="E08000035")
    assert gdf.crs.to_epsg() == 27700 and len(gdf) == 482
    assert {"code", "name", "parent_code", "imd_decile", "kind"} <= set(gdf.columns)
    assert set(gdf["parent_code"]) == {"E08000035"} and gdf.is_valid.all()


def test_ward_boundaries_are_stored_as_wards(engine, shared_data, tmp_path):
    gdf = lsoa_features(shared_data, 2).rename(columns={"LSOA11CD": "WD24CD",
                                                        "LSOA11NM": "WD24NM"})
    path = tmp_path / "wards.geojson"
    gdf.to_file(path, driver="GeoJSON")
    import_file(engine, "boundaries", path)
    stored = areas(engine)
    assert len(stored) == 2 and set(stored["kind"]) == {"ward"}
