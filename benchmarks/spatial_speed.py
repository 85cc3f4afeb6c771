"""Pairs of points within a radius: the grid search that ``hubcore.metrics.spatial`` used until
December 2026 against ``shapely.STRtree.query(..., predicate="dwithin")``, on the synthetic
geography at region and England size, in one run (so machine load affects both alike).

Cases, as the metrics use them:

- small-area coverage: every small area's centroid against every school, 5 km
  (``metrics.area_coverage``: the cold-spot and gap map layers);
- employer supply: every offer against every school, 10 km (``metrics.matching_gaps``,
  ``metrics.what_it_takes``).

    python benchmarks/spatial_speed.py [--repeat 5] [--size region --size england]

Runs the two alternately ``--repeat`` times; prints each one's best / median milliseconds, the
median of the per-run ratios grid / STRtree, and checks that both return the same pairs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import shapely

from hubcore.demo import SIZES
from hubcore.demo.careers import make_employers, make_offers
from hubcore.demo.geography import make_geography
from hubcore.demo.schools import make_schools
from hubcore.metrics.coverage import area_centroids
from hubcore.metrics.spatial import pairs_within


def grid_pairs_within(ae, an, be, bn, radius_km: float, chunk: int = 4096):
    """The former implementation (square cells one radius wide, the eight neighbours found by
    binary search on sorted cell numbers), kept here only as the comparison."""
    ae, an = np.asarray(ae, float), np.asarray(an, float)
    be, bn = np.asarray(be, float), np.asarray(bn, float)
    radius_m = float(radius_km) * 1000.0
    a_ok = np.flatnonzero(np.isfinite(ae) & np.isfinite(an))
    b_ok = np.flatnonzero(np.isfinite(be) & np.isfinite(bn))
    empty = np.array([], dtype=np.int64)
    if len(a_ok) == 0 or len(b_ok) == 0 or radius_m < 0:
        return empty, empty.copy(), np.array([], dtype=float)
    cell = max(radius_m, 1.0)
    origin_e = min(ae[a_ok].min(), be[b_ok].min())
    origin_n = min(an[a_ok].min(), bn[b_ok].min())

    def cells(e, n):
        return (np.floor((e - origin_e) / cell).astype(np.int64) + 1,
                np.floor((n - origin_n) / cell).astype(np.int64) + 1)  # fmt: skip

    bx, by = cells(be[b_ok], bn[b_ok])
    rows_span = int(max(by.max(), cells(ae[a_ok], an[a_ok])[1].max())) + 2
    b_key = bx * rows_span + by
    order = np.argsort(b_key, kind="stable")
    b_sorted_key, b_index = b_key[order], b_ok[order]
    out_i, out_j, out_d = [], [], []
    for start in range(0, len(a_ok), chunk):
        idx = a_ok[start : start + chunk]
        ax, ay = cells(ae[idx], an[idx])
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                key = (ax + dx) * rows_span + (ay + dy)
                lo = np.searchsorted(b_sorted_key, key, side="left")
                hi = np.searchsorted(b_sorted_key, key, side="right")
                counts = hi - lo
                total = int(counts.sum())
                if total == 0:
                    continue
                rep_i = np.repeat(idx, counts)
                offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
                cand = b_index[np.repeat(lo, counts) + offsets]
                dist = np.hypot(ae[rep_i] - be[cand], an[rep_i] - bn[cand])
                keep = dist <= radius_m
                out_i.append(rep_i[keep])
                out_j.append(cand[keep])
                out_d.append(dist[keep] / 1000.0)
    if not out_i:
        return empty, empty.copy(), np.array([], dtype=float)
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_d)


def interleaved(first, second, repeat: int) -> tuple[list[float], list[float], tuple, tuple]:
    """Seconds per run of each, alternating (first, second, first, …) so that the other
    helpers' load on the shared cores falls on both alike; and each one's last result."""
    times: tuple[list[float], list[float]] = ([], [])
    out: list = [None, None]
    for _ in range(repeat):
        for k, fn in enumerate((first, second)):
            start = time.perf_counter()
            out[k] = fn()
            times[k].append(time.perf_counter() - start)
    return times[0], times[1], out[0], out[1]


def as_set(pairs) -> set[tuple[int, int]]:
    return set(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True))


def cases(size: str) -> dict[str, tuple]:
    spec = SIZES[size]
    rng = np.random.default_rng(2026)
    geography = make_geography(rng, spec.las, spec.areas_per_la,
                               [f"LA {k}" for k in range(spec.las)])
    schools = make_schools(rng, geography, spec.schools_per_la)
    employers = make_employers(rng, geography.areas, 40)
    offers = make_offers(rng, employers).merge(
        employers[["id", "easting", "northing"]].rename(columns={"id": "employer_id"}),
        on="employer_id")
    cents = area_centroids(geography.areas)
    s_e, s_n = schools["easting"].to_numpy(float), schools["northing"].to_numpy(float)
    return {
        f"{len(cents):,} small areas × {len(schools):,} schools, 5 km":
            (cents["easting"].to_numpy(), cents["northing"].to_numpy(), s_e, s_n, 5.0),
        f"{len(offers):,} offers × {len(schools):,} schools, 10 km":
            (offers["easting"].to_numpy(float), offers["northing"].to_numpy(float), s_e, s_n,
             10.0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", action="append", choices=("region", "england"))
    args = parser.parse_args(argv)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs; shapely {shapely.__version__}, "
          f"GEOS {shapely.geos_version_string}; {args.repeat} alternating runs; ms best / median")
    for size in args.size or ["region", "england"]:
        for label, (ae, an, be, bn, radius) in cases(size).items():
            grid_s, tree_s, grid, tree = interleaved(
                lambda: grid_pairs_within(ae, an, be, bn, radius),  # noqa: B023
                lambda: pairs_within(ae, an, be, bn, radius),  # noqa: B023
                args.repeat)
            same = as_set(grid) == as_set(tree)
            ratio = statistics.median(g / t for g, t in zip(grid_s, tree_s, strict=True))
            print(f"{size:8s} {label:42s} pairs {len(tree[0]):>9,}"
                  f"  grid {min(grid_s) * 1000:6.1f} / {statistics.median(grid_s) * 1000:6.1f} ms"
                  f"  STRtree {min(tree_s) * 1000:6.1f} / {statistics.median(tree_s) * 1000:6.1f}"
                  f" ms  grid/STRtree {ratio:4.2f}  same pairs: {same}")
            if not same:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
