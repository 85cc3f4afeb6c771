"""Employer supply against demand: offers not taken up, the nearest schools with a matching gap,
and "what would it take" to lift the share of schools meeting BM5 or BM6 to a target.

Distances are straight lines in British National Grid, in km (see
:mod:`hubcore.metrics.spatial`). A *matching gap* is: an offer serving benchmark 5 and a school
not meeting BM5; benchmark 6 and a school not meeting BM6 (``meets_bm5`` / ``meets_bm6`` of
:func:`hubcore.metrics.coverage.school_coverage`), where the offer's year groups overlap the
year groups the school teaches.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from hubcore.metrics.coverage import YEAR_GROUPS
from hubcore.metrics.spatial import pairs_within

#: Benchmarks an employer offer can close a gap on, and the coverage flag that says "met".
GAP_FLAG: dict[int, str] = {5: "meets_bm5", 6: "meets_bm6"}


def spare_offers(offers: pd.DataFrame, employers: pd.DataFrame) -> pd.DataFrame:
    """Offers with capacity not taken up: ``spare`` = capacity − taken_up > 0 (pupils or
    places), joined to the employer's ``employer_name``, ``easting``, ``northing`` (BNG m)."""
    free = offers[offers["capacity"] - offers["taken_up"] > 0].copy()
    free["spare"] = (free["capacity"] - free["taken_up"]).astype("int64")
    emp = pd.DataFrame(employers[["id", "name", "easting", "northing"]]).rename(
        columns={"id": "employer_id", "name": "employer_name"}
    )
    out = free.rename(columns={"id": "offer_id"}).merge(emp, on="employer_id", how="left")
    return out.reset_index(drop=True)


def _gap_schools(coverage: pd.DataFrame, schools: pd.DataFrame, benchmark: int) -> pd.DataFrame:
    """Schools not meeting ``benchmark`` with their location and taught year range."""
    flag = GAP_FLAG[benchmark]
    gaps = coverage[~coverage[flag].fillna(False).astype(bool)][["urn"]]
    sch = pd.DataFrame(schools[["urn", "name", "kind", "easting", "northing"]])
    out = gaps.merge(sch, on="urn", how="inner")
    years = out["kind"].map(lambda k: YEAR_GROUPS.get(k, ((), 0))[0])
    out["school_year_min"] = years.map(lambda y: min(y) if y else np.nan)
    out["school_year_max"] = years.map(lambda y: max(y) if y else np.nan)
    return out.rename(columns={"name": "school_name"}).reset_index(drop=True)


def _matching_pairs(offers: pd.DataFrame, gaps: pd.DataFrame, rows: np.ndarray,
                    radius_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Pairs (offer position, gap-school position, km) within ``radius_km`` for the offers at
    positions ``rows``, where the offer's year groups overlap the school's."""
    i, j, d = pairs_within(
        offers["easting"].to_numpy(float)[rows],
        offers["northing"].to_numpy(float)[rows],
        gaps["easting"].to_numpy(float),
        gaps["northing"].to_numpy(float),
        radius_km,
    )
    i = rows[i]
    overlap = (offers["year_from"].to_numpy()[i] <= gaps["school_year_max"].to_numpy()[j]) & (
        offers["year_to"].to_numpy()[i] >= gaps["school_year_min"].to_numpy()[j]
    )
    return i[overlap], j[overlap], d[overlap]


def _candidates(offers: pd.DataFrame, gaps: pd.DataFrame, nearest: int,
                max_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Pairs that include every offer's ``nearest`` matching schools within ``max_km``.

    Looks within a third of the radius first: an offer with ``nearest`` matches there has its
    nearest ones among them, so only the others need the full radius (in towns, most offers;
    England-wide that is a sixth of the pairs to rank)."""
    everyone = np.arange(len(offers))
    near_km = max_km / 3
    i, j, d = _matching_pairs(offers, gaps, everyone, near_km)
    enough = np.bincount(i, minlength=len(offers)) >= nearest
    far_i, far_j, far_d = _matching_pairs(offers, gaps, everyone[~enough], max_km)
    keep = enough[i]
    return (np.concatenate([i[keep], far_i]), np.concatenate([j[keep], far_j]),
            np.concatenate([d[keep], far_d]))  # fmt: skip


def offer_matches(
    spare: pd.DataFrame,
    schools: pd.DataFrame,
    coverage: pd.DataFrame,
    nearest: int = 5,
    max_km: float = 25.0,
) -> pd.DataFrame:
    """For each spare offer (:func:`spare_offers`) serving benchmark 5 or 6, the ``nearest``
    schools within ``max_km`` that have a matching gap, ranked by distance.

    ``distance_km`` = BNG straight-line distance employer → school (km); ``rank`` 1 = nearest.
    Year groups must overlap: offer ``year_from``–``year_to`` against the school kind's years.
    Offers with no such school within ``max_km`` do not appear.
    """
    pieces = []
    for benchmark in GAP_FLAG:
        offers = spare[spare["benchmark"].eq(benchmark)].reset_index(drop=True)
        gaps = _gap_schools(coverage, schools, benchmark)
        if offers.empty or gaps.empty:
            continue
        i, j, d = _candidates(offers, gaps, nearest, max_km)
        if len(i) == 0:
            continue
        # Rank within each offer on the arrays (offer, then distance, then URN) and keep the
        # nearest before building any frame: England has millions of candidate pairs.
        urns = gaps["urn"].to_numpy()[j]
        order = np.lexsort((urns, d, i))
        i, j, d = i[order], j[order], d[order]
        first = np.r_[True, i[1:] != i[:-1]]
        starts = np.maximum.accumulate(np.where(first, np.arange(len(i)), 0))
        rank = np.arange(len(i)) - starts + 1
        keep = rank <= nearest
        i, j, d, rank = i[keep], j[keep], d[keep], rank[keep]
        cols = ["offer_id", "employer_id", "employer_name", "academic_year", "kind", "benchmark"]
        part = offers[[*cols, "spare"]].iloc[i].reset_index(drop=True)
        part["urn"] = gaps["urn"].to_numpy()[j]
        part["school_name"] = gaps["school_name"].to_numpy()[j]
        part["distance_km"] = d
        part["rank"] = rank
        pieces.append(part)
    if not pieces:
        return pd.DataFrame(
            columns=[
                "offer_id",
                "employer_id",
                "employer_name",
                "benchmark",
                "spare",
                "urn",
                "school_name",
                "distance_km",
                "rank",
            ]
        )
    out = pd.concat(pieces, ignore_index=True)
    return out.sort_values(["offer_id", "rank"], kind="stable").reset_index(drop=True)


class WhatItTakes(NamedTuple):
    """Result of :func:`what_would_it_take`: one-row ``summary``, the ``schools`` to lift
    (in greedy order) and the ``suppliers`` within range of each."""

    summary: pd.DataFrame
    schools: pd.DataFrame
    suppliers: pd.DataFrame


def shortfalls(
    coverage: pd.DataFrame,
    benchmark: int,
    bm5_year_groups: pd.DataFrame | None = None,
    per_pupil_threshold: float = 1.0,
    reach_threshold: float = 100.0,
) -> pd.DataFrame:
    """Per school: ``meets`` now, and ``shortfall`` = the extra pupil-encounters (BM5) or
    placements (BM6) needed to meet it (whole pupils, rounded up).

    - BM5 (needs ``bm5_year_groups`` from :func:`~hubcore.metrics.coverage.bm5_by_year_group`):
      shortfall = ⌈Σ_y max(0, threshold × pupils_est_y − participants_y)⌉ over the school's
      measured year groups.
    - BM6: shortfall = ⌈max(0, reach_threshold/100 × bm6_required × y11_cohort −
      bm6_by16_places)⌉ (bm6_required: experiences per pupil by 16 for the framework).
    - BM5 uses each year group's ``required`` (the kind's encounters per pupil) when the table
      has it, else ``per_pupil_threshold``.
    Schools with no size estimate, including a school with no pupils, have NaN shortfall
    (never -0.0) and are left out of targets.
    """
    if benchmark == 5:
        if bm5_year_groups is None:
            raise ValueError("BM5 shortfalls need the per-year-group table (bm5_by_year_group)")
        yg = bm5_year_groups[bm5_year_groups["academic_year"].isin(coverage["academic_year"])]
        # The kind's own bar (colleges two a year) where the table carries it; a year group
        # with no pupils has no size, so no shortfall (NaN, not 0 or -0.0).
        bar = yg["required"] if "required" in yg.columns else per_pupil_threshold
        need = (bar * yg["pupils_est"] - yg["participants"]).clip(lower=0)
        need = need.where(yg["pupils_est"] > 0)
        per_school = yg.assign(_need=need).groupby("urn")["_need"].sum(min_count=1).rename("raw")
        out = coverage[["urn", "meets_bm5"]].rename(columns={"meets_bm5": "meets"})
        out = out.merge(per_school.reset_index(), on="urn", how="left")
    elif benchmark == 6:
        out = coverage[["urn", "meets_bm6", "y11_cohort", "bm6_by16_places"]].rename(
            columns={"meets_bm6": "meets"}
        )
        # Experiences each pupil needs by 16 under the school's framework (2 from 2025/26).
        per = coverage["bm6_required"] if "bm6_required" in coverage.columns else 1.0
        want = reach_threshold / 100.0 * per * out["y11_cohort"]
        out["raw"] = (want - out["bm6_by16_places"]).clip(lower=0).where(out["y11_cohort"] > 0)
        out = out.drop(columns=["y11_cohort", "bm6_by16_places"])
    else:
        raise ValueError(f"what-would-it-take covers BM5 and BM6, not BM{benchmark}")
    # Round up with a small tolerance so 3.0000000001 (float noise) stays 3.
    # ``+ 0.0`` turns the -0.0 that ceil(-1e-9) gives into 0.0.
    out["shortfall"] = np.ceil(out.pop("raw") - 1e-9).clip(lower=0) + 0.0
    out["meets"] = out["meets"].fillna(False).astype(bool)
    out.loc[out["meets"], "shortfall"] = 0.0
    return out


def what_would_it_take(
    coverage: pd.DataFrame,
    schools: pd.DataFrame,
    spare: pd.DataFrame,
    benchmark: int = 5,
    target_pct: float = 80.0,
    radius_km: float = 10.0,
    bm5_year_groups: pd.DataFrame | None = None,
    per_pupil_threshold: float = 1.0,
    reach_threshold: float = 100.0,
) -> WhatItTakes:
    """How many more pupil-encounters (BM5) or placements (BM6) would lift the share of schools
    meeting the benchmark from today's figure to ``target_pct`` (percent), and which employers
    within ``radius_km`` (km, BNG) have spare capacity to supply them.

    - ``schools_measured`` = schools with a shortfall estimate; ``meeting_now``;
      ``pct_meeting_now`` = meeting_now ÷ schools_measured × 100 (percent).
    - ``schools_to_lift`` = ⌈target_pct/100 × schools_measured⌉ − meeting_now (≥ 0).
    - Greedy: the schools closest to meeting (smallest :func:`shortfalls`, then URN) are lifted
      first; choosing the k smallest shortfalls is the least total for k schools.
      ``additional_needed`` = Σ their shortfalls (pupil-encounters or placements).
    - ``suppliers``: spare offers for the benchmark within ``radius_km`` of each chosen school
      (``distance_km``, ``spare``); ``spare_within_radius`` in the summary counts each offer
      once, and ``supply_covers_need`` = spare_within_radius ≥ additional_needed.
    - ``target_reachable`` is False when even lifting every measured school falls short.
    """
    need = shortfalls(coverage, benchmark, bm5_year_groups, per_pupil_threshold, reach_threshold)
    measured = need[need["shortfall"].notna()]
    n = len(measured)
    meeting = int(measured["meets"].sum())
    wanted = math.ceil(target_pct / 100.0 * n - 1e-9) if n else 0
    to_lift = max(0, wanted - meeting)
    candidates = measured[~measured["meets"]].sort_values(["shortfall", "urn"], kind="stable")
    chosen = candidates.head(to_lift).reset_index(drop=True)
    chosen["order"] = np.arange(1, len(chosen) + 1)
    chosen["cumulative_needed"] = chosen["shortfall"].cumsum()
    names = pd.DataFrame(schools[["urn", "name", "easting", "northing"]])
    chosen = chosen.merge(names, on="urn", how="left")

    offers = spare[spare["benchmark"].eq(benchmark)].reset_index(drop=True)
    i, j, d = pairs_within(
        chosen["easting"].to_numpy(float),
        chosen["northing"].to_numpy(float),
        offers["easting"].to_numpy(float),
        offers["northing"].to_numpy(float),
        radius_km,
    )
    suppliers = pd.DataFrame(
        {
            "urn": chosen["urn"].to_numpy()[i],
            "offer_id": offers["offer_id"].to_numpy()[j],
            "employer_id": offers["employer_id"].to_numpy()[j],
            "employer_name": offers["employer_name"].to_numpy()[j],
            "kind": offers["kind"].to_numpy()[j],
            "spare": offers["spare"].to_numpy()[j],
            "distance_km": d,
        }
    ).sort_values(["urn", "distance_km", "offer_id"], kind="stable")
    near = suppliers.groupby("urn")["spare"].sum().rename("spare_nearby")
    chosen = chosen.merge(near.reset_index(), on="urn", how="left")
    chosen["spare_nearby"] = chosen["spare_nearby"].fillna(0).astype("int64")
    additional = float(chosen["shortfall"].sum())
    spare_total = int(offers.loc[offers["offer_id"].isin(suppliers["offer_id"]), "spare"].sum())
    summary = pd.DataFrame(
        {
            "benchmark": [benchmark],
            "schools_measured": [n],
            "meeting_now": [meeting],
            "pct_meeting_now": [100.0 * meeting / n if n else np.nan],
            "target_pct": [float(target_pct)],
            "schools_to_lift": [to_lift],
            "target_reachable": [to_lift <= len(candidates)],
            "additional_needed": [additional],
            "unit": ["pupil-encounters" if benchmark == 5 else "placements"],
            "radius_km": [float(radius_km)],
            "spare_within_radius": [spare_total],
            "supply_covers_need": [spare_total >= additional],
        }
    )
    cols = ["order", "urn", "name", "shortfall", "cumulative_needed", "spare_nearby"]
    return WhatItTakes(summary, chosen[cols], suppliers.reset_index(drop=True))
