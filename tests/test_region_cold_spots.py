"""Region-wide cold spots and their clusters across LA lines, on hand-made geometry.

Small areas are 1 km squares (BNG metres), the radius 1 km, the threshold 1 (a school meets at
1 or more; no value counts as below). LA A = E06000001 (x < 3000), LA B = E06000002.

    X1 [0,1]x[5,6] km, LA A: hub 1's school s1 below 0.3 km away, hub 2's s2 meeting 0.4 km
       away -> cold for hub 1 alone, NOT cold for the region.
    X2 [2,3]x[0,1] km, LA A and X3 [3,4]x[0,1] km, LA B share the edge x = 3 km; hub 3's s3
       below sits on it, 0.5 km from both centroids -> both cold.
    X4 [4,5]x[1,2] km, LA B touches X3 at one corner (4, 1) km; hub 2's s5 (0.5, below) at its
       centroid, 1.41 km from X3's -> cold, and in X2-X3's cluster through the corner.
       Cluster 1 = {X2, X3, X4}: LAs A and B, 3 small areas, crosses LA lines.
    X5 [10,11]x[0,1] km, LA B: hub 1's s4 with no value 0.3 km away -> cold, alone:
       cluster 2 = {X5}, LA B only, 1 small area, does not cross.
    X6 [20,21]x[20,21] km, LA B: no school within 1 km -> not cold (nothing to be below).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from hubcore.metrics.coverage import area_coverage
from hubcore.metrics.region import cold_spot_clusters, region_cold_spots

A, B = "E06000001", "E06000002"


def _areas() -> gpd.GeoDataFrame:
    squares = {
        "X1": ((0, 5000), A), "X2": ((2000, 0), A), "X3": ((3000, 0), B),
        "X4": ((4000, 1000), B), "X5": ((10000, 0), B), "X6": ((20000, 20000), B),
    }
    # Deliberately not in code order: the cluster numbers must not depend on row order.
    order = ["X6", "X5", "X3", "X1", "X4", "X2"]
    return gpd.GeoDataFrame(
        {"code": order, "name": order, "parent_code": [squares[c][1] for c in order],
         "imd_decile": [5.0] * len(order)},
        geometry=[box(x, y, x + 1000, y + 1000) for c in order for (x, y) in [squares[c][0]]],
        crs="EPSG:27700",
    )


SCHOOLS = pd.DataFrame({
    "urn": [1, 2, 3, 4, 5],
    "hub": ["H1", "H2", "H3", "H1", "H2"],
    "easting": [500.0, 900.0, 3000.0, 10500.0, 4500.0],
    "northing": [5800.0, 5500.0, 500.0, 800.0, 1500.0],
})
VALUES = pd.DataFrame({"urn": [1, 2, 3, 4, 5], "m": [0.0, 1.0, 0.0, np.nan, 0.5]})


def _run() -> pd.DataFrame:
    return region_cold_spots(_areas(), SCHOOLS, VALUES, "m", 1.0, 1.0).set_index("code")


def test_an_area_near_a_meeting_school_of_another_hub_is_not_cold():
    hub1 = SCHOOLS[SCHOOLS["hub"].eq("H1")]
    alone = area_coverage(_areas(), hub1, VALUES, "m", 1.0, 1.0).set_index("code")
    assert bool(alone.loc["X1", "cold_spot"])  # the hub-by-hub view: cold
    out = _run()
    assert not bool(out.loc["X1", "cold_spot"])  # s2 (hub 2) meets, 0.4 km away
    assert out.loc["X1", "schools_nearby"] == 2 and out.loc["X1", "schools_below"] == 1
    assert pd.isna(out.loc["X1", "cluster"])


def test_cold_spots_and_clusters_worked_by_hand():
    out = _run()
    assert sorted(out.index[out["cold_spot"]]) == ["X2", "X3", "X4", "X5"]
    assert not bool(out.loc["X6", "cold_spot"]) and out.loc["X6", "schools_nearby"] == 0
    assert out.loc["X2", "nearest_km"] == 0.5 and out.loc["X3", "nearest_km"] == 0.5
    assert {c: out.loc[c, "cluster"] for c in ("X2", "X3", "X4", "X5")} == {
        "X2": 1, "X3": 1, "X4": 1, "X5": 2}
    assert out["crosses_la"].to_dict() == {
        "X6": False, "X5": False, "X3": True, "X1": False, "X4": True, "X2": True}


def test_cluster_table():
    table = cold_spot_clusters(_run().reset_index())
    assert table.to_dict("records") == [
        {"cluster": 1, "las": f"{A}, {B}", "small_areas": 3, "crosses_la": True,
         "codes": "X2, X3, X4"},
        {"cluster": 2, "las": B, "small_areas": 1, "crosses_la": False, "codes": "X5"},
    ]


def test_no_cold_spot_gives_an_empty_table():
    values = VALUES.assign(m=1.0)
    out = region_cold_spots(_areas(), SCHOOLS, values, "m", 1.0, 1.0)
    assert not out["cold_spot"].any() and out["cluster"].isna().all()
    assert not out["crosses_la"].any()
    assert cold_spot_clusters(out).empty


def test_pack_outlines_and_lists_the_crossing_cluster_only():
    from hubcore.briefing.region import crossing_outlines, crossing_table

    spots = _run().reset_index()
    areas = gpd.GeoDataFrame(spots, geometry=_areas().set_index("code").loc[spots["code"]]
                             .geometry.to_numpy(), crs="EPSG:27700")
    outlines = crossing_outlines(areas)
    # X2, X3 and X4 merged: three 1 km squares, 3 km² (m² here).
    assert outlines["cluster"].tolist() == [1]
    assert outlines.geometry.area.round().tolist() == [3_000_000.0]
    table = crossing_table(cold_spot_clusters(spots))
    assert table.rows == (("C1", f"{A}, {B}", "3", "X2, X3, X4"),)
    assert "2 cluster(s) of cold spots in all, 1 crossing LA lines" in table.note
