"""Generated geography for the synthetic demo: local authorities split into small areas that
carry a deprivation rank and decile, in British National Grid metres.

Each LA has a town centre; small areas are smaller (denser) near it, and deprivation is
highest in the inner town plus a few estates, with an LA-wide offset, so that maps and metrics
show the spatial pattern a real area would.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

BNG = "EPSG:27700"
#: Centre of the fictional land mass (BNG metres): well inside England's grid extent.
CENTRE = (420_000.0, 330_000.0)
#: Radius of one LA, metres.
LA_RADIUS_M = 14_000.0
#: Ranks run to the number of LSOAs in England (IoD2025).
NATIONAL_AREAS = 33_755


@dataclass
class Geography:
    """Generated boundaries: ``las`` (one row per LA) and ``areas`` (small areas), with each
    LA's town centre and a per-area density weight used to place schools and homes."""

    las: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame


def _blob(rng: np.random.Generator, centre, radius: float, n: int = 180) -> shapely.Polygon:
    """An irregular, star-shaped outline around ``centre``."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in (2, 3, 5, 7):
        r += rng.normal(0, 0.25 / k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r = radius * np.clip(r, 0.55, 1.5)
    return shapely.Polygon(np.c_[centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)])


def _points_in(rng: np.random.Generator, polygon, n: int, centre=None, spread=None) -> np.ndarray:
    """``n`` random points inside ``polygon``; clustered around ``centre`` when given."""
    minx, miny, maxx, maxy = polygon.bounds
    out = np.empty((0, 2))
    shapely.prepare(polygon)  # speeds up the repeated point-in-polygon tests
    while len(out) < n:
        k = max(4 * (n - len(out)), 64)
        if centre is None:
            cand = np.c_[rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)]
        else:
            cand = np.asarray(centre) + rng.normal(0, spread, (k, 2))
        inside = shapely.contains_xy(polygon, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[inside]])
    return out[:n]


def _voronoi_cells(points: np.ndarray, clip) -> list:
    """Voronoi cells of ``points`` clipped to ``clip``, in the order of ``points``."""
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=clip)
    cells = np.asarray(cells.geoms)
    # voronoi_polygons does not keep input order: match each point to the cell containing it.
    tree = shapely.STRtree(cells)
    idx_point, idx_cell = tree.query(shapely.points(points), predicate="intersects")
    order = np.empty(len(points), dtype=int)
    order[idx_point] = idx_cell
    return list(shapely.intersection(cells[order], clip))


def _phi(z: np.ndarray) -> np.ndarray:
    """Standard normal cumulative distribution (no SciPy needed)."""
    from math import erf, sqrt

    return 0.5 * (1 + np.vectorize(erf)(np.asarray(z) / sqrt(2)))


def make_geography(
    rng: np.random.Generator, n_las: int, areas_per_la: int, la_names: list[str]
) -> Geography:
    """Generate ``n_las`` local authorities of ``areas_per_la`` small areas each.

    Codes use the prefix ``X`` (never issued by ONS): LAs ``X06000001``…, small areas
    ``X01000001``…, so synthetic areas cannot be mistaken for real ones.
    """
    outline_radius = LA_RADIUS_M * np.sqrt(n_las) * 1.05
    outline = _blob(rng, CENTRE, outline_radius)
    if n_las == 1:
        la_polys = [outline]
    else:
        seeds = _points_in(rng, outline, n_las)
        for _ in range(3):  # Lloyd relaxation: LAs of similar size
            cells = _voronoi_cells(seeds, outline)
            seeds = np.array([[c.centroid.x, c.centroid.y] for c in cells])
        la_polys = _voronoi_cells(seeds, outline)

    la_codes = [f"X06{i + 1:06d}" for i in range(n_las)]
    la_offset = rng.normal(0, 0.45, n_las)  # some LAs are more deprived overall
    la_rows, area_frames = [], []
    serial = 0
    for i, poly in enumerate(la_polys):
        poly = shapely.make_valid(poly)
        if poly.geom_type != "Polygon":  # keep the largest part of an odd clip
            poly = max(poly.geoms, key=lambda g: g.area)
        town = poly.representative_point()
        spread = np.sqrt(poly.area) / 4
        # Two thirds of small areas cluster around the town: LSOAs have similar populations.
        n_town = (2 * areas_per_la) // 3
        pts = np.vstack(
            [
                _points_in(rng, poly, n_town, centre=(town.x, town.y), spread=spread),
                _points_in(rng, poly, areas_per_la - n_town),
            ]
        )
        cells = _voronoi_cells(pts, poly)
        dist = np.hypot(pts[:, 0] - town.x, pts[:, 1] - town.y) / spread
        # Deprivation: inner town, a few estates, an LA offset and local noise.
        score = 1.1 * np.exp(-(dist**2) / 2) + la_offset[i] + rng.normal(0, 0.55, len(pts))
        for _ in range(rng.integers(1, 4)):
            estate = pts[rng.integers(len(pts))]
            d_est = np.hypot(pts[:, 0] - estate[0], pts[:, 1] - estate[1]) / (spread / 3)
            score += 0.9 * np.exp(-(d_est**2) / 2)
        codes = [f"X01{serial + k + 1:06d}" for k in range(len(pts))]
        serial += len(pts)
        area_frames.append(
            pd.DataFrame(
                {
                    "code": codes,
                    "name": [f"{la_names[i]} {k + 1:03d}" for k in range(len(pts))],
                    "parent_code": la_codes[i],
                    "score": score,
                    "density": np.exp(-(dist**2) / 3) + 0.15,
                    "geometry": cells,
                }
            )
        )
        la_rows.append(
            {
                "code": la_codes[i],
                "name": la_names[i],
                "town_x": town.x,
                "town_y": town.y,
                "geometry": poly,
            }
        )

    areas = gpd.GeoDataFrame(pd.concat(area_frames, ignore_index=True), crs=BNG)
    # Ranks against the national distribution of the score (mean 0.63, sd 0.84, measured over
    # England-sized runs), so one LA is not forced
    # to hold exactly a tenth of each decile.
    z = (areas["score"].to_numpy() - 0.63) / 0.84
    share = np.clip(1 - _phi(z), 1e-6, 1 - 1e-6)  # most deprived -> smallest share
    areas["imd_rank"] = np.ceil(share * NATIONAL_AREAS).astype(int)
    areas["imd_decile"] = np.clip(np.ceil(share * 10), 1, 10).astype(int)
    idaci = share + rng.normal(0, 0.05, len(areas))
    areas["idaci_decile"] = np.clip(np.ceil(np.clip(idaci, 1e-6, 1) * 10), 1, 10).astype(int)
    areas["population"] = rng.integers(1_300, 2_600, len(areas))
    las = gpd.GeoDataFrame(pd.DataFrame(la_rows), crs=BNG)
    return Geography(las=las, areas=areas)
