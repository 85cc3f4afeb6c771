"""Cold spots of a region, taken over all its hubs' schools at once, grouped into clusters of
touching small areas; a cluster lying in two or more local authorities "crosses LA lines".

A hub's own cold spots (:func:`hubcore.metrics.coverage.area_coverage`) only look at that
hub's schools, so a small area at the edge of hub A can be a cold spot for A while a school of
hub B within the radius meets the measure. The region's cold spots use the same definition
and radius over every school of the region: a small area is cold where at least one school
lies within ``radius_km`` of its centroid and every such school is below the threshold.

Everything here counts small areas, never people (no disclosure control needed; no pupil
count is carried through).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from hubcore.metrics.coverage import area_coverage

#: Columns of :func:`cold_spot_clusters`.
CLUSTER_COLUMNS = ("cluster", "las", "small_areas", "crosses_la", "codes")


def region_cold_spots(
    areas: pd.DataFrame,
    schools: pd.DataFrame,
    values: pd.DataFrame,
    measure: str,
    threshold: float,
    radius_km: float,
) -> pd.DataFrame:
    """Per small area of ``areas`` (``code``, ``parent_code`` = its LA, polygons in BNG
    metres), :func:`~hubcore.metrics.coverage.area_coverage` over every school of ``schools``
    (``urn``, ``easting``, ``northing`` in metres) with ``values`` (``urn`` and ``measure``),
    plus ``cluster`` (1, 2, … for cold spots, numbered in order of each cluster's first area
    code; <NA> for other areas) and ``crosses_la`` (True for a cold spot whose cluster lies in
    two or more LAs). Two cold spots are in one cluster when their polygons touch or overlap,
    directly or through other cold spots."""
    out = area_coverage(areas, schools, values, measure, threshold, radius_km)
    out["la"] = pd.Series(np.asarray(areas["parent_code"], dtype=object)).astype("string")
    cold = np.flatnonzero(out["cold_spot"].to_numpy(dtype=bool))
    labels = np.full(len(out), -1)
    if len(cold):
        geoms = np.asarray(areas.geometry)[cold]
        tree = shapely.STRtree(geoms)
        i, j = tree.query(geoms, predicate="intersects")
        labels[cold] = _components(len(cold), i, j)
    # Number clusters by their smallest area code, so the numbering does not depend on the
    # order the areas came in.
    first_code = (pd.DataFrame({"label": labels, "code": out["code"].astype(str)})
                  [labels >= 0].groupby("label")["code"].min().sort_values())
    number = {label: n for n, label in enumerate(first_code.index, start=1)}
    out["cluster"] = pd.array([number.get(lab) for lab in labels], dtype="Int64")
    las_per_cluster = out[out["cluster"].notna()].groupby("cluster")["la"].nunique()
    out["crosses_la"] = out["cluster"].map(las_per_cluster).fillna(0).astype("int64").ge(2)
    return out


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected-component label (a root index) of each of ``n`` nodes joined by edges
    ``i``-``j`` (union-find; no dependency beyond numpy)."""
    parent = list(range(n))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(k) for k in range(n)], dtype=np.int64)


def cold_spot_clusters(spots: pd.DataFrame) -> pd.DataFrame:
    """One row per cluster of :func:`region_cold_spots`: ``cluster`` (its number), ``las``
    (the LA codes it lies in, sorted, comma-separated), ``small_areas`` (how many small areas,
    not people), ``crosses_la`` (two or more LAs) and ``codes`` (its small areas' codes)."""
    cold = spots[spots["cluster"].notna()]
    rows = [
        {
            "cluster": int(cluster),
            "las": ", ".join(sorted(set(group["la"].dropna().astype(str)))),
            "small_areas": len(group),
            "crosses_la": group["la"].dropna().nunique() >= 2,
            "codes": ", ".join(sorted(group["code"].astype(str))),
        }
        for cluster, group in cold.groupby("cluster", sort=True)
    ]
    return pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS)).astype(
        {"cluster": "int64", "small_areas": "int64", "crosses_la": bool}
    )
